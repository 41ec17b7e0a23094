"""The figures a reader compares across surfaces, counted and said in one place each.

Plain values in, plain values or text out; no ORM. The page, the embed and badge, the
emails, the API, the exports and tracker.status's reasons all call these, so a percentage,
an amount, a count of days or years, or a slip reads the same wherever it appears: one
function per figure (days_until, years_left, revision_slip; number, amount, percent, days,
countdown, next_deadline_words).
"""

from __future__ import annotations

import calendar
import datetime as dt
import math
import re
from collections.abc import Iterable

from tracker.deadlines import Deadline, Precision, in_words, short_date

# "USD billion", "EUR million": a currency code then a scale, said "USD 212.3 billion".
_CURRENCY_UNIT = re.compile(r"^(?P<code>[A-Z]{3})(?:\s+(?P<scale>.+))?$")
_BY = re.compile(r"^\s*by\s+", re.IGNORECASE)


# Leap years included, so a "year left" matches what people mean over multi-year targets.
DAYS_PER_YEAR = 365.25


def days_until(day: dt.date, today: dt.date) -> int:
    """Days from `today` to `day`, negative once it has passed: what every countdown counts
    (a milestone's days remaining, a negotiation's next deadline, a reminder's days left)."""
    return (day - today).days


def years_left(latest: dt.date, today: dt.date) -> float:
    """Years from `today` to a target's last day, negative once it has passed: the one count
    the required growth rate, the required pace and the target page use."""
    return (latest - today).days / DAYS_PER_YEAR


def revision_slip(previous: dt.date | None, new: dt.date | None) -> int | None:
    """Days one deadline revision moved the latest day (negative: pulled in); None when it
    set or removed the deadline rather than moving it."""
    if previous is None or new is None:
        return None
    return (new - previous).days


def slip_days(
    latest: dt.date | None, revisions: Iterable[tuple[dt.date | None, dt.date | None]]
) -> int:
    """Days a milestone's deadline has moved since it was first announced (negative: pulled
    in), given the (new latest, previous latest) dates of its revisions, oldest first, and
    its `latest` now; 0 without either."""
    first = next((new or previous for new, previous in revisions if new or previous), None)
    if first is None or latest is None:
        return 0
    return (latest - first).days


def slip(days_moved: int | None) -> str:
    """ "slipped 3 days", "pulled in 2 days", "no change": a slip as every surface says it."""
    if not days_moved:
        return "no change"
    if days_moved > 0:
        return f"slipped {days(days_moved)}"
    return f"pulled in {days(-days_moved)}"


def number(value: float) -> str:
    """Up to two decimals, thousands separated, no trailing zeros: "1,234.5"."""
    text = f"{value:,.2f}".rstrip("0").rstrip(".")
    return "0" if text == "-0" else text


def amount(value: float, unit: str, *, approximate: bool = False) -> str:
    """A figure with its unit, as a reader says it: "USD 212.3 billion", "45 tonnes";
    "about USD 186 billion" when the source gave it as approximate."""
    about = "about " if approximate else ""
    unit = unit.strip()
    if not unit:
        return about + number(value)
    if unit == "%":
        return f"{about}{number(value)}%"
    match = _CURRENCY_UNIT.match(unit)
    if match:
        scale = f" {match['scale']}" if match["scale"] else ""
        return f"{about}{match['code']} {number(value)}{scale}"
    return f"{about}{number(value)} {unit}"


def percent(ratio: float | None) -> str:
    """A ratio as a whole percentage, rounded down; "—" without one.

    Rounded down, so a target at 94.9% never reads "95%" while the rules call it at risk,
    and so the headline attainment and the reason beside it always agree. The epsilon keeps
    float noise such as 0.29 * 100 = 28.999… from losing a point.
    """
    if ratio is None:
        return "—"
    return f"{math.floor(ratio * 100 + 1e-9)}%"


def days(count: int) -> str:
    """ "1 day", "12 days"."""
    return f"{count} day" if count == 1 else f"{count} days"


# Deadlines known only to the month, quarter, season or half are counted down in months;
# those known only to the year, in years while more than a year and a half is left.
_MONTHLY = frozenset(
    {Precision.MONTH, Precision.QUARTER, Precision.HALF, Precision.SEASON, Precision.PERIOD}
)
_YEARLY = frozenset({Precision.YEAR, Precision.FISCAL_YEAR})
_DAYS_PER_MONTH = 30.44


