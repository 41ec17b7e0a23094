"""Approximate deadlines: "Q3 2025", "autumn", "within 90 days" read as a window of dates.

A pure module (no Django): text and a reference date in, a `Deadline` out. Every form has
its own explicit pattern; dateutil's fuzzy parser is deliberately not used because it
happily turns garbage into a date. dateutil supplies the month vocabulary and the calendar
arithmetic (month ends, leap years, "in 3 months" from January 31).
"""

from __future__ import annotations

import enum
import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime

from dateutil.parser import parserinfo
from dateutil.relativedelta import relativedelta


class Precision(enum.StrEnum):
    DAY = "day"
    MONTH = "month"
    QUARTER = "quarter"
    HALF = "half"
    SEASON = "season"
    PERIOD = "period"
    YEAR = "year"


@dataclass(frozen=True)
class Deadline:
    text: str
    earliest: date
    latest: date
    precision: Precision


ACCEPTED_FORMS: tuple[str, ...] = (
    "July 8, 2025",
    "8 July 2025",
    "2025-07-08",
    "July 8",
    "May 27-29, 2025",
    "May 27, 2025 - June 2, 2025",
    "July 2025",
    "end of July 2025",
    "Q3 2025",
    "third quarter of 2025",
    "H1 2026",
    "first half of 2026",
    "autumn 2025",
    "winter 2025",
    "spring",
    "early 2026",
    "mid-2026",
    "late 2026",
    "end of 2026",
    "2030",
    "within 90 days",
    "in 3 months",
    "next week",
    "next month",
    "next year",
    "today",
    "tomorrow",
)

MAX_TEXT_LENGTH = 200
MIN_YEAR = 1900
MAX_YEAR = 2200
# Long enough to recognise what was typed, short enough to keep the message readable.
_QUOTE_LIMIT = 80


class DeadlineError(ValueError):
    """The text cannot be read as a deadline, or bounds cannot be described as one."""

    def __init__(self, text: str, reason: str | None = None) -> None:
        # Both pieces go into args so the error survives pickling (Celery, multiprocessing).
        super().__init__(text, reason)
        self.text = text
        self.reason = reason

    def __str__(self) -> str:
        # The text may be pasted from anywhere; keep the message on one printable line.
        shown = "".join(ch if ch.isprintable() else " " for ch in self.text)
        if len(shown) > _QUOTE_LIMIT:
            shown = shown[: _QUOTE_LIMIT - 3] + "..."
        because = f": {self.reason}" if self.reason else ""
        return (
            f'Cannot read "{shown}" as a deadline{because}. '
            f"Write one of: {'; '.join(ACCEPTED_FORMS)}"
        )


class _Unreadable(Exception):
    """A form matched the shape of the text but not its sense (Feb 30, year 1066)."""

    def __init__(self, reason: str | None = None) -> None:
        super().__init__(reason)
        self.reason = reason


Window = tuple[date, date, Precision]
Bounds = tuple[date, date]

# dateutil's vocabulary, so "Sept" means September here as it does in dateutil.parser.
_PARSERINFO = parserinfo()
_MONTH_NAMES: tuple[str, ...] = tuple(names[-1] for names in _PARSERINFO.MONTHS)
_MONTH_NUMBERS: dict[str, int] = {
    name.lower(): number
    for number, names in enumerate(_PARSERINFO.MONTHS, start=1)
    for name in names
}

# Northern hemisphere, meteorological: seasons are whole months, so they nest with the rest.
_SEASON_STARTS = {"spring": 3, "summer": 6, "autumn": 9, "fall": 9, "winter": 12}
_PERIOD_STARTS = {"early": 1, "mid": 5, "late": 9}
_ORDINALS = {
    "first": 1,
    "1st": 1,
    "second": 2,
    "2nd": 2,
    "third": 3,
    "3rd": 3,
    "fourth": 4,
    "4th": 4,
}
_COUNT_WORDS = {"a": 1, "an": 1, "one": 1}

# About ten years ahead in any unit: beyond that a relative deadline is a typo.
_MAX_COUNT = {"day": 3650, "week": 521, "month": 120, "year": 10}
_STEPS = {
    "day": relativedelta(days=1),
    "week": relativedelta(weeks=1),
    "month": relativedelta(months=1),
    "year": relativedelta(years=1),
}

