"""State changes: small keyword-only functions that validate, save and return.

Views, serializers, admin actions, tasks and the loader call these; none of them
changes a milestone's state or deadline another way.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from tracker.deadlines import Deadline
from tracker.models import Milestone, Source
from tracker.status import MilestoneState


@transaction.atomic
def milestone_complete(
    *, milestone: Milestone, completed_on: dt.date | None = None, by: Any = None
) -> Milestone:
    completed_on = completed_on or timezone.localdate()
    if completed_on > timezone.localdate():
        raise ValidationError({"completed_on": "A milestone cannot be completed in the future."})
    if milestone.state == MilestoneState.CANCELLED:
        raise ValidationError(
            {"state": "A cancelled milestone cannot be completed; reopen it first."}
        )
    milestone.state = MilestoneState.COMPLETED.value
    milestone.completed_on = completed_on
    milestone.save()
    return milestone


@transaction.atomic
def milestone_cancel(*, milestone: Milestone, by: Any = None) -> Milestone:
    milestone.state = MilestoneState.CANCELLED.value
    milestone.completed_on = None
    milestone.save()
    return milestone


@transaction.atomic
def milestone_reopen(*, milestone: Milestone, by: Any = None) -> Milestone:
    milestone.state = MilestoneState.PLANNED.value
    milestone.completed_on = None
    milestone.save()
    return milestone


@transaction.atomic
def milestone_set_deadline(
    *,
    milestone: Milestone,
    deadline: Deadline | None,
    reason: str = "",
    source: Source | None = None,
    by: Any = None,
) -> Milestone:
    """Move a milestone's deadline; the revision records why and who reported it."""
    milestone.deadline = deadline
    milestone.revision_reason = reason
    milestone.revision_source = source
    milestone.revision_by = by if getattr(by, "is_authenticated", False) else None
    milestone.save()
    return milestone


def dependency_cycle(
    milestone: Milestone, depends_on: Iterable[Milestone]
) -> list[Milestone] | None:
    """The chain that would lead back to `milestone` if it depended on `depends_on`, or None."""
    if milestone.pk is None:
        return None
    through = Milestone.depends_on.through.objects
    edges: dict[int, list[int]] = {}
    for source_id, target_id in through.values_list("from_milestone_id", "to_milestone_id"):
        edges.setdefault(source_id, []).append(target_id)
    edges[milestone.pk] = [m.pk for m in depends_on]
    # Depth-first search from milestone; a path back to it is a cycle.
    stack: list[tuple[int, list[int]]] = [(milestone.pk, [milestone.pk])]
    seen: set[int] = set()
    while stack:
        node, path = stack.pop()
        for nxt in edges.get(node, ()):
            if nxt == milestone.pk:
                titles = Milestone.objects.in_bulk(path)
                return [titles[p] for p in path]
            if nxt not in seen:
                seen.add(nxt)
                stack.append((nxt, [*path, nxt]))
    return None


def validate_dependencies(milestone: Milestone, depends_on: Iterable[Milestone]) -> None:
    depends_on = list(depends_on)
    if milestone.pk is not None and any(m.pk == milestone.pk for m in depends_on):
        raise ValidationError({"depends_on": "A milestone cannot depend on itself."})
    cycle = dependency_cycle(milestone, depends_on)
    if cycle:
        chain = " → ".join(m.title for m in [*cycle, milestone])
        raise ValidationError({"depends_on": f"These dependencies would make a cycle: {chain}."})


@transaction.atomic
def milestone_set_dependencies(
    *, milestone: Milestone, depends_on: Iterable[Milestone]
) -> Milestone:
    depends_on = list(depends_on)
    validate_dependencies(milestone, depends_on)
    milestone.depends_on.set(depends_on)
    return milestone
