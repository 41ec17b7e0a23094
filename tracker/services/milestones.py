"""Milestones: create, edit, complete, cancel, reopen, move the deadline, set dependencies.

Every rule about a milestone's state lives here, once: the admin, the API, the
dashboard and the record loader hand their input to these functions and translate the
ValidationError they raise (messages keyed by field) into their own kind of error.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from tracker.deadlines import Deadline, Precision
from tracker.models import Milestone, Source, Track
from tracker.services.followups import after_commit
from tracker.services.revisions import cite_announcement, record_deadline_change, replace_history
from tracker.services.slugs import derive_slug
from tracker.services.writing import check, columns, locked, single_line, store, writing
from tracker.status import MilestoneState
from tracker.webhooks import events

COMPLETED_IN_FUTURE = "A milestone cannot be completed in the future."
COMPLETED_WHILE_CANCELLED = "A cancelled milestone cannot be completed; reopen it first."
COMPLETED_ON_WITHOUT_COMPLETION = (
    "Only a completed milestone has a completion date; set the state to completed."
)
WEIGHT_NEGATIVE = "The weight cannot be negative; 0 means it does not advance the deal."


@dataclass(frozen=True)
class Stored:
    """What the database holds for a milestone before a write: the rules compare with it."""

    state: str
    completed_on: dt.date | None
    deadline: Deadline | None
    # None when it is the negotiation the milestone is in now (it was not moved).
    negotiation_id: int | None


def stored(milestone: Milestone, *, lock: bool = False) -> Stored | None:
    if milestone.pk is None:
        return None
    rows = Milestone.objects.filter(pk=milestone.pk)
    if lock:
        rows = rows.select_for_update(of=("self",))
    row = rows.values(
        "state",
        "completed_on",
        "deadline_text",
        "deadline_earliest",
        "deadline_latest",
        "deadline_precision",
        "deadline_said_on",
        "track__negotiation_id",
    ).first()
    if row is None:
        return None
    return Stored(row["state"], row["completed_on"], _deadline(row), row["track__negotiation_id"])


def _as_read(read: Mapping[str, Any], milestone: Milestone) -> Stored:
    """What the row held as read under its lock (services.writing.columns), with the
    negotiation it was in when a change moves it to another track."""
    negotiation_id = None
    if read["track_id"] != milestone.track_id:
        negotiation_id = (
            Track.all_objects.filter(pk=read["track_id"])
            .values_list("negotiation_id", flat=True)
            .first()
        )
    return Stored(read["state"], read["completed_on"], _deadline(read), negotiation_id)


def _deadline(row: Mapping[str, Any]) -> Deadline | None:
    if row["deadline_earliest"] is None or row["deadline_latest"] is None:
        return None
    return Deadline(
        text=row["deadline_text"],
        earliest=row["deadline_earliest"],
        latest=row["deadline_latest"],
        precision=Precision(row["deadline_precision"]),
        said_on=row["deadline_said_on"],
    )


def settled_completion(
    *,
    state: str,
    completed_on: dt.date | None,
    before: Stored | None,
    today: dt.date | None = None,
) -> dt.date | None:
    """The completion date a milestone in `state` keeps, or a ValidationError saying why not.

    Completing defaults to today and never lies in the future; a cancelled milestone is
    reopened before it is completed; any other state has no completion date, and the
    date left over from when it was completed is dropped.
    """
    today = today or timezone.localdate()
    if state == MilestoneState.COMPLETED:
        if before is not None and before.state == MilestoneState.CANCELLED:
            raise ValidationError({"state": COMPLETED_WHILE_CANCELLED})
        completed_on = completed_on or today
        if completed_on > today:
            raise ValidationError({"completed_on": COMPLETED_IN_FUTURE})
        return completed_on
    if completed_on is None or (before is not None and before.completed_on == completed_on):
        return None
    raise ValidationError({"completed_on": COMPLETED_ON_WITHOUT_COMPLETION})


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


def milestone_save(
    *,
    milestone: Milestone,
    by: Any = None,
    reason: str = "",
    source: Source | None = None,
    depends_on: Sequence[Milestone] | None = None,
    sources: Sequence[Source] | None = None,
    read: Mapping[str, Any] | None = None,
) -> Milestone:
    """Create `milestone` or store the edits made to it, holding every rule.

    A changed deadline is kept as a revision with `reason` and `source`; state changes
    follow settled_completion; `depends_on` and `sources`, when given, replace the
    current ones. `read`: the columns as read under the row lock (services.records.
    record_update, which edits with only the changes given); only those that differ
    from it are written.
    """
    with writing(by):
        return _write(
            milestone,
            by=by,
            reason=reason,
            source=source,
            depends_on=depends_on,
            sources=sources,
            full_check=True,
            read=read,
        )


def _write(
    milestone: Milestone,
    *,
    by: Any,
    reason: str = "",
    source: Source | None = None,
    depends_on: Sequence[Milestone] | None = None,
    sources: Sequence[Source] | None = None,
    full_check: bool = False,
    read: Mapping[str, Any] | None = None,
) -> Milestone:
    single_line(reason, field="reason")
    # Read under the row lock: by the caller (record_update and the others here), or now.
    before = stored(milestone, lock=True) if read is None else _as_read(read, milestone)
    milestone.completed_on = settled_completion(
        state=milestone.state, completed_on=milestone.completed_on, before=before
    )
    if milestone.completed_on is None:
        milestone.completed_precision = ""
    if depends_on is not None:
        validate_dependencies(milestone, depends_on)
    if full_check:
        derive_slug(milestone)
        if milestone.weight is not None and milestone.weight < 0:
            raise ValidationError({"weight": WEIGHT_NEGATIVE})
        check(milestone)
    store(milestone, read=read)
    if before is None or before.deadline != milestone.deadline:
        record_deadline_change(
            milestone=milestone,
            previous=before.deadline if before else None,
            current=milestone.deadline,
            is_new=before is None,
            reason=reason,
            source=source,
            by=by,
        )
    if depends_on is not None:
        milestone.depends_on.set(depends_on)
    if sources is not None:
        milestone.sources.set(sources)
    events.milestone_written(
        milestone,
        created=before is None,
        state_before=before.state if before else None,
        deadline_before=before.deadline if before else None,
        reason=reason,
    )
    _touch([milestone], also=[before.negotiation_id] if before and before.negotiation_id else [])
    return milestone


def _touch(milestones: Sequence[Milestone], *, also: Iterable[int] = ()) -> None:
    """Refresh the negotiations these milestones (and their dependents) belong to."""
    ids = [m.pk for m in milestones]
    negotiations = set(also)
    negotiations.update(
        Milestone.objects.filter(pk__in=ids).values_list("track__negotiation_id", flat=True)
    )
    # A dependent in another negotiation reads this milestone's state for its own status.
    negotiations.update(
        Milestone.objects.filter(depends_on__in=ids).values_list("track__negotiation_id", flat=True)
    )
    after_commit(negotiation_ids=negotiations, milestone_ids=ids)


@dataclass
class Outcome:
    """What a change of many milestones did: the ones changed, and why the others were not."""

    done: list[Milestone] = field(default_factory=list)
    refused: list[tuple[Milestone, ValidationError]] = field(default_factory=list)

    def one(self) -> Milestone:
        if self.refused:
            raise self.refused[0][1]
        return self.done[0]


def milestone_complete(
    *,
    milestone: Milestone,
    completed_on: dt.date | None = None,
    by: Any = None,
    version: int | None = None,
) -> Milestone:
    """`version`, when given, is the version the caller read: StaleVersion, and nothing
    written, when the row is at another one under its lock."""
    return _set_states(
        [milestone], MilestoneState.COMPLETED, completed_on=completed_on, by=by, version=version
    ).one()


def milestones_complete(
    *, milestones: Iterable[Milestone], completed_on: dt.date | None = None, by: Any = None
) -> Outcome:
    """Complete each milestone (default today); one status refresh for all of them."""
    return _set_states(milestones, MilestoneState.COMPLETED, completed_on=completed_on, by=by)


def milestone_cancel(
    *, milestone: Milestone, by: Any = None, version: int | None = None
) -> Milestone:
    """`version` as in milestone_complete."""
    return _set_states([milestone], MilestoneState.CANCELLED, by=by, version=version).one()


def milestones_cancel(*, milestones: Iterable[Milestone], by: Any = None) -> Outcome:
    return _set_states(milestones, MilestoneState.CANCELLED, by=by)


def milestone_reopen(*, milestone: Milestone, by: Any = None) -> Milestone:
    return _set_states([milestone], MilestoneState.PLANNED, by=by).one()


def _set_states(
    milestones: Iterable[Milestone],
    state: MilestoneState,
    *,
    completed_on: dt.date | None = None,
    by: Any,
    version: int | None = None,
) -> Outcome:
    outcome = Outcome()
    with writing(by):
        for milestone in milestones:
            try:
                # A savepoint each: a refused milestone leaves the others' changes standing.
                with transaction.atomic():
                    # The row as it stands, not the caller's copy: only the state is news.
                    fresh = locked(Milestone, milestone.pk, version=version)
                    read = columns(fresh)
                    fresh.state = state.value
                    fresh.completed_on = completed_on
                    # Completing here names a day (or today): known to the day.
                    fresh.completed_precision = ""
                    outcome.done.append(_write(fresh, by=by, read=read))
            except ValidationError as error:
                milestone.refresh_from_db()
                outcome.refused.append((milestone, error))
    return outcome


def milestone_set_deadline(
    *,
    milestone: Milestone,
    deadline: Deadline | None,
    reason: str = "",
    source: Source | None = None,
    by: Any = None,
) -> Milestone:
    """Move a milestone's deadline; the revision records why and who reported it."""
    with writing(by):
        read = None
        if milestone.pk is not None:
            # The row as it stands, not the caller's copy: only the deadline is news.
            milestone = locked(Milestone, milestone.pk)
            read = columns(milestone)
        milestone.deadline = deadline
        return _write(milestone, by=by, reason=reason, source=source, full_check=True, read=read)


def milestone_set_dependencies(
    *, milestone: Milestone, depends_on: Iterable[Milestone], by: Any = None
) -> Milestone:
    with writing(by):
        fresh = locked(Milestone, milestone.pk)
        return _write(fresh, by=by, depends_on=list(depends_on), read=columns(fresh))


def milestone_cite_announcement(*, milestone: Milestone, source: Source, by: Any = None) -> bool:
    """Name the source that first announced the deadline, on its first revision, when that
    revision names none yet (a record loaded before sources were kept there). Says if it did."""
    with writing(by):
        return cite_announcement(milestone=milestone, source=source)


def milestone_replace_history(
    *, milestone: Milestone, revisions: Sequence[Mapping[str, Any]], by: Any = None
) -> bool:
    """Make the deadline history of `milestone` the one a record file states (oldest first,
    keyed by tracker.services.revisions.HISTORY_FIELDS); says whether it changed anything."""
    with writing(by):
        changed = replace_history(milestone=milestone, entries=revisions)
        if changed:
            # Slips, and the sources that vouch for the deadline, are read from the history.
            _touch([milestone])
        return changed