_FILLER = re.compile(
    r"(?:no later than|not later than|by|before|on|until|in|around|the|ending|due)\b ?"
)
_DASHES = dict.fromkeys(map(ord, "\u2010\u2011\u2012\u2013\u2014\u2015\u2212"), "-")
# Tabs and line breaks are just whitespace in pasted text; other control characters are not.
_WHITESPACE_CONTROLS = frozenset("\t\n\r")


# --- pattern pieces -----------------------------------------------------------------------
# [0-9] rather than \d: \d also matches other scripts' digits, which int() then accepts.


def _m(name: str) -> str:
    months = "|".join(sorted(_MONTH_NUMBERS, key=len, reverse=True))
    return rf"(?P<{name}>{months})\.?"


def _d(name: str) -> str:
    return rf"(?P<{name}>[0-9]{{1,2}})(?:st|nd|rd|th)?"


def _y(name: str) -> str:
    return rf"(?P<{name}>[0-9]{{4}})"


# --- calendar arithmetic ------------------------------------------------------------------


def _year(text: str) -> int:
    year = int(text)
    if not MIN_YEAR <= year <= MAX_YEAR:
        raise _Unreadable(f"years must be between {MIN_YEAR} and {MAX_YEAR}")
    return year


def _month(text: str) -> int:
    return _MONTH_NUMBERS[text]


def _day(year: int, month: int, day: int) -> date:
    try:
        return date(year, month, day)
    except ValueError:
        raise _Unreadable(f"{_MONTH_NAMES[month - 1]} {day}, {year} does not exist") from None


def _day_in_some_year(month: int, day: int) -> None:
    # Without a year, February 29 is fine (the next leap year) but February 30 never is.
    try:
        date(2000, month, day)
    except ValueError:
        raise _Unreadable(f"{_MONTH_NAMES[month - 1]} {day} does not exist") from None


def _months(year: int, month: int, count: int) -> Bounds:
    """`count` whole calendar months, the first being year-month."""
    start = date(year, month, 1)
    return start, start + relativedelta(months=count, days=-1)


def _next_not_ended(build: Callable[[int], Bounds], reference: date) -> Bounds:
    """The first window, year by year, that has not ended by the reference date.

    Starts a year early because last year's winter may still be running, and skips years
    in which the window does not exist (February 29 outside leap years).
    """
    for year in range(reference.year - 1, reference.year + 9):
        try:
            earliest, latest = build(year)
        except (ValueError, OverflowError, _Unreadable):
            continue
        if latest >= reference:
            return earliest, latest
    raise _Unreadable("there is no such date in the coming years")


def _in_year(year_text: str | None, reference: date, build: Callable[[int], Bounds]) -> Bounds:
    if year_text is None:
        return _next_not_ended(build, reference)
    return build(_year(year_text))


def _ordered(earliest: date, latest: date) -> Bounds:
    if latest < earliest:
        raise _Unreadable("the span ends before it starts")
    return earliest, latest


def _span_start_year(start_year: str | None, start_month: int, end_month: int, end: int) -> int:
    # "December 29 - January 2, 2026" starts in the year before the one written.
    if start_year is not None:
        return _year(start_year)
    return end if start_month <= end_month else end - 1


# --- forms --------------------------------------------------------------------------------
# Each form is a full-match pattern over normalised text (lower case, no commas, single
# spaces, "-" for every dash and for " to ") and a reader from its match to a window.
# Patterns are written so that no two of them match the same text.

Match = re.Match[str]
Reader = Callable[[Match, date], Window]
_FORMS: list[tuple[re.Pattern[str], Reader]] = []


def _form(*patterns: str) -> Callable[[Reader], Reader]:
    def register(reader: Reader) -> Reader:
        _FORMS.extend((re.compile(pattern), reader) for pattern in patterns)
        return reader

    return register


def _iso(year: str, month: str, day: str) -> date:
    if not 1 <= int(month) <= 12:
        raise _Unreadable(f"there is no month {int(month)}")
    return _day(_year(year), int(month), int(day))


_ISO = "{y}-(?P<{m}>[0-9]{{1,2}})-(?P<{d}>[0-9]{{1,2}})"


@_form(_ISO.format(y=_y("y"), m="m", d="d"))
def _read_iso_day(match: Match, reference: date) -> Window:
    day = _iso(match["y"], match["m"], match["d"])
    return day, day, Precision.DAY


