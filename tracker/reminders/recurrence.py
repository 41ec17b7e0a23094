"""Digest schedules: a small, bounded kind of RFC 5545 RRULE, read part by part.

A digest rule is one daily, weekly or monthly RRULE. Its text is parsed into known parts
and the dateutil rule is built from those parts, never from the text itself, so a second
`RRULE:`, a `DTSTART` or a finer frequency cannot slip in. The parts are bounded so that
every accepted rule occurs at least once every INTERVAL periods: monthly days are those
that every month has (1–28, or counted from the end), a daily rule limited to some
weekdays repeats every day, and at most one time of day is allowed. Checking a rule
therefore needs no search at all, and finding its latest occurrence needs only a window
of about a year, never the years since the subscription began.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Literal

from dateutil.relativedelta import relativedelta
from dateutil.rrule import DAILY, FR, MO, MONTHLY, SA, SU, TH, TU, WE, WEEKLY, rrule, weekday

EXAMPLE = "Give a daily, weekly or monthly RRULE such as FREQ=WEEKLY;BYDAY=MO;BYHOUR=8."
FREQUENCIES: dict[str, Literal[1, 2, 3]] = {"DAILY": DAILY, "WEEKLY": WEEKLY, "MONTHLY": MONTHLY}
MAX_INTERVAL = {"DAILY": 31, "WEEKLY": 52, "MONTHLY": 12}
WEEKDAYS: dict[str, weekday] = {
    "MO": MO,
    "TU": TU,
    "WE": WE,
    "TH": TH,
    "FR": FR,
    "SA": SA,
    "SU": SU,
}
PARTS = ("FREQ", "INTERVAL", "BYDAY", "BYMONTHDAY", "BYHOUR", "BYMINUTE", "BYSECOND", "WKST")
MAX_LENGTH = 200
# Every month has days 1-28 and four of each weekday, so these always occur.
MAX_MONTHDAY = 28
MAX_ORDINAL = 4
# Longer than the widest gap an accepted rule can leave (12 months and a few weeks).
WINDOW = dt.timedelta(days=400)

_TEXT = re.compile(r"[A-Z0-9=;,+-]+")
_DAY = re.compile(r"([+-]?\d)?(MO|TU|WE|TH|FR|SA|SU)")
_NUMBER = re.compile(r"[+-]?\d{1,2}")


class DigestRuleError(ValueError):
    """The text is not a digest rule; the message says what to write instead."""

    def __init__(self, problem: str) -> None:
        super().__init__(f"{problem} {EXAMPLE}")


@dataclass(frozen=True)
class DigestRule:
    frequency: str
    interval: int = 1
    weekdays: tuple[tuple[int | None, str], ...] = ()  # (ordinal or None, "MO")
    monthdays: tuple[int, ...] = ()
    hour: int | None = None
    minute: int | None = None
    second: int | None = None
    week_start: str = "MO"

    def latest(self, *, at_or_before: dt.datetime, anchor: dt.datetime) -> dt.datetime | None:
        """The latest occurrence at or before `at_or_before`, in naive wall-clock time.

        `anchor` is when the schedule began (the subscription's creation): it fixes the
        phase of an INTERVAL and the day or time the rule leaves out. The search starts
        a whole number of intervals after it, no more than WINDOW before `at_or_before`.
        """
        start = self._phase_start(anchor, at_or_before - WINDOW)
        occurrence: dt.datetime | None = self._rrule(anchor, start).before(at_or_before, inc=True)
        return occurrence

    def following(self, *, after: dt.datetime, anchor: dt.datetime) -> dt.datetime | None:
        """The first occurrence strictly after `after`, in naive wall-clock time.

        Searched from the same phase start as `latest`, so both agree on the schedule.
        """
        start = self._phase_start(anchor, after - WINDOW)
        occurrence: dt.datetime | None = self._rrule(anchor, start).after(after, inc=False)
        return occurrence

    def _phase_start(self, anchor: dt.datetime, not_after: dt.datetime) -> dt.datetime:
        """The latest anchor + k·INTERVAL periods (k ≥ 0) that is not after `not_after`."""
        if not_after <= anchor:
            return anchor
        if self.frequency == "MONTHLY":
            months = (not_after.year - anchor.year) * 12 + not_after.month - anchor.month
            periods = months // self.interval
            start = anchor + relativedelta(months=periods * self.interval)
            if start > not_after:
                start = anchor + relativedelta(months=(periods - 1) * self.interval)
            return start
        days = 7 * self.interval if self.frequency == "WEEKLY" else self.interval
        periods = (not_after - anchor).days // days
        return anchor + dt.timedelta(days=periods * days)

    def _rrule(self, anchor: dt.datetime, start: dt.datetime) -> rrule:
        weekdays = [WEEKDAYS[day](n) if n else WEEKDAYS[day] for n, day in self.weekdays]
        monthdays = list(self.monthdays)
        # What the rule leaves out comes from the anchor, stated explicitly so that the
        # start of the search (which moves) never changes the day or time.
        if self.frequency == "WEEKLY" and not weekdays:
            weekdays = [weekday(anchor.weekday())]
        if self.frequency == "MONTHLY" and not weekdays and not monthdays:
            monthdays = [min(anchor.day, MAX_MONTHDAY)]
        return rrule(
            FREQUENCIES[self.frequency],
            dtstart=start,
            interval=self.interval,
            wkst=WEEKDAYS[self.week_start],
            byweekday=weekdays or None,
            bymonthday=monthdays or None,
            byhour=anchor.hour if self.hour is None else self.hour,
            byminute=anchor.minute if self.minute is None else self.minute,
            bysecond=0 if self.second is None else self.second,
        )


def parse_digest_rule(text: str) -> DigestRule:
    """Read one daily, weekly or monthly RRULE; DigestRuleError says what is wrong."""
    text = text.strip().upper()
    if len(text) > MAX_LENGTH:
        raise DigestRuleError(f"A digest rule is at most {MAX_LENGTH} characters.")
    text = text.removeprefix("RRULE:")
    if not _TEXT.fullmatch(text):
        raise DigestRuleError(
            "Write one rule of NAME=VALUE parts separated by semicolons, with no spaces, "
            "line breaks, DTSTART or second RRULE."
        )
    parts: dict[str, str] = {}
    for part in text.split(";"):
        name, equals, value = part.partition("=")
        if not equals or not value:
            raise DigestRuleError(f"“{part}” is not a NAME=VALUE part.")
        if name not in PARTS:
            raise DigestRuleError(f"{name} is not allowed; use only {', '.join(PARTS)}.")
        if name in parts:
            raise DigestRuleError(f"{name} is given twice.")
        parts[name] = value
    frequency = parts.get("FREQ", "")
    if frequency not in FREQUENCIES:
        raise DigestRuleError("Digests go out daily, weekly or monthly (FREQ).")
    interval = _number(parts.get("INTERVAL", "1"), "INTERVAL", 1, MAX_INTERVAL[frequency])
    weekdays = _weekdays(parts.get("BYDAY"), frequency=frequency, interval=interval)
    monthdays = _monthdays(parts.get("BYMONTHDAY"), frequency=frequency)
    if weekdays and monthdays:
        raise DigestRuleError("Give BYDAY or BYMONTHDAY, not both.")
    week_start = parts.get("WKST", "MO")
    if week_start not in WEEKDAYS:
        raise DigestRuleError("WKST is a weekday such as MO.")
    return DigestRule(
        frequency=frequency,
        interval=interval,
        weekdays=weekdays,
        monthdays=monthdays,
        hour=_single(parts.get("BYHOUR"), "BYHOUR", 23),
        minute=_single(parts.get("BYMINUTE"), "BYMINUTE", 59),
        second=_single(parts.get("BYSECOND"), "BYSECOND", 59),
        week_start=week_start,
    )


def _number(value: str, name: str, low: int, high: int) -> int:
    if not _NUMBER.fullmatch(value) or not low <= int(value) <= high:
        raise DigestRuleError(f"{name} is a whole number from {low} to {high}.")
    return int(value)


def _single(value: str | None, name: str, high: int) -> int | None:
    """One time-of-day part: a digest goes out at most once a day."""
    if value is None:
        return None
    if "," in value:
        raise DigestRuleError(f"Give one {name}: a digest goes out at most once a day.")
    return _number(value, name, 0, high)


def _weekdays(
    value: str | None, *, frequency: str, interval: int
) -> tuple[tuple[int | None, str], ...]:
    if value is None:
        return ()
    days: list[tuple[int | None, str]] = []
    for item in value.split(","):
        match = _DAY.fullmatch(item)
        if match is None:
            raise DigestRuleError(f"BYDAY lists weekdays such as MO,TH; “{item}” is not one.")
        ordinal = int(match.group(1)) if match.group(1) else None
        if ordinal is not None and (frequency != "MONTHLY" or not 1 <= abs(ordinal) <= 4):
            raise DigestRuleError(
                f"A numbered weekday such as 1MO or -1FR (1 to {MAX_ORDINAL} from either "
                "end) needs FREQ=MONTHLY."
            )
        if (ordinal, match.group(2)) in days:
            raise DigestRuleError(f"BYDAY lists {item} twice.")
        days.append((ordinal, match.group(2)))
    if frequency == "DAILY" and interval != 1:
        raise DigestRuleError("A daily rule limited to some weekdays cannot skip days too.")
    return tuple(days)


def _monthdays(value: str | None, *, frequency: str) -> tuple[int, ...]:
    if value is None:
        return ()
    if frequency != "MONTHLY":
        raise DigestRuleError("BYMONTHDAY needs FREQ=MONTHLY.")
    days: list[int] = []
    for item in value.split(","):
        if not _NUMBER.fullmatch(item) or not 1 <= abs(int(item)) <= MAX_MONTHDAY:
            raise DigestRuleError(
                f"BYMONTHDAY is a day that every month has: 1 to {MAX_MONTHDAY}, or -1 "
                f"(the last day) to -{MAX_MONTHDAY}; “{item}” is not."
            )
        if int(item) in days:
            raise DigestRuleError(f"BYMONTHDAY lists {item} twice.")
        days.append(int(item))
    return tuple(days)


# The dashboard's two fields, "day" and "hour", and the rule they stand for.
DAILY_DAY = "daily"


def schedule_rule(day: str, hour: int) -> str:
    """The rule for a digest every day (`day="daily"`) or on one weekday ("MO"), at `hour`
    o'clock; no digest when `day` is empty."""
    if not day:
        return ""
    if day == DAILY_DAY:
        return f"FREQ=DAILY;BYHOUR={hour};BYMINUTE=0;BYSECOND=0"
    if day not in WEEKDAYS:
        raise DigestRuleError(f"“{day}” is not a weekday such as MO.")
    return f"FREQ=WEEKLY;BYDAY={day};BYHOUR={hour};BYMINUTE=0;BYSECOND=0"


def schedule_of(text: str) -> tuple[str, int] | None:
    """(day, hour) for a rule `schedule_rule` can write; ("", 8) for no digest; None for
    any other rule (an administrator's or the API's), which the form keeps as it is."""
    if not text.strip():
        return "", 8
    try:
        rule = parse_digest_rule(text)
    except DigestRuleError:
        return None
    if rule.interval != 1 or rule.monthdays or rule.hour is None or rule.minute not in (0, None):
        return None
    if rule.frequency == "DAILY" and not rule.weekdays:
        return DAILY_DAY, rule.hour
    if rule.frequency == "WEEKLY" and len(rule.weekdays) == 1 and rule.weekdays[0][0] is None:
        return rule.weekdays[0][1], rule.hour
    return None
