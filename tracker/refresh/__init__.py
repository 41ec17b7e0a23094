"""Recompute stored statuses from the pure rules in tracker.status.

This is the one code path that writes status, health, their reasons and a target's
figures. It finds the negotiations to look at (all asked for, or those the day can have
changed: tracker.refresh.candidates), reads them in a handful of set-based queries
(tracker.refresh.reading), assesses each level in memory (tracker.refresh.assessors), and
writes back only the rows whose stored values change (tracker.refresh.storing), with a
StatusChange for each change of status or health.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from tracker.models import (
    KeepsDerivedFields,
    Milestone,
    Negotiation,
    StatusChange,
    Target,
    Track,
)
from tracker.refresh.assessors import (
    Transitions,
    assess_milestones,
    assess_negotiations,
    assess_targets,
    assess_tracks,
)
from tracker.refresh.candidates import negotiations_to_refresh, taken_as_stored
from tracker.refresh.reading import read
from tracker.refresh.storing import write_derived
from tracker.services.versions import data_version_bump
from tracker.webhooks import events


@dataclass
class RefreshResult:
    milestones: int = 0
    targets: int = 0
    tracks: int = 0
    negotiations: int = 0
    changes: list[StatusChange] = field(default_factory=list)

    @property
    def rows_written(self) -> int:
        return self.milestones + self.targets + self.tracks + self.negotiations


def refresh_statuses(
    *,
    today: dt.date | None = None,
    negotiation_ids: Iterable[int] | None = None,
    everything: bool = False,
) -> RefreshResult:
    """Bring stored statuses up to date as of `today` (default: the local date).

    With `negotiation_ids` (after a write), every row of those negotiations is judged.
    Without, this is the periodic pass: only the negotiations whose stored statuses the
    day can have changed (tracker.refresh.candidates), and in them only the milestones the
    day can have changed are judged; the rest are taken as stored, for their tracks.
    `everything` judges every row of every negotiation (after an upgrade that changes how
    reasons read, or data loaded around the services).
    """
    today = today or timezone.localdate()
    stale_after_days = settings.TRACKER_STALE_AFTER_DAYS
    log = Transitions(today, stale_after_days=stale_after_days)
    negotiations = Negotiation.objects.all()
    periodic = negotiation_ids is None and not everything
    if negotiation_ids is not None:
        negotiations = negotiations.filter(id__in=list(negotiation_ids))
    elif periodic:
        ids = negotiations_to_refresh(today, stale_after_days=stale_after_days)
        if not ids:
            return RefreshResult()
        negotiations = negotiations.filter(id__in=sorted(ids))
    with transaction.atomic():
        negotiation_rows = list(negotiations.select_for_update().order_by("id"))
        if not negotiation_rows:
            return RefreshResult()
        settled = taken_as_stored(today, stale_after_days) if periodic else None
        record = read(negotiation_rows, settled=settled)
        milestones = assess_milestones(record, log)
        targets = assess_targets(record, log)
        tracks = assess_tracks(record, milestones, targets, log)
        changed_negotiations = assess_negotiations(record, tracks, targets, log)
        write_derived(Milestone, milestones.changed)
        write_derived(Target, _derived(targets.changed))
        write_derived(Track, _derived(tracks.changed))
        write_derived(Negotiation, _derived(changed_negotiations))
        StatusChange.objects.bulk_create(log.changes, batch_size=500)
        events.refreshed(log.changes, log.went_stale)
        if milestones.changed or targets.changed or tracks.changed or changed_negotiations:
            data_version_bump()
    return RefreshResult(
        milestones=len(milestones.changed),
        targets=len(targets.changed),
        tracks=len(tracks.changed),
        negotiations=len(changed_negotiations),
        changes=log.changes,
    )


def _derived(rows: Sequence[KeepsDerivedFields]) -> list[tuple[int, dict[str, Any]]]:
    return [(row.pk, {name: getattr(row, name) for name in row.DERIVED_FIELDS}) for row in rows]
