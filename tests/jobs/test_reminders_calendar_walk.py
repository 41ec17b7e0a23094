"""A year of days (hours around the clock changes) with the jobs running as beat would."""

from __future__ import annotations

import datetime as dt
import zoneinfo

import pytest
import time_machine
from django.core import mail

from tests.conftest import make_milestone, make_negotiation, make_track
from tracker.models import Reminder, Subscription
from tracker.reminders.outbox import send_due_reminders
from tracker.reminders.planning import plan_reminders

pytestmark = pytest.mark.django_db
UTC = dt.UTC
START = dt.datetime(2026, 1, 1, 0, 0, tzinfo=UTC)
# New York changes clocks on March 8 and November 1, 2026; Kolkata never does.
DEADLINES = [
    "January 20, 2026",
    "March 8, 2026",
    "March 9, 2026",
    "April 7, 2026",
    "July 4, 2026",
    "October 31, 2026",
    "November 1, 2026",
    "November 2, 2026",
    "December 1, 2026",
]


def assert_date(day: dt.date | None) -> dt.date:
    assert day is not None
    return day


DST_DAYS = {dt.date(2026, 3, 8), dt.date(2026, 11, 1)}


def instants() -> list[dt.datetime]:
    """Every day at 00:00 UTC; every hour on the days near a clock change."""
    moments = []
    day = START
    while day < dt.datetime(2027, 1, 31, tzinfo=UTC):
        near = any(abs((day.date() - d).days) <= 1 for d in DST_DAYS)
        step = dt.timedelta(hours=1) if near else dt.timedelta(days=1)
        moment = day
        while moment < day + dt.timedelta(days=1):
            moments.append(moment)
            moment += step
        day += dt.timedelta(days=1)
    return moments


@pytest.mark.slow  # a year of days, each with the jobs beat would run: minutes
@pytest.mark.parametrize("zone", ["America/New_York", "Asia/Kolkata"])
def test_a_year_of_reminders_goes_out_exactly_once_never_early_and_in_order(zone: str) -> None:
    track = make_track(make_negotiation())
    milestones = [
        make_milestone(track, f"Milestone {i}", text, reference=dt.date(2026, 1, 1))
        for i, text in enumerate(DEADLINES)
    ]
    Subscription.objects.create(
        track=track, email="walker@example.org", timezone=zone, confirmed_at=START, created_at=START
    )
    sent_at: dict[str, dt.datetime] = {}
    for moment in instants():
        with time_machine.travel(moment, tick=False):
            before = len(mail.outbox)
            plan_reminders()
            send_due_reminders()
            new = mail.outbox[before:]
            # The same job again at the same instant has nothing left to do.
            plan_reminders()
            assert send_due_reminders().sent == 0
        for message in new:
            key = message.extra_headers["X-Reminder-Key"]
            assert key not in sent_at, f"{key} sent twice"
            sent_at[key] = moment

    local = zoneinfo.ZoneInfo(zone)
    rows = list(Reminder.objects.filter(state="sent").order_by("due_at", "id"))
    # Four before the deadline and four overdue, for every milestone, then, since no source
    # confirms them (stale), one every 30 days overdue until the walk ends; nothing else.
    last = instants()[-1]
    monthly = sum(
        1
        for m in milestones
        for k in range(1, 20)
        if assert_date(m.deadline_latest) + dt.timedelta(days=30 * k) < last.date()
    )
    assert len(rows) == 8 * len(milestones) + monthly == len(sent_at)
    assert Reminder.objects.exclude(state="sent").filter(due_at__lte=last).count() == 0
    for row in rows:
        assert row.sent_at is not None and row.sent_at >= row.due_at, f"{row} sent early"
        assert row.due_at.astimezone(local).time() == dt.time(8, 0), row
        if row.due_at >= START:
            assert sent_at[row.key] - row.due_at < dt.timedelta(days=1), f"{row} sent late"
        else:  # fell due before the subscription began: caught up at once
            assert sent_at[row.key] == START
    order = [sent_at[row.key] for row in rows]
    assert order == sorted(order)
