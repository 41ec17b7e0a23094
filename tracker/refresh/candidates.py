"""Which negotiations the calendar day can have changed since their last refresh.

Reasons name dates (tracker.status), so between two writes a stored assessment changes only
when a deadline crosses into another band (due soon, overdue), a dependency becomes overdue,
an item's last confirmation grows too old (stale), or a target's figures move with the day.
The first three are read off the stored rows in SQL, with the bands and the stale cutoff
taken from tracker.status; targets, being few, are judged outright. A row that was never
assessed (empty reason) or whose stored status contradicts its state counts as changed too.

The milestones are found as a union of index ranges (`unsettled_milestones`), one per way a
stored row can stop holding, each a range of an index of migration 0026 or an older one:
the complement of "settled" read as a NOT would scan every milestone.

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
    unsettled = unsettled_milestones(today, stale_after_days)
    # One statement: the negotiations of unsettled milestones, of milestones waiting on one
    # (when that one's status moves, the waiting one may move too, whichever negotiation it
    # is in), and of tracks and negotiations whose stored health may not hold.
    ids: QuerySet[Milestone, tuple[int]] = unsettled.order_by().values_list("track__negotiation_id")
    ids = ids.union(
        Milestone.depends_on.through.objects.filter(to_milestone__in=unsettled.values("id"))
        .order_by()
        .values_list("from_milestone__track__negotiation_id"),
        Track.objects.exclude(_settled_health(today, stale_after_days))
        .order_by()
        .values_list("negotiation_id"),
        Negotiation.objects.exclude(_settled_health(today, stale_after_days))
        .order_by()
        .values_list("id"),
    )
    found = {negotiation_id for (negotiation_id,) in ids}
    return found | _negotiations_with_moved_targets(today, stale_after_days)


def unsettled_milestones(today: dt.date, stale_after_days: int) -> QuerySet[Milestone]:
    """The live milestones whose stored status, reason or freshness may not hold today: the
    complement of `_settled_milestone`, spelled as ranges an index answers, one per arm of
    a UNION (an OR of them would let the planner fall back to a scan)."""
    bands = rules.deadline_bands(today)
    cutoff = rules.stale_before(today, stale_after_days)
    open_states = sorted(OPEN_STATES)
    closed = {
        rules.MilestoneState.COMPLETED: S.COMPLETED,
        rules.MilestoneState.CANCELLED: S.CANCELLED,
    }
    waits = Exists(Milestone.depends_on.through.objects.filter(from_milestone=OuterRef("pk")))
    undated = Q(deadline_latest__isnull=True)
    # milestone_status_due (status, deadline_latest): a status whose band the day has left.
    out_of_band = [
        Q(status=S.UNSCHEDULED, deadline_latest__isnull=False),
        Q(status=S.OVERDUE) & undated,
        Q(status=S.OVERDUE, deadline_latest__gte=bands.due_from),
        Q(status=S.DUE_SOON) & undated,
        Q(status=S.DUE_SOON, deadline_latest__lt=bands.due_from),
        Q(status=S.DUE_SOON, deadline_latest__gt=bands.due_soon_until),
        Q(status=S.UPCOMING) & undated,
        Q(status=S.UPCOMING, deadline_latest__lte=bands.due_soon_until),
        # Few rows are at risk: the rule's blockers are read for each.
        Q(status=S.AT_RISK) & (undated | Q(deadline_latest__lt=bands.due_from) | ~Q(waits)),
    ]
    arms = [Q(state__in=open_states) & arm for arm in out_of_band]
    # milestone_state_status (state, status): a status its state contradicts.
    arms.append(Q(state__in=open_states, status__in=sorted(closed.values())))
    arms += [
        Q(state=state, status__in=sorted(set(S) - {status})) for state, status in closed.items()
    ]
    # milestone_fresh (stale, state, last_confirmed_on): a stale flag the day has made wrong.
    arms += [
        Q(stale=True, state__in=open_states, last_confirmed_on__gte=cutoff),
        Q(stale=False, state__in=open_states, last_confirmed_on__lt=cutoff),
        Q(stale=False, state__in=open_states, last_confirmed_on__isnull=True),
        Q(stale=True, state__in=sorted(closed)),
    ]
    # milestone_unassessed: never assessed.
    arms.append(Q(status_reason=""))
    first, *rest = (Milestone.objects.filter(arm).order_by().values("id") for arm in arms)
    return Milestone.objects.filter(id__in=first.union(*rest))


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
