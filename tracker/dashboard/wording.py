"""How dates and statuses are said in words on the dashboard."""

from __future__ import annotations


def days(count: int) -> str:
    return f"{count} day" if count == 1 else f"{count} days"


def countdown(remaining: int | None) -> str:
    """'in 12 days', 'due today', '42 days overdue'; empty when there is no live deadline."""
    if remaining is None:
        return ""
    if remaining == 0:
        return "due today"
    if remaining == 1:
        return "due tomorrow"
    if remaining > 0:
        return f"in {days(remaining)}"
    overdue = -remaining
    # Beyond two months a reader grasps months faster than a count of days.
    if overdue >= 60:
        return f"{days(overdue)} overdue (about {round(overdue / 30.44)} months)"
    return f"{days(overdue)} overdue"


def label(value: str) -> str:
    """A stored status such as 'off_track' as a person says it: 'Off track'."""
    text = value.replace("_", " ")
    return text[:1].upper() + text[1:]


def percent(ratio: float | None) -> str:
    return "—" if ratio is None else f"{round(ratio * 100)}%"


def slip(days_moved: int | None) -> str:
    if not days_moved:
        return "no change"
    if days_moved > 0:
        return f"slipped {days(days_moved)}"
    return f"pulled in {days(-days_moved)}"
