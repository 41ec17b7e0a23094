"""Links that stop email: their absolute URLs, and the opt-out of a track owner (who has
no subscription of their own until they opt out). The tokens are in `links`."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from tracker.models import Reminder, Subscription, Track
from tracker.reminders.links import confirm_token, owner_unsubscribe_token, unsubscribe_token


def absolute(path: str) -> str:
    return f"{settings.SITE_URL}{path}"


def subscription_unsubscribe_url(subscription: Subscription) -> str:
    return absolute(reverse("reminders:unsubscribe", args=[unsubscribe_token(subscription)]))


def subscription_confirm_url(subscription: Subscription) -> str:
    return absolute(reverse("reminders:confirm", args=[confirm_token(subscription)]))


def owner_unsubscribe_url(*, track_id: int, user_id: int) -> str:
    token = owner_unsubscribe_token(track_id=track_id, user_id=user_id)
    return absolute(reverse("reminders:unsubscribe_owner", args=[token]))


@transaction.atomic
def owner_unsubscribe(*, track: Track, user: Any) -> Subscription:
    """Stop owner reminders for `track`: kept as an unsubscribed subscription of the owner."""
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
