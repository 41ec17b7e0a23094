"""Integrity that lives in the database, and the deadline history."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from tests.conftest import make_milestone, make_negotiation, make_target, make_track
from tracker import services
from tracker.deadlines import parse_deadline
from tracker.models import DeadlineRevision, Milestone, Negotiation, Source, Target

pytestmark = pytest.mark.django_db


def violates(**updates: object) -> bool:
    milestone = Milestone.objects.get()
    try:
        with transaction.atomic():
            Milestone.objects.filter(id=milestone.id).update(**updates)
    except IntegrityError:
        return True
    return False


@pytest.fixture
def milestone() -> Milestone:
    return make_milestone(make_track(make_negotiation()), "Interim agreement", "July 8, 2025")


def test_the_database_refuses_a_deadline_ending_before_it_starts(milestone: Milestone) -> None:
    assert violates(deadline_earliest=dt.date(2025, 8, 1))


def test_the_database_refuses_a_half_written_deadline(milestone: Milestone) -> None:
    assert violates(deadline_latest=None)


def test_the_database_refuses_a_negative_weight(milestone: Milestone) -> None:
    assert violates(weight=-1)


def test_the_database_takes_a_weight_of_zero_for_a_step_that_does_not_advance_the_deal(
    milestone: Milestone,
) -> None:
    assert not violates(weight=0)


def test_the_database_requires_a_completion_date_exactly_when_completed(
    milestone: Milestone,
) -> None:
    assert violates(state="completed")
    assert violates(completed_on=dt.date(2025, 7, 1))
    assert not violates(state="completed", completed_on=dt.date(2025, 7, 1))


def test_the_database_refuses_a_second_negotiation_with_the_same_slug() -> None:
    make_negotiation("india-us-bta")
    with pytest.raises(IntegrityError):
        Negotiation.objects.create(slug="india-us-bta", name="Again")


def test_the_database_refuses_a_target_of_zero() -> None:
    target = Target(
        negotiation=make_negotiation(),
        slug="zero",
        name="Zero",
        unit="USD billion",
        baseline_value=190,
        baseline_date=dt.date(2025, 5, 26),
        target_value=0,
    )
    target.deadline = parse_deadline("2030")
    with pytest.raises(IntegrityError):
        target.save()


def test_the_service_refuses_a_target_of_zero_with_a_message_for_the_field() -> None:
    with pytest.raises(ValidationError) as refused:
        make_target(make_negotiation(), target_value=0)
    assert refused.value.message_dict == {
        "target_value": ["The target value must be greater than zero."]
    }


def test_a_new_milestone_records_its_deadline_as_first_announced(milestone: Milestone) -> None:
    revision = DeadlineRevision.objects.get()
    assert revision.previous_latest is None
    assert revision.new_latest == dt.date(2025, 7, 8)
    assert revision.reason == "First announced"


def test_changing_a_deadline_through_the_service_records_a_revision(milestone: Milestone) -> None:
    milestone.deadline = parse_deadline("August 31, 2025")
    services.milestone_save(milestone=milestone)
    revision = milestone.revisions.last()
    assert revision is not None
    assert (revision.previous_text, revision.new_text) == ("July 8, 2025", "August 31, 2025")
    assert revision.slip_days == 54
    assert Milestone.objects.get().slip_days == 54


def test_saving_without_moving_the_deadline_records_nothing(milestone: Milestone) -> None:
    milestone.title = "Interim trade deal"
    services.milestone_save(milestone=milestone)
    services.milestone_save(milestone=Milestone.objects.get())
    assert DeadlineRevision.objects.count() == 1


def test_a_service_deadline_change_keeps_its_reason_and_source(milestone: Milestone) -> None:
    source = Source.objects.create(slug="s", title="Article", excerpt="by August 31")
    services.milestone_set_deadline(
        milestone=milestone,
        deadline=parse_deadline("August 31, 2025"),
        reason="Talks extended",
        source=source,
    )
    revision = milestone.revisions.last()
    assert revision is not None
    assert (revision.reason, revision.source) == ("Talks extended", source)


def test_slippage_is_measured_from_the_first_announced_date(milestone: Milestone) -> None:
    for text in ("August 31, 2025", "September 30, 2025", "autumn 2025"):
        services.milestone_set_deadline(milestone=milestone, deadline=parse_deadline(text))
    assert Milestone.objects.get().slip_days == (dt.date(2025, 11, 30) - dt.date(2025, 7, 8)).days


def test_a_dependency_cycle_is_refused_with_the_chain_named() -> None:
    track = make_track(make_negotiation())
    a = make_milestone(track, "Interim deal", "July 8, 2025")
    b = make_milestone(track, "Comprehensive deal", "autumn 2025")
    services.milestone_set_dependencies(milestone=b, depends_on=[a])
    with pytest.raises(
        ValidationError, match="cycle: Interim deal → Comprehensive deal → Interim deal"
    ):
        services.milestone_set_dependencies(milestone=a, depends_on=[b])


def test_a_milestone_cannot_be_completed_in_the_future(milestone: Milestone) -> None:
    with pytest.raises(ValidationError) as refused:
        services.milestone_complete(
            milestone=milestone, completed_on=timezone.localdate() + dt.timedelta(days=2)
        )
    assert refused.value.message_dict == {
        "completed_on": ["A milestone cannot be completed in the future."]
    }
    assert Milestone.objects.get().state == "planned"
