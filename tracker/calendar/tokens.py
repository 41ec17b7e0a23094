"""Private calendar feed tokens: the secret in a feed URL, which its owner can rotate or revoke.

The database keeps only the secret's SHA-256 (`CalendarFeedToken.digest`): the URL, with
the secret in it, is shown once, when the token is made. The secret is 256 random bits,
so a plain hash is enough: there is nothing to guess. A password change revokes it
(tracker.accounts).
"""

from __future__ import annotations

import hashlib
import secrets
from typing import Any

from django.db import transaction
from django.utils import timezone

from tracker.models import CalendarFeedToken


def feed_digest(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8", "surrogatepass")).hexdigest()


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
