"""iCalendar feeds: one all-day event per scheduled milestone, on its deadline's latest day.

Feeds are written as RFC 5545 text from compact rows (`CalendarRow`, one tuple per
milestone from a `values_list` query), not as icalendar object trees, which cost 3.8 s
and 120 MB of RSS for 10,000 milestones (issue 13). The text is what icalendar writes:
the same properties in the same order, TEXT escaped as its `vText` escapes it, lines
folded as its content lines fold (tests compare both), so calendar clients see the
same events, with the same UIDs, as before.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Callable, Iterable, Iterator
from typing import Any, NamedTuple, TypeVar, cast

from django.conf import settings
from django.db.models import QuerySet
from django.utils import timezone

from tracker import freshness
from tracker.models import Milestone, MilestoneWords
from tracker.single_line import CONTROL, one_line

T = TypeVar("T")
PRODID = "-//Tranche//Trade deal deadlines//EN"
# RFC 5545 3.1: lines SHOULD NOT be longer than 75 octets; icalendar keeps them to 74.
LINE_OCTETS = 74
FOLD = b"\r\n "
_CONTINUATION = 0x80  # 10xxxxxx: the inside of a UTF-8 character
_ESCAPE_STARTS = frozenset(b"\\^")  # never end a folded line inside an escape


class CalendarColumns(NamedTuple):
    """The columns an event needs, as `calendar_rows` reads them: a tuple, not a model."""

    id: int
    title: str
    kind: str
    status: str
    deadline_text: str
    deadline_earliest: dt.date
    deadline_latest: dt.date
    deadline_precision: str
    deadline_said_on: dt.date | None
    completed_on: dt.date | None
    completed_precision: str
    consequence: str
    last_confirmed_on: dt.date | None
    last_confirmed_inferred: bool
    stale: bool
    updated_at: dt.datetime | None
    track_name: str
    negotiation_name: str
    revision_count: int


class CalendarRow(CalendarColumns, MilestoneWords):
    """A calendar row, worded as the model words a milestone (tracker.models.MilestoneWords)."""

    __slots__ = ()

    @classmethod
    def of(cls, milestone: Milestone) -> CalendarRow:
        """A loaded milestone as a row; `revision_count` from the selector's annotation."""
        own = [getattr(milestone, field) for field in cls._fields[:16]]
        track = milestone.track
        revisions = getattr(milestone, "revision_count", 0)
        return cls._make([*own, track.name, track.negotiation.name, revisions])


# Where each column comes from: the milestone's own fields, two names by join, the count.
_LOOKUPS = {
    **{field: field for field in CalendarRow._fields[:16]},
    "track_name": "track__name",
    "negotiation_name": "track__negotiation__name",
    "revision_count": "revision_count",
}


def calendar_rows(milestones: QuerySet[Milestone]) -> Iterator[CalendarRow]:
    """The rows of `milestones` (see selectors.milestones_for_calendar), in one query."""
    values = milestones.values_list(*(_LOOKUPS[field] for field in CalendarRow._fields))
    return map(CalendarRow._make, values.iterator(chunk_size=2000))


def milestone_url(milestone: Milestone | CalendarRow) -> str:
    return f"{settings.SITE_URL}/milestones/{milestone.id}/"


def fold(line: str) -> str:
    """`line` folded at 74 octets as icalendar folds it: never inside a UTF-8 character,
    never right after a backslash or caret (some clients would read a broken escape)."""
    data = line.encode()
    if len(data) <= LINE_OCTETS:
        return line
    pieces = []
    start = 0
    while len(data) - start > LINE_OCTETS:
        end = start + LINE_OCTETS
        while data[end] & 0xC0 == _CONTINUATION:
            end -= 1
        if data[end - 1] in _ESCAPE_STARTS and end - 1 > start:
            end -= 1
        pieces.append(data[start:end])
        start = end
    pieces.append(data[start:])
    return FOLD.join(pieces).decode()


