"""The track record and outlook of deadlines, read from the database and said in words.

The counting is tracker.track_record's and the forecasting tracker.outlook's (pure); this
module loads their inputs in a fixed number of queries and words their answers once, for
the pages, the API, the exports and the digest alike.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Min, OuterRef, Subquery
from django.db.models.functions import Coalesce
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from tracker import figures, outlook, track_record
from tracker.models import DeadlineRevision, Milestone, Negotiation, OutlookScore
from tracker.status import day_text

OPEN_STATES = ("planned", "in_progress")


def span(days: int) -> str:
    """A slip as a reader says it: days up to eight weeks, then months ("5 months")."""
    if days < 60:
        return figures.days(days)
    months = round(days / 30.44)
    return ngettext("%(count)d month", "%(count)d months", months) % {"count": months}


def _times(count: int) -> str:
    if count == 1:
        return _("once")
    if count == 2:
        return _("twice")
    return _("%(count)d times") % {"count": count}


def held_in_words(held: track_record.Held) -> str:
    """ "stated 3 times; slipped twice, by 5 months in all"."""
    if held.stated == 0:
        return _("no deadline stated yet")
    stated = _("stated %(times)s") % {"times": _times(held.stated)}
    if held.slips == 0:
        moved = _("never slipped")
    else:
        moved = _("slipped %(times)s, by %(span)s in all") % {
            "times": _times(held.slips),
            "span": span(held.slip_days),
        }
    words = f"{stated}; {moved}"
    if held.pulled_in:
        words += "; " + _("brought forward %(times)s") % {"times": _times(held.pulled_in)}
    return words


def record_in_words(record: track_record.Record) -> str:
    """ "of 12 deadlines that have passed, 4 were met on time, median slip 4 months"."""
    if record.passed == 0:
        return _("no deadline has passed yet")
    passed = ngettext(
        "of %(count)d deadline that has passed",
        "of %(count)d deadlines that have passed",
        record.passed,
    ) % {"count": record.passed}
    met = ngettext(
        "%(count)d was met on time", "%(count)d were met on time", record.met_on_time
    ) % {"count": record.met_on_time}
    median = _("median slip %(span)s") % {"span": span(record.median_slip_days or 0)}
    return f"{passed}, {met}, {median}"


@dataclass(frozen=True)
class Score:
    brier: float | None
    forecasts: int
    computed_on: dt.date

    @property
    def words(self) -> str:
        if self.brier is None:
            return _("back-test: no past forecast to score yet (%(day)s)") % {
                "day": day_text(self.computed_on)
            }
        return _(
            "back-test Brier score %(score).3f over %(count)d past forecasts (0 is perfect)"
        ) % {
            "score": self.brier,
            "count": self.forecasts,
        }


@dataclass(frozen=True)
class OutlookView:
    """An open deadline's outlook as every interface shows it."""

    outlook: outlook.Outlook | None
    score: Score | None = None

    @property
    def words(self) -> str:
        o = self.outlook
        if o is None:
            return _("not enough history")
        scope = (
            _("from %(count)d resolved deadlines of this negotiation")
            if o.scope == outlook.NEGOTIATION
            else _("from %(count)d resolved deadlines across the record")
        ) % {"count": o.history}
        chance = _("%(percent)s chance of being met by the end of its window") % {
            "percent": figures.percent(float(o.chance))
        }
        likely = (
            _("80%% likely by %(day)s") % {"day": day_text(o.likely_by)}
            if o.likely_by is not None
            else _("later than any resolved deadline was met")
        )
        return f"{chance}; {likely} ({scope})"

    @property
    def score_words(self) -> str:
        return self.score.words if self.score is not None else _("back-test not run yet")

    def as_json(self) -> dict[str, Any]:
        o = self.outlook
        return {
            "enough_history": o is not None,
            "chance": float(o.chance) if o is not None else None,
            "likely_by": o.likely_by.isoformat() if o is not None and o.likely_by else None,
            "scope": o.scope if o is not None else None,
            "history": o.history if o is not None else 0,
            "brier_score": self.score.brier if self.score is not None else None,
            "words": self.words,
        }


@dataclass
class Book:
    """Every live deadline as the record judges it, and the newest back-test scores."""

    kept: dict[int, tuple[int, track_record.Kept]] = field(default_factory=dict)
    slips: dict[int, list[int]] = field(default_factory=dict)  # by negotiation id
    whole: list[int] = field(default_factory=list)
    party_negotiations: dict[int, set[int]] = field(default_factory=dict)
    scores: dict[int | None, Score] = field(default_factory=dict)

    def outlook(
        self, negotiation_id: int, latest: dt.date | None, state: str, today: dt.date
    ) -> OutlookView | None:
        """The outlook of an open deadline; None for a milestone that is not open or undated."""
        if state not in OPEN_STATES or latest is None:
            return None
        found = outlook.forecast(latest, self.slips.get(negotiation_id, []), self.whole, today)
        scope_key = negotiation_id if found and found.scope == outlook.NEGOTIATION else None
        return OutlookView(found, self.scores.get(scope_key))

    def outlook_of(
        self, milestone_id: int, latest: dt.date | None, state: str, today: dt.date
    ) -> OutlookView | None:
        """The outlook of a milestone the book holds, by its id (its negotiation is known)."""
        held = self.kept.get(milestone_id)
        return self.outlook(held[0], latest, state, today) if held is not None else None

    def record(self, negotiation_ids: Iterable[int], today: dt.date) -> track_record.Record:
        ids = set(negotiation_ids)
        return track_record.record((k for n, k in self.kept.values() if n in ids), today)

    def party_record(self, party_id: int, today: dt.date) -> track_record.Record:
        return self.record(self.party_negotiations.get(party_id, set()), today)


