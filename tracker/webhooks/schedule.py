"""When a failed webhook delivery is tried again, and when its endpoint is given up on.

Pure rules on plain values (seconds and datetimes); tracker.webhooks.delivery applies them.
The schedule follows Svix's published one (immediately, then 5 s, 5 min, 30 min, 2 h, 5 h,
10 h, 10 h) with more 10-hour waits, so a receiver is waited for about three days, as the
Standard Webhooks guidance suggests:

- A delivery is tried at once, then again after each wait of the schedule in turn; after the
  last wait's attempt fails it is failed, unless its endpoint is disabled by that failure, in
  which case it waits with every other delivery for the endpoint to be enabled.
- An endpoint is disabled when it has failed for the whole schedule (the sum of its waits),
  counted from its first failure with no success since, never by a count of failures.
- Its owner is warned once when a third of that period has passed (about a day), with the
  moment it will be disabled, and told again when it is.
"""

from __future__ import annotations

import datetime as dt
import enum
from collections.abc import Sequence

# Seconds to wait after each failed attempt: 5 s, 5 min, 30 min, 2 h, 5 h, then 10 h six
# times. 12 attempts over 2 days 19 h 35 min.
DEFAULT_SCHEDULE: tuple[int, ...] = (5, 300, 1800, 7200, 18000, *(36000,) * 6)


class ScheduleError(ValueError):
    pass


def parse_schedule(text: str) -> tuple[int, ...]:
    """`"5,300,1800"` → (5, 300, 1800): whole seconds, each at least 1, at least one."""
    parts = [part.strip() for part in text.split(",") if part.strip()]
    if not parts or not all(part.isascii() and part.isdigit() for part in parts):
        raise ScheduleError(
            f"A retry schedule is whole seconds separated by commas (e.g. 5,300,1800), "
            f"not {text!r}."
        )
    waits = tuple(int(part) for part in parts)
    if min(waits) < 1:
        raise ScheduleError(f"Every wait of a retry schedule is at least 1 second: {text!r}.")
    return waits


def attempts_allowed(schedule: Sequence[int]) -> int:
    """The first attempt and one after each wait."""
    return len(schedule) + 1


def next_try_after(failed_attempts: int, schedule: Sequence[int]) -> dt.timedelta | None:
    """How long to wait after the `failed_attempts`-th attempt failed; None after the last."""
    if failed_attempts < 1 or failed_attempts > len(schedule):
        return None
    return dt.timedelta(seconds=schedule[failed_attempts - 1])


def failing_period(schedule: Sequence[int]) -> dt.timedelta:
    """How long an endpoint may fail, with no success, before it is disabled."""
    return dt.timedelta(seconds=sum(schedule))


def warning_after(schedule: Sequence[int]) -> dt.timedelta:
    """How long an endpoint fails before its owner is warned (a third of the period)."""
    return failing_period(schedule) / 3


def disabled_on(failing_since: dt.datetime, schedule: Sequence[int]) -> dt.datetime:
    """The moment from which the next failure disables an endpoint failing since then."""
    return failing_since + failing_period(schedule)


class Verdict(enum.StrEnum):
    KEEP = "keep"  # keep trying, nothing to say
    WARN = "warn"  # keep trying, and tell the owner when it will be disabled
    DISABLE = "disable"  # failed for the whole period: stop and tell the owner


def after_failure(
    *, failing_since: dt.datetime, now: dt.datetime, warned: bool, schedule: Sequence[int]
) -> Verdict:
    """What an endpoint failing since `failing_since` (no success since) comes to at `now`."""
    failing_for = now - failing_since
    if failing_for >= failing_period(schedule):
        return Verdict.DISABLE
    if not warned and failing_for >= warning_after(schedule):
        return Verdict.WARN
    return Verdict.KEEP
