"""Approximate deadlines: "Q3 2025", "autumn", "within 90 days" read as a window of dates.

A pure module (no Django): text and a reference date in, a `Deadline` out. Every form has
its own explicit pattern; dateutil's fuzzy parser is deliberately not used because it
happily turns garbage into a date. dateutil supplies the month vocabulary and the calendar
arithmetic (month ends, leap years, "in 3 months" from January 31).
"""

from __future__ import annotations

import difflib
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
    FISCAL_YEAR = "fiscal_year"


class NumericOrder(enum.StrEnum):
    """How 03/04/2027 is read: day first (most of the world) or month first (the US)."""

    DMY = "dmy"
    MDY = "mdy"


DEFAULT_FISCAL_YEAR_START = 4


@dataclass(frozen=True)
class Deadline:
    text: str
    earliest: date
    latest: date
    precision: Precision
    # The day a relative phrase ("within 90 days", "next month", "July 8") was read from:
    # the window is what it meant then. None when the text names its dates outright.
    said_on: date | None = None


@dataclass(frozen=True)
class Reading:
    """What the text alone does not say: the day it was said and the local conventions."""

    reference: date
    fiscal_year_start: int = DEFAULT_FISCAL_YEAR_START
    numeric_order: NumericOrder = NumericOrder.DMY


