"""How statuses and slips are said in words on the dashboard.

Figures (days, countdowns, percentages, amounts) are said by tracker.figures.
"""

from __future__ import annotations

from tracker.figures import days


def label(value: str) -> str:
    """A stored status such as 'off_track' as a person says it: 'Off track'."""
    text = value.replace("_", " ")
    return text[:1].upper() + text[1:]


def slip(days_moved: int | None) -> str:
    if not days_moved:
        return "no change"
    if days_moved > 0:
        return f"slipped {days(days_moved)}"
    return f"pulled in {days(-days_moved)}"
