"""Text widths estimated by glyph class, for SVG drawn without a browser to measure it.

The badges and the timeline both size boxes to their text this way; each gives the advance
widths of its own font (tracker.dashboard.badges, tracker.dashboard.timeline).
"""

from __future__ import annotations

from dataclasses import dataclass

NARROW = frozenset("iljtfrI.,:;'!|()[] ")
WIDE = frozenset("mwMW@%—")


@dataclass(frozen=True)
class Advances:
    """A font's advance width for each glyph class, in the caller's unit (px or ems)."""

    narrow: float
    wide: float
    # Capitals and digits.
    capital: float
    other: float


def text_width(text: str, advances: Advances) -> float:
    width = 0.0
    for char in text:
        if char in NARROW:
            width += advances.narrow
        elif char in WIDE:
            width += advances.wide
        elif char.isupper() or char.isdigit():
            width += advances.capital
        else:
            width += advances.other
    return width
