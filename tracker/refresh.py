"""Recompute stored statuses from the pure rules in tracker.status.

This is the one code path that writes status, health and their reasons. It reads
whole negotiations in a handful of set-based queries, computes in memory, and
writes back only the rows whose stored values change (with a StatusChange each).
"""

from __future__ import annotations

import datetime as dt
import sqlite3
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db import connections, models, transaction
from django.utils import timezone

from tracker import status as rules
from tracker.models import Milestone, Negotiation, Observation, StatusChange, Target, Track


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


def _float(value: object) -> float:
    return float(value)  # type: ignore[arg-type]


def refresh_statuses(
    *, today: dt.date | None = None, negotiation_ids: Iterable[int] | None = None
) -> RefreshResult:
    """Bring every stored status up to date as of `today` (default: the local date)."""
    today = today or timezone.localdate()
    negotiations = Negotiation.objects.all()
    if negotiation_ids is not None:
        negotiations = negotiations.filter(id__in=list(negotiation_ids))
    result = RefreshResult()
    with transaction.atomic():
        negotiation_rows = list(negotiations.select_for_update().order_by("id"))
        if not negotiation_rows:
            return result
        ids = [n.id for n in negotiation_rows]
        tracks = list(Track.objects.filter(negotiation_id__in=ids).order_by("position", "id"))
        milestones = list(
            Milestone.objects.filter(track__negotiation_id__in=ids).only(
                "id",
                "track_id",
                "title",
                "state",
                "deadline_latest",
                "completed_on",
                "weight",
                "status",
                "completed_late",
                "status_reason",
            )
        )
        dependencies = Milestone.depends_on.through.objects.filter(
            from_milestone__track__negotiation_id__in=ids
        ).values_list("from_milestone_id", "to_milestone_id")
        targets = list(Target.objects.filter(negotiation_id__in=ids))
        observations = Observation.objects.filter(target__in=targets).values_list(
            "target_id", "date", "value"
        )
        track_negotiation = {t.id: t.negotiation_id for t in tracks}

        # Dependencies may point at milestones of other negotiations.
        depends: dict[int, list[int]] = defaultdict(list)
        for source_id, target_id in dependencies:
            depends[source_id].append(target_id)
        known = {m.id: m for m in milestones}
        foreign = {d for ds in depends.values() for d in ds} - known.keys()
        if foreign:
            known.update(Milestone.objects.in_bulk(foreign))

        changed_milestones: list[Milestone] = []
        track_milestones: dict[int, list[rules.TrackMilestone]] = defaultdict(list)
        for m in milestones:
            facts = rules.MilestoneFacts(
                title=m.title,
                state=rules.MilestoneState(m.state),
                latest=m.deadline_latest,
                completed_on=m.completed_on,
                depends_on=tuple(
                    rules.Dependency(
                        title=known[d].title,
                        state=rules.MilestoneState(known[d].state),
                        latest=known[d].deadline_latest,
                    )
                    for d in depends.get(m.id, ())
                ),
            )
            answer = rules.assess_milestone(facts, today)
            new = (answer.status.value, answer.completed_late, answer.reason[:300])
            if (m.status, m.completed_late, m.status_reason) != new:
                # An empty reason means never assessed: a first answer is no transition.
                if m.status != answer.status.value and m.status_reason:
                    result.changes.append(
                        StatusChange(
                            subject=StatusChange.Subject.MILESTONE,
                            negotiation_id=track_negotiation[m.track_id],
                            track_id=m.track_id,
                            milestone_id=m.id,
                            previous=m.status,
                            new=answer.status.value,
                            reason=new[2],
                            as_of=today,
                        )
                    )
                m.status, m.completed_late, m.status_reason = new
                changed_milestones.append(m)
            track_milestones[m.track_id].append(
                rules.TrackMilestone(
                    title=m.title,
                    state=rules.MilestoneState(m.state),
                    status=answer.status,
                    weight=_float(m.weight),
                    latest=m.deadline_latest,
                    reason=answer.reason,
                )
            )

        values: dict[int, list[tuple[dt.date, Decimal]]] = defaultdict(list)
        for target_id, on, value in observations.order_by("date", "id"):
            values[target_id].append((on, value))
        changed_targets: list[Target] = []
        track_targets: dict[int, list[rules.TrackTarget]] = defaultdict(list)
        negotiation_targets: dict[int, list[rules.TrackTarget]] = defaultdict(list)
        for t in targets:
            target_answer = rules.assess_target(
                t.facts(values.get(t.id, ())),
                today,
            )
            reason = target_answer.reason[:300]
            if (t.status, t.status_reason) != (target_answer.status.value, reason):
                if t.status != target_answer.status.value and t.status_reason:
                    result.changes.append(
                        StatusChange(
                            subject=StatusChange.Subject.TARGET,
                            negotiation_id=t.negotiation_id,
                            track_id=t.track_id,
                            target_id=t.id,
                            previous=t.status,
                            new=target_answer.status.value,
                            reason=reason,
                            as_of=today,
                        )
                    )
                t.status, t.status_reason = target_answer.status.value, reason
                changed_targets.append(t)
            summary = rules.TrackTarget(name=t.name, status=target_answer.status, reason=reason)
            if t.track_id is not None:
                track_targets[t.track_id].append(summary)
            else:
                negotiation_targets[t.negotiation_id].append(summary)

        changed_tracks: list[Track] = []
        negotiation_tracks: dict[int, list[rules.TrackHealth]] = defaultdict(list)
        for tr in tracks:
            track_answer = rules.assess_track(
                tr.name, track_milestones.get(tr.id, ()), track_targets.get(tr.id, ())
            )
            if _record_health(tr, track_answer, today, result, track_id=tr.id):
                changed_tracks.append(tr)
            negotiation_tracks[tr.negotiation_id].append(
                rules.TrackHealth(
                    name=tr.name,
                    health=track_answer.health,
                    reason=track_answer.reason,
                    next_deadline=track_answer.next_deadline,
                    progress=track_answer.progress,
                    completed_weight=track_answer.completed_weight,
                    live_weight=track_answer.live_weight,
                )
            )

        changed_negotiations: list[Negotiation] = []
        for n in negotiation_rows:
            parts = list(negotiation_tracks.get(n.id, ()))
            # A target that belongs to no track still counts for its negotiation.
            for target in negotiation_targets.get(n.id, ()):
                parts.append(
                    rules.TrackHealth(
                        name=target.name,
                        health=rules.assess_track(target.name, (), (target,)).health,
                        reason=target.reason,
                    )
                )
            answer_n = rules.assess_negotiation(parts)
            if _record_health(n, answer_n, today, result):
                changed_negotiations.append(n)

        health_fields = ["health", "health_reason", "progress", "next_deadline"]
        _write(changed_milestones, ["status", "completed_late", "status_reason"])
        _write(changed_targets, ["status", "status_reason"])
        _write(changed_tracks, health_fields)
        _write(changed_negotiations, health_fields)
        StatusChange.objects.bulk_create(result.changes, batch_size=500)
    result.milestones = len(changed_milestones)
    result.targets = len(changed_targets)
    result.tracks = len(changed_tracks)
    result.negotiations = len(changed_negotiations)
    return result


