"""Milestone rows as the dashboard lists and draws them, built from plain column values.

A page with hundreds of milestones reads them with one `values()` query and their
deadline moves with another (tracker.selectors.milestone_columns, deadline_moves), not as
model instances with prefetched revisions and sources. The words and figures still come
from the functions the models use (tracker.deadlines, tracker.status, tracker.freshness),
so a row here says what the milestone's own page says.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.urls import reverse

from tracker import figures, freshness
from tracker.dashboard import wording
from tracker.dashboard.timeline import short_day
from tracker.figures import slip_days
from tracker.models import MilestoneWords, days_remaining
from tracker.selectors import DeadlineMove


@dataclass(slots=True)
class MilestoneFacts(MilestoneWords):
    """A milestone's stored columns (tracker.selectors.ROW_COLUMNS), worded as the model
    words them (tracker.models.MilestoneWords)."""

    pk: int
    track_id: int
    title: str
    status: str
    state: str
    deadline_text: str
    deadline_earliest: dt.date | None
    deadline_latest: dt.date | None
    deadline_precision: str
    deadline_said_on: dt.date | None
    completed_on: dt.date | None
    completed_precision: str
    stale: bool
    last_confirmed_on: dt.date | None
    last_confirmed_inferred: bool
    track_name: str = ""
    negotiation_name: str = ""
    # Its share of progress; 0 for a step that does not advance the deal.
    weight: Decimal = Decimal(1)

    def days_remaining(self, today: dt.date) -> int | None:
        return days_remaining(self.deadline_latest, self.state, today)


@dataclass(frozen=True)
class MilestoneRow:
    """One milestone in a list, in words: what the row and its timeline marker show."""

    milestone: MilestoneFacts
    url: str
    status_label: str
    deadline_in_words: str
    countdown: str
    slip_days: int
    # Latest dates the deadline had before, oldest first: ghosts on the timeline.
    earlier_deadlines: tuple[dt.date, ...] = ()
    # "Last confirmed by a source on …" when the record may be out of date; else empty.
    stale_note: str = ""
    # The quote behind the deadline, on the milestone's page.
    deadline_href: str = ""
    # An approximate deadline's first and last day ("1 Sep 2025 – 30 Nov 2025"); else empty.
    window: str = ""


def countdown(
    milestone: freshness.Overdue, remaining: int | None, today: dt.date, precision: str
) -> str:
    """Time left, no sharper than the deadline ("in about 4 years" for "2030"), or days
    overdue; for a stale overdue record only what is known ("passed 502 days ago; no source
    since 26 May 2025 says it was met"), never "16 months overdue"."""
    return freshness.overdue_countdown(milestone, today) or figures.countdown(remaining, precision)


_ANY_ID = 987654321


def milestone_urls() -> str:
    """The milestone page's URL with "{}" for its id: reversed once per list, not per row."""
    return reverse("milestone", args=[_ANY_ID]).replace(str(_ANY_ID), "{}")


def milestone_row(
    columns: Mapping[str, Any],
    moves: Sequence[DeadlineMove],
    today: dt.date,
    *,
    quote: bool = True,
    urls: str = "",
) -> MilestoneRow:
    """The row of one milestone from its columns and its deadline moves, oldest first.

    `quote` links the deadline to the quote of the source that last moved it; without it
    (or without such a source) the link goes to the milestone's list of sources. `urls`
    is milestone_urls(), when the caller has it.
    """
    m = MilestoneFacts(**columns)
    url = (urls or milestone_urls()).format(m.pk)
    source = moves[-1].source_slug if moves and quote else None
    earlier = (
        r.previous_latest
        for r in moves
        if r.previous_latest is not None and r.previous_latest != m.deadline_latest
    )
    return MilestoneRow(
        milestone=m,
        url=url,
        status_label=wording.label(m.status),
        deadline_in_words=m.deadline_in_words,
        countdown=countdown(m, m.days_remaining(today), today, m.deadline_precision),
        slip_days=slip_days(m.deadline_latest, [(r.new_latest, r.previous_latest) for r in moves]),
        earlier_deadlines=tuple(dict.fromkeys(earlier)),
        stale_note=freshness.confirmation(m, today) if m.stale else "",
        deadline_href=url + (f"#source-{source}" if source else "#sources"),
        window=_window(m.deadline_earliest, m.deadline_latest),
    )


def _window(earliest: dt.date | None, latest: dt.date | None) -> str:
    if earliest is None or latest is None or earliest == latest:
        return ""
    return f"{short_day(earliest)} – {short_day(latest)}"


def milestone_rows(
    columns: Iterable[Mapping[str, Any]],
    moves: Mapping[int, Sequence[DeadlineMove]],
    today: dt.date,
) -> list[MilestoneRow]:
    urls = milestone_urls()
    return [milestone_row(c, moves.get(c["pk"], ()), today, urls=urls) for c in columns]
