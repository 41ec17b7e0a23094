"""The words for stored statuses, stages and states, marked for translation.

A stored value such as "off_track" is said "off track"; the catalogues (tracker/locale)
say it in Hindi and French. makemessages reads the literals below, so every word a
reader can see is listed here once.
"""

from __future__ import annotations

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

WORDS: dict[str, Promise] = {
    # Health
    "not started": _("not started"),
    "achieved": _("achieved"),
    "active": _("active"),
    "off track": _("off track"),
    "at risk": _("at risk"),
    "no data": _("no data"),
    "on track": _("on track"),
    # Milestone state and status
    "planned": _("planned"),
    "in progress": _("in progress"),
    "completed": _("completed"),
    "cancelled": _("cancelled"),
    "unscheduled": _("unscheduled"),
    "overdue": _("overdue"),
    "due soon": _("due soon"),
    "upcoming": _("upcoming"),
    # Target status and growth
    "missed": _("missed"),
    "compound": _("compound"),
    "linear": _("linear"),
    # Deadline precision
    "day": _("day"),
    "month": _("month"),
    "quarter": _("quarter"),
    "half": _("half"),
    "season": _("season"),
    "period": _("period"),
    "year": _("year"),
    "fiscal year": _("fiscal year"),
}


def said(value: str) -> str | Promise:
    """A stored value as words in the active language: "off_track" → "off track"."""
    text = value.replace("_", " ")
    return WORDS.get(text, text)
