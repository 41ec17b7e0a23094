"""Deadlines typed for a negotiation: the local conventions the parser is given.

The pure parser (tracker.deadlines) is told how to read "FY2027" and "03/04/2027"; this
is the one place that decides what to tell it. The admin, the API and the record loader
all read typed deadlines through `read_deadline`.

The fiscal year starts in, first that applies: the month asked for (the parse endpoint's
`fiscal_year_start=`); the negotiation's first party's `fiscal_year_start`; the setting
`TRACKER_FISCAL_YEAR_START`. A negotiation's first party is the party linked to it first:
`negotiation_save` links parties in the order it is given them (the record's and the
API's list order), so the India–US record is led by India.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.utils import timezone

from tracker.deadlines import Deadline, parse_deadline
from tracker.models import Negotiation, Party


def first_party(negotiation: Negotiation | None) -> Party | None:
    if negotiation is None or negotiation.pk is None:
        return None
    link = (
        Negotiation.parties.through.objects.filter(negotiation_id=negotiation.pk)
        .select_related("party")
        .order_by("pk")
        .first()
    )
    return None if link is None else link.party


def fiscal_year_start_of(negotiation: Negotiation | None) -> int:
    """The month a fiscal year starts in for deadlines of `negotiation`."""
    party = first_party(negotiation)
    if party is not None and party.fiscal_year_start is not None:
        return party.fiscal_year_start
    return int(settings.TRACKER_FISCAL_YEAR_START)


def read_deadline(
    text: str,
    *,
    negotiation: Negotiation | None = None,
    reference: dt.date | None = None,
    fiscal_year_start: int | None = None,
) -> Deadline:
    """Parse `text` as typed for `negotiation`; raises DeadlineError, which quotes it."""
    if fiscal_year_start is None:
        fiscal_year_start = fiscal_year_start_of(negotiation)
    return parse_deadline(
        text,
        reference=reference or timezone.localdate(),
        fiscal_year_start=fiscal_year_start,
        numeric_order=settings.TRACKER_NUMERIC_DATES,
    )
