"""The data version moves with every write service and every refresh that writes, and
stands still otherwise: cached feeds and pages are keyed on it."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine

from tests.conftest import make_milestone, make_negotiation, make_track
from tracker import versions
from tracker.refresh import refresh_statuses
from tracker.services.milestones import milestone_complete

pytestmark = pytest.mark.django_db


def test_an_empty_database_has_version_zero() -> None:
    assert versions.current().counter == 0


def test_a_write_service_moves_the_version_and_a_read_does_not() -> None:
    milestone = make_milestone(make_track(make_negotiation()), "Interim deal", "July 8, 2025")
    before = versions.current()
    assert versions.current() == before
    milestone_complete(milestone=milestone, completed_on=dt.date(2025, 7, 8))
    after = versions.current()
    assert after.counter > before.counter
    assert after.changed_at >= before.changed_at


def test_a_refresh_that_writes_nothing_leaves_the_version_alone() -> None:
    make_milestone(make_track(make_negotiation()), "Interim deal", "July 8, 2025")
    refresh_statuses(today=dt.date(2025, 6, 1))
    settled = versions.current()
    refresh_statuses(today=dt.date(2025, 6, 1))
    assert versions.current() == settled


def test_a_refresh_that_changes_a_status_moves_the_version() -> None:
    make_milestone(make_track(make_negotiation()), "Interim deal", "July 8, 2025")
    refresh_statuses(today=dt.date(2025, 6, 1))
    settled = versions.current()
    refresh_statuses(today=dt.date(2025, 8, 1))  # now overdue
    assert versions.current().counter > settled.counter


def test_a_key_differs_by_version_by_day_and_by_what_it_names() -> None:
    version = versions.Version(7, versions.EPOCH)
    day = dt.date(2026, 12, 2)
    key = version.key("calendar", "all", today=day)
    assert key == versions.Version(7, versions.EPOCH).key("calendar", "all", today=day)
    assert key != versions.Version(8, versions.EPOCH).key("calendar", "all", today=day)
    assert key != version.key("calendar", "all", today=day + dt.timedelta(days=1))
    assert key != version.key("calendar", "india-us-bta", today=day)


@time_machine.travel(dt.datetime(2026, 12, 2, 9, tzinfo=dt.UTC), tick=False)
def test_last_modified_is_never_before_the_start_of_today() -> None:
    old = versions.Version(3, dt.datetime(2026, 1, 5, tzinfo=dt.UTC))
    assert old.last_modified().date() == dt.date(2026, 12, 2)
    recent = versions.Version(3, dt.datetime(2026, 12, 2, 8, 30, tzinfo=dt.UTC))
    assert recent.last_modified() == recent.changed_at
