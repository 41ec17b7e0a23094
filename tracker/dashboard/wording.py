"""How statuses are said in words on the dashboard.

Figures (days, countdowns, percentages, amounts, slips) are said by tracker.figures.
"""

from __future__ import annotations

from django.utils.text import capfirst

from tracker.status_words import said


def label(value: str) -> str:
    """A stored status such as 'off_track' as a person says it: 'Off track'."""
    return capfirst(str(said(value)))
