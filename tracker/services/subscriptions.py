"""Subscriptions: who hears about which negotiation or track, and how they opt in and out.

A new or changed subscription plans its reminders once the transaction commits
(`tracker.services.followups`), in this process: the domain never enqueues Celery
jobs, and the periodic planner stays the safety net. An email-address subscription's
confirmation email is an outbox row written in the same transaction, so no broker or
mail outage can lose it; subscribing again while unconfirmed queues it again, at most
once per `RESEND_AFTER` and `RESENDS_PER_DAY` times a day. The signed tokens in the
confirm and unsubscribe links are in `tracker.reminders.links`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from tracker.models import (
    AccountLanguage,
    Milestone,
    Negotiation,
    OutboxEmail,
    Reminder,
    Subscription,
    Track,
)
from tracker.reminders.planning import OPEN_STATES
from tracker.reminders.recurrence import DigestRuleError, parse_digest_rule
from tracker.services.followups import after_commit
from tracker.subscription_input import (
    DEFAULT_OFFSETS,
    validate_offsets,
    validate_timezone,
)


def validate_digest_rule(rule: str) -> str:
    """An RRULE for digests: daily, weekly or monthly, and one that always occurs.

    Finer rules would flood people, and rules that rarely or never occur would cost the
    digest job a long search; tracker.reminders.recurrence accepts only rules that are
    neither, reading them part by part, so this answers at once whatever the text.
    """
    rule = rule.strip()
    if not rule:
        return rule
    try:
        parse_digest_rule(rule)
    except DigestRuleError as error:
        raise ValidationError({"digest_rule": str(error)}) from None
    return rule


def validate_language(code: str) -> str:
    if code not in dict(settings.LANGUAGES):
        known = ", ".join(dict(settings.LANGUAGES))
        raise ValidationError({"language": f"“{code}” is not one of the languages: {known}."})
    return code


def subscriber_language(*, user: Any, language: str | None) -> str:
    """The language a new subscription's emails are written in: the one asked for, else
    the account's choice, else the site's default."""
    if language:
        return validate_language(language)
    if user is not None:
        chosen = AccountLanguage.objects.filter(user=user).values_list("language", flat=True)
        for code in chosen:
            return code
    return settings.LANGUAGE_CODE


class AlreadySubscribed(ValidationError):
    """Subscribing again, when asked not to replace: `existing` is the subscription to edit."""

    def __init__(self, existing: Subscription) -> None:
        super().__init__(f"You already follow {existing.subject}; change that subscription.")
        self.existing = existing


def _active_for(
    *, negotiation: Negotiation | None, track: Track | None, user: Any, email: str
) -> Subscription | None:
    return (
        Subscription.objects.select_for_update()
        .filter(negotiation=negotiation, track=track, unsubscribed_at__isnull=True)
        .filter(**({"user": user} if user is not None else {"user__isnull": True, "email": email}))
        .first()
    )


@transaction.atomic
def subscription_create(
    *,
    negotiation: Negotiation | None = None,
    track: Track | None = None,
    user: Any = None,
    email: str = "",
    timezone_name: str = "UTC",
    offsets: Sequence[int] | None = None,
    digest_rule: str | None = None,
    reminders_on: bool = True,
    replace: bool = True,
    language: str | None = None,
) -> Subscription:
    """Subscribe a user (active at once) or an email address (active once confirmed).

    With `replace=False` (the dashboard's form), subscribing again to the same subject
    changes nothing and raises AlreadySubscribed naming the subscription to edit: a form
    full of defaults must not overwrite settings chosen earlier.
    """
    if (negotiation is None) == (track is None):
        raise ValidationError("Subscribe to either a negotiation or a track.")
    if user is None and not email:
        raise ValidationError({"email": "Give an email address to send reminders to."})
    email = "" if user is not None else email.strip().lower()
    # One active subscription per person and subject: subscribing again updates it,
    # so a single unsubscribe link always stops everything.
    existing = _active_for(negotiation=negotiation, track=track, user=user, email=email)
    if existing is not None and not replace:
        raise AlreadySubscribed(existing)
    if existing is not None:
        existing.timezone = validate_timezone(timezone_name)
        if offsets is not None:
            existing.offsets = validate_offsets(list(offsets))
        if digest_rule is not None:
            existing.digest_rule = validate_digest_rule(digest_rule)
        existing.save(update_fields=["timezone", "offsets", "digest_rule"])
        _plan_after_commit(existing)
        if existing.confirmed_at is None:
            confirmation_queue(existing)
        return existing
    subscription = Subscription(
        negotiation=negotiation,
        track=track,
        user=user,
        email=email,
        timezone=validate_timezone(timezone_name),
        offsets=validate_offsets(list(offsets) if offsets is not None else list(DEFAULT_OFFSETS)),
        confirmed_at=timezone.now() if user is not None else None,
        reminders_on=reminders_on,
        language=subscriber_language(user=user, language=language),
    )
    if digest_rule is not None:
        subscription.digest_rule = validate_digest_rule(digest_rule)
    subscription.full_clean(exclude=["user", "negotiation", "track"])
    subscription.save()
    _plan_after_commit(subscription)
    if user is None:
        confirmation_queue(subscription)
    return subscription


@transaction.atomic
def subscription_update(
    *,
    subscription: Subscription,
    negotiation: Negotiation | None = None,
    track: Track | None = None,
    timezone_name: str,
    offsets: Sequence[int],
    digest_rule: str,
    reminders_on: bool,
) -> Subscription:
    """Change every setting of an active subscription, its scope included.

    Moving to a subject the same person already follows would make two subscriptions
    for one subject; that raises AlreadySubscribed naming the other one.
    """
    if (negotiation is None) == (track is None):
        raise ValidationError("Subscribe to either a negotiation or a track.")
    row = Subscription.objects.select_for_update().get(pk=subscription.pk)
    if row.unsubscribed_at is not None:
        raise ValidationError("This subscription was cancelled; subscribe again instead.")
    before = row.subject
    if (row.negotiation_id, row.track_id) != (
        negotiation.pk if negotiation else None,
        track.pk if track else None,
    ):
        other = _active_for(negotiation=negotiation, track=track, user=row.user, email=row.email)
        if other is not None:
            raise AlreadySubscribed(other)
    row.negotiation, row.track = negotiation, track
    row.timezone = validate_timezone(timezone_name)
    row.offsets = validate_offsets(list(offsets))
    row.digest_rule = validate_digest_rule(digest_rule)
    row.reminders_on = reminders_on
    row.full_clean(exclude=["user", "negotiation", "track"])
    row.save(
        update_fields=["negotiation", "track", "timezone", "offsets", "digest_rule", "reminders_on"]
    )
    # The old subject's reminders are voided, the new one's planned, the zone's moved.
    _plan_subject_after_commit(before)
    _plan_after_commit(row)
    return row


# Someone subscribing again while unconfirmed gets the email again, but an address
# cannot be flooded by others subscribing it over and over.
RESEND_AFTER = dt.timedelta(minutes=10)
RESENDS_PER_DAY = 5


def confirmation_queue(subscription: Subscription) -> OutboxEmail | None:
    """Queue the confirmation email in the outbox, unless one went (or waits to go)
    out too recently; returns the row queued, or None when rate-limited."""
    now = timezone.now()
    earlier = OutboxEmail.objects.filter(
        subscription=subscription, kind=OutboxEmail.Kind.CONFIRMATION
    )
    latest = earlier.order_by("-sequence").first()
    if latest is not None:
        waiting = latest.state in (OutboxEmail.State.PENDING, OutboxEmail.State.SENDING)
        recent = latest.created_at > now - RESEND_AFTER
        today = earlier.filter(created_at__gt=now - dt.timedelta(days=1)).count()
        if waiting or recent or today >= RESENDS_PER_DAY:
            return None
    return OutboxEmail.objects.create(
        kind=OutboxEmail.Kind.CONFIRMATION,
        subscription=subscription,
        recipient=subscription.recipient,
        sequence=0 if latest is None else latest.sequence + 1,
        due_at=now,
    )


@transaction.atomic
def subscription_confirm(*, subscription: Subscription) -> Subscription:
    """Start sending: only a confirmed subscription is planned for."""
    confirmed = Subscription.objects.filter(pk=subscription.pk, confirmed_at__isnull=True).update(
        confirmed_at=timezone.now()
    )
    subscription.refresh_from_db()
    if confirmed:
        _plan_after_commit(subscription)
    return subscription


@transaction.atomic
def subscription_delete(*, subscription: Subscription) -> None:
    """Forget a subscription (the admin's delete): its unsent reminders are voided first,
    and what its subject's other recipients hear is planned again after the commit."""
    subject = subscription.subject
    Reminder.objects.filter(subscription=subscription, state=Reminder.State.PENDING).update(
        state=Reminder.State.VOID, last_error="Subscription deleted"
    )
    Subscription.objects.filter(pk=subscription.pk).delete()
    _plan_subject_after_commit(subject)


def subscription_unsubscribe(*, subscription: Subscription) -> Subscription:
    """Stop everything for this subscription; its unsent reminders are voided."""
    with transaction.atomic():
        Subscription.objects.filter(pk=subscription.pk, unsubscribed_at__isnull=True).update(
            unsubscribed_at=timezone.now()
        )
        Reminder.objects.filter(subscription=subscription, state=Reminder.State.PENDING).update(
            state=Reminder.State.VOID, last_error="Unsubscribed"
        )
    subscription.refresh_from_db()
    return subscription


def _plan_after_commit(subscription: Subscription) -> None:
    """Plan reminders for the open milestones this subscription covers, after the commit."""
    _plan_subject_after_commit(subscription.subject)


def _plan_subject_after_commit(subject: Negotiation | Track) -> None:
    covered = Milestone.objects.filter(state__in=OPEN_STATES)
    if isinstance(subject, Track):
        covered = covered.filter(track=subject)
    else:
        covered = covered.filter(track__negotiation=subject)
    after_commit(milestone_ids=list(covered.values_list("id", flat=True)))


def subscriptions_replan(*, user: Any) -> None:
    """After `user`'s address changed: re-plan what their subscriptions cover, so reminders
    planned for the old address are voided and the new one's are planned."""
    for subscription in Subscription.objects.filter(user=user, unsubscribed_at__isnull=True):
        _plan_after_commit(subscription)


@transaction.atomic
def owner_unsubscribe(*, track: Track, user: Any) -> Subscription:
    """Stop owner reminders for `track` (the link in an owner's reminder): kept as an
    unsubscribed subscription of the owner, who has none until they opt out."""
    now = timezone.now()
    opt_out = Subscription.objects.filter(
        track=track, user=user, unsubscribed_at__isnull=False
    ).first() or Subscription.objects.create(
        track=track, user=user, confirmed_at=now, unsubscribed_at=now
    )
    Subscription.objects.filter(track=track, user=user, unsubscribed_at__isnull=True).update(
        unsubscribed_at=now
    )
    Reminder.objects.filter(
        milestone__track=track,
        recipient__iexact=user.email,
        state=Reminder.State.PENDING,
    ).update(state=Reminder.State.VOID, last_error="Unsubscribed")
    return opt_out
