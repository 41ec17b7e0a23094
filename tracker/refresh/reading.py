"""What one refresh reads: the rows of some negotiations, in a handful of set-based queries.

Milestones, by far the most numerous rows, are read as compact tuples (MilestoneRow) of the
columns the rules and the comparison need, never as model instances.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections import defaultdict
from collections.abc import Sequence
from decimal import Decimal

from django.db.models import BooleanField, CharField, ExpressionWrapper, F, Q, Value

from tracker.models import (
    DeadlineRevision,
    Milestone,
    Negotiation,
    Observation,
    Target,
    Track,
    source_date,
)
from tracker.refresh.assessors import Record, Sources
from tracker.refresh.rows import MILESTONE_COLUMNS, MilestoneRow

# Many rows cite the same few sources: one SourceDate per distinct pair of dates.
_source_date = functools.lru_cache(maxsize=4096)(source_date)


def milestone_rows(filter_: Q, settled: Q | None = None) -> list[MilestoneRow]:
    """The milestones in `filter_`, each marked settled when it matches `settled`."""
    marked = ExpressionWrapper(settled, output_field=BooleanField()) if settled else Value(False)
    rows = (
        Milestone.objects.filter(filter_).annotate(settled=marked).values_list(*MILESTONE_COLUMNS)
    )
    return list(map(MilestoneRow._make, rows))


def read(negotiations: Sequence[Negotiation], *, settled: Q | None = None) -> Record:
    ids = [n.pk for n in negotiations]
    milestones = milestone_rows(Q(track__negotiation_id__in=ids), settled)
    depends_on: dict[int, list[int]] = defaultdict(list)
    for source_id, target_id in Milestone.depends_on.through.objects.filter(
        from_milestone__track__negotiation_id__in=ids
    ).values_list("from_milestone_id", "to_milestone_id"):
        depends_on[source_id].append(target_id)
    known = {m.pk: m for m in milestones}
    foreign = {d for ds in depends_on.values() for d in ds} - known.keys()
    if foreign:
        known.update((m.pk, m) for m in milestone_rows(Q(id__in=foreign)))
    # A dependency in an archived track or negotiation is no longer tracked: as if deleted.
    for targets_of in depends_on.values():
        targets_of[:] = [d for d in targets_of if d in known]
    sources = Sources()
    targets, observations = read_targets(Q(negotiation_id__in=ids), sources)
    for milestone_id, published_on, published_by in (
        DeadlineRevision.objects.filter(milestone__track__negotiation_id__in=ids)
        .order_by("changed_at", "id")
        .values_list("milestone_id", "source__published_on", "source__published_by")
    ):
        sources.latest_revision[milestone_id] = _source_date(published_on, published_by)
    # Every citation of every other level in one query: a UNION ALL of three link tables.
    citations = [
        model.sources.through.objects.filter(**{scope: ids})
        .annotate(kind=Value(owner, output_field=CharField()))
        .values_list("kind", f"{owner}_id", "source__published_on", "source__published_by")
        for model, owner, scope in (
            (Milestone, "milestone", "milestone__track__negotiation_id__in"),
            (Track, "track", "track__negotiation_id__in"),
            (Negotiation, "negotiation", "negotiation_id__in"),
        )
    ]
    for kind, owner_id, published_on, published_by in citations[0].union(*citations[1:], all=True):
        sources.cited[kind][owner_id].append(_source_date(published_on, published_by))
    return Record(
        negotiations=list(negotiations),
        # The negotiations are live; archived tracks are left out here, in one plain query.
        tracks=[
            track
            for track in Track.all_objects.filter(negotiation_id__in=ids).order_by("position", "id")
            if track.archived_at is None
        ],
        milestones=milestones,
        depends_on=depends_on,
        known=known,
        targets=targets,
        observations=observations,
        sources=sources,
    )


def read_targets(
    scope: Q, sources: Sources
) -> tuple[list[Target], dict[int, list[tuple[dt.date, Decimal]]]]:
    """The targets in `scope` with their primary series' observations; the sources behind
    them go into `sources` (docs/design.md "Freshness")."""
    targets = list(Target.objects.filter(scope))
    observations: dict[int, list[tuple[dt.date, Decimal]]] = defaultdict(list)
    # Only the primary series judges a target: other series are drawn, not assessed.
    for target_id, on, value, published_on, published_by in (
        Observation.objects.filter(target__in=targets, series=F("target__primary_series"))
        .order_by("period_end", "id")
        .values_list(
            "target_id", "period_end", "value", "source__published_on", "source__published_by"
        )
    ):
        observations[target_id].append((on, value))
        sources.latest_observation[target_id] = _source_date(published_on, published_by)
    for target_id, published_on, published_by in Target.sources.through.objects.filter(
        target__in=targets
    ).values_list("target_id", "source__published_on", "source__published_by"):
        sources.cited["target"][target_id].append(_source_date(published_on, published_by))
    return targets, observations


def targets_only(scope: Q) -> Record:
    """A record of the targets in `scope` and nothing else, to judge them on their own."""
    sources = Sources()
    targets, observations = read_targets(scope, sources)
    return Record(
        negotiations=[],
        tracks=[],
        milestones=[],
        depends_on={},
        known={},
        targets=targets,
        observations=observations,
        sources=sources,
    )
