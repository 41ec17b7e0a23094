"""How recently a source confirmed something, said in words.

The dates come from the status refresh (`last_confirmed_on`, `stale`, written by
tracker.refresh from the rules in tracker.status); this module only words them, the same
way on the pages, in the API, in emails and in the calendar feeds.
"""

from __future__ import annotations

import datetime as dt
from typing import Protocol

from tracker.status import SourceDate, day_text, overdue_as_known

# Beyond two months a reader grasps months faster than a count of days.
MONTHS_FROM_DAYS = 60
_DAYS_PER_MONTH = 30.44


class Confirmable(Protocol):
    @property
    def last_confirmed(self) -> SourceDate | None: ...

    stale: bool


def ago(days: int) -> str:
    """'today', '1 day ago', '12 days ago', '18 months ago'."""
    if days <= 0:
        return "today"
    if days < MONTHS_FROM_DAYS:
        return f"{days} day ago" if days == 1 else f"{days} days ago"
    return f"{round(days / _DAYS_PER_MONTH)} months ago"


def source_date_text(date: SourceDate | None) -> str:
    """A source's date as a reader should take it: "26 May 2025", "on or before 26 May 2025
    (inferred)", or "undated"."""
    if date is None:
        return "undated"
    if date.inferred:
        return f"on or before {day_text(date.on)} (inferred)"
    return day_text(date.on)


def confirmation(item: Confirmable, today: dt.date) -> str:
    """ "Last confirmed by a source on 26 May 2025 (18 months ago) — may be out of date"."""
    confirmed = item.last_confirmed
    warning = " — may be out of date" if item.stale else ""
    if confirmed is None:
        return f"No dated source confirms it{warning}"
    age = ago((today - confirmed.on).days)
    if confirmed.inferred:
        # The source is no later than this date, so it is at least this old.
        when = f"on or before {day_text(confirmed.on)} (at least {age})"
    else:
        when = f"on {day_text(confirmed.on)} ({age})"
    return f"Last confirmed by a source {when}{warning}"


class Overdue(Protocol):
    """A milestone as the overdue wording reads it."""

    deadline_latest: dt.date | None
    stale: bool

    @property
    def deadline_words(self) -> str: ...

    @property
    def last_confirmed(self) -> SourceDate | None: ...


def overdue_known(milestone: Overdue, today: dt.date) -> str:
    """For an overdue milestone with a stale record, what is known, as a sentence: "The
    deadline of 8 July 2025 passed 502 days ago; no source since 26 May 2025 says it was
    met." Empty when the record is fresh (then the countdown says it) or not overdue."""
    latest = milestone.deadline_latest
    if not milestone.stale or latest is None or latest >= today:
        return ""
    known = overdue_as_known(
        latest, (today - latest).days, milestone.last_confirmed, milestone.deadline_words
    )
    return f"{known[:1].upper()}{known[1:]}."


def overdue_countdown(milestone: Overdue, today: dt.date) -> str:
    """The countdown of a stale overdue milestone, no sharper than known: "passed 502 days
    ago; no source since 26 May 2025 says it was met" (never "16 months overdue")."""
    latest = milestone.deadline_latest
    if not milestone.stale or latest is None or latest >= today:
        return ""
    known = overdue_as_known(latest, (today - latest).days, milestone.last_confirmed)
    return known.removeprefix(f"the deadline of {day_text(latest)} ")
