"""Links that stop email: their absolute URLs. The tokens are in `links`; what following a
link writes is in `tracker.services.subscriptions`."""

from __future__ import annotations

import functools
from typing import Any

from django.conf import settings
from django.urls import get_script_prefix, get_urlconf, reverse

from tracker.models import Subscription
from tracker.reminders.links import confirm_token, owner_unsubscribe_token, unsubscribe_token


def absolute(path: str) -> str:
    return f"{settings.SITE_URL}{path}"


_SLOT = "token-slot"


@functools.lru_cache(maxsize=64)
def _route(name: str, urlconf: Any, root: str, prefix: str) -> tuple[str, str]:
    """The path of the link `name` split where its token goes. Sending asks for one link
    a message, and reverse() is slow there: the email package compiles a new regular
    expression for each MIME boundary, which pushes reverse()'s own out of re's cache.
    The cache is keyed on what reverse() reads (the URLconf and the script prefix)."""
    head, tail = reverse(name, args=[_SLOT], urlconf=urlconf).split(_SLOT)
    return head, tail


def _token_path(name: str, token: str) -> str:
    # Signed tokens are URL-safe (base64url and ":"), so reverse() would not quote them.
    head, tail = _route(name, get_urlconf(), settings.ROOT_URLCONF, get_script_prefix())
    return f"{head}{token}{tail}"


def subscription_unsubscribe_url(subscription: Subscription) -> str:
    return absolute(_token_path("reminders:unsubscribe", unsubscribe_token(subscription)))


def subscription_confirm_url(subscription: Subscription) -> str:
    return absolute(reverse("reminders:confirm", args=[confirm_token(subscription)]))


def owner_unsubscribe_url(*, track_id: int, user_id: int) -> str:
    token = owner_unsubscribe_token(track_id=track_id, user_id=user_id)
    return absolute(_token_path("reminders:unsubscribe_owner", token))
