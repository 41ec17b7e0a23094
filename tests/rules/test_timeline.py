"""The timeline's geometry and the target chart's, as pure functions."""

from __future__ import annotations

import datetime as dt

from hypothesis import given, settings
from hypothesis import strategies as st

from tracker.dashboard.chart import build_chart, nice_step
from tracker.dashboard.timeline import (
    BREAK_WIDTH,
    Box,
    Timeline,
    TimelineMilestone,
    TimelineTrack,
    build_axis,
    build_timeline,
    lay_out_labels,
)
from tracker.figures import countdown
from tracker.status import Growth, Observation, TargetFacts, expected_value

TODAY = dt.date(2026, 11, 21)


def milestone(title: str, earliest: dt.date, latest: dt.date, status: str = "upcoming", **kw):
    return TimelineMilestone(
        title=title,
        url=f"/m/{title}/",
        status=status,
        status_label=status,
        earliest=earliest,
        latest=latest,
        deadline_text=str(latest),
        **kw,
    )


def track(name: str, *milestones: TimelineMilestone) -> TimelineTrack:
    return TimelineTrack(name, f"/t/{name}/", "on_track", "On track", tuple(milestones))


def test_dates_close_together_share_one_unbroken_axis_including_today():
    axis = build_axis([dt.date(2026, 6, 1), dt.date(2027, 3, 1)], today=TODAY, left=0, right=900)
    assert len(axis.segments) == 1
    assert axis.breaks == ()
    assert 0 < axis.x(dt.date(2026, 6, 1)) < axis.x(TODAY) < axis.x(dt.date(2027, 3, 1)) < 900


def test_a_far_off_2030_window_gets_its_own_segment_instead_of_squashing_the_present():
    dates = [
        dt.date(2025, 7, 8),
        dt.date(2025, 9, 1),
        dt.date(2025, 11, 30),
        dt.date(2030, 1, 1),
        dt.date(2030, 12, 31),
    ]
    axis = build_axis(dates, today=TODAY, left=0, right=900)
    near, far = axis.segments
    assert near.contains(dt.date(2025, 7, 8)) and near.contains(TODAY)
    assert far.contains(dt.date(2030, 1, 1)) and far.contains(dt.date(2030, 12, 31))
    assert far.x0 - near.x1 == BREAK_WIDTH
    assert len(axis.breaks) == 1 and near.x1 < axis.breaks[0] < far.x0
    # The segment holding today keeps most of the width.
    assert (near.x1 - near.x0) > 3 * (far.x1 - far.x0)
    # July to November 2025 is still wide enough to read: over a tenth of the width.
    assert axis.x(dt.date(2025, 11, 30)) - axis.x(dt.date(2025, 7, 8)) > 90


def test_x_grows_with_the_date_across_a_break():
    dates = [dt.date(2025, 1, 1), dt.date(2031, 1, 1)]
    axis = build_axis(dates, today=dt.date(2025, 3, 1), left=10, right=950)
    days = [dt.date(2025, 1, 1), dt.date(2025, 3, 1), dt.date(2031, 1, 1)]
    xs = [axis.x(d) for d in days]
    assert xs == sorted(xs) and xs[0] >= 10 and xs[-1] <= 950


def test_ticks_are_labelled_months_on_a_short_span_and_years_on_a_long_one():
    short = build_axis([dt.date(2026, 9, 1), dt.date(2027, 1, 31)], today=TODAY, left=0, right=900)
    assert any(t.label == "Dec 2026" for t in short.ticks)
    yearly = [dt.date(year, 1, 1) for year in range(2020, 2027)]
    long = build_axis(yearly, today=TODAY, left=0, right=300)
    assert len(long.segments) == 1
    assert all(t.label.isdigit() for t in long.ticks) and long.ticks