def _first_latest() -> Coalesce:
    first = DeadlineRevision.objects.filter(milestone=OuterRef("pk")).order_by("changed_at", "id")
    return Coalesce(Subquery(first.values("previous_latest")[:1]), "deadline_latest")


def book(*, only: Iterable[int] | None = None) -> Book:
    """Three queries: the live milestones with a deadline, who is party to what, the scores.
    With `only` (negotiation ids), one: those negotiations' deadlines, enough for their
    records (not for outlooks, which may fall back to the whole record)."""
    found = Book()
    milestones = Milestone.objects.all()
    if only is not None:
        milestones = milestones.filter(track__negotiation_id__in=list(only))
    rows = (
        milestones.exclude(state="cancelled")
        .annotate(first_latest=_first_latest())
        .filter(first_latest__isnull=False)
        .values_list("pk", "track__negotiation_id", "first_latest", "state", "completed_on")
    )
    for pk, negotiation_id, first, state, completed_on in rows:
        done = completed_on if state == "completed" else None
        found.kept[pk] = (negotiation_id, track_record.Kept(first, done))
        if done is not None:
            found.slips.setdefault(negotiation_id, []).append((done - first).days)
            found.whole.append((done - first).days)
    if only is not None:
        return found
    for party_id, negotiation_id in Negotiation.parties.through.objects.values_list(
        "party_id", "negotiation_id"
    ):
        found.party_negotiations.setdefault(party_id, set()).add(negotiation_id)
    for score in OutlookScore.objects.order_by("computed_at", "id"):
        found.scores[score.negotiation_id] = Score(score.brier, score.forecasts, score.computed_on)
    return found


def held_of(latest: dt.date | None, moves: Sequence[tuple[dt.date | None, dt.date | None]]) -> str:
    """A milestone's "stated 3 times; slipped twice, by 5 months in all" from its
    (previous latest, new latest) moves, oldest first."""
    return held_in_words(track_record.held(latest, moves))


# The back-test's input: what the record knew on each past day


def histories() -> list[outlook.History]:
    """Every live milestone with a deadline, as the record knew it over time: two queries.

    A deadline was known from the day it was said, else from its earliest cited source's
    date, else from the day it was entered; a revision from its source's date, else the day
    it was recorded (a record loaded today still says when each move was reported)."""
    moves: dict[int, list[tuple[dt.date, dt.date | None, dt.date | None, dt.date | None]]] = {}
    revisions = (
        DeadlineRevision.objects.filter(milestone__in=Milestone.objects.all())
        .order_by("milestone_id", "changed_at", "id")
        .values_list(
            "milestone_id",
            "changed_at",
            "source__published_on",
            "previous_latest",
            "new_latest",
            "previous_said_on",
        )
    )
    for milestone_id, changed_at, reported, previous, new, said in revisions:
        moves.setdefault(milestone_id, []).append(
            (reported or changed_at.date(), previous, new, said)
        )
    found = []
    rows = Milestone.objects.annotate(cited=Min("sources__published_on")).values_list(
        "pk",
        "track__negotiation_id",
        "deadline_latest",
        "deadline_said_on",
        "cited",
        "created_at",
        "state",
        "completed_on",
    )
    for pk, negotiation_id, latest, said_on, cited, created_at, state, completed_on in rows:
        own = moves.get(pk, [])
        first = track_record.first_latest(latest, [(p, n) for _, p, n, _ in own])
        if first is None:
            continue
        said = own[0][3] if own else said_on
        known_from = said or cited or (own[0][0] if own else created_at.date())
        found.append(
            outlook.History(
                milestone=pk,
                negotiation=negotiation_id,
                known_from=known_from,
                first_latest=first,
                revisions=tuple(outlook.Revision(on, new) for on, _, new, _ in own),
                completed_on=completed_on if state == "completed" else None,
                cancelled=state == "cancelled",
            )
        )
    return found


def backtest_scores(today: dt.date) -> list[tuple[int | None, Any, int]]:
    """(negotiation id or None for the whole record, Brier score, forecasts) of each scope."""
    forecasts = outlook.backtest(histories(), today)
    by_negotiation: dict[int, list[outlook.Forecast]] = {}
    for f in forecasts:
        by_negotiation.setdefault(f.negotiation, []).append(f)
    scores: list[tuple[int | None, Any, int]] = [(None, outlook.brier(forecasts), len(forecasts))]
    for negotiation_id in Negotiation.objects.order_by("pk").values_list("pk", flat=True):
        own = by_negotiation.get(negotiation_id, [])
        scores.append((negotiation_id, outlook.brier(own), len(own)))
    return scores
