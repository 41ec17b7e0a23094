"""One assessor per level: milestones, targets, tracks, negotiations.

Each applies the pure rules of tracker.status to the rows one refresh has read, copies
the answers onto the rows' derived fields (Model.DERIVED_FIELDS, the one list of what a
refresh writes) and returns the rows that changed; `settle` is the one place a change of
status or health becomes a StatusChange.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from tracker import status as rules
from tracker.models import KeepsDerivedFields, Milestone, Negotiation, StatusChange, Target, Track
from tracker.refresh.rows import MILESTONE_DERIVED, MilestoneRow

OPEN_STATES = frozenset({rules.MilestoneState.PLANNED, rules.MilestoneState.IN_PROGRESS})
CLOSED_TARGETS = frozenset({rules.TargetStatus.ACHIEVED, rules.TargetStatus.MISSED})
# A track or negotiation with nothing in it, or all of it achieved, has nothing to go stale.
CLOSED_HEALTHS = frozenset({rules.Health.ACHIEVED, rules.Health.NOT_STARTED})

Dated = rules.SourceDate | None


@dataclass
class Sources:
    """When each source behind a row was published, by the row it stands behind."""

    # {"milestone" | "target" | "track" | "negotiation": {row id: [its citations' dates]}}
    cited: dict[str, dict[int, list[Dated]]] = field(
        default_factory=lambda: {
            kind: defaultdict(list) for kind in ("milestone", "target", "track", "negotiation")
        }
    )
    latest_revision: dict[int, Dated] = field(default_factory=dict)
    latest_observation: dict[int, Dated] = field(default_factory=dict)


@dataclass
class Record:
    """The rows of the negotiations being refreshed, read in a handful of queries."""

    negotiations: list[Negotiation]
    tracks: list[Track]
    milestones: list[MilestoneRow]
    # Dependencies may point at milestones of other negotiations; `known` has those too.
    depends_on: dict[int, list[int]]
    known: dict[int, MilestoneRow]
    targets: list[Target]
    observations: dict[int, list[tuple[dt.date, Decimal]]]
    sources: Sources = field(default_factory=Sources)


@dataclass
class Transitions:
    today: dt.date
    changes: list[StatusChange] = field(default_factory=list)
    stale_after_days: int = 90
    # Rows that an assessment had found fresh and this one finds stale (record.stale).
    went_stale: list[tuple[str, KeepsDerivedFields]] = field(default_factory=list)


def freshness(
    dates: Iterable[Dated], *, is_open: bool, log: Transitions
) -> tuple[Dated, dict[str, Any]]:
    """The newest source date among `dates` and the freshness fields it gives a row."""
    newest = rules.newest_source_date(dates)
    stale = rules.is_stale(
        is_open=is_open,
        last_confirmed=newest,
        today=log.today,
        stale_after_days=log.stale_after_days,
    )
    return newest, {
        "last_confirmed_on": newest.on if newest else None,
        "last_confirmed_inferred": newest.inferred if newest else False,
        "stale": stale,
    }


def settle(
    row: KeepsDerivedFields,
    values: dict[str, Any],
    log: Transitions,
    *,
    subject: StatusChange.Subject,
    negotiation_id: int,
    **about: int | None,
) -> bool:
    """Copy `values` (every derived field) onto `row`; log a status change; say if any changed."""
    stored = {name: getattr(row, name) for name in row.DERIVED_FIELDS}
    assert values.keys() == stored.keys(), "a refresh writes every derived field"
    if all(stored[name] == value for name, value in values.items()):
        return False
    record_change(
        stored,
        values,
        log,
        subject=subject,
        row=lambda: row,
        negotiation_id=negotiation_id,
        **about,
    )
    for name, value in values.items():
        setattr(row, name, value)
    return True


def record_change(
    stored: dict[str, Any],
    values: dict[str, Any],
    log: Transitions,
    *,
    subject: StatusChange.Subject,
    row: Callable[[], KeepsDerivedFields],
    negotiation_id: int,
    **about: int | None,
) -> None:
    """Given a row's `stored` derived fields and the new, different `values`, log a change
    of status (a StatusChange) and a row going stale (`row` gives it)."""
    status_field = "health" if "health" in values else "status"
    previous, new = stored[status_field], values[status_field]
    # An empty reason means never assessed: a first answer is no transition.
    was_assessed = bool(stored[f"{status_field}_reason"])
    if previous != new and was_assessed:
        log.changes.append(
            StatusChange(
                subject=subject,
                negotiation_id=negotiation_id,
                previous=previous,
                new=new,
                reason=values[f"{status_field}_reason"],
                as_of=log.today,
                **about,
            )
        )
    if values.get("stale") and not stored.get("stale", True) and was_assessed:
        log.went_stale.append((str(subject), row()))


@dataclass
class MilestoneAnswers:
    # (id, every derived field) of each milestone whose stored fields change.
    changed: list[tuple[int, dict[str, Any]]]
    by_track: dict[int, list[rules.TrackMilestone]]
    confirmed_by_track: dict[int, list[Dated]] = field(default_factory=lambda: defaultdict(list))


def assess_milestones(record: Record, log: Transitions) -> MilestoneAnswers:
    """Judge each milestone read, but take a settled one (MilestoneRow.settled) as stored:
    the day cannot change it, and only its track needs it."""
    negotiation_of = {t.pk: t.negotiation_id for t in record.tracks}
    answers = MilestoneAnswers([], defaultdict(list))
    cited = record.sources.cited["milestone"]
    latest_revision = record.sources.latest_revision
    for m in record.milestones:
        state = rules.MilestoneState(m.state)
        if m.settled:
            answers.confirmed_by_track[m.track_id].append(
                rules.SourceDate(m.last_confirmed_on, m.last_confirmed_inferred)
                if m.last_confirmed_on is not None
                else None
            )
            answers.by_track[m.track_id].append(
                rules.TrackMilestone(
                    m.title,
                    state,
                    rules.MilestoneStatus(m.status),
                    float(m.weight),
                    m.deadline_latest,
                    m.status_reason,
                )
            )
            continue
        confirmed, fresh = freshness(
            [*cited.get(m.pk, ()), latest_revision.get(m.pk)],
            is_open=state in OPEN_STATES,
            log=log,
        )
        answers.confirmed_by_track[m.track_id].append(confirmed)
        facts = rules.MilestoneFacts(
            title=m.title,
            state=state,
            latest=m.deadline_latest,
            completed_on=m.completed_on,
            depends_on=tuple(
                rules.Dependency(
                    title=record.known[d].title,
                    state=rules.MilestoneState(record.known[d].state),
                    latest=record.known[d].deadline_latest,
                )
                for d in record.depends_on.get(m.pk, ())
            ),
            # Only the reason of an overdue stale milestone quotes the words, and describing
            # a window costs more than judging the row: describe it only then.
            deadline_words=m.deadline_words if fresh["stale"] else "",
            last_confirmed=confirmed,
            stale=fresh["stale"],
        )
        answer = rules.assess_milestone(facts, log.today)
        values = {
            "status": answer.status.value,
            "completed_late": answer.completed_late,
            "status_reason": answer.reason[:300],
            **fresh,
        }
        stored = m[-len(MILESTONE_DERIVED) :]
        # Most rows are unchanged on most days: a tuple comparison settles those.
        if tuple(values.values()) != stored:
            record_change(
                dict(zip(MILESTONE_DERIVED, stored, strict=True)),
                values,
                log,
                subject=StatusChange.Subject.MILESTONE,
                # What a webhook says of a row going stale: its new derived fields.
                row=lambda: Milestone(pk=m.pk, **values),  # noqa: B023 (called at once)
                negotiation_id=negotiation_of[m.track_id],
                track_id=m.track_id,
                milestone_id=m.pk,
            )
            answers.changed.append((m.pk, values))
        answers.by_track[m.track_id].append(
            rules.TrackMilestone(
                title=m.title,
                state=state,
                status=answer.status,
                weight=float(m.weight),
                latest=m.deadline_latest,
                reason=answer.reason,
            )
        )
    return answers


@dataclass
class TargetAnswers:
    changed: list[Target]
    by_track: dict[int, list[rules.TrackTarget]]
    # A target that belongs to no track still counts for its negotiation.
    trackless: dict[int, list[rules.TrackTarget]]
    confirmed_by_track: dict[int, list[Dated]] = field(default_factory=lambda: defaultdict(list))
    confirmed_trackless: dict[int, list[Dated]] = field(default_factory=lambda: defaultdict(list))


def assess_targets(record: Record, log: Transitions) -> TargetAnswers:
    answers = TargetAnswers([], defaultdict(list), defaultdict(list))
    for t in record.targets:
        answer = rules.assess_target(t.facts(record.observations.get(t.pk, ())), log.today)
        confirmed, fresh = freshness(
            [
                *record.sources.cited["target"].get(t.pk, ()),
                record.sources.latest_observation.get(t.pk),
            ],
            is_open=answer.status not in CLOSED_TARGETS,
            log=log,
        )
        if t.track_id is not None:
            answers.confirmed_by_track[t.track_id].append(confirmed)
        else:
            answers.confirmed_trackless[t.negotiation_id].append(confirmed)
        latest = answer.latest_observation
        values = {
            "status": answer.status.value,
            "status_reason": answer.reason[:300],
            "observed_on": latest.on if latest else None,
            "observed_value": latest.value if latest else None,
            "expected_value": answer.expected_value,
            "attainment": answer.attainment,
            "required_growth_rate": answer.required_growth_rate,
            "required_pace": answer.required_pace,
            **fresh,
        }
        if settle(
            t,
            values,
            log,
            subject=StatusChange.Subject.TARGET,
            negotiation_id=t.negotiation_id,
            track_id=t.track_id,
            target_id=t.pk,
        ):
            answers.changed.append(t)
        summary = rules.TrackTarget(
            name=t.name,
            status=answer.status,
            reason=answer.reason[:300],
            baseline_value=float(t.baseline_value),
            baseline_date=t.baseline_date,
        )
        if t.track_id is not None:
            answers.by_track[t.track_id].append(summary)
        else:
            answers.trackless[t.negotiation_id].append(summary)
    return answers


def _health_values(
    answer: rules.TrackAssessment | rules.NegotiationAssessment,
    dates: Iterable[Dated],
    log: Transitions,
) -> tuple[Dated, dict[str, Any]]:
    confirmed, fresh = freshness(dates, is_open=answer.health not in CLOSED_HEALTHS, log=log)
    return confirmed, {
        "health": answer.health.value,
        "health_reason": answer.reason[:300],
        "progress": round(answer.progress, 6) if answer.progress is not None else None,
        "next_deadline": answer.next_deadline,
        **fresh,
    }


@dataclass
class TrackAnswers:
    changed: list[Track]
    by_negotiation: dict[int, list[rules.TrackHealth]]
    confirmed_by_negotiation: dict[int, list[Dated]] = field(
        default_factory=lambda: defaultdict(list)
    )


def assess_tracks(
    record: Record, milestones: MilestoneAnswers, targets: TargetAnswers, log: Transitions
) -> TrackAnswers:
    answers = TrackAnswers([], defaultdict(list))
    for tr in record.tracks:
        answer = rules.assess_track(
            tr.name,
            milestones.by_track.get(tr.pk, ()),
            targets.by_track.get(tr.pk, ()),
            ongoing=tr.ongoing,
        )
        confirmed, values = _health_values(
            answer,
            [
                *record.sources.cited["track"].get(tr.pk, ()),
                *milestones.confirmed_by_track.get(tr.pk, ()),
                *targets.confirmed_by_track.get(tr.pk, ()),
            ],
            log,
        )
        answers.confirmed_by_negotiation[tr.negotiation_id].append(confirmed)
        if settle(
            tr,
            values,
            log,
            subject=StatusChange.Subject.TRACK,
            negotiation_id=tr.negotiation_id,
            track_id=tr.pk,
        ):
            answers.changed.append(tr)
        answers.by_negotiation[tr.negotiation_id].append(
            rules.TrackHealth(
                name=tr.name,
                health=answer.health,
                reason=answer.reason,
                next_deadline=answer.next_deadline,
                progress=answer.progress,
                completed_weight=answer.completed_weight,
                live_weight=answer.live_weight,
            )
        )
    return answers


def assess_negotiations(
    record: Record, tracks: TrackAnswers, targets: TargetAnswers, log: Transitions
) -> list[Negotiation]:
    changed = []
    for n in record.negotiations:
        parts: Sequence[rules.TrackHealth] = [
            *tracks.by_negotiation.get(n.pk, ()),
            *(
                rules.TrackHealth(
                    name=target.name,
                    health=rules.assess_track(target.name, (), (target,)).health,
                    reason=target.reason,
                )
                for target in targets.trackless.get(n.pk, ())
            ),
        ]
        answer = rules.assess_negotiation(parts)
        _, values = _health_values(
            answer,
            [
                *record.sources.cited["negotiation"].get(n.pk, ()),
                *tracks.confirmed_by_negotiation.get(n.pk, ()),
                *targets.confirmed_trackless.get(n.pk, ()),
            ],
            log,
        )
        if settle(
            n,
            values,
            log,
            subject=StatusChange.Subject.NEGOTIATION,
            negotiation_id=n.pk,
        ):
            changed.append(n)
    return changed