ACCEPTED_FORMS: tuple[str, ...] = (
    "July 8, 2025",
    "8 July 2025",
    "2025-07-08",
    "July 8",
    "May 27-29, 2025",
    "May 27, 2025 - June 2, 2025",
    "July 2025",
    "end of July 2025",
    "end-March 2027",
    "early December 2026",
    "mid-January 2027",
    "late March",
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
    "end of Q1 2027",
    "end of H1 2027",
    "by year-end",
    "by the end of the year",
    "31/03/2027",
    "31.03.2027",
    "31-03-2027",
    "FY2026-27",
    "fiscal 2026-27",
    "FY2027",
    "FY27",
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
        if self.reason:
            return f'Cannot read "{shown}" as a deadline: {self.reason}.'
        # Name the one form it comes closest to, not all forty: a list that long is not read.
        suggestion = closest_form(self.text)
        if suggestion is not None:
            return f'Cannot read "{shown}" as a deadline. Did you mean "{suggestion}"?'
        return f'Cannot read "{shown}" as a deadline. Write it like {_EXAMPLES}.'


# The fallback when nothing typed comes close to a form: a few that show the range.
_EXAMPLES = '"July 8, 2025", "Q3 2025", "mid-2026", "FY2026-27" or "within 90 days"'
# How alike (difflib's ratio, 0-1) the text and a form must be for the form to be suggested.
_SUGGESTION_CUTOFF = 0.6


def closest_form(text: str) -> str | None:
    """The accepted form nearest to `text` ("mid 2026x" → "mid-2026"), or None."""
    typed = " ".join(text.lower().split())
    forms = {form.lower(): form for form in ACCEPTED_FORMS}
    found = difflib.get_close_matches(typed, forms, n=1, cutoff=_SUGGESTION_CUTOFF)
    return forms[found[0]] if found else None


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
_MONTH_PART_STARTS = {"early": 1, "mid": 11, "late": 21}
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
Reader = Callable[[Match, Reading], Window]
# relative: the window depends on the day the text was said. None means "when the pattern
# has an optional year and it was left out" (July 8, spring, Q3).
_FORMS: list[tuple[re.Pattern[str], Reader, bool | None]] = []


def _form(*patterns: str, relative: bool | None = None) -> Callable[[Reader], Reader]:
    def register(reader: Reader) -> Reader:
        _FORMS.extend((re.compile(pattern), reader, relative) for pattern in patterns)
        return reader

    return register


def _is_relative(match: Match, relative: bool | None) -> bool:
    if relative is not None:
        return relative
    return "y" in match.groupdict() and match["y"] is None


def _iso(year: str, month: str, day: str) -> date:
    if not 1 <= int(month) <= 12:
        raise _Unreadable(f"there is no month {int(month)}")
    return _day(_year(year), int(month), int(day))


_ISO = "{y}-(?P<{m}>[0-9]{{1,2}})-(?P<{d}>[0-9]{{1,2}})"


@_form(_ISO.format(y=_y("y"), m="m", d="d"))
def _read_iso_day(match: Match, reading: Reading) -> Window:
    day = _iso(match["y"], match["m"], match["d"])
    return day, day, Precision.DAY


@_form(_ISO.format(y=_y("y1"), m="m1", d="d1") + "-" + _ISO.format(y=_y("y2"), m="m2", d="d2"))
def _read_iso_span(match: Match, reading: Reading) -> Window:
    first = _iso(match["y1"], match["m1"], match["d1"])
    last = _iso(match["y2"], match["m2"], match["d2"])
    return (*_ordered(first, last), Precision.DAY)


@_form(
    rf"{_m('m')} {_d('d')}(?: {_y('y')})?",
    rf"{_d('d')} (?:of )?{_m('m')}(?: {_y('y')})?",
)
def _read_day(match: Match, reading: Reading) -> Window:
    month, day = _month(match["m"]), int(match["d"])
    if match["y"] is None:
        _day_in_some_year(month, day)

    def build(year: int) -> Bounds:
        return _day(year, month, day), _day(year, month, day)

    return (*_in_year(match["y"], reading.reference, build), Precision.DAY)


@_form(
    rf"{_m('m')} {_d('d1')}-{_d('d2')}(?: {_y('y')})?",
    rf"{_d('d1')}-{_d('d2')} (?:of )?{_m('m')}(?: {_y('y')})?",
)
def _read_span_in_month(match: Match, reading: Reading) -> Window:
    month, first, last = _month(match["m"]), int(match["d1"]), int(match["d2"])
    if last < first:
        raise _Unreadable("the span ends before it starts")
    if match["y"] is None:
        _day_in_some_year(month, first)
        _day_in_some_year(month, last)

    def build(year: int) -> Bounds:
        return _day(year, month, first), _day(year, month, last)

    return (*_in_year(match["y"], reading.reference, build), Precision.DAY)


@_form(
    rf"{_m('m1')} {_d('d1')}(?: {_y('y1')})?-{_m('m2')} {_d('d2')} {_y('y2')}",
    rf"{_d('d1')} {_m('m1')}(?: {_y('y1')})?-{_d('d2')} {_m('m2')} {_y('y2')}",
)
def _read_span_across_months(match: Match, reading: Reading) -> Window:
    first_month, last_month = _month(match["m1"]), _month(match["m2"])
    last_year = _year(match["y2"])
    first_year = _span_start_year(match["y1"], first_month, last_month, last_year)
    first = _day(first_year, first_month, int(match["d1"]))
    last = _day(last_year, last_month, int(match["d2"]))
    return (*_ordered(first, last), Precision.DAY)


@_form(rf"(?:end of |end-)?{_m('m')}(?: {_y('y')})?")
def _read_month(match: Match, reading: Reading) -> Window:
    month = _month(match["m"])
    bounds = _in_year(match["y"], reading.reference, lambda y: _months(y, month, 1))
    return (*bounds, Precision.MONTH)


@_form(rf"{_m('m1')}(?: {_y('y1')})?-{_m('m2')} {_y('y2')}")
def _read_month_span(match: Match, reading: Reading) -> Window:
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
def _read_quarter(match: Match, reading: Reading) -> Window:
    quarter = _ordinal(match)
    first_month = 3 * quarter - 2
    bounds = _in_year(match["y"], reading.reference, lambda y: _months(y, first_month, 3))
    return (*bounds, Precision.QUARTER)


@_form(
    rf"h(?P<n>[12])(?:[ -]{_y('y')})?",
    rf"(?P<n>[12])h(?:[ -]{_y('y')})?",
    rf"(?P<word>first|1st|second|2nd) half(?: of)?(?: {_y('y')})?",
)
def _read_half(match: Match, reading: Reading) -> Window:
    half = _ordinal(match)
    first_month = 6 * half - 5
    bounds = _in_year(match["y"], reading.reference, lambda y: _months(y, first_month, 6))
    return (*bounds, Precision.HALF)


@_form(rf"(?P<season>spring|summer|autumn|fall|winter)(?: of)?(?: {_y('y')})?")
def _read_season(match: Match, reading: Reading) -> Window:
    # A season is named after the year it starts in: winter 2025 runs into February 2026.
    first_month = _SEASON_STARTS[match["season"]]
    bounds = _in_year(match["y"], reading.reference, lambda y: _months(y, first_month, 3))
    return (*bounds, Precision.SEASON)


@_form(rf"winter(?: of)? {_y('y')}[-/](?P<next>[0-9]{{2}}|[0-9]{{4}})")
def _read_winter_across_years(match: Match, reading: Reading) -> Window:
    # "winter 2025-26" (or 2025/2026) names both years; they must be consecutive.
    year = _year(match["y"])
    written = match["next"]
    following = (year + 1) % 100 if len(written) == 2 else year + 1
    if int(written) != following:
        raise _Unreadable("a winter spans two consecutive years")
    return (*_months(year, 12, 3), Precision.SEASON)


@_form(rf"(?P<part>early|mid|late)[ -]{_y('y')}")
def _read_period(match: Match, reading: Reading) -> Window:
    first_month = _PERIOD_STARTS[match["part"]]
    return (*_months(_year(match["y"]), first_month, 4), Precision.PERIOD)


def _month_part(year: int, month: int, part: str) -> Bounds:
    """Early, mid or late in a month: days 1-10, 11-20, 21 to the month's end."""
    first_day = _MONTH_PART_STARTS[part]
    start = date(year, month, first_day)
    if part == "late":
        return start, start + relativedelta(day=31)
    return start, start + relativedelta(days=9)


@_form(rf"(?P<part>early|mid|late)[ -]{_m('m')}(?: {_y('y')})?")
def _read_month_part(match: Match, reading: Reading) -> Window:
    # "mid-January 2027" as officials say it: a third of the month, not the whole month.
    month, part = _month(match["m"]), match["part"]
    bounds = _in_year(match["y"], reading.reference, lambda y: _month_part(y, month, part))
    return (*bounds, Precision.PERIOD)


@_form(rf"(?:(?:end of(?: the year| year)?|year-end|year end|yearend) |end-){_y('y')}")
def _read_year_end(match: Match, reading: Reading) -> Window:
    # "End of 2026" is read as its last month: narrower than the year, as people mean it.
    return (*_months(_year(match["y"]), 12, 1), Precision.MONTH)


@_form(r"(?:end of(?: the)? year|year-end|year end|yearend|end-year)", relative=True)
def _read_this_year_end(match: Match, reading: Reading) -> Window:
    # December of the year it was said in; next year's once that December has passed.
    bounds = _next_not_ended(lambda y: _months(y, 12, 1), reading.reference)
    return (*bounds, Precision.MONTH)


_END_OF = r"(?:end of (?:the )?|end-)"


@_form(
    rf"{_END_OF}q(?P<n>[1-4])(?:[ -]{_y('y')})?",
    rf"{_END_OF}(?P<n>[1-4])q(?:[ -]{_y('y')})?",
    rf"{_END_OF}(?P<word>first|1st|second|2nd|third|3rd|fourth|4th) quarter(?: of)?(?: {_y('y')})?",
)
def _read_quarter_end(match: Match, reading: Reading) -> Window:
    # Like "end of 2026": the last month of the quarter, not the whole quarter.
    last_month = 3 * _ordinal(match)
    bounds = _in_year(match["y"], reading.reference, lambda y: _months(y, last_month, 1))
    return (*bounds, Precision.MONTH)


@_form(
    rf"{_END_OF}h(?P<n>[12])(?:[ -]{_y('y')})?",
    rf"{_END_OF}(?P<n>[12])h(?:[ -]{_y('y')})?",
    rf"{_END_OF}(?P<word>first|1st|second|2nd) half(?: of)?(?: {_y('y')})?",
)
def _read_half_end(match: Match, reading: Reading) -> Window:
    last_month = 6 * _ordinal(match)
    bounds = _in_year(match["y"], reading.reference, lambda y: _months(y, last_month, 1))
    return (*bounds, Precision.MONTH)


@_form(rf"(?P<a>[0-9]{{1,2}})(?P<sep>[/.-])(?P<b>[0-9]{{1,2}})(?P=sep){_y('y')}")
def _read_numeric_day(match: Match, reading: Reading) -> Window:
    # 03/04/2027 is ambiguous; the setting decides, and a reading impossible in that order
    # is refused rather than swapped (13/31/2027 under dmy is a typo, not December 13).
    if reading.numeric_order is NumericOrder.MDY:
        month, day, order = int(match["a"]), int(match["b"]), "month first"
    else:
        day, month, order = int(match["a"]), int(match["b"]), "day first"
    if not 1 <= month <= 12:
        raise _Unreadable(f"there is no month {month} (numeric dates are read {order})")
    try:
        found = date(_year(match["y"]), month, day)
    except ValueError:
        raise _Unreadable(
            f"{_MONTH_NAMES[month - 1]} {day}, {match['y']} does not exist "
            f"(numeric dates are read {order})"
        ) from None
    return found, found, Precision.DAY


def _fiscal_year(first_year: int, reading: Reading) -> Bounds:
    """The fiscal year that starts in `first_year`, in the reading's start month."""
    earliest, latest = _months(first_year, reading.fiscal_year_start, 12)
    _year(str(latest.year))
    return earliest, latest


_FISCAL = r"(?:fy|fiscal(?: year)?) ?"


@_form(rf"{_FISCAL}{_y('y1')}[-/](?P<y2>[0-9]{{2}}|[0-9]{{4}})")
def _read_fiscal_year_span(match: Match, reading: Reading) -> Window:
    # "FY2026-27": the fiscal year starting in 2026; the two years must follow each other.
    first_year = _year(match["y1"])
    written = match["y2"]
    following = (first_year + 1) % 100 if len(written) == 2 else first_year + 1
    if int(written) != following:
        raise _Unreadable("a fiscal year spans two consecutive years")
    if reading.fiscal_year_start == 1:
        raise _Unreadable(
            f"a fiscal year starting in January lies in one year: write FY{first_year}"
        )
    return (*_fiscal_year(first_year, reading), Precision.FISCAL_YEAR)


@_form(rf"{_FISCAL}(?P<ending>[0-9]{{4}}|[0-9]{{2}})")
def _read_fiscal_year_ending(match: Match, reading: Reading) -> Window:
    # "FY2027" / "FY27": the fiscal year that ends in 2027 (as India and the US both say).
    written = match["ending"]
    last_year = _year(written if len(written) == 4 else f"20{written}")
    first_year = last_year if reading.fiscal_year_start == 1 else last_year - 1
    return (*_fiscal_year(first_year, reading), Precision.FISCAL_YEAR)


@_form(_y("y"))
def _read_year(match: Match, reading: Reading) -> Window:
    return (*_months(_year(match["y"]), 1, 12), Precision.YEAR)


@_form(
    r"(?:within|in) (?:the )?(?:next )?(?P<n>[0-9]+|an?|one) (?P<unit>day|week|month|year)s?",
    relative=True,
)
def _read_count_ahead(match: Match, reading: Reading) -> Window:
    unit = match["unit"]
    count = _COUNT_WORDS.get(match["n"]) or int(match["n"])
    if not 1 <= count <= _MAX_COUNT[unit]:
        raise _Unreadable(f"the count must be between 1 and {_MAX_COUNT[unit]} {unit}s")
    # relativedelta keeps month arithmetic on the calendar: January 31 + 1 month = Feb 28.
    day = reading.reference + _STEPS[unit] * count
    return day, day, Precision.DAY


@_form(r"next (?P<unit>week|month|year)", relative=True)
def _read_next(match: Match, reading: Reading) -> Window:
    unit = match["unit"]
    if unit == "week":
        day = reading.reference + relativedelta(weeks=1)
        return day, day, Precision.DAY
    if unit == "month":
        following = reading.reference + relativedelta(months=1)
        return (*_months(following.year, following.month, 1), Precision.MONTH)
    return (*_months(reading.reference.year + 1, 1, 12), Precision.YEAR)


@_form(r"(?P<word>today|tomorrow)", relative=True)
def _read_today(match: Match, reading: Reading) -> Window:
    day = reading.reference + relativedelta(days=1 if match["word"] == "tomorrow" else 0)
    return day, day, Precision.DAY


# --- reading ------------------------------------------------------------------------------


def _normalise(text: str) -> str:
    if len(text) > MAX_TEXT_LENGTH:
        raise _Unreadable(f"it is longer than {MAX_TEXT_LENGTH} characters")
    if any(
        unicodedata.category(ch) in ("Cc", "Cf") and ch not in _WHITESPACE_CONTROLS for ch in text
    ):
        raise _Unreadable("it contains control characters")
    lowered = text.lower().translate(_DASHES).replace(",", " ").replace("’", "'")
    lowered = lowered.strip().removesuffix(".")
    spaced = " ".join(lowered.split()).replace(" to ", "-")
    return re.sub(" ?- ?", "-", spaced)


# --- French -------------------------------------------------------------------------------
# Ministries in Paris, Brussels and Geneva write deadlines in French. Their forms are the
# English ones in other words, so each is rewritten into the English form, and read by it.

FRENCH_FORMS: tuple[str, ...] = (
    "8 juillet 2025",
    "1er juillet 2025",
    "juillet 2025",
    "fin mars 2027",
    "mi-janvier 2027",
    "T1 2027",
    "premier trimestre 2027",
    "fin du T1 2027",
    "S1 2027",
    "au premier semestre 2027",
    "automne 2025",
    "début 2026",
    "mi-2026",
    "fin 2027",
    "d'ici fin 2027",
    "d'ici la fin de l'année",
    "exercice 2026-27",
    "d'ici 90 jours",
    "dans 3 mois",
    "le mois prochain",
    "l'année prochaine",
    "aujourd'hui",
    "demain",
)

_FRENCH_MONTHS = {
    "janvier": "january",
    "février": "february",
    "fevrier": "february",
    "mars": "march",
    "avril": "april",
    "mai": "may",
    "juin": "june",
    "juillet": "july",
    "août": "august",
    "aout": "august",
    "septembre": "september",
    "octobre": "october",
    "novembre": "november",
    "décembre": "december",
    "decembre": "december",
}
_FRENCH_ORDINALS = {
    "premier": "first",
    "1er": "first",
    "deuxième": "second",
    "deuxieme": "second",
    "second": "second",
    "2e": "second",
    "troisième": "third",
    "troisieme": "third",
    "3e": "third",
    "quatrième": "fourth",
    "quatrieme": "fourth",
    "4e": "fourth",
}
_FRENCH_ORDINAL = "|".join(sorted(_FRENCH_ORDINALS, key=len, reverse=True))
_FRENCH_UNITS = {"jour": "day", "semaine": "week", "mois": "month", "an": "year", "année": "year"}
# In order: whole phrases first, then the words inside the forms, then what comes before.
_FRENCH: tuple[tuple[re.Pattern[str], Callable[[Match], str] | str], ...] = tuple(
    (re.compile(pattern), replacement)
    for pattern, replacement in (
        (r"\baujourd'hui\b", "today"),
        (r"\bdemain\b", "tomorrow"),
        (
            r"\b(?:la |l')?(semaine|mois|année) prochaine?\b",
            lambda m: f"next {_FRENCH_UNITS[m[1]]}",
        ),
        (r"\b(?:la |l')?an prochain\b", "next year"),
        (
            r"\b(?:d'ici|dans|sous|en)(?: les)? ([0-9]+) (jour|semaine|mois|an|année)s?\b",
            lambda m: f"within {m[1]} {_FRENCH_UNITS[m[2]]}s",
        ),
        (r"\bfin (?:de (?:l'|la )|d')?(?:année|an)\b", "end of the year"),
        (r"\bfin (?:du |de |d')?", "end of "),
        (r"\bdébut (?:de |d')?", "early "),
        (r"\bmi-", "mid-"),
        (r"\bt([1-4])\b", r"q\1"),
        (r"\bs([12])\b", r"h\1"),
        (
            rf"\b({_FRENCH_ORDINAL}) trimestre(?: de| d')?",
            lambda m: f"{_FRENCH_ORDINALS[m[1]]} quarter",
        ),
        (
            rf"\b({_FRENCH_ORDINAL}) semestre(?: de| d')?",
            lambda m: f"{_FRENCH_ORDINALS[m[1]]} half",
        ),
        (r"\b([0-9]{1,2})er\b", r"\1"),
        (r"\bprintemps\b", "spring"),
        (r"\bété\b", "summer"),
        (r"\bautomne\b", "autumn"),
        (r"\bhiver\b", "winter"),
        (r"\bexercice(?: budgétaire)?\b", "fiscal"),
        (r"(?<!\w)(" + "|".join(_FRENCH_MONTHS) + r")(?!\w)", lambda m: _FRENCH_MONTHS[m[1]]),
        (r"^(?:d'ici|avant|au plus tard|jusqu'au|jusqu'à)(?: le| la| l')? ?", "by "),
        (r"^(?:au|à l'|à la|à|en|le|la|l'|du|de|d'|courant)(?: |(?<=')) ?", ""),
    )
)


def _from_french(text: str) -> str:
    """The English form a French deadline says, from a normalised text; English unchanged."""
    for pattern, replacement in _FRENCH:
        text = pattern.sub(replacement, text)
    return " ".join(text.split())


# Words only English wording uses: a text holding one is English with a mistake in it
# ("early Decembre 2026"), refused with its closest English form, not read as French.
_ENGLISH_ONLY = frozenset(
    [
        "early",
        "late",
        "mid",
        "by",
        "end",
        "of",
        "within",
        "next",
        "quarter",
        "half",
        "the",
        "before",
        "until",
        "around",
        "fall",
    ]
)


def _read(text: str, reading: Reading) -> tuple[Window, bool]:
    normalised = _normalise(text)
    try:
        return _read_normalised(normalised, reading)
    except _Unreadable:
        french = _from_french(normalised)
        if french == normalised or _ENGLISH_ONLY & set(normalised.split()):
            raise
        return _read_normalised(french, reading)


def _read_normalised(candidate: str, reading: Reading) -> tuple[Window, bool]:
    # Forms are tried before filler is stripped so that "in 3 months" stays relative
    # while "in July 2025" loses its "in".
    while candidate:
        for pattern, reader, relative in _FORMS:
            match = pattern.fullmatch(candidate)
            if match is not None:
                return reader(match, reading), _is_relative(match, relative)
        filler = _FILLER.match(candidate)
        if filler is None:
            break
        candidate = candidate[filler.end() :]
    raise _Unreadable()


def parse_deadline(
    text: str,
    reference: date | None = None,
    *,
    fiscal_year_start: int = DEFAULT_FISCAL_YEAR_START,
    numeric_order: NumericOrder | str = NumericOrder.DMY,
) -> Deadline:
    """Read `text` as a deadline window; forms without a year count from `reference`.

    `fiscal_year_start` is the month (1-12) fiscal years start in ("FY2027");
    `numeric_order` says whether 03/04/2027 is read day first ("dmy") or month first.
    """
    if reference is None:
        reference = date.today()
    elif isinstance(reference, datetime):
        # A datetime cannot be compared with a date; only its calendar day matters here.
        reference = reference.date()
    if not isinstance(text, str):
        raise DeadlineError(f"<{type(text).__name__}>", "a deadline must be text")
    stripped = text.strip()
    if isinstance(fiscal_year_start, bool) or fiscal_year_start not in range(1, 13):
        raise DeadlineError(stripped, "the fiscal year must start in a month from 1 to 12")
    if numeric_order not in tuple(NumericOrder):
        raise DeadlineError(stripped, "numeric dates are read dmy or mdy")
    reading = Reading(reference, fiscal_year_start, NumericOrder(numeric_order))
    try:
        (earliest, latest, precision), relative = _read(stripped, reading)
    except _Unreadable as error:
        raise DeadlineError(stripped, error.reason) from None
    except (ValueError, OverflowError):
        # Calendar arithmetic past year 9999 (a far-future reference date).
        raise DeadlineError(stripped, "it falls outside the calendar") from None
    return Deadline(
        text=stripped,
        earliest=earliest,
        latest=latest,
        precision=precision,
        said_on=reference if relative else None,
    )


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


def _describe_fiscal_year(earliest: date, latest: date) -> str | None:
    # Any twelve whole months: the start month is the window's own, so the text reads
    # back to the same window wherever the fiscal year starts in that month.
    if earliest.day != 1 or (earliest, latest) != _months(earliest.year, earliest.month, 12):
        return None
    if earliest.month == 1:
        return f"FY{earliest.year}"
    return f"FY{earliest.year}-{latest.year % 100:02d}"


_describe_year_period = _describe_block(4, {1: "early {year}", 5: "mid-{year}", 9: "late {year}"})


def _describe_period(earliest: date, latest: date) -> str | None:
    # "early 2026" (four months) or "mid-January 2027" (a third of one month).
    for part, first_day in _MONTH_PART_STARTS.items():
        if earliest.day == first_day and (earliest, latest) == _month_part(
            earliest.year, earliest.month, part
        ):
            month = _MONTH_NAMES[earliest.month - 1]
            joint = "-" if part == "mid" else " "
            return f"{part}{joint}{month} {earliest.year}"
    return _describe_year_period(earliest, latest)


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
    Precision.PERIOD: _describe_period,
    Precision.YEAR: _describe_block(12, {1: "{year}"}),
    Precision.FISCAL_YEAR: _describe_fiscal_year,
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


def short_date(day: date) -> str:
    """ "8 Jul 2025": a day as deadlines, the timeline and the badges write it."""
    return f"{day.day} {_MONTH_NAMES[day.month - 1][:3]} {day.year}"


def in_words(deadline: Deadline) -> str:
    """The deadline as shown to people: the words as said, and for a relative phrase the
    date it meant and the day it was said ("by 20 Feb 2027 (within 90 days of 22 Nov 2026)").

    Every page, email, feed and API response that describes a deadline uses this, so
    "within 90 days" never reads as if it were still counting.
    """
    if deadline.said_on is None:
        return deadline.text
    if deadline.earliest == deadline.latest:
        resolved = short_date(deadline.latest)
    else:
        resolved = describe(deadline.earliest, deadline.latest, deadline.precision)
    words = deadline.text
    said = short_date(deadline.said_on)
    if _normalise_quietly(words).startswith("within "):
        return f"by {resolved} ({words} of {said})"
    return f"by {resolved} ({words}, said on {said})"


def _normalise_quietly(text: str) -> str:
    try:
        return _normalise(text)
    except _Unreadable:
        return text.lower()