@_form(_ISO.format(y=_y("y1"), m="m1", d="d1") + "-" + _ISO.format(y=_y("y2"), m="m2", d="d2"))
def _read_iso_span(match: Match, reference: date) -> Window:
    first = _iso(match["y1"], match["m1"], match["d1"])
    last = _iso(match["y2"], match["m2"], match["d2"])
    return (*_ordered(first, last), Precision.DAY)


@_form(
    rf"{_m('m')} {_d('d')}(?: {_y('y')})?",
    rf"{_d('d')} (?:of )?{_m('m')}(?: {_y('y')})?",
)
def _read_day(match: Match, reference: date) -> Window:
    month, day = _month(match["m"]), int(match["d"])
    if match["y"] is None:
        _day_in_some_year(month, day)

    def build(year: int) -> Bounds:
        return _day(year, month, day), _day(year, month, day)

    return (*_in_year(match["y"], reference, build), Precision.DAY)


@_form(
    rf"{_m('m')} {_d('d1')}-{_d('d2')}(?: {_y('y')})?",
    rf"{_d('d1')}-{_d('d2')} (?:of )?{_m('m')}(?: {_y('y')})?",
)
def _read_span_in_month(match: Match, reference: date) -> Window:
    month, first, last = _month(match["m"]), int(match["d1"]), int(match["d2"])
    if last < first:
        raise _Unreadable("the span ends before it starts")
    if match["y"] is None:
        _day_in_some_year(month, first)
        _day_in_some_year(month, last)

    def build(year: int) -> Bounds:
        return _day(year, month, first), _day(year, month, last)

    return (*_in_year(match["y"], reference, build), Precision.DAY)


@_form(
    rf"{_m('m1')} {_d('d1')}(?: {_y('y1')})?-{_m('m2')} {_d('d2')} {_y('y2')}",
    rf"{_d('d1')} {_m('m1')}(?: {_y('y1')})?-{_d('d2')} {_m('m2')} {_y('y2')}",
)
def _read_span_across_months(match: Match, reference: date) -> Window:
    first_month, last_month = _month(match["m1"]), _month(match["m2"])
    last_year = _year(match["y2"])
    first_year = _span_start_year(match["y1"], first_month, last_month, last_year)
    first = _day(first_year, first_month, int(match["d1"]))
    last = _day(last_year, last_month, int(match["d2"]))
    return (*_ordered(first, last), Precision.DAY)


@_form(rf"(?:end of )?{_m('m')}(?: {_y('y')})?")
def _read_month(match: Match, reference: date) -> Window:
    month = _month(match["m"])
    return (*_in_year(match["y"], reference, lambda y: _months(y, month, 1)), Precision.MONTH)


@_form(rf"{_m('m1')}(?: {_y('y1')})?-{_m('m2')} {_y('y2')}")
def _read_month_span(match: Match, reference: date) -> Window:
    first_month, last_month = _month(match["m1"]), _month(match["m2"])
    last_year = _year(match["y2"])
    first_year = _span_start_year(match["y1"], first_month, last_month, last_year)
    first, _ = _months(first_year, first_month, 1)
    _, last = _months(last_year, last_month, 1)
    return (*_ordered(first, last), Precision.MONTH)


def _ordinal(match: Match) -> int:
    # The spelled-out and the numbered patterns share a reader but not their groups.
    word = match.groupdict().get("word")
    return _ORDINALS[word] if word else int(match["n"])


@_form(
    rf"q(?P<n>[1-4])(?:[ -]{_y('y')})?",
    rf"(?P<n>[1-4])q(?:[ -]{_y('y')})?",
    rf"(?P<word>first|1st|second|2nd|third|3rd|fourth|4th) quarter(?: of)?(?: {_y('y')})?",
)
def _read_quarter(match: Match, reference: date) -> Window:
    quarter = _ordinal(match)
    first_month = 3 * quarter - 2
    bounds = _in_year(match["y"], reference, lambda y: _months(y, first_month, 3))
    return (*bounds, Precision.QUARTER)


@_form(
    rf"h(?P<n>[12])(?:[ -]{_y('y')})?",
    rf"(?P<n>[12])h(?:[ -]{_y('y')})?",
    rf"(?P<word>first|1st|second|2nd) half(?: of)?(?: {_y('y')})?",
)
def _read_half(match: Match, reference: date) -> Window:
    half = _ordinal(match)
    first_month = 6 * half - 5
    bounds = _in_year(match["y"], reference, lambda y: _months(y, first_month, 6))
    return (*bounds, Precision.HALF)


