"""Which negotiations the calendar day can have changed since their last refresh.

Reasons name dates (tracker.status), so between two writes a stored assessment changes only
when a deadline crosses into another band (due soon, overdue), a dependency becomes overdue,
an item's last confirmation grows too old (stale), or a target's figures move with the day.
The first three are read off the stored rows in SQL, with the bands and the stale cutoff
taken from tracker.status; targets, being few, are judged outright. A row that was never
assessed (empty reason) or whose stored status contradicts its state counts as changed too.

Everything else a stored assessment depends on (titles, deadlines, states, sources, weights)
changes only through the write services, which refresh their negotiations at once.
"""

from __future__ import annotations

import datetime as dt

from django.db.models import Exists, OuterRef, Q, QuerySet

from tracker import status as rules
from tracker.models import Milestone, Negotiation, Track
from tracker.refresh import reading
from tracker.refresh.assessors import (
    CLOSED_HEALTHS,
    OPEN_STATES,
    Transitions,
    assess_targets,
)

S = rules.MilestoneStatus


def negotiations_to_refresh(today: dt.date, *, stale_after_days: int) -> set[int]:
    """The ids of the negotiations whose stored statuses today may contradict."""
    unsettled = Milestone.objects.exclude(_settled_milestone(today, stale_after_days))
    # A milestone waits on another: when that one's status moves (it becomes overdue),
    # the waiting one may move too, whichever negotiation it is in.
    waiting = Milestone.depends_on.through.objects.filter(
        to_milestone__in=unsettled.values("id")
    ).values_list("from_milestone__track__negotiation_id")
    ids: QuerySet[Milestone, tuple[int]] = unsettled.order_by().values_list("track__negotiation_id")
    ids = ids.union(
        waiting.order_by(),
        Track.objects.exclude(_settled_health(today, stale_after_days))
        .order_by()
        .values_list("negotiation_id"),
        Negotiation.objects.exclude(_settled_health(today, stale_after_days))
        .order_by()
        .values_list("id"),
    )
    found = {negotiation_id for (negotiation_id,) in ids}
    return found | _negotiations_with_moved_targets(today, stale_after_days)


def taken_as_stored(today: dt.date, stale_after_days: int) -> Q:
    """A milestone a periodic pass need not judge: its stored fields hold today, and it
    waits on no other milestone (whose move it would have to follow)."""
    waits = Exists(Milestone.depends_on.through.objects.filter(from_milestone=OuterRef("pk")))
    return _settled_milestone(today, stale_after_days) & ~Q(waits)


def _freshness_holds(today: dt.date, stale_after_days: int) -> Q:
    """The stored `stale` flag of an open row is still right today."""
    cutoff = rules.stale_before(today, stale_after_days)
    unconfirmed = Q(last_confirmed_on__isnull=True) | Q(last_confirmed_on__lt=cutoff)
    return (Q(stale=True) & unconfirmed) | Q(stale=False, last_confirmed_on__gte=cutoff)


def _settled_milestone(today: dt.date, stale_after_days: int) -> Q:
    """A milestone whose stored status, reason and freshness still hold today."""
    bands = rules.deadline_bands(today)
    waits = Exists(Milestone.depends_on.through.objects.filter(from_milestone=OuterRef("pk")))
    in_its_band = (
        Q(deadline_latest__isnull=True, status=S.UNSCHEDULED)
        | Q(deadline_latest__lt=bands.due_from, status=S.OVERDUE)
        | Q(
            deadline_latest__gte=bands.due_from,
            deadline_latest__lte=bands.due_soon_until,
            status=S.DUE_SOON,
        )
        | Q(deadline_latest__gt=bands.due_soon_until, status=S.UPCOMING)
        # Only a milestone that waits on another can be at risk (the rule's blockers).
        | (Q(deadline_latest__gte=bands.due_from, status=S.AT_RISK) & waits)
    )
    open_and_settled = (
        Q(state__in=list(OPEN_STATES)) & in_its_band & _freshness_holds(today, stale_after_days)
    )
    closed_and_settled = Q(stale=False) & (
        Q(state=rules.MilestoneState.COMPLETED, status=S.COMPLETED)
        | Q(state=rules.MilestoneState.CANCELLED, status=S.CANCELLED)
    )
    return ~Q(status_reason="") & (open_and_settled | closed_and_settled)


def _settled_health(today: dt.date, stale_after_days: int) -> Q:
    """A track or negotiation whose freshness still holds today (its health moves only with
    its milestones and targets, which are looked at on their own)."""
    closed = Q(health__in=list(CLOSED_HEALTHS))
    return ~Q(health_reason="") & (
        (closed & Q(stale=False)) | (~closed & _freshness_holds(today, stale_after_days))
    )


def _negotiations_with_moved_targets(today: dt.date, stale_after_days: int) -> set[int]:
    """Targets are judged outright: their required growth moves with every day."""
    record = reading.targets_only(Q())
    answers = assess_targets(record, Transitions(today, stale_after_days=stale_after_days))
    return {target.negotiation_id for target in answers.changed}