def _write(rows: Sequence[models.Model], fields: list[str]) -> None:
    """Write `fields` of `rows` in a few statements: UPDATE … FROM a VALUES list.

    Django's bulk_update builds a CASE per row and field, which takes seconds for a few
    thousand rows; joining a VALUES list is one cheap statement per 500 rows. Both
    PostgreSQL and SQLite (3.33+) accept this form; other databases get bulk_update.
    """
    if not rows:
        return
    model = type(rows[0])
    connection = connections[model._default_manager.db]
    if connection.vendor not in {"postgresql", "sqlite"} or (
        connection.vendor == "sqlite" and sqlite3.sqlite_version_info < (3, 33)
    ):
        model._default_manager.bulk_update(rows, fields, batch_size=200)
        return
    meta = model._meta
    columns: list[Any] = [meta.pk, *(meta.get_field(name) for name in fields)]
    quote = connection.ops.quote_name
    # PostgreSQL types VALUES columns from their literals, so say what each one is.
    casts = [
        f"::{f.db_type(connection)}" if connection.vendor == "postgresql" else "" for f in columns
    ]
    placeholder = "(" + ", ".join(f"%s{cast}" for cast in casts) + ")"
    names = [f"c{i}" for i in range(len(columns))]
    assignments = ", ".join(
        f"{quote(field.column)} = v.{name}"
        for field, name in zip(columns[1:], names[1:], strict=True)
    )
    table, pk = quote(meta.db_table), quote(columns[0].column)
    with connection.cursor() as cursor:
        for start in range(0, len(rows), 500):
            batch = rows[start : start + 500]
            params: list[Any] = []
            for row in batch:
                for field in columns:
                    value = getattr(row, field.attname)
                    params.append(field.get_db_prep_value(value, connection, prepared=False))
            cursor.execute(
                f"WITH v({', '.join(names)}) AS (VALUES {', '.join([placeholder] * len(batch))}) "
                f"UPDATE {table} SET {assignments} FROM v WHERE {table}.{pk} = v.c0",
                params,
            )


def _record_health(
    row: Track | Negotiation,
    answer: rules.TrackAssessment | rules.NegotiationAssessment,
    today: dt.date,
    result: RefreshResult,
    *,
    track_id: int | None = None,
) -> bool:
    """Copy a health answer onto `row`; say whether anything changed."""
    progress = round(answer.progress, 6) if answer.progress is not None else None
    reason = answer.reason[:300]
    new = (answer.health.value, reason, progress, answer.next_deadline)
    if (row.health, row.health_reason, row.progress, row.next_deadline) == new:
        return False
    if row.health != answer.health.value and row.health_reason:
        result.changes.append(
            StatusChange(
                subject=StatusChange.Subject.TRACK
                if track_id
                else StatusChange.Subject.NEGOTIATION,
                negotiation_id=row.negotiation_id if isinstance(row, Track) else row.id,
                track_id=track_id,
                previous=row.health,
                new=answer.health.value,
                reason=reason,
                as_of=today,
            )
        )
    row.health, row.health_reason, row.progress, row.next_deadline = new
    return True
