"""How statuses and slips are said in words on the dashboard.

Figures (days, countdowns, percentages, amounts) are said by tracker.figures.
"""

from __future__ import annotations

from django.utils.text import capfirst

from tracker.figures import days
from tracker.status_words import said


def label(value: str) -> str:
    """A stored status such as 'off_track' as a person says it: 'Off track'."""
    return capfirst(str(said(value)))


def slip(days_moved: int | None) -> str:
    if not days_moved:
        return "no change"
    if days_moved > 0:
        return f"slipped {days(days_moved)}"
    return f"pulled in {days(-days_moved)}"