@_form(rf"(?P<season>spring|summer|autumn|fall|winter)(?: of)?(?: {_y('y')})?")
def _read_season(match: Match, reference: date) -> Window:
    # A season is named after the year it starts in: winter 2025 runs into February 2026.
    first_month = _SEASON_STARTS[match["season"]]
    bounds = _in_year(match["y"], reference, lambda y: _months(y, first_month, 3))
    return (*bounds, Precision.SEASON)


@_form(rf"winter(?: of)? {_y('y')}[-/](?P<next>[0-9]{{2}}|[0-9]{{4}})")
def _read_winter_across_years(match: Match, reference: date) -> Window:
    # "winter 2025-26" (or 2025/2026) names both years; they must be consecutive.
    year = _year(match["y"])
    written = match["next"]
    following = (year + 1) % 100 if len(written) == 2 else year + 1
    if int(written) != following:
        raise _Unreadable("a winter spans two consecutive years")
    return (*_months(year, 12, 3), Precision.SEASON)


@_form(rf"(?P<part>early|mid|late)[ -]{_y('y')}")
def _read_period(match: Match, reference: date) -> Window:
    first_month = _PERIOD_STARTS[match["part"]]
    return (*_months(_year(match["y"]), first_month, 4), Precision.PERIOD)


@_form(rf"(?:(?:end of(?: the year| year)?|year-end|year end|yearend) |end-){_y('y')}")
def _read_year_end(match: Match, reference: date) -> Window:
    # "End of 2026" is read as its last month: narrower than the year, as people mean it.
    return (*_months(_year(match["y"]), 12, 1), Precision.MONTH)


@_form(_y("y"))
def _read_year(match: Match, reference: date) -> Window:
    return (*_months(_year(match["y"]), 1, 12), Precision.YEAR)


@_form(r"(?:within|in) (?:the )?(?:next )?(?P<n>[0-9]+|an?|one) (?P<unit>day|week|month|year)s?")
def _read_count_ahead(match: Match, reference: date) -> Window:
    unit = match["unit"]
    count = _COUNT_WORDS.get(match["n"]) or int(match["n"])
    if not 1 <= count <= _MAX_COUNT[unit]:
        raise _Unreadable(f"the count must be between 1 and {_MAX_COUNT[unit]} {unit}s")
    # relativedelta keeps month arithmetic on the calendar: January 31 + 1 month = Feb 28.
    day = reference + _STEPS[unit] * count
    return day, day, Precision.DAY


@_form(r"next (?P<unit>week|month|year)")
def _read_next(match: Match, reference: date) -> Window:
    unit = match["unit"]
    if unit == "week":
        day = reference + relativedelta(weeks=1)
        return day, day, Precision.DAY
    if unit == "month":
        following = reference + relativedelta(months=1)
        return (*_months(following.year, following.month, 1), Precision.MONTH)
    return (*_months(reference.year + 1, 1, 12), Precision.YEAR)


@_form(r"(?P<word>today|tomorrow)")
def _read_today(match: Match, reference: date) -> Window:
    day = reference + relativedelta(days=1 if match["word"] == "tomorrow" else 0)
    return day, day, Precision.DAY


# --- reading ------------------------------------------------------------------------------


def _normalise(text: str) -> str:
    if len(text) > MAX_TEXT_LENGTH:
        raise _Unreadable(f"it is longer than {MAX_TEXT_LENGTH} characters")
    if any(
        unicodedata.category(ch) in ("Cc", "Cf") and ch not in _WHITESPACE_CONTROLS for ch in text
    ):
        raise _Unreadable("it contains control characters")
    lowered = text.lower().translate(_DASHES).replace(",", " ").strip().removesuffix(".")
    spaced = " ".join(lowered.split()).replace(" to ", "-")
    return re.sub(" ?- ?", "-", spaced)


def _read(text: str, reference: date) -> Window:
    candidate = _normalise(text)
    # Forms are tried before filler is stripped so that "in 3 months" stays relative
    # while "in July 2025" loses its "in".
    while candidate:
        for pattern, reader in _FORMS:
            match = pattern.fullmatch(candidate)
            if match is not None:
                return reader(match, reference)
        filler = _FILLER.match(candidate)
        if filler is None:
            break
        candidate = candidate[filler.end() :]
    raise _Unreadable()


