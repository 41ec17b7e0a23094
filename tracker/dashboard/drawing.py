"""The timeline's markers and its list in date order, written out in Python.

A negotiation page draws one marker and one list item per milestone, hundreds of them,
each with a dozen values: as `{% for %}` loops in _timeline.html they were most of a cold
page's time. The markup is the loops', character for character
(tests/test_dashboard_pages_cached.py renders both and compares), and every text goes
through `escape` as the template's did.
"""

from __future__ import annotations

from collections.abc import Sequence

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from tracker.dashboard.timeline import AgendaItem, Marker

_INDENT = "\n        "


def markers_svg(markers: Sequence[Marker]) -> SafeString:
    """What `{% for m in row.markers %}…{% endfor %}` drew: each marker as a link."""
    return mark_safe("".join(_marker(m) for m in markers))


def _marker(m: Marker) -> str:
    milestone = m.milestone
    y = _number(m.y)
    window = (
        f'<rect class="window" x="{m.window_x_at}" y="{int(m.y) - 9}" '
        f'width="{m.window_width_at}" height="18" rx="4"/>'
        if m.window
        else ""
    )
    overdue = ""
    if m.overdue_to:
        overdue = (
            f'<line class="overdue-span" x1="{m.x_at}" x2="{m.overdue_to_at}" y1="{y}" y2="{y}"/>'
        )
        if m.overdue_label_fits:
            words = (
                f"passed {m.overdue_days} days ago"
                if milestone.stale
                else f"{m.overdue_days} days overdue"
            )
            overdue += (
                f'<text class="overdue-label" x="{m.overdue_label_x_at}" y="{int(m.y) - 6}" '
                f'text-anchor="middle">{words}</text>'
            )
    ghosts = "".join(
        f'{_INDENT}<line class="slip" x1="{g.x_at}" x2="{m.x_at}" y1="{y}" y2="{y}"/>'
        f'{_INDENT}<circle class="ghost" cx="{g.x_at}" cy="{y}" r="6"/>{_INDENT}'
        for g in m.ghosts
    )
    link = f'<a href="{escape(milestone.url)}" class="marker status-{escape(milestone.status)}">'
    return (
        f"\n      {link}"
        f"{_INDENT}<title>{escape(milestone.title)}: {escape(milestone.status_label)}, "
        f"deadline {escape(milestone.deadline_text)}</title>"
        f"{_INDENT}{window}{_INDENT}{overdue}{_INDENT}{ghosts}"
        f'{_INDENT}<circle class="dot" cx="{m.x_at}" cy="{y}" r="7"/>'
        f'{_INDENT}<text class="label" x="{m.label_x_at}" y="{_number(m.label_y)}" '
        f'text-anchor="{escape(m.label_anchor)}">{escape(m.label)}</text>'
        "\n      </a>\n      "
    )


def _number(value: float) -> str:
    """A number as the template printed it ({{ m.y }}: 90.0)."""
    return str(value)


def agenda_html(items: Sequence[AgendaItem]) -> SafeString:
    """What `{% for item in tl.agenda %}…{% endfor %}` drew: the milestones in date order,
    with today among them."""
    return mark_safe("".join(_agenda_item(item) for item in items))


def _agenda_item(item: AgendaItem) -> str:
    if item.marker is None:
        return (
            '\n      <li class="agenda-today" aria-current="date">'
            f'<span class="agenda-date">{item.day_text}</span> Today</li>\n      \n      '
        )
    m, milestone, track = item.marker, item.marker.milestone, item.track
    window = f" ({milestone.earliest_day} to {milestone.latest_day})" if m.window else ""
    earlier = ", ".join(g.day for g in m.ghosts)
    return (
        f'\n      <li class="agenda-item status-line-{escape(milestone.status)}">'
        f'<span class="agenda-date">{milestone.latest_day}</span> '
        f'<a href="{escape(milestone.url)}">{escape(milestone.title)}</a>: '
        f"{escape(milestone.status_label)}, deadline {escape(milestone.deadline_text)}{window}"
        f"{', earlier deadlines: ' + earlier if earlier else ''} "
        f'<span class="agenda-track">{escape(track.name if track else "")} · '
        f"{escape(track.health_label if track else '')}</span></li>\n      "
    )
