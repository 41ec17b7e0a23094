"""Escalation on silence: a weekly "still unconfirmed" list for the editors who follow.

As Healthchecks nags about a check that went quiet, Tranche asks the editors following a
negotiation (or one of its tracks) to look at its stale open milestones — those no source
has confirmed for TRACKER_STALE_AFTER_DAYS — every week until an article confirms or moves
them (they are no longer stale then, and the list empties).

Each list is an outbox row (`OutboxEmail`, kind "unconfirmed") unique per subscription
and week (the Monday, in the subscriber's time zone, of the week it is for): planning it
twice in one week, from one process or several, queues it once. Its content is read when
it is sent, so an item confirmed meanwhile is left out, and a list left empty is voided.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from collections.abc import Iterable
from dataclasses import dataclass

from django.utils import timezone

from tracker import services
from tracker.models import Subscription
from tracker.reminders import outbox
from tracker.reminders.schedule import local_instant
from tracker.selectors import unconfirmed_milestones

# Only people who can confirm or move an item are asked to (the editors group has it).
CAN_CONFIRM = "tracker.change_milestone"


@dataclass
class EscalationResult:
    queued: int = 0  # lists queued in this run
    emails: int = 0  # outbox emails sent in this run


def week_of(now: dt.datetime, zone: str) -> dt.date:
    """The Monday of the week `now` falls in, in `zone`."""
    local = now.astimezone(zoneinfo.ZoneInfo(zone)).date()
    return local - dt.timedelta(days=local.weekday())


def following_editors() -> Iterable[Subscription]:
    """Active subscriptions, with reminders on, of users who may confirm an item."""
    subscriptions = (
        Subscription.objects.filter(user__isnull=False, reminders_on=True)
        .exclude(negotiation__archived_at__isnull=False)
        .exclude(track__archived_at__isnull=False)
        .select_related("user", "track", "negotiation")
        .order_by("id")
    )
    for subscription in subscriptions:
        user = subscription.user
        if subscription.is_active and user is not None and user.has_perm(CAN_CONFIRM):
            yield subscription


def plan_unconfirmed_lists(*, now: dt.datetime | None = None) -> int:
    """Queue this week's list for every following editor with stale open items; returns
    how many were queued now (none for a week already queued)."""
    now = now or timezone.now()
    queued = 0
    for subscription in following_editors():
        if not unconfirmed_milestones(subscription).exists():
            continue
        week = week_of(now, subscription.timezone)
        # Monday 08:00 in the subscriber's zone, or now when later in the week.
        due_at = max(now, local_instant(week, subscription.timezone))
        if not services.unconfirmed_list_queue(
            subscription_id=subscription.pk,
            recipient=subscription.recipient,
            week=week,
            due_at=due_at,
        ):
            continue
        queued += 1
    return queued


def send_unconfirmed_lists(*, now: dt.datetime | None = None) -> EscalationResult:
    """Queue this week's lists, then send what the email outbox holds."""
    queued = plan_unconfirmed_lists(now=now)
    sent = outbox.send_due_reminders(now=now, lanes=[outbox.EMAILS])
    return EscalationResult(queued=queued, emails=sent.sent)
