"""Shields-style status badges as SVG: a grey label, then the health in its colour.

Plain values in, SVG text out. Every piece of text is escaped: names come from editors.
"""

from __future__ import annotations

from django.utils.html import escape

from tracker.dashboard import glyphs
from tracker.dashboard.glyphs import Advances
from tracker.status import HEALTH_LABELS, Health

# The dashboard's status colours (tranche.css), white text on each above WCAG AA.
HEALTH_COLOURS: dict[Health, str] = {
    Health.OFF_TRACK: "#b00020",
    Health.AT_RISK: "#8a4b00",
    Health.NO_DATA: "#555555",
    Health.ON_TRACK: "#1e6b32",
    Health.ACTIVE: "#1f5f8b",
    Health.NOT_STARTED: "#555555",
    Health.ACHIEVED: "#1e6b32",
}
LABEL_COLOUR = "#3b4048"
MAX_LABEL = 60
HEIGHT = 20
PADDING = 6

# Advance widths of 11px Verdana (what shields.io measures with), roughly by glyph class;
# textLength then makes the browser fit the drawn text to exactly this width.
VERDANA_11PX = Advances(narrow=4.0, wide=10.0, capital=7.5, other=6.6)


def text_width(text: str) -> float:
    return round(glyphs.text_width(text, VERDANA_11PX), 1)


def shorten(text: str, limit: int = MAX_LABEL) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _known(health: str) -> Health | None:
    try:
        return Health(health)
    except ValueError:
        return None


STALE = "stale"


def health_message(
    health: str, next_deadline: str, *, overdue: int = 0, stale: bool = False
) -> str:
    """'Off track · next deadline by 2030': the health in words, then what is due next, or
    'Off track · 2 overdue · stale': what is overdue comes before anything ahead, and a stale
    record says so last. Only the middle is ever shortened: the health and 'stale' stay."""
    known = _known(health)
    words = HEALTH_LABELS[known] if known else health.replace("_", " ")
    if overdue:
        middle = f"{overdue} overdue"
    elif next_deadline:
        middle = f"next deadline {next_deadline}"
    else:
        middle = "no deadline ahead"
    suffix = f" · {STALE}" if stale else ""
    room = MAX_LABEL - len(words) - len(" · ") - len(suffix)
    return f"{words} · {shorten(middle, max(room, 1))}{suffix}"


def badge_svg(
    label: str, health: str, next_deadline: str, *, overdue: int = 0, stale: bool = False
) -> str:
    label = shorten(label)
    message = health_message(health, next_deadline, overdue=overdue, stale=stale)
    known = _known(health)
    colour = HEALTH_COLOURS[known] if known else HEALTH_COLOURS[Health.NO_DATA]
    label_text, message_text = text_width(label), text_width(message)
    left = label_text + 2 * PADDING
    right = message_text + 2 * PADDING
    total = left + right
    title = escape(f"{label}: {message}")
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{total:.0f}" height="{HEIGHT}" '
        f'viewBox="0 0 {total:.1f} {HEIGHT}" role="img" aria-label="{title}">'
        f"<title>{title}</title>"
        '<linearGradient id="shine" x2="0" y2="100%">'
        '<stop offset="0" stop-color="#bbb" stop-opacity=".1"/>'
        '<stop offset="1" stop-opacity=".1"/></linearGradient>'
        f'<clipPath id="round"><rect width="{total:.1f}" height="{HEIGHT}" rx="3" fill="#fff"/>'
        "</clipPath>"
        '<g clip-path="url(#round)">'
        f'<rect width="{left:.1f}" height="{HEIGHT}" fill="{LABEL_COLOUR}"/>'
        f'<rect x="{left:.1f}" width="{right:.1f}" height="{HEIGHT}" fill="{colour}"/>'
        f'<rect width="{total:.1f}" height="{HEIGHT}" fill="url(#shine)"/></g>'
        '<g fill="#fff" font-family="Verdana,Geneva,DejaVu Sans,sans-serif" font-size="11">'
        f'<text class="label" x="{PADDING}" y="14" textLength="{label_text}" '
        f'lengthAdjust="spacingAndGlyphs">{escape(label)}</text>'
        f'<text class="message" x="{left + PADDING:.1f}" y="14" textLength="{message_text}" '
        f'lengthAdjust="spacingAndGlyphs">{escape(message)}</text>'
        "</g></svg>"
    )
