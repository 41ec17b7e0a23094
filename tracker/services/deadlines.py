"""Deadlines typed for a negotiation: the local conventions the parser is given.

The pure parser (tracker.deadlines) is told how to read "FY2027" and "03/04/2027"; this
is the one place that decides what to tell it. The admin, the API and the record loader
all read typed deadlines through `read_deadline`.

The fiscal year starts in, first that applies: the month chosen (a milestone's
`fiscal_year_start`, the parse endpoint's `fiscal_year_start=`); the party of the track
(`Track.party`); the month every party of the negotiation that states one agrees on;
`TRACKER_FISCAL_YEAR_START` when no party states one. When the parties disagree (the EU
starts in January, India in April) nothing is guessed: a fiscal-year text is refused with
a message asking for the choice. The order the parties were linked in plays no part.
"""

from __future__ import annotations

import calendar
import datetime as dt
from collections.abc import Iterable

from django.conf import settings
from django.utils import timezone

from tracker.deadlines import Deadline, DeadlineError, Precision, parse_deadline
from tracker.models import Negotiation, Party


def first_party(negotiation: Negotiation | None) -> Party | None:
    """The party linked first: the order a record file lists them in (not their fiscal year)."""
    if negotiation is None or negotiation.pk is None:
        return None
    link = (
        Negotiation.parties.through.objects.filter(negotiation_id=negotiation.pk)
        .select_related("party")
        .order_by("pk")
        .first()
    )
    return None if link is None else link.party


def _stated_starts(negotiation: Negotiation | None) -> dict[int, list[Party]]:
    """The negotiation's parties by the month their fiscal year starts, where they say."""
    if negotiation is None or negotiation.pk is None:
        return {}
    starts: dict[int, list[Party]] = {}
    for party in negotiation.parties.exclude(fiscal_year_start=None).order_by("code"):
        assert party.fiscal_year_start is not None  # excluded above
        starts.setdefault(party.fiscal_year_start, []).append(party)
    return starts


def fiscal_year_start_of(
    negotiation: Negotiation | None, *, party: Party | None = None
) -> int | None:
    """The month a fiscal year starts in for deadlines of `negotiation` (of a track whose
    party is `party`); None when the negotiation's parties disagree and no party is given."""
    if party is not None and party.fiscal_year_start is not None:
        return party.fiscal_year_start
    return agreed_fiscal_year_start(_stated_starts(negotiation))


def agreed_fiscal_year_start(starts: Iterable[int | None]) -> int | None:
    """The month the parties' fiscal years start in, where those that say agree; the
    setting when none says; None when they disagree."""
    stated = {start for start in starts if start is not None}
    if len(stated) > 1:
        return None
    return stated.pop() if stated else int(settings.TRACKER_FISCAL_YEAR_START)


def _undecided(negotiation: Negotiation | None) -> str:
    named = "; ".join(
        f"{', '.join(p.code for p in parties)} in {calendar.month_name[month]}"
        for month, parties in sorted(_stated_starts(negotiation).items())
    )
    return (
        f"the parties' fiscal years start in different months ({named}): choose the month "
        "its fiscal year starts in (fiscal_year_start), or the track's party"
    )


def read_deadline(
    text: str,
    *,
    negotiation: Negotiation | None = None,
    party: Party | None = None,
    reference: dt.date | None = None,
    said_on: dt.date | None = None,
    fiscal_year_start: int | None = None,
) -> Deadline:
    """Parse `text` as typed for `negotiation` (and a track of `party`'s); raises
    DeadlineError, which quotes it.

    `said_on` is the day the words were said (not after today): relative forms ("within
    90 days", "next month", "July 8") count from it. `reference` does the same without
    that check, for reading a text as of any day (the parse endpoint, record files).
    Default: today.
    """
    today = timezone.localdate()
    if said_on is not None:
        if said_on > today:
            raise DeadlineError(text, "it cannot have been said after today")
        reference = said_on
    undecided = False
    if fiscal_year_start is None:
        decided = fiscal_year_start_of(negotiation, party=party)
        undecided = decided is None
        fiscal_year_start = decided or int(settings.TRACKER_FISCAL_YEAR_START)
    deadline = parse_deadline(
        text,
        reference=reference or today,
        fiscal_year_start=fiscal_year_start,
        numeric_order=settings.TRACKER_NUMERIC_DATES,
    )
    if undecided and deadline.precision is Precision.FISCAL_YEAR:
        raise DeadlineError(deadline.text, _undecided(negotiation))
    return deadline
