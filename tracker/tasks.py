"""Celery tasks: thin wrappers that carry ids (or nothing) and call one service.

No task carries an email or a reminder: each says "look at the tables", so a
duplicated, late or lost message changes nothing. Only delivery trouble (the mail
server or network) is retried here; anything else is a bug and surfaces as one.

This is the jobs layer: it imports the domain, and no domain module imports it
(tests/test_architecture.py). Work that must follow a write runs after the commit in
the writing process (tracker.services.followups); beat is the safety net.
"""

from __future__ import annotations

from typing import Any

from celery import shared_task

from tracker.refresh import refresh_statuses as refresh
from tracker.reminders import alerts, digests, outbox, planning
from tracker.reminders.outbox import DeliveryUnavailable

# Jobs that send email retry with backoff, and only when delivery itself failed.
DELIVERY: dict[str, Any] = {
    "time_limit": 300,
    "soft_time_limit": 240,
    "autoretry_for": (DeliveryUnavailable,),
    "retry_backoff": 30,
    "retry_backoff_max": 600,
    "retry_jitter": True,
    "max_retries": 5,
}


@shared_task(name="tracker.tasks.refresh_statuses", **DELIVERY)
def refresh_statuses(negotiation_ids: list[int] | None = None) -> int:
    """Bring stored statuses up to date, then tell people about tracks that got worse."""
    changes = len(refresh(negotiation_ids=negotiation_ids).changes)
    alerts.send_health_alerts()
    return changes


@shared_task(name="tracker.tasks.plan_reminders", time_limit=300, soft_time_limit=240)
def plan_reminders(milestone_ids: list[int] | None = None) -> int:
    return planning.plan_reminders(milestone_ids=milestone_ids).created


@shared_task(name="tracker.tasks.send_due_reminders", **DELIVERY)
def send_due_reminders() -> int:
    return outbox.send_due_reminders().sent


@shared_task(name="tracker.tasks.send_digests", **DELIVERY)
def send_digests() -> int:
    return digests.send_digests().sent
