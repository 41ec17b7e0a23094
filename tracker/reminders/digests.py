"""Periodic digests: per subscription, on its own RFC 5545 rule in its own time zone."""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
import zoneinfo
from dataclasses import dataclass, field
from typing import Any

from django.core.mail import get_connection
from django.db.models import Q, QuerySet
from django.utils import timezone

from tracker.models import DeadlineRevision, Milestone, Observation, StatusChange, Subscription
from tracker.reminders.emails import digest_email
from tracker.reminders.outbox import DELIVERY_ERRORS, DeliveryUnavailable
from tracker.reminders.planning import OPEN_STATES
from tracker.reminders.recurrence import DigestRuleError, parse_digest_rule

UPCOMING_DAYS = 30
log = logging.getLogger(__name__)


@dataclass
class DigestNews:
    completions: list[StatusChange] = field(default_factory=list)
    slips: list[DeadlineRevision] = field(default_factory=list)
    transitions: list[dict[str, str]] = field(default_factory=list)
    observations: list[Observation] = field(default_factory=list)
    upcoming: list[Milestone] = field(default_factory=list)

    def __bool__(self) -> bool:
        return any(
            (self.completions, self.slips, self.transitions, self.observations, self.upcoming)
        )


@dataclass
class DigestResult:
    sent: int = 0
    nothing_to_say: int = 0


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


def _scope(subscription: Subscription, prefix: str) -> Q:
    if subscription.track_id is not None:
        return Q(**{f"{prefix}track_id": subscription.track_id})
    return Q(**{f"{prefix}track__negotiation_id": subscription.negotiation_id})


def _negotiation_id(subscription: Subscription) -> int:
    assert subscription.negotiation_id is not None  # a subscription names one or the other
    return subscription.negotiation_id


def digest_news(
    subscription: Subscription, *, since: dt.datetime, until: dt.datetime
) -> DigestNews:
    zone = zoneinfo.ZoneInfo(subscription.timezone)
    today = until.astimezone(zone).date()
    changes: QuerySet[StatusChange] = StatusChange.objects.filter(
        changed_at__gte=since, changed_at__lt=until
    ).select_related("milestone", "track", "negotiation")
    if subscription.track_id is not None:
        changes = changes.filter(track_id=subscription.track_id)
    else:
        changes = changes.filter(negotiation_id=_negotiation_id(subscription))
    news = DigestNews()
    for change in changes.order_by("changed_at", "id"):
        if change.subject == StatusChange.Subject.MILESTONE and change.new == "completed":
            news.completions.append(change)
        elif change.subject in (StatusChange.Subject.TRACK, StatusChange.Subject.NEGOTIATION):
            news.transitions.append(
                {
                    "name": change.track.name if change.track else change.negotiation.name,
                    "previous": change.previous.replace("_", " "),
                    "new": change.new.replace("_", " "),
                    "reason": change.reason,
                }
            )
    news.slips = [
        revision
        for revision in DeadlineRevision.objects.filter(
            _scope(subscription, "milestone__"), changed_at__gte=since, changed_at__lt=until
        )
        .select_related("milestone")
        .order_by("changed_at", "id")
        if revision.slip_days
    ]
    observations = Observation.objects.filter(
        date__gte=since.astimezone(zone).date(), date__lt=today
    ).select_related("target")
    if subscription.track_id is not None:
        observations = observations.filter(target__track_id=subscription.track_id)
    else:
        observations = observations.filter(target__negotiation_id=_negotiation_id(subscription))
    news.observations = list(observations.order_by("date", "id"))
    news.upcoming = list(
        Milestone.objects.filter(
            _scope(subscription, ""),
            state__in=OPEN_STATES,
            deadline_latest__gte=today,
            deadline_latest__lte=today + dt.timedelta(days=UPCOMING_DAYS),
        ).order_by("deadline_latest", "title")
    )
    return news


def send_digests(*, now: dt.datetime | None = None) -> DigestResult:
    """Send each active subscription's digest once per occurrence of its rule.

    A digest is claimed by moving `last_digest_at` forward with a compare-and-set,
    so concurrent runs send it once; when delivery fails the claim is given back
    and the next run tries again. Missed occurrences collapse into one digest.
    """
    now = now or timezone.now()
    result = DigestResult()
    subscriptions = (
        Subscription.objects.filter(confirmed_at__isnull=False, unsubscribed_at__isnull=True)
        .exclude(digest_rule="")
        .select_related("user", "track", "track__negotiation", "negotiation")
    )
    connection: Any = None
    try:
        for subscription in subscriptions:
            occurrence = latest_occurrence(subscription, now)
            since = subscription.last_digest_at or subscription.confirmed_at
            if occurrence is None or since is None or occurrence <= since:
                continue
            claimed = (
                Subscription.objects.filter(
                    pk=subscription.pk, last_digest_at=subscription.last_digest_at
                )
                if subscription.last_digest_at
                else Subscription.objects.filter(pk=subscription.pk, last_digest_at__isnull=True)
            )
            if not claimed.update(last_digest_at=occurrence):
                continue  # another run took it
            news = digest_news(subscription, since=since, until=occurrence)
            if not news:
                result.nothing_to_say += 1
                continue
            message = digest_email(
                subscription, period_start=since, period_end=occurrence, news=news
            )
            try:
                if connection is None:
                    connection = get_connection(fail_silently=False)
                    connection.open()
                message.connection = connection
                message.send()
            except DELIVERY_ERRORS as error:
                Subscription.objects.filter(pk=subscription.pk, last_digest_at=occurrence).update(
                    last_digest_at=subscription.last_digest_at
                )
                raise DeliveryUnavailable(str(error)) from error
            result.sent += 1
    finally:
        if connection is not None:
            with contextlib.suppress(*DELIVERY_ERRORS):
                connection.close()
    return result