def test_the_timeline_draws_windows_ghosts_for_slips_an_overdue_span_and_today():
    autumn = milestone(
        "Comprehensive agreement",
        dt.date(2025, 9, 1),
        dt.date(2025, 11, 30),
        status="overdue",
        earlier_deadlines=(dt.date(2025, 7, 8),),
    )
    exact = milestone("Interim deal", dt.date(2025, 7, 8), dt.date(2025, 7, 8), status="overdue")
    timeline = build_timeline(
        [track("BTA", autumn), track("Interim", exact), track("Empty")], today=TODAY
    )
    assert [row.track.name for row in timeline.rows] == ["BTA", "Interim"]
    assert [t.name for t in timeline.undated] == ["Empty"]
    window_marker = timeline.rows[0].markers[0]
    assert window_marker.window is not None
    x0, x1 = window_marker.window
    assert x0 < x1 == window_marker.x and window_marker.window_width == x1 - x0
    (ghost,) = window_marker.ghosts
    assert ghost.x < x0 and ghost.date == dt.date(2025, 7, 8)
    assert window_marker.overdue_to == timeline.today_x > window_marker.x
    point = timeline.rows[1].markers[0]
    assert point.window is None and point.ghosts == ()
    assert timeline.rows[1].y > timeline.rows[0].y
    assert timeline.height > timeline.rows[-1].y


def test_long_titles_are_shortened_on_the_chart_but_kept_whole_in_the_tooltip():
    title = "Comprehensive agreement (first phase of the multi-sector BTA) concluded"
    timeline = build_timeline([track("BTA", milestone(title, TODAY, TODAY))], today=TODAY)
    marker = timeline.rows[0].markers[0]
    assert marker.label.endswith("…") and len(marker.label) <= 46
    assert marker.milestone.title == title


def test_countdowns_are_said_in_words():
    assert countdown(12) == "in 12 days"
    assert countdown(1) == "due tomorrow"
    assert countdown(0) == "due today"
    assert countdown(-1) == "1 day overdue"
    assert countdown(-42) == "42 days overdue"
    assert countdown(-501) == "501 days overdue (about 16 months)"
    assert countdown(None) == ""


FACTS = TargetFacts(
    name="Bilateral trade",
    baseline_value=190,
    baseline_date=dt.date(2025, 5, 26),
    target_value=500,
    latest=dt.date(2030, 12, 31),
    growth=Growth.COMPOUND,
    observations=(Observation(dt.date(2026, 3, 31), 210),),
)


def test_the_target_chart_runs_the_required_path_from_baseline_to_target():
    chart = build_chart(FACTS, today=TODAY)
    first, *_, last = chart.path[1:].split(" L")
    assert first == f"{chart.baseline.x:.1f},{chart.baseline.y:.1f}"
    assert last == f"{chart.target.x:.1f},{chart.target.y:.1f}"
    assert chart.target.y < chart.baseline.y  # higher value, higher on the page
    (obs,) = chart.observations
    assert chart.today_x is not None
    assert chart.baseline.x < obs.x < chart.today_x < chart.target.x
    assert chart.expected_today is not None
    assert chart.expected_today.value == expected_value(FACTS, TODAY)


def test_a_compound_path_bows_below_a_linear_one_halfway():
    linear = TargetFacts(**{**FACTS.__dict__, "growth": Growth.LINEAR})
    middle = dt.date(2028, 3, 1)
    compound_y = build_chart(FACTS, today=middle).expected_today
    linear_y = build_chart(linear, today=middle).expected_today
    assert compound_y is not None and linear_y is not None
    assert compound_y.value < linear_y.value and compound_y.y > linear_y.y


def test_grid_steps_are_round_numbers():
    assert nice_step(500) == 100
    assert nice_step(37) == 10
    assert nice_step(0.8) == 0.2


# Labels never overlap: properties over generated milestone sets.

_titles = st.text(
    alphabet=st.sampled_from(
        "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 –-,.()WM"
    ),
    min_size=1,
    max_size=70,
)


def _label_boxes(timeline: Timeline) -> list[Box]:
    return [m.label_box for row in timeline.rows for m in row.markers] + [
        row.name_box for row in timeline.rows
    ]