def escape_text(text: str) -> str:
    """RFC 5545 TEXT: backslash, semicolon and comma escaped; any line break is \\n."""
    return (
        text.replace("\\", "\\\\")
        .replace(";", "\\;")
        .replace(",", "\\,")
        .replace("\r\n", "\\n")
        .replace("\n", "\\n")
        .replace("\r", "\\n")
    )


def _multiline(text: str) -> str:
    """Free text keeps its line feeds (iCalendar escapes them); other controls go."""
    return "\n".join(CONTROL.sub(" ", line) for line in text.splitlines())


def _window(row: CalendarRow) -> str:
    earliest, latest = row.deadline_earliest, row.deadline_latest
    if earliest == latest:
        return f"Due {one_line(row.deadline_in_words)} ({latest.isoformat()})."
    return (
        f"Due {one_line(row.deadline_in_words)}: any time from {earliest.isoformat()} "
        f"to {latest.isoformat()}; shown on the last day of that window."
    )


def _day(day: dt.date) -> str:
    return day.isoformat().replace("-", "")


def _stamp(moment: dt.datetime | None) -> str:
    at = (moment or timezone.now()).astimezone(dt.UTC)
    return f"{at.year:04}{at.month:02}{at.day:02}T{at.hour:02}{at.minute:02}{at.second:02}Z"


class _Phrases:
    """The sentences rows share, worded and escaped once a day per process: a deadline's
    window, what is known of a passed one, the freshness line, the names, the dates. The
    wording is the model's and tracker.freshness's; only repeats are saved (a render after
    a write re-words only what changed), and each memo is bounded."""

    LIMIT = 20_000

    def __init__(self, today: dt.date) -> None:
        self.today = today
        self._memos: dict[str, dict[Any, Any]] = {}

    def _remember(self, memo: str, key: Any, word: Callable[[], T]) -> T:
        phrases = self._memos.setdefault(memo, {})
        phrase: T | None = phrases.get(key)
        if phrase is None:
            if len(phrases) > self.LIMIT:
                phrases.clear()
            phrase = phrases[key] = word()
        return phrase

    def window(self, row: CalendarRow) -> str:
        # The deadline's text, earliest, latest, precision and said_on.
        return self._remember("window", row[4:9], lambda: escape_text(_window(row)))

    def status(self, status: str) -> str:
        return self._remember("status", status, lambda: f"Status: {status.replace('_', ' ')}.")

    def completed(self, row: CalendarRow) -> str:
        # As precisely as it is known: "Completed in February 2025." for a month.
        on = "in" if row.completed_precision in ("month", "year") else "on"
        key = (row.completed_on, row.completed_precision)
        return self._remember("completed", key, lambda: f"Completed {on} {row.completed_text}.")

    def freshness(self, row: CalendarRow) -> tuple[str, ...]:
        """What is known of a passed deadline (when stale), then how fresh the record is."""
        # The freshness wording takes any row with these attributes (a tuple's are
        # read-only, which its protocols do not say).
        words = cast(Any, row)

        def word() -> tuple[str, ...]:
            known = freshness.overdue_known(words, self.today)
            confirmed = f"{freshness.confirmation(words, self.today)}."
            return tuple(escape_text(line) for line in (known, confirmed) if line)

        # The deadline; when it was last confirmed, whether inferred, whether stale.
        return self._remember("freshness", (*row[4:8], *row[12:15]), word)

    def name(self, text: str) -> str:
        return self._remember("name", text, lambda: one_line(text))

    def names(self, row: CalendarRow) -> str:
        """ "Negotiation · Track", escaped."""
        key = (row.negotiation_name, row.track_name)
        return self._remember(
            "names",
            key,
            lambda: escape_text(f"{self.name(row.negotiation_name)} · {self.name(row.track_name)}"),
        )

    def categories(self, row: CalendarRow) -> str:
        """The CATEGORIES line: the negotiation and the kind of milestone."""

        def word() -> str:
            negotiation = escape_text(self.name(row.negotiation_name))
            return fold(f"CATEGORIES:{negotiation},{escape_text(row.kind)}")

        return self._remember("categories", (row.negotiation_name, row.kind), word)

    def dates(self, latest: dt.date) -> tuple[str, str]:
        """DTSTART and DTEND of an all-day event on `latest`."""
        end = latest + dt.timedelta(days=1)
        return self._remember("dates", latest, lambda: (_day(latest), _day(end)))


