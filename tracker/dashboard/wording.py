"""How statuses are said in words on the dashboard.

Figures (days, countdowns, percentages, amounts, slips) are said by tracker.figures.
"""

from __future__ import annotations


def label(value: str) -> str:
    """A stored status such as 'off_track' as a person says it: 'Off track'."""
    text = value.replace("_", " ")
    return text[:1].upper() + text[1:]