def time_left(remaining: int, precision: str = Precision.DAY) -> str:
    """How long until a deadline's last day, no sharper than the deadline is known:
    "12 days" for a day, "about 3 months" for a month or season, "about 4 years" for a year;
    days for any deadline within a month of its last possible day.
    """
    # Within a month the days to the last possible day are what a reader acts on, and
    # the deadline's words ("by 30 November 2025") say that day is the last one.
    if (precision not in _MONTHLY and precision not in _YEARLY) or remaining < 31:
        return days(remaining)
    if precision in _YEARLY and remaining >= 1.5 * DAYS_PER_YEAR:
        return f"about {round(remaining / DAYS_PER_YEAR)} years"
    months = max(round(remaining / _DAYS_PER_MONTH), 1)
    return "about 1 month" if months == 1 else f"about {months} months"


def countdown(remaining: int | None, precision: str = Precision.DAY) -> str:
    """ "in 12 days", "in about 4 years" (a deadline of "2030"), "due today", "42 days
    overdue"; empty when there is no live deadline.

    Ahead of a deadline the count is no sharper than the deadline (tracker.figures.time_left).
    Past it, the days since its last possible day are exact whatever its precision.
    """
    if remaining is None:
        return ""
    if remaining == 0:
        return "due today"
    if remaining == 1:
        return "due tomorrow"
    if remaining > 0:
        return f"in {time_left(remaining, precision)}"
    overdue = -remaining
    # Beyond two months a reader grasps months faster than a count of days.
    if overdue >= 60:
        return f"{days(overdue)} overdue (about {round(overdue / _DAYS_PER_MONTH)} months)"
    return f"{days(overdue)} overdue"


def countdown_to(day: dt.date | None, today: dt.date, precision: str = Precision.DAY) -> str:
    """The countdown to `day` as of `today` ("in 12 days", "in about 4 years"); empty
    without a day. A negotiation's next deadline is counted with this on its card, its page
    and its embed."""
    return countdown(None if day is None else days_until(day, today), precision)


def next_deadline_words(deadline: Deadline | None, on: dt.date | None) -> str:
    """The next deadline as its source worded it ("by 2030", "autumn 2025"), else as a day
    ("8 Jul 2025"); empty without one. `deadline` is that of the open milestone due `on`."""
    if on is None:
        return ""
    if deadline is not None and deadline.text:
        return in_words(deadline)
    return short_date(on)


def pace(per_year: float, unit: str) -> str:
    """A linear target's required pace: "+62 USD billion a year"."""
    sign = "+" if per_year >= 0 else "−"
    tail = f" {unit.strip()}" if unit.strip() else ""
    return f"{sign}{number(abs(per_year))}{tail} a year"


def growth_rate(rate: float) -> str:
    """A compound target's required growth: "+21.4%/year"."""
    sign = "+" if rate >= 0 else "−"
    return f"{sign}{abs(rate) * 100:,.1f}%/year"


def by_deadline(deadline_text: str) -> str:
    """ "by 2030" whether the deadline was typed "2030" or "by 2030": never "by by"."""
    return "by " + _BY.sub("", deadline_text.strip())


def _month(day: dt.date) -> str:
    return f"{day:%b} {day.year}"


def _year_after(start: dt.date) -> dt.date | None:
    """The last day of the year that starts on `start`."""
    try:
        return start.replace(year=start.year + 1) - dt.timedelta(days=1)
    except ValueError:  # 29 February, or the last year a date can hold
        return None


def period_text(start: dt.date, end: dt.date) -> str:
    """The period a figure covers, as short as it is exact.

    "2025" (a calendar year), "Q1 2026", "March 2026", "Apr 2025 – Mar 2026" (a fiscal
    year or other run of whole months), "the year to 26 May 2025" (twelve months to a
    day), "26 May 2025" (one day), else the two days.
    """
    whole_months = start.day == 1 and end.day == calendar.monthrange(end.year, end.month)[1]
    if start == end:
        return f"{end.day} {end:%B} {end.year}"
    if whole_months:
        months = (end.year - start.year) * 12 + end.month - start.month + 1
        if months == 12 and start.month == 1:
            return str(start.year)
        if months == 3 and start.month % 3 == 1:
            return f"Q{start.month // 3 + 1} {start.year}"
        if months == 1:
            return f"{start:%B} {start.year}"
        return f"{_month(start)} – {_month(end)}"
    if _year_after(start) == end:
        return f"the year to {end.day} {end:%B} {end.year}"
    return f"{start.day} {start:%b} {start.year} – {end.day} {end:%b} {end.year}"


def required_pace(growth: str, *, rate: float | None, per_year: float | None, unit: str) -> str:
    """What it still takes, as the path is read: a linear path in units a year, a compound
    one in %/year; empty when nothing can be said (the deadline has passed)."""
    if growth == "linear":
        return "" if per_year is None else pace(per_year, unit)
    return "" if rate is None else growth_rate(rate)


def target_figures(baseline: float, target: float, unit: str, deadline_text: str) -> str:
    """ "From USD 190 billion to USD 500 billion by 2030"."""
    return f"From {amount(baseline, unit)} to {amount(target, unit)} {by_deadline(deadline_text)}"
