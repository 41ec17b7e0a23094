"""Deciding proposals: accept one through the write services, reject one, supersede stale ones.

Accepting applies the change a proposal states with the services every other interface
uses (milestones, targets, observations, discrepancies), citing a quote made from the
proposal's span, and logs it as the interface `proposal` with the reviewer as actor. A
proposal whose milestone or target changed since it was made, or one of whose siblings
about the same item was accepted, is superseded instead: it would overwrite a later fact.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from tracker import audit
from tracker.audit import Interface
from tracker.deadlines import Deadline, DeadlineError
from tracker.models import (
    Article,
    Discrepancy,
    Milestone,
    Observation,
    Proposal,
    Series,
    Source,
    Target,
    Track,
)
from tracker.services.deadlines import read_deadline
from tracker.services.milestones import milestone_complete, milestone_save, milestone_set_deadline
from tracker.services.records import (
    discrepancy_save,
    observation_save,
    record_update,
    series_save,
    source_save,
)
from tracker.services.writing import locked as locked_row
from tracker.services.writing import single_line, writing
from tracker.status import MilestoneState

NOT_STATED = "Series not stated"
OPEN_STATES = (MilestoneState.PLANNED.value, MilestoneState.IN_PROGRESS.value)

NEEDS_TRACK = "Choose the track the new milestone belongs to."
NEEDS_TITLE = "Give the new milestone a title."
NEEDS_DEADLINE = "The article gives no date for this; give the deadline."
NEEDS_MILESTONE = "Choose the milestone this is about."
NOT_OPEN = "“{title}” is {state}: only a planned or in-progress milestone can move or complete."
NEEDS_FIGURE = "A figure needs a value and the period it covers."
NOTHING_TO_DIFFER = "No other source states this fact for “{title}”: accept it as a move instead."
TARGET_DIFFERS = "Figures that differ are recorded as figures of another series."


class ProposalDecided(Exception):
    """The proposal was accepted, rejected or superseded already (the API answers 409)."""

    def __init__(self, state: str) -> None:
        super().__init__(state)
        self.state = state

    def __str__(self) -> str:
        if self.state == Proposal.State.SUPERSEDED:
            return (
                "This proposal was superseded: its milestone or target changed after it was "
                "made, or another proposal about it was accepted."
            )
        return f"This proposal was {self.state} already."


# --- what an item said when a proposal was made ------------------------------------------


def _day(value: dt.date | None) -> str | None:
    return value.isoformat() if value is not None else None


def _deadline_facts(row: Mapping[str, Any]) -> list[Any]:
    return [
        row["deadline_text"],
        _day(row["deadline_earliest"]),
        _day(row["deadline_latest"]),
        row["deadline_precision"],
        _day(row["deadline_said_on"]),
    ]


DEADLINE_COLUMNS = (
    "deadline_text",
    "deadline_earliest",
    "deadline_latest",
    "deadline_precision",
    "deadline_said_on",
)


def item_facts_now(
    *, milestone_ids: Iterable[int], target_ids: Iterable[int]
) -> dict[tuple[str, int], dict[str, Any]]:
    """The facts a proposal may act on, per ("milestone" | "target", id), as JSON values."""
    facts: dict[tuple[str, int], dict[str, Any]] = {}
    for row in Milestone.objects.filter(pk__in=list(milestone_ids)).values(
        "pk", "state", "completed_on", *DEADLINE_COLUMNS
    ):
        facts["milestone", row["pk"]] = {
            "state": row["state"],
            "completed_on": _day(row["completed_on"]),
            "deadline": _deadline_facts(row),
        }
    for row in Target.objects.filter(pk__in=list(target_ids)).values(
        "pk", "target_value", *DEADLINE_COLUMNS
    ):
        facts["target", row["pk"]] = {
            "target_value": str(row["target_value"].normalize()),
            "deadline": _deadline_facts(row),
        }
    return facts


def _item_key(proposal: Proposal) -> tuple[str, int] | None:
    if proposal.milestone_id is not None:
        return ("milestone", proposal.milestone_id)
    if proposal.target_id is not None:
        return ("target", proposal.target_id)
    return None


def proposals_supersede_changed(*, proposals: Iterable[Proposal]) -> int:
    """Supersede the open proposals whose milestone or target changed since they were made;
    says how many. The proposals given are updated in place."""
    open_ones = [p for p in proposals if p.state == Proposal.State.OPEN and _item_key(p)]
    if not open_ones:
        return 0
    facts = item_facts_now(
        milestone_ids={p.milestone_id for p in open_ones if p.milestone_id},
        target_ids={p.target_id for p in open_ones if p.target_id},
    )
    changed = [p for p in open_ones if facts.get(_item_key(p)) != p.item_facts]  # type: ignore[arg-type]
    if not changed:
        return 0
    now = timezone.now()
    with writing(None):
        count = Proposal.objects.filter(
            pk__in=[p.pk for p in changed], state=Proposal.State.OPEN
        ).update(state=Proposal.State.SUPERSEDED, decided_at=now)
    for proposal in changed:
        proposal.state, proposal.decided_at = Proposal.State.SUPERSEDED, now
    return count


# --- deciding ----------------------------------------------------------------------------


def _open_and_locked(proposal: Proposal) -> Proposal:
    locked = Proposal.objects.select_for_update().select_related("article").get(pk=proposal.pk)
    if locked.state != Proposal.State.OPEN:
        raise ProposalDecided(locked.state)
    return locked


def proposal_reject(*, proposal: Proposal, by: Any = None, reason: str = "") -> Proposal:
    """Keep the proposal as rejected, with why."""
    single_line(reason, field="reason")
    with writing(by):
        locked = _open_and_locked(proposal)
        locked.state = Proposal.State.REJECTED
        locked.rejection_reason = reason[:300]
        locked.decided_by = by if getattr(by, "is_authenticated", False) else None
        locked.decided_at = timezone.now()
        locked.save(update_fields=["state", "rejection_reason", "decided_by", "decided_at"])
    return locked


def proposal_accept(
    *,
    proposal: Proposal,
    by: Any = None,
    edits: Mapping[str, Any] | None = None,
    version: int | None = None,
) -> Proposal:
    """Apply the proposal's change through the write services, citing its quote.

    `edits` may give `milestone` (a Milestone: the one it is about), `track` (a Track: where
    a new milestone goes), `title` (a new milestone's) and `deadline` (text read from the
    article's date, or a Deadline). `version` is the version of the proposal's milestone or
    target the editor saw: one written since raises services.writing.StaleVersion. A
    proposal decided already raises ProposalDecided; one made stale by a later edit is
    superseded first, and raises it too.
    """
    edits = dict(edits or {})
    if version is not None:
        # Said before superseding: the editor learns what changed, not only that it did.
        with writing(by):
            _check_item_version(proposal, version)
    proposals_supersede_changed(proposals=[proposal])
    with audit.through(Interface.PROPOSAL), writing(by):
        if version is not None:
            _check_item_version(proposal, version)
        locked = _open_and_locked(proposal)
        article = locked.article
        deadline = _edited_deadline(locked, edits)
        milestone: Milestone | None = edits.get("milestone") or locked.milestone
        kind = locked.kind
        if kind == Proposal.Kind.NEW_MILESTONE and edits.get("milestone") is not None:
            kind = Proposal.Kind.MOVES  # the editor found the milestone it speaks of
        elif kind == Proposal.Kind.CONFIRMS and "deadline" in edits and milestone is not None:
            kind = Proposal.Kind.MOVES
        quote = source_save(
            source=Source(article=article, start=locked.start, end=locked.end), by=by
        )
        if kind == Proposal.Kind.NEW_MILESTONE:
            milestone = _create_milestone(locked, edits, deadline, quote, by)
        elif locked.target is not None and milestone is None:
            _apply_to_target(kind, locked, locked.target, quote, by)
        else:
            if milestone is None:
                raise ValidationError({"milestone": NEEDS_MILESTONE})
            _apply_to_milestone(kind, locked, milestone, deadline, quote, by)
        if milestone is not None:
            locked.milestone = milestone
        locked.state = Proposal.State.ACCEPTED
        locked.decided_by = by if getattr(by, "is_authenticated", False) else None
        locked.decided_at = timezone.now()
        locked.save(update_fields=["milestone", "state", "decided_by", "decided_at"])
        _supersede_siblings(locked)
    return locked


def _check_item_version(proposal: Proposal, version: int) -> None:
    key = _item_key(proposal)
    if key is not None:
        locked_row(Milestone if key[0] == "milestone" else Target, key[1], version=version)


def _edited_deadline(proposal: Proposal, edits: Mapping[str, Any]) -> Deadline | None:
    given = edits.get("deadline")
    if given is None:
        return proposal.deadline
    if isinstance(given, Deadline):
        return given
    try:
        return read_deadline(
            str(given), negotiation=proposal.negotiation, reference=proposal.article.anchor
        )
    except DeadlineError as error:
        raise ValidationError({"deadline": str(error)}) from None


def _said_by(article: Article) -> str:
    who = article.publisher or article.title
    return f"{who} ({article.date_text})"[:300]


def _apply_to_milestone(
    kind: str,
    proposal: Proposal,
    milestone: Milestone,
    deadline: Deadline | None,
    quote: Source,
    by: Any,
) -> None:
    cited = [*milestone.sources.all(), quote]
    if (
        kind in (Proposal.Kind.MOVES, Proposal.Kind.COMPLETES)
        and milestone.state not in OPEN_STATES
    ):
        raise ValidationError(
            {"milestone": NOT_OPEN.format(title=milestone.title, state=milestone.state)}
        )
    if kind == Proposal.Kind.MOVES:
        if deadline is None:
            raise ValidationError({"deadline": NEEDS_DEADLINE})
        # The revision cites the quote, whose date is the article's: it renews freshness.
        milestone_set_deadline(
            milestone=milestone,
            deadline=deadline,
            reason=_said_by(proposal.article),
            source=quote,
            by=by,
        )
    elif kind == Proposal.Kind.CONFIRMS:
        record_update(model=Milestone, pk=milestone.pk, changes={}, sources=cited, by=by)
    elif kind == Proposal.Kind.COMPLETES:
        record_update(model=Milestone, pk=milestone.pk, changes={}, sources=cited, by=by)
        milestone_complete(
            milestone=milestone,
            completed_on=proposal.completed_on or proposal.article.anchor,
            by=by,
        )
    elif kind == Proposal.Kind.DIFFERS:
        other = _newest_other_source(milestone, quote)
        if other is None:
            raise ValidationError({"milestone": NOTHING_TO_DIFFER.format(title=milestone.title)})
        discrepancy_save(
            discrepancy=Discrepancy(milestone=milestone, summary=proposal.reason[:300]),
            sources=[other, quote],
            by=by,
        )
    else:
        raise ValidationError({"kind": f"A {kind} proposal is not about a milestone."})


def _newest_other_source(milestone: Milestone, quote: Source) -> Source | None:
    revision = milestone.revisions.exclude(source=None).order_by("-changed_at", "-id").first()
    if revision is not None and revision.source is not None:
        return revision.source
    return (
        milestone.sources.exclude(pk=quote.pk)
        .order_by("-published_on", "-published_by", "-id")
        .first()
    )


def _apply_to_target(kind: str, proposal: Proposal, target: Target, quote: Source, by: Any) -> None:
    if kind == Proposal.Kind.CONFIRMS:
        record_update(
            model=Target, pk=target.pk, changes={}, sources=[*target.sources.all(), quote], by=by
        )
    elif kind == Proposal.Kind.FIGURE:
        if proposal.value is None or proposal.period_start is None or proposal.period_end is None:
            raise ValidationError({"value": NEEDS_FIGURE})
        series = target.primary_series or Series.objects.filter(name=NOT_STATED).first()
        if series is None:
            series = series_save(series=Series(name=NOT_STATED), by=by)
        observation_save(
            observation=Observation(
                target=target,
                series=series,
                period_start=proposal.period_start,
                period_end=proposal.period_end,
                value=proposal.value,
                source=quote,
            ),
            by=by,
        )
    elif kind == Proposal.Kind.DIFFERS:
        raise ValidationError({"target": TARGET_DIFFERS})
    else:
        raise ValidationError({"kind": f"A {kind} proposal is about a milestone, not a target."})


def _create_milestone(
    proposal: Proposal,
    edits: Mapping[str, Any],
    deadline: Deadline | None,
    quote: Source,
    by: Any,
) -> Milestone:
    track: Track | None = edits.get("track")
    if track is None:
        raise ValidationError({"track": NEEDS_TRACK})
    title = str(edits.get("title") or proposal.title).strip()
    if not title:
        raise ValidationError({"title": NEEDS_TITLE})
    milestone = Milestone(track=track, title=title)
    milestone.deadline = deadline
    return milestone_save(
        milestone=milestone, reason=_said_by(proposal.article), source=quote, sources=[quote], by=by
    )


def _supersede_siblings(accepted: Proposal) -> None:
    """Other open proposals about the same item would act on what it said before."""
    siblings = Proposal.objects.filter(state=Proposal.State.OPEN).exclude(pk=accepted.pk)
    if accepted.milestone_id is not None:
        siblings = siblings.filter(milestone_id=accepted.milestone_id)
    elif accepted.target_id is not None:
        siblings = siblings.filter(target_id=accepted.target_id)
    else:
        return
    with transaction.atomic():
        siblings.update(state=Proposal.State.SUPERSEDED, decided_at=timezone.now())
