"""How deadlines have held: plain values in, plain values out, no ORM and no words.

A milestone's deadline history is its first stated last day and the moves of that day
recorded in its deadline revisions. A deadline *slips* when a move puts its last day later;
it is *met on time* when the milestone was completed on or before the last day first stated.
The wording lives with the pages (tracker.deadline_record); this module only counts.
"""

from __future__ import annotations

import datetime as dt
import statistics
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

# A revision as this module reads it: the last day before and after, either may be unknown.
Move = tuple[dt.date | None, dt.date | None]


@dataclass(frozen=True)
class Held:
    """How one deadline has held so far."""

    stated: int  # times a last day was given: the first statement and every move of it
    slips: int  # moves that put the last day later
    slip_days: int  # days added by those moves, in all
    pulled_in: int = 0  # moves that put the last day earlier


def held(latest: dt.date | None, moves: Sequence[Move]) -> Held:
    """`moves` oldest first; a revision that left the last day as it was (new words, the
    same window) is not a new statement."""
    changes = [
        (old, new) for old, new in moves if old is not None and new is not None and old != new
    ]
    stated = len(changes) + (1 if latest is not None or changes else 0)
    later = [(new - old).days for old, new in changes if new > old]
    return Held(
        stated=stated,
        slips=len(later),
        slip_days=sum(later),
        pulled_in=len(changes) - len(later),
    )


def first_latest(latest: dt.date | None, moves: Sequence[Move]) -> dt.date | None:
    """The last day the deadline had when it was first stated."""
    for old, new in moves:
        if old is not None:
            return old
        if new is not None:
            return new
    return latest


@dataclass(frozen=True)
class Kept:
    """A deadline as the record judges it: first stated last day and what became of it."""

    first_latest: dt.date
    completed_on: dt.date | None  # None while it is open


def slip(kept: Kept, today: dt.date) -> int:
    """Days past the first stated last day: when it was met, or so far when it is open.
    Never below zero: meeting a deadline early is meeting it."""
    end = kept.completed_on if kept.completed_on is not None else today
    return max(0, (end - kept.first_latest).days)


@dataclass(frozen=True)
class Record:
    """A negotiation's or party's record across the deadlines that have passed."""

    passed: int
    met_on_time: int
    median_slip_days: int | None  # None when none has passed


def record(deadlines: Iterable[Kept], today: dt.date) -> Record:
    """Of the deadlines whose first stated last day is behind `today` (met or not), how many
    were met on or before it, and the median slip (an open one counts its slip so far, a
    lower bound, so the median never flatters the record)."""
    passed = [k for k in deadlines if k.first_latest < today]
    met = sum(1 for k in passed if k.completed_on is not None and k.completed_on <= k.first_latest)
    slips = [slip(k, today) for k in passed]
    return Record(
        passed=len(passed),
        met_on_time=met,
        median_slip_days=int(statistics.median_low(slips)) if slips else None,
    )
