"""Periodic digests: per subscription, on its own RFC 5545 rule in its own time zone.

A digest goes through the email outbox like any other email. Planning it is one
transaction per subscription: `last_digest_at` moves forward to the rule's latest
occurrence with a compare-and-set, and an `OutboxEmail` of kind "digest" for the window
(`period_start`, `period_end`) is written beside it, unique per subscription and window
end. A planner killed midway leaves both or neither; two planners at once plan it once.

The outbox sender then builds the message when it sends it (tracker.reminders.digest_news
reads the window) under the same claim, lease and circuit as reminders, with one
Message-ID per row: a digest the mail server refuses waits in the outbox, and a digest
sent again after a crash is the same message. A window with nothing to say is planned as
no row at all (and one whose news was undone before sending is voided).
"""

from __future__ import annotations

import datetime as dt
import logging
import zoneinfo
from dataclasses import dataclass

from django.utils import timezone

from tracker import services
from tracker.models import Subscription
from tracker.reminders import outbox
from tracker.reminders.digest_news import digest_news
from tracker.reminders.recurrence import DigestRuleError, parse_digest_rule

log = logging.getLogger(__name__)


@dataclass
class DigestResult:
    queued: int = 0  # digests planned into the outbox by this run
    nothing_to_say: int = 0  # due windows with no news: no digest, the window still closes
    sent: int = 0  # emails the email outbox sent in this run (digests and any other kind)
    waiting: bool = False  # due emails remain in the outbox for the next run


def latest_occurrence(subscription: Subscription, now: dt.datetime) -> dt.datetime | None:
    """The latest time at or before `now` when the subscription's digest falls due."""
    if not subscription.digest_rule:
        return None
    try:
        rule = parse_digest_rule(subscription.digest_rule)
    except DigestRuleError as error:
        # Only a row written around the services can hold one; it gets no digest.
        log.warning("Subscription %s has no usable digest rule: %s", subscription.pk, error)
        return None
    zone = zoneinfo.ZoneInfo(subscription.timezone)
    # The rule is read in wall-clock time so "Mondays 08:00" stays 08:00 across DST.
    anchor = subscription.created_at.astimezone(zone).replace(tzinfo=None, second=0, microsecond=0)
    occurrence = rule.latest(at_or_before=now.astimezone(zone).replace(tzinfo=None), anchor=anchor)
    if occurrence is None:
        return None
    return occurrence.replace(tzinfo=zone).astimezone(dt.UTC)


def next_occurrence(subscription: Subscription, now: dt.datetime) -> dt.datetime | None:
    """When the subscription's next digest falls due after `now` (None: no digest)."""
    if not subscription.digest_rule:
        return None
    try:
        rule = parse_digest_rule(subscription.digest_rule)
    except DigestRuleError:
        return None
    zone = zoneinfo.ZoneInfo(subscription.timezone)
    anchor = subscription.created_at.astimezone(zone).replace(tzinfo=None, second=0, microsecond=0)
    occurrence = rule.following(after=now.astimezone(zone).replace(tzinfo=None), anchor=anchor)
    if occurrence is None:
        return None
    return occurrence.replace(tzinfo=zone).astimezone(dt.UTC)


def due_subscriptions() -> list[Subscription]:
    """Active subscriptions that want a digest, with what planning one reads."""
    return list(
        Subscription.objects.filter(confirmed_at__isnull=False, unsubscribed_at__isnull=True)
        .exclude(digest_rule="")
        .select_related("user", "track", "track__negotiation", "negotiation")
        .order_by("id")
    )


def plan_digests(*, now: dt.datetime | None = None) -> DigestResult:
    """Queue each active subscription's digest once per occurrence of its rule.

    Missed occurrences collapse into one digest for the whole window since the last.
    Safe to run at any time and from several processes at once.
    """
    now = now or timezone.now()
    result = DigestResult()
    for subscription in due_subscriptions():
        occurrence = latest_occurrence(subscription, now)
        since = subscription.last_digest_at or subscription.confirmed_at
        if occurrence is None or since is None or occurrence <= since:
            continue
        # Read before the transaction: it only decides whether a row is worth planning;
        # the sender reads the window again when it builds the message.
        news = digest_news(subscription, since=since, until=occurrence)
        planned = services.digest_queue(
            subscription_id=subscription.pk,
            recipient=subscription.recipient,
            since=since,
            previous=subscription.last_digest_at,
            occurrence=occurrence,
            has_news=bool(news),
        )
        if not planned:
            continue  # another planner took it
        if news:
            result.queued += 1
        else:
            result.nothing_to_say += 1
    return result


def send_digests(*, now: dt.datetime | None = None) -> DigestResult:
    """Queue the digests that are due, then send what the email outbox holds (for cron
    and tests; the worker queues and leaves the sending to the outbox's own job)."""
    result = plan_digests(now=now)
    sent = outbox.send_due_reminders(now=now, lanes=[outbox.EMAILS])
    result.sent = sent.sent
    result.waiting = sent.more
    return result
