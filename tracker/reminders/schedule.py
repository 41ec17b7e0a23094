"""When reminders fall due: pure date arithmetic, no database.

A reminder is sent at 08:00 on a local calendar day of its recipient, so the
schedule is built in wall-clock time and only then turned into an instant;
zoneinfo takes care of the days when the clocks change.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from collections.abc import Iterable
from dataclasses import dataclass

SEND_AT = dt.time(8, 0)
OVERDUE_AFTER_DAYS = 1
OVERDUE_EVERY_DAYS = 7
OVERDUE_AT_MOST = 4
# While an overdue item is open and stale (no source says what became of it), reminders
# go on monthly after the weekly ones: +30, +60, … days.
STALE_OVERDUE_EVERY_DAYS = 30
# After the last overdue reminder there is no later one to replace a missed one;
# past this it is stale news rather than a reminder.
LAST_REMINDER_KEEPS_DAYS = 7

BEFORE = "before"
OVERDUE = "overdue"


@dataclass(frozen=True, order=True)
class Slot:
    """One reminder in a recipient's schedule for one deadline."""

    due_at: dt.datetime
    kind: str
    offset: int  # days before the deadline; negative once overdue
    # Until when a missed reminder is still worth sending late: the next one replaces it.
    expires_at: dt.datetime


def local_instant(day: dt.date, zone: str) -> dt.datetime:
    """08:00 on `day` in `zone`, as an aware UTC datetime."""
    wall = dt.datetime.combine(day, SEND_AT, tzinfo=zoneinfo.ZoneInfo(zone))
    return wall.astimezone(dt.UTC)


def reminder_slots(
    latest: dt.date, offsets: Iterable[int], zone: str, *, stale_until: dt.date | None = None
) -> list[Slot]:
    """Every reminder for a deadline whose last day is `latest`, in the order they go out.

    With `stale_until` (the item is open and stale), the monthly overdue reminders after
    the weekly ones are included up to the first one after that day: the schedule is
    endless, so a planner asks for it up to a horizon and plans again later."""
    days: list[tuple[dt.date, str, int]] = [
        (latest - dt.timedelta(days=offset), BEFORE, offset) for offset in sorted(set(offsets))
    ]
    afters = [OVERDUE_AFTER_DAYS + n * OVERDUE_EVERY_DAYS for n in range(OVERDUE_AT_MOST)]
    if stale_until is not None:
        after = STALE_OVERDUE_EVERY_DAYS
        while True:
            if after > afters[-1]:
                afters.append(after)
            if latest + dt.timedelta(days=after) > stale_until:
                break
            after += STALE_OVERDUE_EVERY_DAYS
    for after in afters:
        days.append((latest + dt.timedelta(days=after), OVERDUE, -after))
    days.sort()
    instants = [local_instant(day, zone) for day, _, _ in days]
    slots = []
    for i, (_, kind, offset) in enumerate(days):
        expires = (
            instants[i + 1]
            if i + 1 < len(instants)
            else instants[i] + dt.timedelta(days=LAST_REMINDER_KEEPS_DAYS)
        )
        slots.append(Slot(due_at=instants[i], kind=kind, offset=offset, expires_at=expires))
    return slots


def worth_planning(slots: Iterable[Slot], now: dt.datetime) -> list[Slot]:
    """The slots still to come, plus the latest missed one (sent late, once)."""
    return [slot for slot in slots if slot.expires_at > now]
