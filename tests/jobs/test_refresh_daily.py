"""The periodic refresh: it looks only where the day can have changed something, and what
it leaves stored is exactly what judging every row would store."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.core.management import call_command

from tests.conftest import (
    committed,
    make_milestone,
    make_negotiation,
    make_target,
    make_track,
)
from tracker import services
from tracker.models import Milestone, Source, StatusChange, Track
from tracker.refresh import refresh_statuses

pytestmark = pytest.mark.django_db


def portfolio() -> dict[str, Milestone]:
    """Two negotiations, entered on 1 July 2025, whose rows cross every band the calendar
    moves them through in July and August 2025: due soon, overdue, stale, a dependency going
    overdue across the two, completed and cancelled work, a target."""
    with time_machine.travel(dt.datetime(2025, 7, 1, 12, tzinfo=dt.UTC), tick=False), committed():
        return _entered()


def _entered() -> dict[str, Milestone]:
    source = services.source_save(
        source=Source(
            slug="statement",
            title="Statement",
            excerpt="Talks go on.",
            published_on=dt.date(2025, 5, 20),
        )
    )
    india = make_negotiation("india-us")
    interim = make_track(india, "interim")
    rows = {
        "offer": make_milestone(interim, "Market access offer", "July 20, 2025"),
        "text": make_milestone(interim, "Legal text", "August 2025"),
        "signed": make_milestone(interim, "Signature", "September 30, 2025"),
        "unscheduled": make_milestone(interim, "Ratification", None),
        "done": make_milestone(
            interim,
            "Terms of reference",
            "June 1, 2025",
            state="completed",
            completed_on=dt.date(2025, 6, 4),
        ),
        "dropped": make_milestone(interim, "Side letter", "July 1, 2025", state="cancelled"),
    }
    with committed():
        services.milestone_save(milestone=rows["text"], sources=[source])
    other = make_track(make_negotiation("uk-india"), "goods")
    rows["waiting"] = make_milestone(other, "Goods schedule", "October 30, 2025")
    with committed():
        services.milestone_save(milestone=rows["waiting"], depends_on=[rows["offer"]])
    make_target(india, interim)
    return rows


def test_day_after_day_the_periodic_refresh_stores_what_judging_every_row_would() -> None:
    rows = portfolio()
    day = dt.date(2025, 7, 1)
    while day <= dt.date(2025, 8, 31):
        refresh_statuses(today=day)
        everything = refresh_statuses(today=day, everything=True)
        assert (everything.rows_written, everything.changes) == (0, []), day
        day += dt.timedelta(days=1)
    waiting = Milestone.objects.get(pk=rows["waiting"].pk)
    assert waiting.status == "at_risk"
    assert waiting.status_reason == (
        "Goods schedule waits on Market access offer, which was due by 20 July 2025"
    )


def test_a_milestone_in_another_negotiation_is_put_at_risk_the_day_its_dependency_is_overdue() -> (
    None
):
    rows = portfolio()
    refresh_statuses(today=dt.date(2025, 7, 20))
    assert Milestone.objects.get(pk=rows["waiting"].pk).status == "upcoming"
    refresh_statuses(today=dt.date(2025, 7, 21))
    assert Milestone.objects.get(pk=rows["waiting"].pk).status == "at_risk"
    assert Track.objects.get(slug="goods").health == "at_risk"


def test_a_periodic_refresh_where_nothing_changed_makes_four_queries(
    django_assert_num_queries: object,
) -> None:
    portfolio()
    refresh_statuses(today=dt.date(2025, 7, 10))
    # One to find what the day can have changed, three to judge the targets.
    with django_assert_num_queries(4):  # type: ignore[operator]
        result = refresh_statuses(today=dt.date(2025, 7, 10))
    assert result.rows_written == 0


def test_the_next_day_rewrites_only_the_rows_whose_status_moves() -> None:
    rows = portfolio()
    refresh_statuses(today=dt.date(2025, 7, 5))
    result = refresh_statuses(today=dt.date(2025, 7, 6))  # the offer is due in 14 days
    assert result.milestones == 1
    offer = Milestone.objects.get(pk=rows["offer"].pk)
    assert (offer.status, offer.status_reason) == (
        "due_soon",
        "Market access offer due by 20 July 2025",
    )
    assert refresh_statuses(today=dt.date(2025, 7, 7)).milestones == 0


def test_everything_rewrites_a_reason_worded_before_reasons_named_dates(
    capsys: pytest.CaptureFixture[str],
) -> None:
    rows = portfolio()
    refresh_statuses(today=dt.date(2025, 7, 10))
    Milestone.objects.filter(pk=rows["signed"].pk).update(status_reason="Signature due in 82 days")
    call_command("refresh_status", "--date", "2025-07-10", "--everything")
    assert "1 milestones" in capsys.readouterr().out
    assert Milestone.objects.get(pk=rows["signed"].pk).status_reason == (
        "Signature due by 30 September 2025"
    )
    assert not StatusChange.objects.filter(milestone_id=rows["signed"].pk).exists()


def test_a_milestone_never_assessed_is_judged_by_the_periodic_refresh() -> None:
    rows = portfolio()
    Milestone.objects.filter(pk=rows["signed"].pk).update(status="unscheduled", status_reason="")
    refresh_statuses(today=dt.date(2025, 7, 10))
    signed = Milestone.objects.get(pk=rows["signed"].pk)
    assert (signed.status, signed.status_reason) == (
        "upcoming",
        "Signature due by 30 September 2025",
    )