def parse_deadline(text: str, reference: date | None = None) -> Deadline:
    """Read `text` as a deadline window; forms without a year count from `reference`."""
    if reference is None:
        reference = date.today()
    elif isinstance(reference, datetime):
        # A datetime cannot be compared with a date; only its calendar day matters here.
        reference = reference.date()
    if not isinstance(text, str):
        raise DeadlineError(f"<{type(text).__name__}>", "a deadline must be text")
    stripped = text.strip()
    try:
        earliest, latest, precision = _read(stripped, reference)
    except _Unreadable as error:
        raise DeadlineError(stripped, error.reason) from None
    except (ValueError, OverflowError):
        # Calendar arithmetic past year 9999 (a far-future reference date).
        raise DeadlineError(stripped, "it falls outside the calendar") from None
    return Deadline(text=stripped, earliest=earliest, latest=latest, precision=precision)


# --- describing ---------------------------------------------------------------------------


def _long_date(day: date) -> str:
    return f"{_MONTH_NAMES[day.month - 1]} {day.day}, {day.year}"


def _describe_days(earliest: date, latest: date) -> str | None:
    if earliest == latest:
        return _long_date(earliest)
    if (earliest.year, earliest.month) == (latest.year, latest.month):
        month = _MONTH_NAMES[earliest.month - 1]
        return f"{month} {earliest.day}-{latest.day}, {earliest.year}"
    return f"{_long_date(earliest)} - {_long_date(latest)}"


def _describe_months(earliest: date, latest: date) -> str | None:
    if earliest.day != 1 or latest != latest + relativedelta(day=31):
        return None
    first = f"{_MONTH_NAMES[earliest.month - 1]} {earliest.year}"
    if (earliest.year, earliest.month) == (latest.year, latest.month):
        return first
    return f"{first} - {_MONTH_NAMES[latest.month - 1]} {latest.year}"


def _describe_block(length: int, names: dict[int, str]) -> Callable[[date, date], str | None]:
    """Describer for windows of `length` months that start in one of `names`' months."""

    def describe_block(earliest: date, latest: date) -> str | None:
        if earliest.month not in names or (earliest, latest) != _months(
            earliest.year, earliest.month, length
        ):
            return None
        return names[earliest.month].format(year=earliest.year)

    return describe_block


_DESCRIBERS: dict[Precision, Callable[[date, date], str | None]] = {
    Precision.DAY: _describe_days,
    Precision.MONTH: _describe_months,
    Precision.QUARTER: _describe_block(
        3, {1: "Q1 {year}", 4: "Q2 {year}", 7: "Q3 {year}", 10: "Q4 {year}"}
    ),
    Precision.HALF: _describe_block(6, {1: "H1 {year}", 7: "H2 {year}"}),
    Precision.SEASON: _describe_block(
        3, {3: "spring {year}", 6: "summer {year}", 9: "autumn {year}", 12: "winter {year}"}
    ),
    Precision.PERIOD: _describe_block(4, {1: "early {year}", 5: "mid-{year}", 9: "late {year}"}),
    Precision.YEAR: _describe_block(12, {1: "{year}"}),
}


def describe(earliest: date, latest: date, precision: Precision | str) -> str:
    """Canonical text for a window given as bounds; `parse_deadline` reads it back."""
    label = f"{earliest} - {latest} ({precision})"
    if not isinstance(earliest, date) or not isinstance(latest, date):
        raise DeadlineError(label, "the bounds must be dates")
    try:
        kind = Precision(str(precision).strip().lower())
    except ValueError:
        known = ", ".join(Precision)
        raise DeadlineError(label, f"the precision must be one of {known}") from None
    if isinstance(earliest, datetime):
        earliest = earliest.date()
    if isinstance(latest, datetime):
        latest = latest.date()
    if earliest > latest:
        raise DeadlineError(label, "the window ends before it starts")
    try:
        canonical = _DESCRIBERS[kind](earliest, latest)
    except (ValueError, OverflowError):
        # Checking a window that would run past year 9999: it cannot be that window.
        canonical = None
    if canonical is None:
        return f"{earliest.isoformat()} - {latest.isoformat()}"
    return canonical
