"""The signed tokens in email links: what a confirm or unsubscribe link names.

A token is the link's only credential, so making and reading one are kept together,
each purpose with its own salt: a confirm token cannot be replayed as an unsubscribe
token, or the reverse. This module reads rows and writes none; what a link does lives
in `tracker.services.subscriptions`, and the links' addresses in
`tracker.reminders.unsubscribe`.
"""

from __future__ import annotations

from typing import Any, Literal

from django.contrib.auth import get_user_model
from django.core import signing

from tracker.models import Subscription, Track

_CONFIRM_SALT = "tranche.subscription.confirm"
_UNSUBSCRIBE_SALT = "tranche.subscription.unsubscribe"
_OWNER_SALT = "tranche.owner.unsubscribe"
CONFIRM_MAX_AGE = 7 * 24 * 3600


def confirm_token(subscription: Subscription) -> str:
    return signing.dumps(subscription.pk, salt=_CONFIRM_SALT)


def unsubscribe_token(subscription: Subscription) -> str:
    return signing.dumps(subscription.pk, salt=_UNSUBSCRIBE_SALT)


def subscription_from_token(
    token: str, *, purpose: Literal["confirm", "unsubscribe"]
) -> Subscription | None:
    """The subscription a signed link names, or None when the link is bad or expired."""
    salt = _CONFIRM_SALT if purpose == "confirm" else _UNSUBSCRIBE_SALT
    # Confirm links expire so a stale invitation cannot be acted on; unsubscribing
    # must keep working from any old email.
    max_age = CONFIRM_MAX_AGE if purpose == "confirm" else None
    try:
        pk = signing.loads(token, salt=salt, max_age=max_age)
    except signing.BadSignature:
        return None
    return Subscription.objects.filter(pk=pk).first()


def owner_unsubscribe_token(*, track_id: int, user_id: int) -> str:
    """A track owner has no subscription of their own, so the token names track and user."""
    return signing.dumps({"track": track_id, "user": user_id}, salt=_OWNER_SALT)


def owner_from_token(token: str) -> tuple[Track, Any] | None:
    """The (track, owner) an owner's unsubscribe link names, or None when it is bad."""
    user_model = get_user_model()
    try:
        data = signing.loads(token, salt=_OWNER_SALT)
        track = Track.objects.get(pk=data["track"])
        user = user_model.objects.get(pk=data["user"])
    except (signing.BadSignature, KeyError, TypeError, Track.DoesNotExist, user_model.DoesNotExist):
        return None
    return track, user
