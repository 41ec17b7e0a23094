"""Links that stop email: their absolute URLs. The tokens are in `links`; what following a
link writes is in `tracker.services.subscriptions`."""

from __future__ import annotations

from django.conf import settings
from django.urls import reverse

from tracker.models import Subscription
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
