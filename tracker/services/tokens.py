"""Credentials other than the password: API tokens and the private calendar feed secret.

The database keeps only a secret's digest (knox hashes API tokens; `CalendarFeedToken.digest`
is the feed secret's SHA-256, tracker.calendar.tokens): a secret is returned once, when it
is made, and stored nowhere. A password change revokes both (tracker.services.passwords).
"""

from __future__ import annotations

import secrets
from typing import Any

from django.db import transaction
from django.utils import timezone
from knox.models import AuthToken

from tracker.calendar.tokens import feed_digest
from tracker.models import CalendarFeedToken


def api_token_create(*, user: Any) -> tuple[AuthToken, str]:
    """A new API token for `user`: the row, and the token itself, to hand over now."""
    instance, token = AuthToken.objects.create(user=user)
    return instance, token


@transaction.atomic
def calendar_token_rotate(*, user: Any) -> tuple[CalendarFeedToken, str]:
    """Give `user` a fresh feed secret; any URL with the old one stops working.

    Returns the row and the secret, which is stored nowhere: put it in the URL now.
    """
    secret = secrets.token_urlsafe(32)
    token, created = CalendarFeedToken.objects.select_for_update().get_or_create(
        user=user, defaults={"digest": feed_digest(secret)}
    )
    if not created:
        token.digest = feed_digest(secret)
        token.created_at = timezone.now()
        token.save(update_fields=["digest", "created_at"])
    return token, secret


def calendar_token_revoke(*, user: Any) -> bool:
    deleted, _ = CalendarFeedToken.objects.filter(user=user).delete()
    return deleted > 0


def credentials_revoke(*, user: Any) -> None:
    """Delete every API token and the calendar feed secret of `user`."""
    with transaction.atomic():
        AuthToken.objects.filter(user=user).delete()
        CalendarFeedToken.objects.filter(user=user).delete()
