"""The compact form in which a refresh reads milestones: a tuple, not a model instance."""

from __future__ import annotations

import datetime as dt
import functools
from decimal import Decimal
from typing import NamedTuple

from tracker.models import Milestone, window_words


class MilestoneRow(NamedTuple):
    """A milestone's facts and its stored derived fields, as one refresh reads them."""

    pk: int
    track_id: int
    title: str
    state: str
    deadline_earliest: dt.date | None
    deadline_latest: dt.date | None
    deadline_precision: str
    deadline_text: str
    completed_on: dt.date | None
    weight: Decimal
    # Its stored fields hold today and it waits on nothing (candidates.taken_as_stored):
    # a periodic pass need not judge it again. Always false when every row is judged.
    settled: bool
    # The stored derived fields, in MILESTONE_DERIVED order.
    status: str
    completed_late: bool
    status_reason: str
    last_confirmed_on: dt.date | None
    last_confirmed_inferred: bool
    stale: bool

    @property
    def deadline_words(self) -> str:
        return _window_words(
            self.deadline_earliest,
            self.deadline_latest,
            self.deadline_precision,
            self.deadline_text,
        )


# Deadlines repeat across milestones, and describing a window is the dearest step of a row.
_window_words = functools.lru_cache(maxsize=8192)(window_words)

MILESTONE_COLUMNS = ("id", *MilestoneRow._fields[1:])
MILESTONE_DERIVED = MilestoneRow._fields[11:]
assert frozenset(MILESTONE_DERIVED) == Milestone.DERIVED_FIELDS
