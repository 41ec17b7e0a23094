"""Headlines that claim no more than the record, and one format per figure (issue 20, 3-5)."""

from __future__ import annotations

import csv
import datetime as dt
import io
from decimal import Decimal

import feedparser
import pytest
from django.contrib.auth import get_user_model
from django.core import mail
from django.test import Client
from django.urls import reverse
from hypothesis import given
from hypothesis import strategies as st
from rest_framework.test import APIClient

from tests.browser.static import collected_static
from tests.conftest import (
    NOW,
    US_CENSUS,
    committed,
    figure,
    make_negotiation,
    make_target,
    make_track,
)
from tracker import services
from tracker.dashboard.chart import Figure, SeriesFigures, build_chart
from tracker.dashboard.timeline import MARK_CLEARANCE, Ghost, place_ghosts
from tracker.figures import countdown, percent
from tracker.management.commands.load_record import INDIA_US_RECORD
from tracker.models import StatusChange, Target
from tracker.record import load_record
from tracker.reminders.alerts import send_health_alerts
from tracker.status import TargetFacts, expected_value

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("collected_static")]
__all__ = ["collected_static"]


@pytest.fixture
def india_us(frozen):
    with committed():
        load_record(INDIA_US_RECORD)


# Countdowns no sharper than the deadline


@pytest.mark.parametrize(
    ("remaining", "precision", "said"),
    [
        (1501, "year", "in about 4 years"),
        (400, "year", "in about 13 months"),
        (92, "month", "in about 3 months"),
        (92, "season", "in about 3 months"),
        (92, "quarter", "in about 3 months"),
        (12, "month", "in 12 days"),
        (40, "season", "in about 1 month"),
        (12, "day", "in 12 days"),
        (1501, "day", "in 1501 days"),
        (1, "year", "due tomorrow"),
        (-3, "year", "3 days overdue"),
    ],
)
def test_a_countdown_is_no_sharper_than_its_deadline(remaining, precision, said) -> None:
    assert countdown(remaining, precision) == said


def test_the_negotiation_page_heads_a_2030_deadline_in_years_and_not_in_red(client, india_us):
    html = client.get(reverse("negotiation", args=["india-us-bta"])).content.decode()
    assert (
        '<p class="countdown-big status-text-upcoming">Next deadline in about 4 years</p>' in html
    )
    assert "1501 days" not in html
    # Red stays for what is late: the two overdue deals.
    assert '<p class="countdown status-text-overdue">2 overdue</p>' in html


def test_the_embed_heads_a_2030_deadline_in_years_coloured_as_the_milestone(client, india_us):
    html = client.get(reverse("negotiation_embed", args=["india-us-bta"])).content.decode()
    assert '<strong class="countdown status-text-upcoming">in about 4 years</strong>' in html
    assert "status-text-off_track" not in html.split('class="next"')[1].split("</p>")[0]


def test_progress_counts_only_the_steps_that_advance_the_deal_and_says_so(client, india_us):
    html = client.get(reverse("negotiation", args=["india-us-bta"])).content.decode()
    # The visit and the COMPACT launch are done but weigh 0 in the record.
    assert '<span class="progress-text">0% done: 0 of 7 steps that advance the deal</span>' in (
        html
    )
    assert "22%" not in html


def test_completing_a_step_of_the_deal_moves_progress_and_its_count(client, india_us):
    track = Target.objects.get().negotiation.tracks.get(slug="interim-agreement")
    with committed():
        services.milestone_complete(
            milestone=track.milestones.get(), completed_on=dt.date(2025, 7, 7)
        )
    html = client.get(reverse("negotiation", args=["india-us-bta"])).content.decode()
    assert "14% done: 1 of 7 steps that advance the deal" in html


def test_the_summary_is_dated_as_its_sources(client, india_us):
    html = client.get(reverse("negotiation", args=["india-us-bta"])).content.decode()
    assert (
        '<p class="summary"><strong class="reported">As reported on 26 May 2025:</strong> '
        "India and the United States are negotiating" in html
    )


def test_the_phone_timeline_heads_vague_deadlines_by_their_words(client, india_us):
    html = client.get(reverse("negotiation", args=["india-us-bta"])).content.decode()
    agenda = html.split('<ol class="agenda">')[1].split("</ol>")[0]
    assert '<span class="agenda-date">February 2025</span>' in agenda
    assert '<span class="agenda-date">2030</span>' in agenda
    assert '<span class="agenda-date">autumn 2025</span>' in agenda
    # An exact deadline keeps its day.
    assert '<span class="agenda-date">8 Jul 2025</span>' in agenda
    assert "28 Feb 2025</span>" not in agenda and "31 Dec 2030</span>" not in agenda


def test_the_timeline_legend_explains_the_cancelled_grey_dot(client, india_us):
    html = client.get(reverse("negotiation", args=["india-us-bta"])).content.decode()
    legend = html.split('<figcaption class="legend">')[1].split("</figcaption>")[0]
    assert 'class="legend-dot legend-cancelled"/></svg> cancelled</span>' in legend
    for mark in ("overdue", "at risk or due soon", "upcoming", "completed", "earlier deadline"):
        assert mark in legend


# One rounding of attainment everywhere


