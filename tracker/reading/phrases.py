"""Deadline and date phrases inside a sentence, read with Tranche's own parser.

`find_phrases` finds the words that say a date ("by July 8", "in February 2025", "within
90 days") with one pattern per family of forms; `read_phrase` turns one into a `Deadline`
with `tracker.deadlines.parse_deadline`, anchored on the article's date, never today.
Phrases counted from an event ("within 90 days of the conclusion of the pact") are found
and marked, so that nobody turns them into a date. Explicit dates that none of the
patterns know are looked for with dateparser's `search_dates`, strictly.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime
from functools import lru_cache

from dateutil.relativedelta import relativedelta

from tracker.deadlines import Deadline, DeadlineError, Precision, describe, parse_deadline

# Month names are matched with their capital: "may" and "march" are also verbs.
_MONTH = (
    r"(?:January|February|March|April|May|June|July|August|September|October|November|"
    r"December|Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sept|Sep|Oct|Nov|Dec)\.?(?![A-Za-z])"
)
_DAY = r"[0-9]{1,2}(?![0-9])(?:st|nd|rd|th)?"
_YEAR = r"(?:19|20|21)[0-9]{2}(?![0-9])"
_SPAN = r"\s*(?:[-–—]|\bto\b|\buntil\b|\bthrough\b)\s*"
_COUNT = r"(?:[0-9]{1,4}|an?|one)"
_UNIT = r"(?:days?|weeks?|months?|years?)"
_ORDINAL = r"(?:first|second|third|fourth|1st|2nd|3rd|4th)"

# One alternative per family, longest first: the leftmost, first match wins.
_FORMS = {
    "iso": rf"{_YEAR}-[0-9]{{2}}-[0-9]{{2}}(?![0-9])",
    "numeric": rf"(?<![0-9/.])[0-9]{{1,2}}([/.-])[0-9]{{1,2}}\1{_YEAR}",
    "days_across_months": (
        rf"{_MONTH} {_DAY}(?:,? {_YEAR})?{_SPAN}{_MONTH} {_DAY},? {_YEAR}"
        rf"|{_DAY} {_MONTH}(?:,? {_YEAR})?{_SPAN}{_DAY} {_MONTH},? {_YEAR}"
    ),
    "days": (
        rf"{_MONTH} {_DAY}{_SPAN}{_DAY}(?:,? {_YEAR})?"
        rf"|{_DAY}{_SPAN}{_DAY} (?:of )?{_MONTH}(?:,? {_YEAR})?"
    ),
    "day": rf"{_MONTH} {_DAY}(?:,? {_YEAR})?|{_DAY} (?:of )?{_MONTH}(?:,? {_YEAR})?",
    "month": (
        r"(?:(?:[Ee]arly|[Mm]id|[Ll]ate|[Ee]nd)[- ]"
        r"|(?:the )?(?:[Ee]nd|[Bb]eginning|[Ss]tart) of )?"
        rf"{_MONTH}(?:,? {_YEAR})?"
    ),
    "quarter": (
        r"(?i:(?:(?:the )?end of (?:the )?|end-)?"
        rf"(?:q[1-4]|[1-4]q|h[12]|{_ORDINAL} (?:quarter|half))"
        rf"(?:(?: of)?,? {_YEAR}|[ -]{_YEAR})?)"
    ),
    "fiscal": (
        rf"(?:FY|[Ff]iscal(?: [Yy]ear)?) ?{_YEAR}(?:[-–/](?:[0-9]{{4}}|[0-9]{{2}})(?![0-9]))?"
        r"|FY ?[0-9]{2}(?![0-9])"
    ),
    "season": (
        rf"(?i:(?:spring|summer|autumn|fall|winter)(?: of)?)"
        rf"(?: {_YEAR}(?:[-/](?:[0-9]{{4}}|[0-9]{{2}})(?![0-9]))?)?"
    ),
    "period": (
        rf"(?i:early|mid|late)[- ]{_YEAR}"
        rf"|(?i:(?:the )?(?:end of (?:the year )?|year-end |year end |end-)){_YEAR}"
        r"|(?i:(?:the )?end of (?:the|this) year|year-end|year end)"
    ),
    "relative": (
        rf"(?i:(?:within|in) (?:the )?(?:next )?{_COUNT} {_UNIT}|next (?:week|month|year))"
    ),
    "year": _YEAR,
}
_PATTERN = re.compile("|".join(f"(?P<{name}>{body})" for name, body in _FORMS.items()))

# Words that may stand before a date phrase; the ones saying "no later than" mark deadlines.
_LEADS = re.compile(
    r"(?i:(?:no later than|not later than|ahead of|in time for|as early as|by|before|until|"
    r"till|in|on|from|since|during|for|of|at|around|after|between|through|this|next|last|"
    r"to|and|or)\s+)$"
)
DEADLINE_LEADS = frozenset(
    {"by", "before", "until", "till", "no later than", "not later than", "in time for"}
)
# Bare months, seasons and years are everyday words or numbers unless a preposition
# says they are dates ("in May", "by autumn", "by 2030"; not "may", "fall", "2030 agenda").
_NEEDS_LEAD = frozenset({"month", "season", "year"})
_SAYS_DATE = frozenset(
    {"by", "before", "until", "till", "in", "since", "during", "from", "through", "no later than",
     "not later than", "ahead of", "this", "next", "last", "for", "of", "around", "between",
     "as early as", "in time for", "and", "to"}
)  # fmt: skip
_EVENT_AFTER = re.compile(
    r"\s+(?:of|after|from|following|since|upon|once|before|following on from)\s+"
    r"(?!(?:today|now|this (?:announcement|statement|article|report)|publication)\b)",
    re.IGNORECASE,
)
# "90 days after the pact enters into force": a count tied to an event, not to the article.
_EVENT_COUNT = re.compile(
    rf"(?i:{_COUNT}|[a-z]+)[ -](?:{_UNIT})\s+(?:of|after|from|following|upon)\s+"
    r"(?!(?:today|now|this (?:announcement|statement|article|report)|publication)\b)",
    re.IGNORECASE,
)
_DATELINE_AFTER = re.compile(r"\s*(?:\([A-Z][^)]{0,40}\)|[—–]\s|-\s|:\s)")
_MODIFIER = re.compile(
    r"^(?:(?:the )?(?:beginning|start|end) of (?:the )?|(?:early|mid|late|end)[- ])", re.IGNORECASE
)
_MONTH_WORD = re.compile(_MONTH)


@dataclass(frozen=True)
class Phrase:
    start: int  # offsets into the article's text
    end: int
    text: str  # as written ("July 8", "autumn 2025")
    form: str  # the family that found it ("day", "season", ...)
    lead: str = ""  # the preposition before it, lower case ("by", "in", "")
    event_relative: bool = False  # counted from an event the article names, not from a date
    has_year: bool = True


def find_phrases(text: str, start: int, end: int) -> list[Phrase]:
    """Date phrases in text[start:end], in order, as offsets into the whole text."""
    found: list[Phrase] = []
    for match in _PATTERN.finditer(text, start, end):
        form = match.lastgroup or ""
        phrase = _phrase(text, match, form, start)
        if phrase is not None:
            found.append(phrase)
    found.extend(_event_counts(text, start, end, found))
    found.extend(_explicit_dates(text, start, end, found))
    return sorted(found, key=lambda phrase: phrase.start)


def _phrase(text: str, match: re.Match[str], form: str, floor: int) -> Phrase | None:
    written = match.group().rstrip(".")
    lead_match = _LEADS.search(text[max(floor, match.start() - 24) : match.start()])
    lead = " ".join(lead_match.group().lower().split()) if lead_match else ""
    if form in _NEEDS_LEAD and lead not in _SAYS_DATE and not _is_qualified(written):
        return None
    if form == "month" and written.startswith("May") and not lead and " " not in written:
        return None
    after = text[match.end() : match.end() + 60]
    if _DATELINE_AFTER.match(after) and form in ("day", "days") and _starts_line(text, match):
        return None
    has_year = re.search(_YEAR, written) is not None or form in ("iso", "relative")
    event_relative = form == "relative" and bool(_EVENT_AFTER.match(after))
    return Phrase(
        start=match.start(),
        end=match.start() + len(written),
        text=written,
        form=form,
        lead=lead,
        event_relative=event_relative,
        has_year=has_year,
    )


def _is_qualified(written: str) -> bool:
    # "autumn 2025", "July 2025", "end of July": the words themselves say it is a date.
    return bool(re.search(_YEAR, written)) or bool(_MODIFIER.match(written))


def _starts_line(text: str, match: re.Match[str]) -> bool:
    line_start = text.rfind("\n", 0, match.start()) + 1
    return match.start() - line_start <= 40


def _event_counts(text: str, start: int, end: int, found: list[Phrase]) -> Iterator[Phrase]:
    taken = [(phrase.start, phrase.end) for phrase in found]
    for match in _EVENT_COUNT.finditer(text, start, end):
        head = match.group().split()
        if not (head[0].isdigit() or head[0].lower() in _NUMBER_WORDS):
            continue
        if any(a <= match.start() < b for a, b in taken):
            continue
        count_end = match.start() + len(" ".join(head[:2]))
        yield Phrase(
            start=match.start(),
            end=count_end,
            text=text[match.start() : count_end],
            form="relative",
            event_relative=True,
        )


_NUMBER_WORDS = frozenset(
    [
        "a",
        "an",
        "one",
        "two",
        "three",
        "four",
        "five",
        "six",
        "seven",
        "eight",
        "nine",
        "ten",
        "eleven",
        "twelve",
        "fifteen",
        "twenty",
        "thirty",
        "forty",
        "forty-five",
        "sixty",
        "ninety",
        "hundred",
    ]
)


def _explicit_dates(text: str, start: int, end: int, found: list[Phrase]) -> Iterator[Phrase]:
    """Whole dates (day, month and year) that the patterns above did not find."""
    piece = text[start:end]
    # dateparser is slow and eager: ask it only when a month name and a year are both there
    # and not all of them are inside the phrases already found.
    if not re.search(_YEAR, piece) or not _MONTH_WORD.search(piece):
        return
    uncovered = [
        m
        for m in _MONTH_WORD.finditer(text, start, end)
        if not any(p.start <= m.start() < p.end for p in found)
    ]
    if not uncovered:
        return
    for said, _when in _search_dates(piece):
        offset = piece.find(said)
        if offset < 0:
            continue
        words = said.strip(" ,.")
        offset += said.index(words)
        begin = start + offset
        if any(p.start < begin + len(words) and begin < p.end for p in found):
            continue
        # Bare numbers and weekdays are not dates: keep what names a month, a day and a year.
        if not (_MONTH_WORD.search(words) and re.search(_YEAR, words)):
            continue
        if not re.search(r"(?<![0-9])[0-9]{1,2}(?![0-9])", words):
            continue
        yield Phrase(start=begin, end=begin + len(words), text=words, form="explicit")


@lru_cache(maxsize=2048)
def _search_dates(piece: str) -> tuple[tuple[str, datetime], ...]:
    from dateparser.search import search_dates

    settings = {"STRICT_PARSING": True, "REQUIRE_PARTS": ["day", "month", "year"]}
    found = search_dates(piece, languages=["en"], settings=settings)
    return tuple(found or ())


def read_phrase(
    phrase: Phrase, *, said_on: date, fiscal_year_start: int = 4, past: bool = False
) -> Deadline | None:
    """The phrase as a deadline window, counted from the day the article was published.

    A phrase without a year ("July 8", "by autumn") means the next such date, or with
    `past` (the sentence tells what happened) the last one; an event-relative count has no
    date. None when Tranche's parser cannot read it.
    """
    if phrase.event_relative:
        return None
    if phrase.form == "explicit":
        return _explicit(phrase)
    words = _parseable(phrase.text)
    for attempt in (words, _MODIFIER.sub("", words)):
        deadline = _parse(attempt, said_on, fiscal_year_start)
        if deadline is None:
            continue
        if not phrase.has_year and past and deadline.earliest > said_on:
            earlier = _parse(attempt, said_on - relativedelta(years=1, days=-1), fiscal_year_start)
            if earlier is not None:
                deadline = earlier
        if not phrase.has_year and deadline.said_on is not None and past:
            # A past date is written out whole, so it reads the same from any day.
            text = describe(deadline.earliest, deadline.latest, deadline.precision)
            return dataclasses.replace(deadline, text=text, said_on=None)
        return deadline
    return None


def _parseable(written: str) -> str:
    words = " ".join(written.split())
    words = re.sub(r"^the ", "", words, flags=re.IGNORECASE)
    return re.sub(r"\bthis year\b", "the year", words, flags=re.IGNORECASE)


def _parse(words: str, said_on: date, fiscal_year_start: int) -> Deadline | None:
    try:
        return parse_deadline(words, said_on, fiscal_year_start=fiscal_year_start)
    except DeadlineError:
        return None


def _explicit(phrase: Phrase) -> Deadline | None:
    found = _search_dates(phrase.text)
    if len(found) != 1:
        return None
    day = found[0][1].date()
    return Deadline(
        text=describe(day, day, Precision.DAY), earliest=day, latest=day, precision=Precision.DAY
    )
