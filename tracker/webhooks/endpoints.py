"""Webhook endpoints as their owners read about them: the retry schedule, and the emails
sent when an endpoint keeps failing. What changes an endpoint is in
`tracker.services.endpoints`."""

from __future__ import annotations

from django.conf import settings
from django.core.mail import EmailMessage

from tracker.models import WebhookEndpoint
from tracker.webhooks import schedule


def retry_schedule() -> tuple[int, ...]:
    """TRACKER_WEBHOOK_RETRY_SCHEDULE: seconds to wait after each failed attempt (the
    environment's comma-separated text, or a tuple set by a test); empty: the default."""
    configured = getattr(settings, "TRACKER_WEBHOOK_RETRY_SCHEDULE", "")
    if isinstance(configured, str):
        if not configured.strip():
            return schedule.DEFAULT_SCHEDULE
        return schedule.parse_schedule(configured)
    return tuple(configured)


def _admin_link(endpoint: WebhookEndpoint) -> str:
    return f"{settings.SITE_URL}/admin/tracker/webhookendpoint/{endpoint.pk}/change/"


def failing_email(endpoint: WebhookEndpoint, *, to: str) -> EmailMessage:
    """What the owner of an endpoint failing for a while reads, before it is disabled."""
    from tracker.reminders.emails import webhook_failing_email

    assert endpoint.failing_since is not None
    ends = schedule.disabled_on(endpoint.failing_since, retry_schedule())
    return webhook_failing_email(endpoint, to=to, admin_url=_admin_link(endpoint), ends=ends)


def disabled_email(endpoint: WebhookEndpoint, *, to: str) -> EmailMessage:
    """What the owner of an endpoint that kept failing reads (sent through the outbox): text
    and HTML, like every email Tranche sends (tracker.reminders.emails)."""
    from tracker.reminders.emails import webhook_disabled_email

    return webhook_disabled_email(endpoint, to=to, admin_url=_admin_link(endpoint))
