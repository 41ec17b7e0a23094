"""Recompute stored statuses from the pure rules in tracker.status.

This is the one code path that writes status, health, their reasons and a target's
figures. It reads whole negotiations in a handful of set-based queries, assesses each
level in memory (tracker.refresh.assessors), and writes back only the rows whose stored
values change, with a StatusChange for each change of status or health.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal

from django.conf import settings
from django.db import transaction
from django.db.models import CharField, F, Value
from django.utils import timezone

from tracker import versions
from tracker.models import (
    DeadlineRevision,
    Milestone,
    Negotiation,
    Observation,
    StatusChange,
    Target,
    Track,
    source_date,
)
from tracker.refresh.assessors import (
    Record,
    Sources,
    Transitions,
    assess_milestones,
    assess_negotiations,
    assess_targets,
    assess_tracks,
)
from tracker.refresh.storing import write_derived
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
    *, today: dt.date | None = None, negotiation_ids: Iterable[int] | None = None
) -> RefreshResult:
    """Bring every stored status up to date as of `today` (default: the local date)."""
    log = Transitions(
        today or timezone.localdate(), stale_after_days=settings.TRACKER_STALE_AFTER_DAYS
    )
    negotiations = Negotiation.objects.all()
    if negotiation_ids is not None:
        negotiations = negotiations.filter(id__in=list(negotiation_ids))
    with transaction.atomic():
        negotiation_rows = list(negotiations.select_for_update().order_by("id"))
        if not negotiation_rows:
            return RefreshResult()
        record = _read(negotiation_rows)
        milestones = assess_milestones(record, log)
        targets = assess_targets(record, log)
        tracks = assess_tracks(record, milestones, targets, log)
        changed_negotiations = assess_negotiations(record, tracks, targets, log)
        write_derived(milestones.changed)
        write_derived(targets.changed)
        write_derived(tracks.changed)
        write_derived(changed_negotiations)
        StatusChange.objects.bulk_create(log.changes, batch_size=500)
        events.refreshed(log.changes, log.went_stale)
        if milestones.changed or targets.changed or tracks.changed or changed_negotiations:
            versions.bump()
    return RefreshResult(
        milestones=len(milestones.changed),
        targets=len(targets.changed),
        tracks=len(tracks.changed),
        negotiations=len(changed_negotiations),
        changes=log.changes,
    )


def _read(negotiations: list[Negotiation]) -> Record:
    ids = [n.pk for n in negotiations]
    milestones = list(
        Milestone.objects.filter(track__negotiation_id__in=ids).only(
            "id",
            "track_id",
            "title",
            "state",
            "deadline_earliest",
            "deadline_latest",
            "deadline_precision",
            "completed_on",
            "weight",
            *Milestone.DERIVED_FIELDS,
        )
    )
    depends_on: dict[int, list[int]] = defaultdict(list)
    for source_id, target_id in Milestone.depends_on.through.objects.filter(
        from_milestone__track__negotiation_id__in=ids
    ).values_list("from_milestone_id", "to_milestone_id"):
        depends_on[source_id].append(target_id)
    known = {m.pk: m for m in milestones}
    foreign = {d for ds in depends_on.values() for d in ds} - known.keys()
    if foreign:
        known.update(Milestone.objects.in_bulk(foreign))
    targets = list(Target.objects.filter(negotiation_id__in=ids))
    observations: dict[int, list[tuple[dt.date, Decimal]]] = defaultdict(list)
    # The sources behind each row's current facts: its citations, its latest deadline
    # revision's source, its latest observation's source (docs/design.md "Freshness").
    # Only the primary series judges a target: other series are drawn, not assessed.
    sources = Sources()
    for target_id, on, value, published_on, published_by in (
        Observation.objects.filter(target__in=targets, series=F("target__primary_series"))
        .order_by("period_end", "id")
        .values_list(
            "target_id", "period_end", "value", "source__published_on", "source__published_by"
        )
    ):
        observations[target_id].append((on, value))
        sources.latest_observation[target_id] = source_date(published_on, published_by)
    for milestone_id, published_on, published_by in (
        DeadlineRevision.objects.filter(milestone__track__negotiation_id__in=ids)
        .order_by("changed_at", "id")
        .values_list("milestone_id", "source__published_on", "source__published_by")
    ):
        sources.latest_revision[milestone_id] = source_date(published_on, published_by)
    # Every citation of every level in one query: a UNION ALL of the four link tables.
    citations = [
        model.sources.through.objects.filter(**{scope: ids})
        .annotate(kind=Value(owner, output_field=CharField()))
        .values_list("kind", f"{owner}_id", "source__published_on", "source__published_by")
        for model, owner, scope in (
            (Milestone, "milestone", "milestone__track__negotiation_id__in"),
            (Target, "target", "target__negotiation_id__in"),
            (Track, "track", "track__negotiation_id__in"),
            (Negotiation, "negotiation", "negotiation_id__in"),
        )
    ]
    for kind, owner_id, published_on, published_by in citations[0].union(*citations[1:], all=True):
        sources.cited[kind][owner_id].append(source_date(published_on, published_by))
    return Record(
        negotiations=negotiations,
        tracks=list(Track.objects.filter(negotiation_id__in=ids).order_by("position", "id")),
        milestones=milestones,
        depends_on=depends_on,
        known=known,
        targets=targets,
        observations=observations,
        sources=sources,
    )
