"""iCalendar feeds: one all-day event per scheduled milestone, on its deadline's latest day."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from django.conf import settings
from django.utils import timezone
from icalendar import Calendar, Event

from tracker import freshness
from tracker.models import Milestone
from tracker.single_line import CONTROL, one_line

PRODID = "-//Tranche//Trade deal deadlines//EN"


def milestone_url(milestone: Milestone) -> str:
    return f"{settings.SITE_URL}/milestones/{milestone.pk}/"


def _multiline(text: str) -> str:
    """Free text keeps its line feeds (iCalendar escapes them); other controls go."""
    return "\n".join(CONTROL.sub(" ", line) for line in text.splitlines())


def _window(milestone: Milestone) -> str:
    earliest, latest = milestone.deadline_earliest, milestone.deadline_latest
    assert earliest is not None and latest is not None  # only scheduled milestones get here
    if earliest == latest:
        return f"Due {one_line(milestone.deadline_in_words)} ({latest.isoformat()})."
    return (
        f"Due {one_line(milestone.deadline_in_words)}: any time from {earliest.isoformat()} "
        f"to {latest.isoformat()}; shown on the last day of that window."
    )


def _description(milestone: Milestone) -> str:
    lines = [_window(milestone), f"Status: {milestone.status.replace('_', ' ')}."]
    today = timezone.localdate()
    known = freshness.overdue_known(milestone, today)
    if known:
        lines.append(known)
    if milestone.completed_on:
        # As precisely as it is known: "Completed in February 2025." for a month.
        on = "in" if milestone.completed_precision in ("month", "year") else "on"
        lines.append(f"Completed {on} {milestone.completed_text}.")
    lines.append(f"{freshness.confirmation(milestone, today)}.")
    if milestone.consequence:
        lines.append(f"If missed: {_multiline(milestone.consequence)}")
    lines.append(f"{one_line(milestone.track.negotiation.name)} · {one_line(milestone.track.name)}")
    lines.append(milestone_url(milestone))
    return "\n".join(lines)


def milestone_event(milestone: Milestone) -> Event:
    """The event for one milestone; `revision_count` comes from the selector's annotation."""
    latest = milestone.deadline_latest
    assert latest is not None
    event = Event()
    # Stable across renames and slips, so calendar clients update the event in place.
    event.add("uid", f"milestone-{milestone.pk}@tranche")
    event.add("dtstamp", milestone.updated_at or timezone.now())
    event.add("dtstart", latest)
    event.add("dtend", latest + dt.timedelta(days=1))
    event.add("summary", one_line(milestone.title))
    event.add("description", _description(milestone))
    event.add("url", milestone_url(milestone))
    # The first revision is the announcement; every later one moved the date.
    revisions: int = getattr(milestone, "revision_count", 0)
    event.add("sequence", max(revisions - 1, 0))
    event.add("transp", "TRANSPARENT")
    event.add("categories", [one_line(milestone.track.negotiation.name), milestone.kind])
    return event


def milestones_calendar(milestones: Iterable[Milestone], *, name: str) -> bytes:
    """The feed. Names are written on one line whatever the rows hold: icalendar does not
    escape a line break in X-WR-CALNAME, and a bare CR there would start a forged line."""
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "PUBLISH")
    calendar.add("x-wr-calname", one_line(name))
    calendar.add("x-published-ttl", "PT6H")
    for milestone in milestones:
        calendar.add_component(milestone_event(milestone))
    body: bytes = calendar.to_ical()
    return body
