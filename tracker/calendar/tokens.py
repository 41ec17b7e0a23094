"""Private calendar feed tokens: the secret in a feed URL, which its owner can rotate or revoke."""

from __future__ import annotations

import secrets
from typing import Any

from django.db import transaction
from django.utils import timezone

from tracker.models import CalendarFeedToken


@transaction.atomic
def calendar_token_rotate(*, user: Any) -> CalendarFeedToken:
    """Give `user` a fresh feed token; any URL with the old one stops working."""
    token, created = CalendarFeedToken.objects.select_for_update().get_or_create(
        user=user, defaults={"key": secrets.token_urlsafe(32)}
    )
    if not created:
        token.key = secrets.token_urlsafe(32)
        token.created_at = timezone.now()
        token.save(update_fields=["key", "created_at"])
    return token


def calendar_token_revoke(*, user: Any) -> bool:
    deleted, _ = CalendarFeedToken.objects.filter(user=user).delete()
    return deleted > 0
