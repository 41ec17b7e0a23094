"""Stored statuses: refreshed through one path, written only when they change."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.core.management import call_command

from tests.conftest import (
    committed,
    figure,
    make_milestone,
    make_negotiation,
    make_target,
    make_track,
)
from tracker import services
from tracker.models import Milestone, StatusChange, Track
from tracker.refresh import refresh_statuses

pytestmark = pytest.mark.django_db


def at(day: dt.date) -> time_machine.travel:
    return time_machine.travel(dt.datetime.combine(day, dt.time(12), tzinfo=dt.UTC), tick=False)


def test_saving_a_milestone_refreshes_its_status_and_its_track() -> None:
    with at(dt.date(2025, 7, 1)):
        track = make_track(make_negotiation())
        milestone = make_milestone(track, "Interim agreement", "July 8, 2025")
        milestone.refresh_from_db()
        track.refresh_from_db()
    assert milestone.status == "due_soon"
    assert milestone.status_reason == "Interim agreement due by 8 July 2025"
    assert track.health == "at_risk"


def test_the_day_turning_over_makes_a_milestone_overdue_on_refresh() -> None:
    with at(dt.date(2025, 7, 8)):
        track = make_track(make_negotiation())
        milestone = make_milestone(track, "Interim agreement", "July 8, 2025")
    result = refresh_statuses(today=dt.date(2025, 7, 9))
    milestone.refresh_from_db()
    track.refresh_from_db()
    assert milestone.status == "overdue"
    assert track.health == "off_track"
    # No source says when it was last confirmed, so the reason says only what is known.
    assert track.health_reason == (
        "Interim agreement overdue: the deadline of 8 July 2025 passed; "
        "no dated source says it was met"
    )
    assert result.milestones == 1


def test_refreshing_twice_writes_nothing_the_second_time() -> None:
    with at(dt.date(2025, 6, 1)):
        negotiation = make_negotiation()
        track = make_track(negotiation)
        make_milestone(track, "Interim agreement", "July 8, 2025")
        make_milestone(track, "Comprehensive deal", "autumn 2025")
        make_target(negotiation, track)
    assert refresh_statuses(today=dt.date(2025, 11, 1)).rows_written > 0
    again = refresh_statuses(today=dt.date(2025, 11, 1))
    assert again.rows_written == 0
    assert again.changes == []


def test_a_health_transition_is_written_to_the_status_log() -> None:
    with at(dt.date(2025, 6, 1)):
        track = make_track(make_negotiation(), name="Interim agreement")
        make_milestone(track, "Interim deal", "July 8, 2025")
    StatusChange.objects.all().delete()
    refresh_statuses(today=dt.date(2025, 7, 9))
    change = StatusChange.objects.get(subject="track")
    assert (change.previous, change.new) == ("on_track", "off_track")
    assert change.reason.startswith("Interim deal overdue: the deadline of 8 July 2025 passed")
    assert change.as_of == dt.date(2025, 7, 9)


def test_the_refresh_makes_the_same_number_of_queries_for_few_and_many_milestones(
    django_assert_max_num_queries: object,
) -> None:
    negotiation = make_negotiation()
    track = make_track(negotiation)
    for i in range(3):
        make_milestone(track, f"Milestone {i}", "July 8, 2025")
    refresh_statuses(today=dt.date(2025, 1, 1))
    # 2 to find what the day changed, 14 to read, judge and write, and the webhook events:
    # read the changed rows, write the events, find endpoints.
    with django_assert_max_num_queries(20) as few:  # type: ignore[operator]
        refresh_statuses(today=dt.date(2025, 7, 9))
    for i in range(3, 60):
        make_milestone(track, f"Milestone {i}", "July 8, 2025")
    refresh_statuses(today=dt.date(2025, 1, 1))
    with django_assert_max_num_queries(len(few.captured_queries)):  # type: ignore[operator]
        refresh_statuses(today=dt.date(2025, 7, 9))
    assert Milestone.objects.filter(status="overdue").count() == 60


def test_an_observation_refreshes_its_targets_status() -> None:
    with at(dt.date(2026, 5, 26)):
        negotiation = make_negotiation()
        target = make_target(negotiation, deadline="2030")
        target.refresh_from_db()
        assert target.status == "no_data"
        with committed():
            services.observation_save(observation=figure(target, dt.date(2026, 5, 1), 150))
        target.refresh_from_db()
    assert target.status == "off_track"


def test_completing_the_last_milestone_makes_the_track_achieved() -> None:
    with at(dt.date(2025, 7, 1)):
        track = make_track(make_negotiation())
        milestone = make_milestone(track, "Interim agreement", "July 8, 2025")
        with committed():
            services.milestone_complete(milestone=milestone, completed_on=dt.date(2025, 7, 1))
    track = Track.objects.get(id=track.id)
    assert track.health == "achieved"
    assert track.progress == 1.0


def test_the_refresh_status_command_is_idempotent(capsys: pytest.CaptureFixture[str]) -> None:
    with at(dt.date(2025, 6, 1)):
        make_milestone(make_track(make_negotiation()), "Interim agreement", "July 8, 2025")
    call_command("refresh_status", "--date", "2025-07-09")
    call_command("refresh_status", "--date", "2025-07-09")
    lines = capsys.readouterr().out.strip().splitlines()
    last = [line for line in lines if line.startswith("Status refreshed")][-1]
    assert last.startswith("Status refreshed: 0 milestones, 0 targets, 0 tracks, 0 negotiations")


def test_a_first_assessment_is_not_logged_as_a_transition() -> None:
    with at(dt.date(2025, 7, 9)):
        make_milestone(make_track(make_negotiation()), "Interim agreement", "July 8, 2025")
    assert Milestone.objects.get().status == "overdue"
    assert not StatusChange.objects.filter(subject="milestone").exists()


def test_saving_a_stale_instance_does_not_write_its_old_status_back() -> None:
    with at(dt.date(2026, 2, 1)):
        milestone = make_milestone(make_track(make_negotiation()), "Terms", "March 1, 2026")
    assert milestone.status == "unscheduled"  # the instance predates its first assessment
    with at(dt.date(2026, 2, 26)), committed():
        services.milestone_complete(milestone=milestone, completed_on=dt.date(2026, 2, 26))
    change = StatusChange.objects.get(subject="milestone")
    assert (change.previous, change.new) == ("upcoming", "completed")


def test_a_source_given_a_date_refreshes_the_freshness_of_what_cites_it() -> None:
    from tracker.models import Source

    with at(dt.date(2026, 3, 1)):
        track = make_track(make_negotiation())
        milestone = make_milestone(track, "Interim agreement", "July 8, 2026")
        with committed():
            source = services.source_save(
                source=Source(slug="report", title="Report", excerpt="Due July 8.")
            )
            services.milestone_save(milestone=milestone, sources=[source])
        milestone.refresh_from_db()
        assert (milestone.last_confirmed_on, milestone.stale) == (None, True)
        source.published_on = dt.date(2026, 2, 20)
        with committed():
            services.source_save(source=source)
    milestone.refresh_from_db()
    track.refresh_from_db()
    assert (milestone.last_confirmed_on, milestone.stale) == (dt.date(2026, 2, 20), False)
    assert (track.last_confirmed_on, track.stale) == (dt.date(2026, 2, 20), False)


def test_the_day_turning_over_makes_an_item_stale_on_refresh() -> None:
    from tracker.models import Source

    with at(dt.date(2026, 3, 1)):
        track = make_track(make_negotiation())
        milestone = make_milestone(track, "Interim agreement", "December 8, 2026")
        with committed():
            source = services.source_save(
                source=Source(
                    slug="report",
                    title="Report",
                    excerpt="Due December 8.",
                    published_on=dt.date(2026, 2, 1),
                )
            )
            services.milestone_save(milestone=milestone, sources=[source])
    refresh_statuses(today=dt.date(2026, 5, 2))  # 90 days after the source
    milestone.refresh_from_db()
    assert milestone.stale is False
    refresh_statuses(today=dt.date(2026, 5, 3))  # 91 days
    milestone.refresh_from_db()
    assert milestone.stale is True
    assert StatusChange.objects.filter(milestone=milestone).count() == 0  # status unchanged