@functools.lru_cache(maxsize=2)
def _phrases(today: dt.date) -> _Phrases:
    return _Phrases(today)


def _description(row: CalendarRow, phrases: _Phrases, url: str) -> str:
    """The DESCRIPTION value, escaped: its parts are escaped one by one (most come from
    `phrases`), then joined with the escaped line break."""
    lines = [phrases.window(row), phrases.status(row.status), *phrases.freshness(row)]
    if row.completed_on:
        lines.insert(-1, phrases.completed(row))
    if row.consequence:
        lines.append(escape_text(f"If missed: {_multiline(row.consequence)}"))
    lines.append(phrases.names(row))
    lines.append(escape_text(url))
    return "\\n".join(lines)


def event_text(row: CalendarRow, phrases: _Phrases) -> str:
    """One VEVENT, each line ending in CRLF. Properties in icalendar's order."""
    url = milestone_url(row)
    start, end = phrases.dates(row.deadline_latest)
    # The first revision is the announcement; every later one moved the date.
    sequence = max(row.revision_count - 1, 0)
    return (
        "BEGIN:VEVENT\r\n"
        f"{fold('SUMMARY:' + escape_text(one_line(row.title)))}\r\n"
        f"DTSTART;VALUE=DATE:{start}\r\n"
        f"DTEND;VALUE=DATE:{end}\r\n"
        f"DTSTAMP:{_stamp(row.updated_at)}\r\n"
        # Stable across renames and slips, so calendar clients update the event in place.
        f"UID:milestone-{row.id}@tranche\r\n"
        f"SEQUENCE:{sequence}\r\n"
        f"{phrases.categories(row)}\r\n"
        f"{fold('DESCRIPTION:' + _description(row, phrases, url))}\r\n"
        "TRANSP:TRANSPARENT\r\n"
        f"{fold('URL:' + url)}\r\n"
        "END:VEVENT\r\n"
    )


def calendar_text(rows: Iterable[CalendarRow], *, name: str, today: dt.date) -> Iterator[str]:
    """The feed in pieces. The name is written on one line whatever the rows hold (a line
    break there would forge a line) and escaped as TEXT, so "EU, India; FTA" reads whole."""
    yield (
        "BEGIN:VCALENDAR\r\n"
        "VERSION:2.0\r\n"
        f"PRODID:{PRODID}\r\n"
        "CALSCALE:GREGORIAN\r\n"
        "METHOD:PUBLISH\r\n"
        f"{fold('X-WR-CALNAME:' + escape_text(one_line(name)))}\r\n"
        "X-PUBLISHED-TTL:PT6H\r\n"
    )
    phrases = _phrases(today)
    for row in rows:
        yield event_text(row, phrases)
    yield "END:VCALENDAR\r\n"


def calendar_body(rows: Iterable[CalendarRow], *, name: str, today: dt.date) -> bytes:
    return "".join(calendar_text(rows, name=name, today=today)).encode()


def milestones_calendar(milestones: Iterable[Milestone], *, name: str) -> bytes:
    """A calendar of loaded milestones (a reminder's attachment): the feed's events."""
    rows = (CalendarRow.of(milestone) for milestone in milestones)
    return calendar_body(rows, name=name, today=timezone.localdate())


def milestone_ics(milestone: Milestone, *, revisions: int) -> bytes:
    """A reminder's attachment: the feed's event for this one milestone, written by the
    same code (same UID and SEQUENCE, so importing it and subscribing make one event);
    `revisions` counts its deadline revisions (the outbox prefetches them)."""
    row = CalendarRow.of(milestone)._replace(revision_count=revisions)
    return calendar_body([row], name=milestone.title, today=timezone.localdate())
