"""Archive instead of delete: a track or negotiation that is deleted is archived.

An archived row is left out of every reader's list (the models' `objects` managers):
pages, lists, feeds, API lists, search, exports, reminders and the escalation lists. Its
own page still answers, saying it is archived, with its history: deadline revisions, the
audit log and the change feeds keep every entry. Restoring brings it all back. A hard
delete (`records_purge`) is a separate, confirmed admin action for superusers.
"""

from __future__ import annotations

from typing import Any

from django.utils import timezone

from tracker.models import Milestone, Negotiation, Track
from tracker.services.followups import after_commit
from tracker.services.writing import columns, locked, store, writing


def _set_archived(row: Negotiation | Track, *, by: Any, archived: bool) -> None:
    fresh = locked(type(row), row.pk)
    read = columns(fresh)
    fresh.archived_at = timezone.now() if archived else None
    fresh.archived_by = by if archived and getattr(by, "is_authenticated", False) else None
    store(fresh, read=read)
    # The caller goes on with its copy: it says what was written.
    row.archived_at, row.archived_by, row.version = (
        fresh.archived_at,
        fresh.archived_by,
        fresh.version,
    )


def track_archive(*, track: Track, by: Any = None) -> Track:
    """Archive `track`; a track already archived keeps when and by whom."""
    with writing(by):
        if track.archived_at is None:
            _set_archived(track, by=by, archived=True)
            # Its unsent reminders are voided when its milestones are planned again.
            after_commit(
                negotiation_ids=[track.negotiation_id],
                milestone_ids=track.milestones.values_list("pk", flat=True),
            )
    return track


def track_restore(*, track: Track, by: Any = None) -> Track:
    with writing(by):
        if track.archived_at is not None:
            _set_archived(track, by=by, archived=False)
            after_commit(
                negotiation_ids=[track.negotiation_id],
                milestone_ids=track.milestones.values_list("pk", flat=True),
            )
    return track


def negotiation_archive(*, negotiation: Negotiation, by: Any = None) -> Negotiation:
    """Archive `negotiation`: its tracks, milestones and targets are hidden with it."""
    with writing(by):
        if negotiation.archived_at is None:
            _set_archived(negotiation, by=by, archived=True)
            after_commit(milestone_ids=_milestones_of(negotiation))
    return negotiation


def negotiation_restore(*, negotiation: Negotiation, by: Any = None) -> Negotiation:
    with writing(by):
        if negotiation.archived_at is not None:
            _set_archived(negotiation, by=by, archived=False)
            after_commit(
                negotiation_ids=[negotiation.pk], milestone_ids=_milestones_of(negotiation)
            )
    return negotiation


def _milestones_of(negotiation: Negotiation) -> list[int]:
    return list(
        Milestone.all_objects.filter(track__negotiation=negotiation).values_list("pk", flat=True)
    )
