"""A subscription's input rules, with their messages: the time zone and the reminder offsets.

One source for the service, the API serializer, the admin and the dashboard form: each
translates its own input (a JSON list, a comma-separated field) and the error, nothing more.
Plain values in; django.core.exceptions.ValidationError, keyed by field, out.
"""

from __future__ import annotations

import zoneinfo
from collections.abc import Sequence
from typing import Any

from django.core.exceptions import ValidationError

MAX_OFFSET = 365
DEFAULT_OFFSETS = (30, 7, 1, 0)
OFFSETS_RULE = "Give whole days from 0 to 365 before the deadline, e.g. 30, 7, 1, 0."


def timezone_rule(name: str) -> str:
    return f"“{name}” is not a known time zone, e.g. Asia/Kolkata."


def validate_timezone(name: str) -> str:
    try:
        zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError) as error:
        raise ValidationError({"timezone": timezone_rule(name)}) from error
    return name


def validate_offsets(offsets: Sequence[Any]) -> list[int]:
    """Whole days from 0 to 365, at least one; largest first, each once."""
    if (
        not isinstance(offsets, list | tuple)
        or not offsets
        or not all(
            isinstance(o, int) and not isinstance(o, bool) and 0 <= o <= MAX_OFFSET for o in offsets
        )
    ):
        raise ValidationError({"offsets": OFFSETS_RULE})
    return sorted(set(offsets), reverse=True)


def offsets_from_text(text: str) -> list[int]:
    """ "7, 1, 30" (or "7; 1; 30") as a form takes it, judged by validate_offsets."""
    parts = [p.strip() for p in text.replace(";", ",").split(",") if p.strip()]
    # Only ASCII digits are days: int() would also read "²" or "٣", and then crash or mislead.
    return validate_offsets([int(p) if p.isascii() and p.isdigit() else p for p in parts])
