"""What the reader is given (candidates) and what it gives back (proposed changes)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from tracker.deadlines import Deadline

CONFIRMS = "confirms"
MOVES = "moves"
COMPLETES = "completes"
NEW_MILESTONE = "new_milestone"
FIGURE = "figure"
DIFFERS = "differs"
KINDS = (CONFIRMS, MOVES, COMPLETES, NEW_MILESTONE, FIGURE, DIFFERS)


@dataclass(frozen=True)
class Candidate:
    """An existing milestone or target the article may speak of."""

    kind: str  # "milestone" | "target"
    id: int
    negotiation: str  # slug
    title: str
    aliases: tuple[str, ...] = ()
    state: str = "open"  # milestones: open | completed | cancelled
    deadline: Deadline | None = None
    completed_on: date | None = None
    last_confirmed_on: date | None = None
    unit: str = ""  # targets: e.g. "USD billion"
    fiscal_year_start: int = 4


@dataclass(frozen=True)
class ProposedChange:
    kind: str  # one of KINDS
    start: int  # article.text[start:end] is the exact quote (a sentence or a clause)
    end: int
    confidence: float  # 0..1
    reason: str  # why, in words
    candidate: Candidate | None  # None for new_milestone, and for a figure of no known target
    deadline: Deadline | None = None
    completed_on: date | None = None
    value: Decimal | None = None  # figure
    unit: str = ""
    period_start: date | None = None
    period_end: date | None = None
    title: str = ""  # new_milestone: a suggested title taken from the sentence
