"""A reminder's .ics attachment, written from a template rather than an object tree.

It is the calendar feed's event for the milestone (same UID, SEQUENCE, description; see
tracker.calendar.feeds), so importing the attachment and subscribing to a feed do not
make two events. Building an icalendar tree per email cost more than the rest of the
email; the template does the same job with RFC 5545's text escaping (backslash,
semicolon, comma, line break) and line folding (75 octets, never inside a character).
"""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from tracker.calendar.feeds import PRODID, _description, milestone_url
from tracker.models import Milestone
from tracker.single_line import one_line

LINE_OCTETS = 75

CALENDAR = (
    "BEGIN:VCALENDAR\r\n"
    "PRODID:{prodid}\r\n"
    "VERSION:2.0\r\n"
    "CALSCALE:GREGORIAN\r\n"
    "METHOD:PUBLISH\r\n"
    "{calname}\r\n"
    "X-PUBLISHED-TTL:PT6H\r\n"
    "BEGIN:VEVENT\r\n"
    "{summary}\r\n"
    "DTSTART;VALUE=DATE:{start:%Y%m%d}\r\n"
    "DTEND;VALUE=DATE:{end:%Y%m%d}\r\n"
    "DTSTAMP:{stamp:%Y%m%dT%H%M%SZ}\r\n"
    "UID:milestone-{pk}@tranche\r\n"
    "SEQUENCE:{sequence}\r\n"
    "TRANSP:TRANSPARENT\r\n"
    "{categories}\r\n"
    "{description}\r\n"
    "{url}\r\n"
    "END:VEVENT\r\n"
    "END:VCALENDAR\r\n"
)


def escape(text: str) -> str:
    """A TEXT value (RFC 5545 3.3.11): backslash, semicolon and comma escaped, every line
    break written as \\n (a bare CR too, so no value can start a line of its own)."""
    return (
        text.replace("\\", "\\\\")
        .replace(";", "\\;")
        .replace(",", "\\,")
        .replace("\r\n", "\\n")
        .replace("\n", "\\n")
        .replace("\r", "\\n")
    )


def fold(line: str) -> str:
    """A content line folded at 75 octets (RFC 5545 3.1), continuation lines starting
    with a space, and never splitting a UTF-8 sequence."""
    data = line.encode()
    if len(data) <= LINE_OCTETS:
        return line
    pieces: list[bytes] = []
    start, room = 0, LINE_OCTETS
    while len(data) - start > room:
        end = start + room
        while data[end] & 0xC0 == 0x80:  # inside a character: cut before it
            end -= 1
        pieces.append(data[start:end])
        start, room = end, LINE_OCTETS - 1  # the leading space takes one
    pieces.append(data[start:])
    return b"\r\n ".join(pieces).decode()


def milestone_ics(milestone: Milestone, *, revisions: int) -> bytes:
    """The one-event calendar for a reminder; `revisions` counts the milestone's deadline
    revisions (the first announced the date, every later one moved it)."""
    latest = milestone.deadline_latest
    assert latest is not None  # reminders exist only for scheduled milestones
    negotiation = one_line(milestone.track.negotiation.name)
    stamp = milestone.updated_at or timezone.now()
    return CALENDAR.format(
        prodid=PRODID,
        # As the feeds write it (icalendar leaves this extension unescaped): one line.
        calname=fold(f"X-WR-CALNAME:{one_line(milestone.title)}"),
        summary=fold(f"SUMMARY:{escape(one_line(milestone.title))}"),
        start=latest,
        end=latest + dt.timedelta(days=1),
        stamp=stamp.astimezone(dt.UTC),
        pk=milestone.pk,
        sequence=max(revisions - 1, 0),
        categories=fold(f"CATEGORIES:{escape(negotiation)},{escape(milestone.kind)}"),
        description=fold(f"DESCRIPTION:{escape(_description(milestone))}"),
        url=fold(f"URL:{milestone_url(milestone)}"),
    ).encode()
