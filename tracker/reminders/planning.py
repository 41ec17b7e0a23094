"""Plan the outbox: one Reminder row per email that should go out.

Planning is idempotent and safe to run at any time, from any number of processes:
rows are keyed by (milestone, recipient, kind, offset, deadline) with a unique
constraint, created with ignore_conflicts, and only ever moved between states by
conditional updates. Sending never happens here.
"""

from __future__ import annotations

import datetime as dt
import logging
import zoneinfo
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from tracker.models import Milestone, Reminder, Subscription, Track
from tracker.reminders.schedule import reminder_slots, worth_planning
from tracker.status import MilestoneState

log = logging.getLogger(__name__)

DEFAULT_OFFSETS = (30, 7, 1, 0)
STALE_HORIZON = dt.timedelta(days=31)
OPEN_STATES = (MilestoneState.PLANNED.value, MilestoneState.IN_PROGRESS.value)

VOID_DEADLINE_CHANGED = "The deadline changed."
VOID_NOT_WANTED = "No longer wanted: milestone closed or recipient gone."
MISSED_WINDOW = "Missed; a later reminder replaced it."


@dataclass(frozen=True)
class Recipient:
    email: str
    zone: str
    offsets: tuple[int, ...]
    subscription_id: int | None


@dataclass
class PlanResult:
    created: int = 0
    voided: int = 0
    revived: int = 0
    rescheduled: int = 0
    skipped: int = 0  # recipients whose stored zone or offsets cannot be read (logged)


def recipients_by_track(tracks: Iterable[Track]) -> dict[int, list[Recipient]]:
    """Who hears about each track's milestones: active subscribers and the track owner.

    One address hears once: a track subscription beats a negotiation one, and any
    subscription of the owner beats the owner's defaults. An owner who unsubscribed
    from the track or its negotiation is not reminded as owner either.
    """
    by_id = {t.pk: t for t in tracks}
    subscriptions = list(
        Subscription.objects.filter(
            Q(track_id__in=by_id.keys())
            | Q(negotiation_id__in={t.negotiation_id for t in by_id.values()})
        ).select_related("user")
    )
    by_track: dict[int, list[Subscription]] = defaultdict(list)
    by_negotiation: dict[int, list[Subscription]] = defaultdict(list)
    for s in subscriptions:
        if s.track_id is not None:
            by_track[s.track_id].append(s)
        else:
            assert s.negotiation_id is not None  # a database constraint
            by_negotiation[s.negotiation_id].append(s)

    answer: dict[int, list[Recipient]] = {}
    for track in by_id.values():
        covering = by_track[track.pk] + by_negotiation[track.negotiation_id]
        chosen: dict[str, Recipient] = {}
        # Addresses whose subscriber switched reminders off (digest only): their first
        # covering subscription decides, and they are not reminded as owner either.
        silenced: set[str] = set()
        for s in covering:  # track subscriptions first
            email = s.recipient.strip().lower()
            if s.is_active and email and email not in chosen and email not in silenced:
                if not s.reminders_on:
                    silenced.add(email)
                    continue
                chosen[email] = Recipient(
                    email=email,
                    zone=s.timezone,
                    offsets=tuple(s.offsets or DEFAULT_OFFSETS),
                    subscription_id=s.pk,
                )
        owner = track.owner
        owner_email = (owner.email if owner else "").strip().lower()
        owner_opted_out = owner is not None and any(
            s.user_id == owner.pk and s.unsubscribed_at is not None for s in covering
        )
        if (
            owner_email
            and owner_email not in chosen
            and owner_email not in silenced
            and not owner_opted_out
        ):
            chosen[owner_email] = Recipient(
                email=owner_email,
                zone=settings.TIME_ZONE,
                offsets=DEFAULT_OFFSETS,
                subscription_id=None,
            )
        answer[track.pk] = list(chosen.values())
    return answer


