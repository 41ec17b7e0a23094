"""Webhook endpoints: register, edit, re-key, enable and disable (the one write path), and
what a failed or successful attempt does to its endpoint.

The admin and the API hand their input here and translate the ValidationError (keyed by
field) into their own kind of error.
"""

from __future__ import annotations

import base64
import datetime as dt
import secrets
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from tracker.models import OutboxEmail, OutboxRow, WebhookDelivery, WebhookEndpoint
from tracker.services.writing import check, writing
from tracker.webhooks import schedule
from tracker.webhooks.addresses import RefusedAddress, resolve
from tracker.webhooks.endpoints import retry_schedule
from tracker.webhooks.events import EVENT_TYPES

State = OutboxRow.State

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
        enabled_again = endpoint.is_active and endpoint.disabled_at is not None
        if enabled_again:
            endpoint.disabled_reason, endpoint.disabled_at = "", None
            endpoint.consecutive_failures = 0
            endpoint.failing_since = endpoint.warned_at = None
        elif not endpoint.is_active and endpoint.disabled_at is None:
            endpoint.disabled_at = timezone.now()
            endpoint.disabled_reason = endpoint.disabled_reason or f"Paused by {by or 'an editor'}."
        endpoint.save()
        if enabled_again:
            _waiting_fresh(endpoint.pk)
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
    """Take a disabled endpoint back: its waiting deliveries go out now, each with a fresh
    schedule, and its failures count anew."""
    with writing(by):
        validate_url(endpoint.url)
        WebhookEndpoint.objects.filter(pk=endpoint.pk).update(
            is_active=True,
            disabled_reason="",
            disabled_at=None,
            consecutive_failures=0,
            failing_since=None,
            warned_at=None,
        )
        _waiting_fresh(endpoint.pk)
    endpoint.refresh_from_db()
    return endpoint


def _waiting_fresh(endpoint_id: int) -> int:
    return int(
        WebhookDelivery.objects.filter(endpoint_id=endpoint_id, state=State.PENDING).update(
            retry_at=None, attempts=0
        )
    )


# --- what a failed or successful attempt does to its endpoint ---------------------------


def endpoint_failed(*, endpoint_id: int, now: dt.datetime) -> schedule.Verdict:
    """Count a failed attempt: start the failing clock, then warn or disable as the schedule
    says. Each email goes out once per failing spell (compare-and-set)."""
    WebhookEndpoint.objects.filter(pk=endpoint_id).update(
        consecutive_failures=F("consecutive_failures") + 1
    )
    WebhookEndpoint.objects.filter(pk=endpoint_id, failing_since__isnull=True).update(
        failing_since=now
    )
    found = (
        WebhookEndpoint.objects.filter(pk=endpoint_id, is_active=True)
        .values_list("failing_since", "warned_at")
        .first()
    )
    failing_since = found[0] if found else None
    if failing_since is None:
        return schedule.Verdict.KEEP
    warned = found is not None and found[1] is not None
    verdict = schedule.after_failure(
        failing_since=failing_since, now=now, warned=warned, schedule=retry_schedule()
    )
    if verdict == schedule.Verdict.DISABLE:
        since = f"{failing_since:%Y-%m-%d %H:%M} UTC"
        reason = f"Every delivery attempt failed from {since} on, with no success between them."
        if not endpoint_disable(endpoint_id=endpoint_id, reason=reason, now=now):
            return schedule.Verdict.KEEP
    elif verdict == schedule.Verdict.WARN and not _warn(endpoint_id, failing_since, now):
        return schedule.Verdict.KEEP
    return verdict


def endpoint_succeeded(*, endpoint_id: int, now: dt.datetime) -> int:
    """A success ends a failing spell. The endpoint's other deliveries waiting out a backoff
    are due at once, so a recovered receiver drains its backlog without a person; returns
    how many were brought forward."""
    recovered = WebhookEndpoint.objects.filter(pk=endpoint_id, failing_since__isnull=False).update(
        consecutive_failures=0, failing_since=None, warned_at=None
    )
    WebhookEndpoint.objects.filter(pk=endpoint_id, consecutive_failures__gt=0).update(
        consecutive_failures=0
    )
    if not recovered:
        return 0
    return int(
        WebhookDelivery.objects.filter(
            endpoint_id=endpoint_id, state=State.PENDING, retry_at__gt=now
        ).update(retry_at=now)
    )


@transaction.atomic
def _warn(endpoint_id: int, failing_since: dt.datetime, now: dt.datetime) -> bool:
    if not WebhookEndpoint.objects.filter(
        pk=endpoint_id, is_active=True, failing_since=failing_since, warned_at__isnull=True
    ).update(warned_at=now):
        return False
    _email_owner(endpoint_id, OutboxEmail.Kind.WEBHOOK_FAILING, now)
    return True


@transaction.atomic
def endpoint_disable(*, endpoint_id: int, reason: str, now: dt.datetime | None = None) -> bool:
    """Disable an active endpoint and queue an email to its owner (once: compare-and-set)."""
    now = now or timezone.now()
    if not WebhookEndpoint.objects.filter(pk=endpoint_id, is_active=True).update(
        is_active=False, disabled_reason=reason[:300], disabled_at=now
    ):
        return False
    _email_owner(endpoint_id, OutboxEmail.Kind.WEBHOOK_DISABLED, now)
    return True


def _email_owner(endpoint_id: int, kind: str, now: dt.datetime) -> None:
    endpoint = WebhookEndpoint.objects.select_related("owner").get(pk=endpoint_id)
    email = (endpoint.owner.email or "").strip().lower()
    if email:
        OutboxEmail.objects.create(
            kind=kind, webhook_endpoint=endpoint, recipient=email, due_at=now
        )