def observed_at(target: Target, ratio: float, on: dt.date) -> Decimal:
    """A figure at `ratio` of the path on `on`."""
    facts = TargetFacts(
        target.name,
        float(target.baseline_value),
        target.baseline_date,
        float(target.target_value),
        target.deadline_latest or dt.date(2030, 12, 31),
    )
    return Decimal(str(round(expected_value(facts, on) * ratio, 4)))


@pytest.mark.parametrize(("ratio", "said"), [(1.086, "108%"), (0.947, "94%")])
def test_attainment_reads_the_same_on_the_page_the_api_the_csv_the_feed_and_the_email(
    frozen, ratio, said
) -> None:
    negotiation = make_negotiation()
    track = make_track(negotiation)
    target = make_target(negotiation, track)
    owner = get_user_model().objects.create_user("owner", "owner@example.org")
    track.owner = owner
    track.save()
    StatusChange.objects.update(notified_at=NOW)
    on = dt.date(2026, 3, 31)
    value = observed_at(target, ratio, on)
    with committed():
        services.observation_save(observation=figure(target, on, value))
    target.refresh_from_db()
    assert target.attainment is not None and abs(target.attainment - ratio) < 1e-4
    assert percent(target.attainment) == said
    reason = f"Bilateral trade at {said} of the expected path"

    page = Client().get(reverse("target", args=[target.pk])).content.decode()
    assert f"Attainment: <strong>{said}</strong>" in page
    assert f"<strong>Why:</strong> {reason}" in page

    api = APIClient().get(f"/api/v1/targets/{target.pk}/").json()
    assert api["status_reason"] == reason

    exported = Client().get("/api/v1/targets/?format=csv")
    text = b"".join(exported.streaming_content).decode("utf-8-sig")  # type: ignore[attr-defined]
    rows = list(csv.DictReader(io.StringIO(text)))
    assert [r["status_reason"] for r in rows] == [reason]

    feed = feedparser.parse(Client().get("/changes.atom").content)
    figures_said = [e.title for e in feed.entries if e.title.startswith("New figure")]
    amount = f"USD {float(value):,.2f}".rstrip("0").rstrip(".")
    assert figures_said == [
        f"New figure: Bilateral trade, {amount} billion for 31 March 2026 ({US_CENSUS})"
    ]
    if ratio < 1:  # below the path: the track is at risk for the reason, in the feed and mail
        assert any(f"Why: {reason}" in e.summary for e in feed.entries)
        send_health_alerts()
        (alert,) = mail.outbox
        assert f"Why: {reason}" in alert.body
    for text in (page, str(api), str(rows)):
        other = f"{round(ratio * 100)}%"
        if other != said:
            assert f" {other} " not in text and f">{other}<" not in text


# The chart


def facts(**fields) -> TargetFacts:
    return TargetFacts(
        "Bilateral trade", 190.0, dt.date(2025, 5, 26), 500.0, dt.date(2030, 12, 31), **fields
    )


def test_the_chart_draws_a_figure_from_before_the_baseline_inside_the_plot() -> None:
    chart = build_chart(
        facts(),
        today=dt.date(2026, 11, 21),
        series=[SeriesFigures("", True, (Figure(dt.date(2024, 12, 31), 180.0, "2024"),))],
    )
    (early,) = chart.observations
    assert chart.left <= early.x < chart.baseline.x <= chart.target.x <= chart.right
    # The required path starts at the baseline, not at the earlier figure.
    assert chart.path.startswith(f"M{chart.baseline.x:.1f},")


def test_the_chart_scales_to_its_box_instead_of_scrolling(client, frozen) -> None:
    target = make_target(make_negotiation())
    html = client.get(reverse("target", args=[target.pk])).content.decode()
    svg = html.split('<svg viewBox="0 0 720.0 320.0"')[1].split(">")[0]
    assert "width=" not in svg and 'preserveAspectRatio="xMidYMid meet"' in svg
    assert 'aria-label="Target chart"' not in html  # no sideways-scrolling region


# The timeline's ghosts


@given(
    ghosts=st.lists(st.floats(0, 960, allow_nan=False), max_size=6),
    own=st.floats(0, 960, allow_nan=False),
    others=st.lists(st.floats(0, 960, allow_nan=False), max_size=12),
)
def test_no_ghost_is_drawn_on_another_mark_of_its_row(ghosts, own, others) -> None:
    first = dt.date(2025, 1, 1)
    given_x = {first + dt.timedelta(days=i): x for i, x in enumerate(ghosts)}
    drawn = place_ghosts([Ghost(x, day) for day, x in given_x.items()], own, others)
    xs = [g.x for g in drawn]
    for i, ghost in enumerate(drawn):
        assert all(abs(ghost.x - o) >= MARK_CLEARANCE - 0.1 for o in [own, *others, *xs[:i]])
        # A ghost moves along its slip line toward its own marker, never past it.
        start = given_x[ghost.date]
        assert min(start, own) - 0.1 <= ghost.x <= max(start, own) + 0.1


def test_a_ghost_on_another_milestone_moves_beside_it_toward_its_own_marker() -> None:
    day = dt.date(2025, 1, 1)
    (ghost,) = place_ghosts([Ghost(300.0, day)], 500.0, [300.0])
    assert ghost.x == 300.0 + MARK_CLEARANCE


def test_a_ghost_with_no_room_beside_its_own_marker_merges_into_it() -> None:
    day = dt.date(2025, 1, 1)
    assert place_ghosts([Ghost(300.0, day)], 310.0, [300.0]) == ()
