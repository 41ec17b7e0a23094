"""Webhook endpoints: register, edit, re-key, enable and disable (the one write path).

The admin and the API hand their input here and translate the ValidationError (keyed by
field) into their own kind of error.
"""

from __future__ import annotations

import base64
import secrets
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import EmailMessage
from django.db import transaction
from django.utils import timezone

from tracker.models import OutboxEmail, WebhookEndpoint
from tracker.services.writing import check, writing
from tracker.webhooks.addresses import RefusedAddress, resolve
from tracker.webhooks.events import EVENT_TYPES

UNKNOWN_TYPES = "Unknown event types: {types}. Known: {known}."


def new_secret() -> str:
    """A Standard Webhooks secret: `whsec_` and 32 random bytes in base64."""
    return "whsec_" + base64.b64encode(secrets.token_bytes(32)).decode("ascii")


def validate_url(url: str) -> None:
    try:
        resolve(url)
    except RefusedAddress as error:
        raise ValidationError({"url": str(error)}) from error


def endpoint_save(*, endpoint: WebhookEndpoint, by: Any = None) -> WebhookEndpoint:
    """Create or edit an endpoint: a public URL, known event types, a secret made here."""
    with writing(by):
        unknown = sorted(set(endpoint.event_types or []) - set(EVENT_TYPES))
        if unknown:
            raise ValidationError(
                {
                    "event_types": UNKNOWN_TYPES.format(
                        types=", ".join(unknown), known=", ".join(EVENT_TYPES)
                    )
                }
            )
        endpoint.event_types = [t for t in EVENT_TYPES if t in (endpoint.event_types or [])]
        if not endpoint.secret:
            endpoint.secret = new_secret()
        check(endpoint)
        validate_url(endpoint.url)
        if endpoint.is_active and endpoint.disabled_at is not None:
            endpoint.disabled_reason, endpoint.disabled_at = "", None
            endpoint.consecutive_failures = 0
        elif not endpoint.is_active and endpoint.disabled_at is None:
            endpoint.disabled_at = timezone.now()
            endpoint.disabled_reason = endpoint.disabled_reason or f"Paused by {by or 'an editor'}."
        endpoint.save()
    return endpoint


def endpoint_delete(*, endpoint: WebhookEndpoint, by: Any = None) -> None:
    """Remove an endpoint; its deliveries and their attempts go with it."""
    with writing(by):
        endpoint.delete()


def endpoint_rotate_secret(*, endpoint: WebhookEndpoint, by: Any = None) -> WebhookEndpoint:
    """A fresh secret; deliveries from now on are signed with it."""
    with writing(by):
        endpoint.secret = new_secret()
        endpoint.save(update_fields=["secret"])
    return endpoint


def endpoint_enable(*, endpoint: WebhookEndpoint, by: Any = None) -> WebhookEndpoint:
    """Take a disabled endpoint back: its waiting deliveries go out, failures count anew."""
    with writing(by):
        validate_url(endpoint.url)
        WebhookEndpoint.objects.filter(pk=endpoint.pk).update(
            is_active=True, disabled_reason="", disabled_at=None, consecutive_failures=0
        )
    endpoint.refresh_from_db()
    return endpoint


def disable_after() -> int:
    return int(getattr(settings, "TRACKER_WEBHOOKS_DISABLE_AFTER", 20))


@transaction.atomic
def endpoint_disable(*, endpoint_id: int, reason: str) -> bool:
    """Disable an active endpoint and queue an email to its owner (once: compare-and-set)."""
    now = timezone.now()
    if not WebhookEndpoint.objects.filter(pk=endpoint_id, is_active=True).update(
        is_active=False, disabled_reason=reason[:300], disabled_at=now
    ):
        return False
    endpoint = WebhookEndpoint.objects.select_related("owner").get(pk=endpoint_id)
    email = (endpoint.owner.email or "").strip().lower()
    if email:
        OutboxEmail.objects.create(
            kind=OutboxEmail.Kind.WEBHOOK_DISABLED,
            webhook_endpoint=endpoint,
            recipient=email,
            due_at=now,
        )
    return True


def disabled_email(endpoint: WebhookEndpoint, *, to: str) -> EmailMessage:
    """What the owner of an endpoint that kept failing reads (sent through the outbox): text
    and HTML, like every email Tranche sends (tracker.reminders.emails)."""
    from tracker.reminders.emails import webhook_disabled_email

    admin = f"{settings.SITE_URL}/admin/tracker/webhookendpoint/{endpoint.pk}/change/"
    return webhook_disabled_email(endpoint, to=to, admin_url=admin)
