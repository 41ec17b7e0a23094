"""Figures as statisticians publish them (issue 10): periods, series, and words that agree."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from hypothesis import given
from hypothesis import strategies as st

from tests.conftest import committed, figure, make_negotiation, make_series, make_target
from tracker import figures, services
from tracker.dashboard.chart import Figure, SeriesFigures, build_chart, point_box
from tracker.status import Growth, Observation, TargetFacts, assess_target

INDIA_COMMERCE = "India Ministry of Commerce — goods"


@pytest.mark.parametrize(
    ("value", "unit", "said"),
    [
        (212.3, "USD billion", "USD 212.3 billion"),
        (190, "USD billion", "USD 190 billion"),
        (200, "EUR billion", "EUR 200 billion"),
        (1234567.891, "EUR million", "EUR 1,234,567.89 million"),
        (12500, "USD", "USD 12,500"),
        (45, "%", "45%"),
        (3200, "tonnes", "3,200 tonnes"),
        (7, "", "7"),
    ],
)
def test_amounts_read_as_a_reader_writes_them(value, unit, said):
    assert figures.amount(value, unit) == said


@pytest.mark.parametrize(
    ("text", "said"),
    [("2030", "by 2030"), ("by 2030", "by 2030"), ("By end of 2030", "by end of 2030")],
)
def test_by_is_said_once_whatever_the_deadline_was_typed_as(text, said):
    assert figures.by_deadline(text) == said
    assert figures.target_figures(190, 200, "EUR billion", text) == (
        f"From EUR 190 billion to EUR 200 billion {said}"
    )


@pytest.mark.parametrize(
    ("growth", "rate", "per_year", "said"),
    [
        ("linear", 0.118, 62.0, "+62 USD billion a year"),
        ("linear", 0.118, 61.54321, "+61.54 USD billion a year"),
        ("linear", -0.05, -12.5, "−12.5 USD billion a year"),
        ("compound", 0.2143, 62.0, "+21.4%/year"),
        ("compound", -0.031, -5.0, "−3.1%/year"),
        ("linear", None, None, ""),
        ("compound", None, None, ""),
    ],
)
def test_a_linear_pace_is_said_in_units_a_year_and_a_compound_one_in_percent(
    growth, rate, per_year, said
):
    assert figures.required_pace(growth, rate=rate, per_year=per_year, unit="USD billion") == said


@pytest.mark.parametrize(
    ("start", "end", "said"),
    [
        (dt.date(2025, 1, 1), dt.date(2025, 12, 31), "2025"),
        (dt.date(2025, 4, 1), dt.date(2026, 3, 31), "Apr 2025 – Mar 2026"),
        (dt.date(2025, 10, 1), dt.date(2026, 9, 30), "Oct 2025 – Sep 2026"),
        (dt.date(2026, 1, 1), dt.date(2026, 3, 31), "Q1 2026"),
        (dt.date(2026, 7, 1), dt.date(2026, 9, 30), "Q3 2026"),
        (dt.date(2026, 3, 1), dt.date(2026, 3, 31), "March 2026"),
        (dt.date(2024, 5, 27), dt.date(2025, 5, 26), "the year to 26 May 2025"),
        (dt.date(2025, 5, 26), dt.date(2025, 5, 26), "26 May 2025"),
        (dt.date(2025, 5, 2), dt.date(2025, 6, 9), "2 May 2025 – 9 Jun 2025"),
    ],
)
def test_periods_read_as_short_as_they_are_exact(start, end, said):
    assert figures.period_text(start, end) == said


@pytest.mark.parametrize("ratio", [1.0, 1.006, 1.0149, 0.9499, 0.95, 0.29, 0.8499])
def test_the_attainment_and_its_reason_use_the_same_rounding(ratio):
    # The target sits at `ratio` of its linear path halfway through.
    facts = TargetFacts(
        "Trade",
        100.0,
        dt.date(2025, 1, 1),
        300.0,
        dt.date(2027, 1, 1),
        Growth.LINEAR,
        (Observation(dt.date(2026, 1, 1), 200.0 * ratio),),
    )
    answer = assess_target(facts, dt.date(2026, 1, 2))
    assert answer.attainment is not None
    assert f"at {figures.percent(answer.attainment)} of the expected path" in answer.reason


def test_a_linear_target_needs_the_remaining_gap_spread_over_the_years_left():
    facts = TargetFacts(
        "Trade",
        190.0,
        dt.date(2025, 5, 26),
        500.0,
        dt.date(2030, 12, 31),
        Growth.LINEAR,
        (Observation(dt.date(2025, 12, 31), 200.0),),
    )
    answer = assess_target(facts, dt.date(2025, 12, 31))
    years_left = (dt.date(2030, 12, 31) - dt.date(2025, 12, 31)).days / 365.25
    assert answer.required_pace == pytest.approx(300.0 / years_left)
    assert answer.required_pace is not None
    assert figures.pace(answer.required_pace, "USD billion") == "+60.01 USD billion a year"


def test_a_linear_target_page_states_its_pace_in_units_a_year(client, frozen, parties):
    target = make_target(make_negotiation(), growth="linear")
    html = client.get(reverse("target", args=[target.pk])).content.decode()
    assert "Required pace: <strong>+" in html
    assert " USD billion a year</strong>" in html
    assert "%/year" not in html and "% a year" not in html
    assert "USD 500 billion by 2030" in html and "by by" not in html


def _two_series_target():
    target = make_target(make_negotiation())
    us, india = make_series(), make_series(INDIA_COMMERCE)
    with committed():
        # The first series a target is given becomes its primary one.
        for year, value in ((2025, "212.3"), (2026, "240")):
            services.observation_save(
                observation=figure(
                    target, dt.date(year, 12, 31), Decimal(value), start=dt.date(year, 1, 1)
                )
            )
        # India's fiscal years, April to March, and a lower count: goods only.
        for year, value in ((2025, "130"), (2026, "135")):
            services.observation_save(
                observation=figure(
                    target,
                    dt.date(year + 1, 3, 31),
                    Decimal(value),
                    start=dt.date(year, 4, 1),
                    series=india,
                )
            )
    target.refresh_from_db()
    return target, us, india


def test_two_series_are_charted_and_the_primary_one_drives_the_status(client, frozen, parties):
    target, us, india = _two_series_target()
    assert target.primary_series == us
    # US figures are on the path; India's goods-only figures would be far behind it.
    assert target.status == "on_track"
    assert (target.observed_on, target.observed_value) == (dt.date(2026, 12, 31), 240.0)

    html = client.get(reverse("target", args=[target.pk])).content.decode()
    assert html.count('<path class="series ') == 2
    assert '<path class="series series-0 primary"' in html
    assert '<path class="series series-1"' in html
    assert "US Census Bureau — goods and services (judges the status)" in html
    assert f"</span> {INDIA_COMMERCE}</span>" in html
    assert "<td>Apr 2025 – Mar 2026</td><td>India Ministry of Commerce — goods</td>" in html
    assert "<td>2025</td><td>US Census Bureau — goods and services</td>" in html

    # Judged on India's series instead, the same target is off track.
    target.primary_series = india
    with committed():
        services.target_save(target=target)
    target.refresh_from_db()
    assert target.status == "off_track"
    assert target.observed_value == 135.0


def test_the_api_gives_each_figure_its_series_and_period(client, frozen, parties):
    target, _, _ = _two_series_target()
    rows = client.get(f"/api/v1/observations/?target={target.pk}&series={INDIA_COMMERCE}").json()
    rows = rows.get("results", rows)
    assert [(r["series"], r["period_start"], r["period_end"], r["value"]) for r in rows] == [
        (INDIA_COMMERCE, "2025-04-01", "2026-03-31", 130.0),
        (INDIA_COMMERCE, "2026-04-01", "2027-03-31", 135.0),
    ]
    api = client.get(f"/api/v1/targets/{target.pk}/").json()
    assert api["primary_series"] == "US Census Bureau — goods and services"
    assert api["latest_observation"] == {
        "date": "2026-12-31",
        "value": 240.0,
        "series": "US Census Bureau — goods and services",
    }
    assert api["required_pace_text"].endswith("%/year")


def test_a_figure_for_the_same_series_and_period_is_refused_twice(frozen, parties):
    target = make_target(make_negotiation())
    with committed():
        services.observation_save(observation=figure(target, dt.date(2025, 12, 31), 200))
    with pytest.raises(ValidationError) as error:
        services.observation_save(observation=figure(target, dt.date(2025, 12, 31), 201))
    assert "__all__" in error.value.message_dict


def test_a_period_that_ends_before_it_starts_is_refused(frozen, parties):
    target = make_target(make_negotiation())
    with pytest.raises(ValidationError) as error:
        services.observation_save(
            observation=figure(target, dt.date(2025, 1, 1), 200, start=dt.date(2025, 12, 31))
        )
    assert "period_end" in error.value.message_dict


FACTS = TargetFacts(
    name="Bilateral trade",
    baseline_value=190,
    baseline_date=dt.date(2025, 5, 26),
    target_value=500,
    latest=dt.date(2030, 12, 31),
)


def _assert_labels_clear(chart):
    points = [point_box(p.x, p.y) for p in chart.observations]
    marked = [chart.baseline, chart.target]
    if chart.expected_today is not None:
        marked.append(chart.expected_today)
    points += [point_box(p.x, p.y) for p in marked]
    for label in chart.labels:
        for box in points:
            assert not label.box.overlaps(box), (label, box)
    for i, a in enumerate(chart.labels):
        for b in chart.labels[i + 1 :]:
            assert not a.box.overlaps(b.box), (a, b)


def test_the_baseline_label_moves_off_a_first_point_that_sits_where_it_would_go():
    # The case: a first figure just after the baseline and a little above it.
    series = (
        SeriesFigures("US", True, (Figure(dt.date(2025, 12, 31), 205.0),)),
        SeriesFigures("India", False, (Figure(dt.date(2026, 3, 31), 190.0),)),
    )
    chart = build_chart(FACTS, today=dt.date(2026, 6, 1), series=series)
    _assert_labels_clear(chart)
    assert [label.text for label in chart.labels][:2] == ["Baseline 190", "Target 500"]


@given(
    st.dictionaries(
        st.integers(min_value=0, max_value=21),  # the quarter after the baseline
        st.floats(min_value=0, max_value=600),
        min_size=1,
        max_size=12,
    )
)
def test_chart_labels_never_cover_a_data_point(quarters):
    # Statistics come at most quarterly: one figure per quarter, of any value.
    figures_ = tuple(
        Figure(FACTS.baseline_date + dt.timedelta(days=91 * (q + 1)), value)
        for q, value in quarters.items()
    )
    chart = build_chart(
        FACTS, today=dt.date(2026, 6, 1), series=(SeriesFigures("US", True, figures_),)
    )
    _assert_labels_clear(chart)
