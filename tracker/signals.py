"""Refresh stored statuses whenever a row they depend on is written.

Signals rather than save() overrides so that deletes, many-to-many changes and
every entry point (admin, API, shell, loader) take the same path.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from contextvars import ContextVar
from typing import Any

from django.db.models.signals import m2m_changed, post_delete, post_save
from django.dispatch import receiver

from tracker.models import Milestone, Negotiation, Observation, Target, Track
from tracker.refresh import refresh_statuses

_deferred: ContextVar[set[int] | None] = ContextVar("deferred_refresh", default=None)


@contextlib.contextmanager
def deferred_refresh() -> Iterator[None]:
    """Refresh each touched negotiation once, at the end, instead of after every write."""
    if _deferred.get() is not None:
        yield
        return
    pending: set[int] = set()
    token = _deferred.set(pending)
    try:
        yield
    finally:
        _deferred.reset(token)
    if pending:
        refresh_statuses(negotiation_ids=pending)


def request_refresh(negotiation_id: int | None) -> None:
    if negotiation_id is None:
        return
    pending = _deferred.get()
    if pending is not None:
        pending.add(negotiation_id)
        return
    refresh_statuses(negotiation_ids=[negotiation_id])


def _negotiation_of(instance: Any) -> int | None:
    if isinstance(instance, Negotiation):
        return instance.id
    if isinstance(instance, Track | Target):
        return instance.negotiation_id
    if isinstance(instance, Milestone):
        return (
            Track.objects.filter(id=instance.track_id)
            .values_list("negotiation_id", flat=True)
            .first()
        )
    if isinstance(instance, Observation):
        return (
            Target.objects.filter(id=instance.target_id)
            .values_list("negotiation_id", flat=True)
            .first()
        )
    return None


_STATUS_FIELDS = {
    "status",
    "completed_late",
    "status_reason",
    "health",
    "health_reason",
    "progress",
    "next_deadline",
}


@receiver(post_save, sender=Milestone)
@receiver(post_save, sender=Track)
@receiver(post_save, sender=Target)
@receiver(post_save, sender=Observation)
def refresh_after_save(
    sender: Any, instance: Any, raw: bool = False, update_fields: Any = None, **kwargs: Any
) -> None:
    if raw or (update_fields and set(update_fields) <= _STATUS_FIELDS):
        return
    request_refresh(_negotiation_of(instance))
    if isinstance(instance, Milestone):
        from tracker.tasks import plan_reminders_soon

        plan_reminders_soon([instance.pk])


@receiver(post_delete, sender=Milestone)
@receiver(post_delete, sender=Track)
@receiver(post_delete, sender=Target)
@receiver(post_delete, sender=Observation)
def refresh_after_delete(sender: Any, instance: Any, **kwargs: Any) -> None:
    # The parent may be going too (cascade); then there is nothing to refresh.
    negotiation_id = _negotiation_of(instance)
    if negotiation_id and Negotiation.objects.filter(id=negotiation_id).exists():
        request_refresh(negotiation_id)


@receiver(m2m_changed, sender=Milestone.depends_on.through)
def refresh_after_dependencies_change(
    sender: Any, instance: Any, action: str, **kwargs: Any
) -> None:
    if action in {"post_add", "post_remove", "post_clear"} and isinstance(instance, Milestone):
        request_refresh(_negotiation_of(instance))
