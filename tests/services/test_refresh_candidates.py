"""The periodic refresh's candidates, found through index ranges, are exactly the milestones
whose stored status, reason or freshness the day may have made wrong."""

from __future__ import annotations

import datetime as dt
import itertools

import pytest

from tests.conftest import make_negotiation, make_track
from tracker import status as rules
from tracker.models import Milestone
from tracker.refresh import candidates

TODAY = dt.date(2026, 12, 2)
STALE_AFTER = 180
DAYS = {
    "none": None,
    "long past": TODAY - dt.timedelta(days=400),
    "yesterday": TODAY - dt.timedelta(days=1),
    "today": TODAY,
    "due soon": TODAY + dt.timedelta(days=rules.DUE_SOON_DAYS),
    "after due soon": TODAY + dt.timedelta(days=rules.DUE_SOON_DAYS + 1),
}
CONFIRMED = {
    "never": None,
    "too long ago": TODAY - dt.timedelta(days=STALE_AFTER + 30),
    "recently": TODAY - dt.timedelta(days=10),
}


@pytest.fixture
def every_kind_of_row(db: None) -> list[Milestone]:
    """One milestone for each state, stored status, deadline, stale flag, confirmation and
    reason, half of them waiting on another milestone."""
    track = make_track(make_negotiation())
    rows = []
    combinations = itertools.product(
        rules.MilestoneState,
        rules.MilestoneStatus,
        DAYS.values(),
        [True, False],
        CONFIRMED.values(),
    )
    for n, (state, status, day, stale, confirmed) in enumerate(combinations):
        rows.append(
            Milestone(
                track=track,
                slug=f"m-{n}",
                title=f"Milestone {n}",
                state=state,
                completed_on=TODAY if state == rules.MilestoneState.COMPLETED else None,
                deadline_text=day.isoformat() if day else "",
                deadline_earliest=day,
                deadline_latest=day,
                deadline_precision="day" if day else "",
                status=status,
                stale=stale,
                last_confirmed_on=confirmed,
                status_reason="" if n % 7 == 0 else "as stored",
            )
        )
    created = Milestone.objects.bulk_create(rows)
    Milestone.depends_on.through.objects.bulk_create(
        Milestone.depends_on.through(from_milestone_id=m.pk, to_milestone_id=created[0].pk)
        for m in created[1::2]
    )
    return created


def test_the_candidates_are_exactly_the_milestones_not_settled_today(
    every_kind_of_row: list[Milestone],
) -> None:
    for today in (TODAY, TODAY + dt.timedelta(days=1), TODAY - dt.timedelta(days=400)):
        settled = candidates._settled_milestone(today, STALE_AFTER)
        expected = set(Milestone.objects.exclude(settled).values_list("id", flat=True))
        found = set(
            candidates.unsettled_milestones(today, STALE_AFTER).values_list("id", flat=True)
        )
        assert found == expected
        # Neither side is trivially everything or nothing.
        assert 0 < len(found) < len(every_kind_of_row)


def test_a_settled_record_has_no_candidates_but_a_day_later_those_crossing_a_band(
    db: None,
) -> None:
    track = make_track(make_negotiation())
    due = TODAY + dt.timedelta(days=rules.DUE_SOON_DAYS + 1)
    common = {
        "track": track,
        "state": "planned",
        "stale": False,
        "last_confirmed_on": TODAY,
        "status_reason": "as stored",
        "deadline_precision": "day",
    }
    Milestone.objects.bulk_create(
        [
            Milestone(
                slug="crossing", title="Crossing", status="upcoming", deadline_text=str(due),
                deadline_earliest=due, deadline_latest=due, **common,
            ),
            Milestone(
                slug="staying", title="Staying", status="upcoming", deadline_text="2030-01-01",
                deadline_earliest=dt.date(2030, 1, 1), deadline_latest=dt.date(2030, 1, 1),
                **common,
            ),
        ]
    )  # fmt: skip
    assert not candidates.unsettled_milestones(TODAY, STALE_AFTER).exists()
    tomorrow = TODAY + dt.timedelta(days=1)
    found = candidates.unsettled_milestones(tomorrow, STALE_AFTER)
    assert list(found.values_list("slug", flat=True)) == ["crossing"]
