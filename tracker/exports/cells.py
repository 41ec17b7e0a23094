"""What a cell of an export holds: plain values, and text a spreadsheet will not run.

A spreadsheet reads a cell that starts with =, +, - or @ (and, in some, a tab or a
carriage return) as a formula: a milestone titled "=HYPERLINK(...)" would become a live
link or worse in whoever opens the file (CSV or formula injection). Such text is
prefixed with an apostrophe, which spreadsheets show as text. Numbers are never text
here, so a real -52 days stays a number.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

Cell = str | int | float | Decimal | dt.date | dt.datetime | bool | None

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def neutralised(text: str) -> str:
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def plain(value: Cell) -> Cell:
    """Text neutralised; every other kind as it is (the writers format dates as ISO)."""
    if isinstance(value, str):
        return neutralised(value)
    if isinstance(value, dt.datetime) and value.tzinfo is not None:
        # Spreadsheets have no time zones: times are given in UTC, and the header says so.
        return value.astimezone(dt.UTC).replace(tzinfo=None)
    return value


def as_text(value: Cell) -> str:
    """A cell as CSV text: ISO dates and times, numbers as Python writes them, empty for None."""
    value = plain(value)
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dt.datetime):
        return value.isoformat(timespec="seconds")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return f"{value.normalize():f}"
    return str(value)
