"""The outlook of an open deadline, from how resolved deadlines slipped: plain values only.

Evidence-based scheduling: each resolved deadline in scope (completed, its slip the days
from its first stated last day to the day it was met, negative when early) is one equally
likely future for the open deadline. Adding every slip to the open deadline's last day gives
the empirical distribution of the day it will be met; the distribution is enumerated
exactly, so the answer is a fraction and the same on every run (no random sampling).

Futures that would already have ended are impossible for a deadline still open on `today`,
so only the days on or after `today` count. The chance is the share of those on or before
the last day of the window; the 80% date is the earliest day by which 80% of them fall.

Scope: the negotiation's own resolved deadlines when there are at least MIN_HISTORY,
otherwise the whole record's; with fewer there is no outlook ("not enough history").

The back-test replays the record: on the first of every past month it forecasts each
deadline open that day with what was known that day (the deadline as revised by then, the
deadlines met by then), and scores each forecast whose outcome is now known.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from fractions import Fraction

MIN_HISTORY = 8
LIKELY = Fraction(4, 5)
NEGOTIATION = "negotiation"
WHOLE_RECORD = "record"


@dataclass(frozen=True)
class Outlook:
    chance: Fraction  # of being met by the last day of its window
    likely_by: dt.date | None  # 80% likely met by then; None when every resolved future ended
    scope: str  # NEGOTIATION or WHOLE_RECORD
    history: int  # resolved deadlines behind it


def chosen_slips(own: Sequence[int], whole: Sequence[int]) -> tuple[str, Sequence[int]] | None:
    """The slips to resample: the negotiation's own, else the whole record's, else none."""
    if len(own) >= MIN_HISTORY:
        return NEGOTIATION, own
    if len(whole) >= MIN_HISTORY:
        return WHOLE_RECORD, whole
    return None


def forecast(
    latest: dt.date, own: Sequence[int], whole: Sequence[int], today: dt.date
) -> Outlook | None:
    """The outlook of a deadline open on `today` whose window ends on `latest`."""
    chosen = chosen_slips(own, whole)
    if chosen is None:
        return None
    scope, slips = chosen
    futures = sorted(d for d in (latest + dt.timedelta(days=s) for s in slips) if d >= today)
    if not futures:
        return Outlook(Fraction(0), None, scope, len(slips))
    met = sum(1 for d in futures if d <= latest)
    likely_by = futures[math.ceil(LIKELY * len(futures)) - 1]
    return Outlook(Fraction(met, len(futures)), likely_by, scope, len(slips))


# The back-test


@dataclass(frozen=True)
class Revision:
    on: dt.date  # the day it was recorded
    latest: dt.date | None  # the last day it set


@dataclass(frozen=True)
class History:
    """One milestone's deadline as the record says it stood over time."""

    milestone: int
    negotiation: int
    known_from: dt.date  # the day its deadline was first stated
    first_latest: dt.date
    revisions: tuple[Revision, ...] = ()  # oldest first
    completed_on: dt.date | None = None
    cancelled: bool = False

    def latest_on(self, day: dt.date) -> dt.date | None:
        """The last day of its window as known on `day`."""
        latest: dt.date | None = self.first_latest
        for revision in self.revisions:
            if revision.on <= day:
                latest = revision.latest
        return latest

    def slip(self) -> int | None:
        if self.completed_on is None or self.cancelled:
            return None
        return (self.completed_on - self.first_latest).days


@dataclass(frozen=True)
class Forecast:
    milestone: int
    negotiation: int
    on: dt.date
    chance: Fraction
    met: bool


def months(first: dt.date, today: dt.date) -> list[dt.date]:
    """The first day of every month after `first`, before `today`."""
    day = (first.replace(day=1) + dt.timedelta(days=32)).replace(day=1)
    days = []
    while day < today:
        days.append(day)
        day = (day + dt.timedelta(days=32)).replace(day=1)
    return days


def backtest(histories: Sequence[History], today: dt.date) -> list[Forecast]:
    """Every forecast the outlook would have made on the first of each past month about a
    deadline then open and not yet past, whose outcome `today` knows."""
    live = [h for h in histories if not h.cancelled]
    if not live:
        return []
    forecasts = []
    for day in months(min(h.known_from for h in live), today):
        resolved = [h for h in live if h.completed_on is not None and h.completed_on < day]
        whole = [h.slip() or 0 for h in resolved]
        own: dict[int, list[int]] = {}
        for h in resolved:
            own.setdefault(h.negotiation, []).append(h.slip() or 0)
        for h in live:
            if h.known_from > day or (h.completed_on is not None and h.completed_on < day):
                continue
            latest = h.latest_on(day)
            if latest is None or latest < day:
                continue
            met = _outcome(h, latest, today)
            if met is None:
                continue
            outlook = forecast(latest, own.get(h.negotiation, []), whole, day)
            if outlook is not None:
                forecasts.append(Forecast(h.milestone, h.negotiation, day, outlook.chance, met))
    return forecasts


def _outcome(history: History, latest: dt.date, today: dt.date) -> bool | None:
    """Whether the deadline as known then was met; None while that is not yet known."""
    if history.completed_on is not None:
        return history.completed_on <= latest
    if latest < today:
        return False
    return None


def brier(forecasts: Iterable[Forecast]) -> Fraction | None:
    """The mean squared distance between each chance and what happened (1 met, 0 not):
    0 is perfect, 0.25 is what always saying 50% scores; None without forecasts."""
    scores = [(f.chance - (1 if f.met else 0)) ** 2 for f in forecasts]
    if not scores:
        return None
    return sum(scores, Fraction(0)) / len(scores)
