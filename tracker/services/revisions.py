"""Deadline history: the one place a DeadlineRevision is written."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from tracker.deadlines import Deadline
    from tracker.models import Milestone, Source


def record_deadline_change(
    *,
    milestone: Milestone,
    previous: Deadline | None,
    current: Deadline | None,
    is_new: bool,
    reason: str = "",
    source: Source | None = None,
    by: Any = None,
) -> None:
    """Keep the change of `milestone`'s deadline from `previous` to `current`.

    A new milestone without a deadline has no history yet; a new one with a deadline
    records it as first announced, so later slips are measured from there.
    """
    from tracker.models import DeadlineRevision

    if is_new and current is None:
        return
    default_reason = "First announced" if is_new else "Deadline changed"
    DeadlineRevision.objects.create(
        milestone=milestone,
        previous_text=previous.text if previous else "",
        previous_earliest=previous.earliest if previous else None,
        previous_latest=previous.latest if previous else None,
        previous_precision=previous.precision.value if previous else "",
        previous_said_on=previous.said_on if previous else None,
        new_text=current.text if current else "",
        new_earliest=current.earliest if current else None,
        new_latest=current.latest if current else None,
        new_precision=current.precision.value if current else "",
        new_said_on=current.said_on if current else None,
        reason=reason or default_reason,
        source=source,
        changed_by=by if getattr(by, "is_authenticated", False) else None,
    )


def cite_announcement(*, milestone: Milestone, source: Source) -> bool:
    """Give the first revision of `milestone` the source that announced it, if it has none."""
    from tracker.models import DeadlineRevision

    first = milestone.revisions.order_by("changed_at", "id").first()
    if first is None or first.source_id is not None or first.previous_latest is not None:
        return False
    return bool(
        DeadlineRevision.objects.filter(pk=first.pk, source__isnull=True).update(source=source)
    )


# What a history entry holds, as the record format carries it (changed_by is an account of
# this installation, so it is neither compared nor restored).
HISTORY_FIELDS = (
    "previous_text",
    "previous_earliest",
    "previous_latest",
    "previous_precision",
    "previous_said_on",
    "new_text",
    "new_earliest",
    "new_latest",
    "new_precision",
    "new_said_on",
    "changed_at",
    "reason",
    "source",
)


def replace_history(*, milestone: Milestone, entries: Sequence[Mapping[str, Any]]) -> bool:
    """Make `milestone`'s deadline history exactly `entries` (oldest first), as a record
    file states it; says whether anything changed. Checked before anything is written."""
    from tracker.models import DeadlineRevision

    def key(values: Mapping[str, Any]) -> tuple[Any, ...]:
        source = values["source"]
        return (*(values[f] for f in HISTORY_FIELDS[:-1]), source and source.pk)

    current = [
        key({**{f: getattr(r, f) for f in HISTORY_FIELDS[:-1]}, "source": r.source})
        for r in milestone.revisions.order_by("changed_at", "id").select_related("source")
    ]
    if current == [key(e) for e in entries]:
        return False
    revisions = [DeadlineRevision(milestone=milestone, **dict(e)) for e in entries]
    for revision in revisions:
        revision.full_clean()
    milestone.revisions.all().delete()
    for revision in revisions:
        revision.save()
    return True
