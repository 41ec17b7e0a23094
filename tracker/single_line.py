"""Single-line text: names, titles, slugs and the like hold no control characters.

A line feed or carriage return in a name ends a line wherever the name is written into
a line-based format (an email header, an iCalendar property) and starts a forged one
there; NUL cannot be stored by PostgreSQL at all. The write services refuse such text
(`control_characters`), and what is written out from older rows goes through `one_line`.
"""

from __future__ import annotations

import re

# C0 and C1 controls (CR, LF, NUL, TAB, ESC, DEL, NEL …) and the Unicode line and
# paragraph separators, which some readers also take as line breaks.
CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")
REFUSED = "Write this on one line, without control characters such as line breaks."


def has_control_characters(text: str) -> bool:
    return CONTROL.search(text) is not None


def one_line(text: str) -> str:
    """The text with each run of control characters and spaces made one space."""
    return " ".join(CONTROL.sub(" ", text).split())