def _assert_no_label_overlaps(timeline: Timeline) -> None:
    boxes = _label_boxes(timeline)
    for i, a in enumerate(boxes):
        assert a.x0 >= 0 and a.x1 <= timeline.width and a.y1 <= timeline.height, a
        for b in boxes[i + 1 :]:
            assert not a.overlaps(b), (a, b)


@st.composite
def _tracks(draw: st.DrawFn, *, first: dt.date, days: int, most: int) -> list[TimelineTrack]:
    count = draw(st.integers(1, most))
    offsets = draw(st.lists(st.integers(0, days), min_size=count, max_size=count))
    titles = draw(st.lists(_titles, min_size=count, max_size=count))
    lanes = draw(st.integers(1, 4))
    by_track: list[list[TimelineMilestone]] = [[] for _ in range(lanes)]
    for n, (offset, title) in enumerate(zip(offsets, titles, strict=True)):
        day = first + dt.timedelta(days=offset)
        by_track[n % lanes].append(milestone(title, day, day))
    return [track(f"Track {n}", *ms) for n, ms in enumerate(by_track) if ms]


@given(_tracks(first=dt.date(2026, 12, 1), days=6, most=8))
def test_labels_of_several_milestones_in_one_week_never_overlap(tracks):
    _assert_no_label_overlaps(build_timeline(tracks, today=TODAY))


@given(_tracks(first=dt.date(2026, 1, 1), days=364, most=50))
@settings(max_examples=40, deadline=None)
def test_labels_of_fifty_milestones_in_a_year_never_overlap(tracks):
    _assert_no_label_overlaps(build_timeline(tracks, today=TODAY))


@given(
    st.lists(st.floats(0, 960), min_size=1, max_size=30),
    st.lists(st.floats(10, 300), min_size=30, max_size=30),
)
def test_laid_out_labels_stay_inside_the_chart_and_share_no_lane_space(xs, widths):
    widths = widths[: len(xs)]
    slots = lay_out_labels(xs, widths, left=0, right=960)
    spans = [(s.lane, s.x0, s.x0 + w) for s, w in zip(slots, widths, strict=True)]
    for _lane, x0, x1 in spans:
        assert x0 >= 0 and x1 <= 960
    for i, (lane, x0, x1) in enumerate(spans):
        for other_lane, y0, y1 in spans[i + 1 :]:
            assert lane != other_lane or x1 <= y0 or y1 <= x0


def test_the_eu_india_closing_steps_a_few_weeks_apart_drop_into_separate_lanes():
    steps = [
        milestone("15th negotiating round", dt.date(2026, 12, 1), dt.date(2026, 12, 5)),
        milestone("Legal scrubbing completed", dt.date(2026, 12, 19), dt.date(2026, 12, 19)),
        milestone("FTA signed", dt.date(2027, 1, 15), dt.date(2027, 1, 15)),
    ]
    timeline = build_timeline(
        [
            track("EU–India FTA", *steps),
            track("Later", milestone("Review", dt.date(2030, 1, 1), dt.date(2030, 1, 1))),
        ],
        today=TODAY,
    )
    markers = timeline.rows[0].markers
    assert len({m.lane for m in markers}) > 1
    _assert_no_label_overlaps(timeline)
    assert timeline.rows[1].top >= timeline.rows[0].top + timeline.rows[0].height


def test_the_list_in_date_order_puts_today_between_the_past_and_the_future():
    past = milestone("Interim deal", dt.date(2025, 7, 8), dt.date(2025, 7, 8), status="overdue")
    future = milestone("FTA signed", dt.date(2027, 1, 15), dt.date(2027, 1, 15))
    timeline = build_timeline([track("BTA", future, past)], today=TODAY)
    assert [(i.day, i.is_today) for i in timeline.agenda] == [
        (dt.date(2025, 7, 8), False),
        (TODAY, True),
        (dt.date(2027, 1, 15), False),
    ]