def plan_reminders(
    *, now: dt.datetime | None = None, milestone_ids: Iterable[int] | None = None
) -> PlanResult:
    """Make the outbox match what should be sent from `now` on."""
    now = now or timezone.now()
    result = PlanResult()
    milestones_qs = Milestone.objects.select_related("track", "track__owner")
    if milestone_ids is not None:
        milestones_qs = milestones_qs.filter(id__in=list(milestone_ids))
    open_milestones = [
        m
        for m in milestones_qs.filter(
            state__in=OPEN_STATES,
            deadline_latest__isnull=False,
            # Archived tracks and negotiations remind nobody; restored, they do again.
            track__archived_at__isnull=True,
            track__negotiation__archived_at__isnull=True,
        )
        if m.deadline_latest is not None
    ]
    recipients = recipients_by_track({m.track for m in open_milestones})

    wanted: dict[tuple[int, str, str, int, dt.date], Reminder] = {}
    for m in open_milestones:
        assert m.deadline_latest is not None
        # Overdue, open and stale: overdue reminders go on monthly, planned up to a month
        # ahead. Before the deadline passes nobody can know it will be silent after it.
        escalating = m.stale and m.deadline_latest < now.date()
        stale_until = (now + STALE_HORIZON).date() if escalating else None
        for r in recipients[m.track_id]:
            try:
                slots = reminder_slots(
                    m.deadline_latest, r.offsets, r.zone, stale_until=stale_until
                )
            except (zoneinfo.ZoneInfoNotFoundError, ValueError, TypeError) as error:
                # One bad row (a typo from before the validators) must not stop everyone.
                log.error(
                    "Skipped subscription %s (%s) for milestone %s: zone %r, offsets %r: %s",
                    r.subscription_id, r.email, m.pk, r.zone, r.offsets, error,
                )  # fmt: skip
                result.skipped += 1
                continue
            for slot in worth_planning(slots, now):
                row = Reminder(
                    milestone_id=m.id,
                    subscription_id=r.subscription_id,
                    recipient=r.email,
                    kind=slot.kind,
                    offset=slot.offset,
                    deadline=m.deadline_latest,
                    due_at=slot.due_at,
                )
                wanted[(m.id, r.email, slot.kind, slot.offset, m.deadline_latest)] = row

    with transaction.atomic():
        # Unsent rows anywhere (they may need voiding), and every row of the open
        # milestones (so rows already sent are not offered to the database again).
        existing = Reminder.objects.filter(
            Q(state__in=[Reminder.State.PENDING, Reminder.State.VOID])
            | Q(milestone_id__in=[m.id for m in open_milestones])
        ).select_related("milestone")
        if milestone_ids is not None:
            existing = existing.filter(milestone_id__in=list(milestone_ids))
        existing_keys: set[tuple[int, str, str, int, dt.date]] = set()
        for row in existing:
            key = (row.milestone_id, row.recipient, row.kind, row.offset, row.deadline)
            existing_keys.add(key)
            want = wanted.get(key)
            if row.state == Reminder.State.PENDING and want is None:
                result.voided += _void(row, now)
            elif row.state == Reminder.State.VOID and want is not None:
                # The deadline came back, or the milestone was reopened.
                result.revived += Reminder.objects.filter(
                    id=row.id, state=Reminder.State.VOID
                ).update(
                    state=Reminder.State.PENDING,
                    due_at=want.due_at,
                    subscription_id=want.subscription_id,
                    attempts=0,
                    claimed_at=None,
                    retry_at=None,
                    leased_until=None,
                    claim_token="",
                    last_error="",
                )
            elif (
                row.state == Reminder.State.PENDING
                and want is not None
                and want.due_at != row.due_at
            ):
                # The recipient moved to another time zone.
                result.rescheduled += Reminder.objects.filter(
                    id=row.id, state=Reminder.State.PENDING
                ).update(due_at=want.due_at)
        new_rows = [row for key, row in wanted.items() if key not in existing_keys]
        # Sent, failed and superseded rows keep their key, so they are never planned again.
        created = Reminder.objects.bulk_create(new_rows, ignore_conflicts=True, batch_size=500)
        # With ignore_conflicts a row another planner inserted first still counts here.
        result.created = len(created)
    return result


def _void(row: Reminder, now: dt.datetime) -> int:
    milestone = row.milestone
    if milestone.deadline_latest != row.deadline:
        reason, state = VOID_DEADLINE_CHANGED, Reminder.State.VOID
    elif milestone.state in OPEN_STATES and row.due_at < now:
        reason, state = MISSED_WINDOW, Reminder.State.SUPERSEDED
    else:
        reason, state = VOID_NOT_WANTED, Reminder.State.VOID
    return Reminder.objects.filter(id=row.id, state=Reminder.State.PENDING).update(
        state=state, last_error=reason
    )
