"""The timeline's markers, its list in date order and milestone lists, written in Python.

A negotiation page draws one marker, one timeline list item and one milestone row per
milestone, hundreds of each, each with a dozen values: as `{% for %}` loops in
_timeline.html and _milestone_list.html they were most of a cold page's time. The markup
is the loops', character for character (tests/test_dashboard_pages_cached.py renders the
loops as they were and compares), and every text goes through `escape` as the templates'
did.
"""

from __future__ import annotations

import html
from collections.abc import Sequence

from django.utils.safestring import SafeString, mark_safe

from tracker.dashboard.rows import MilestoneRow
from tracker.dashboard.timeline import AgendaItem, Marker

_INDENT = "\n        "


def escape(text: object) -> str:
    """django.utils.html.escape's output (html.escape of the text), without its check for
    lazy strings on each of the thousands of calls a page makes."""
    return html.escape(str(text))


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


def milestone_items(rows: Sequence[MilestoneRow], *, show_track: bool = False) -> SafeString:
    """The items of a `<ul class="milestones">`: one per row, or "No milestones."."""
    if not rows:
        return mark_safe('\n  <li class="muted">No milestones.</li>\n  ')
    return mark_safe("".join(_milestone_item(row, show_track) for row in rows))


def _milestone_item(row: MilestoneRow, show_track: bool) -> str:
    m = row.milestone
    status = escape(m.status)
    track = (
        f'<span class="muted small">{escape(m.negotiation_name)} — {escape(m.track_name)}</span>'
        if show_track
        else ""
    )
    if m.deadline_text:
        window = f" ({escape(row.window)})" if row.window else ""
        deadline = (
            f'Deadline: <a href="{escape(row.deadline_href)}">'
            f"{escape(row.deadline_in_words)}</a>{window}"
        )
    else:
        deadline = "No deadline yet"
    if m.completed_on:
        deadline += (
            f' · completed <a href="{escape(row.url)}#sources">{escape(m.completed_text)}</a>'
        )
    if row.slip_days > 0:
        deadline += f" · slipped {row.slip_days} day{'' if row.slip_days == 1 else 's'}"
    stale = (
        f'<span class="freshness stale small">{escape(row.stale_note)}</span>'
        if row.stale_note
        else ""
    )
    countdown = (
        f'<span class="countdown status-text-{status}">{escape(row.countdown)}</span>'
        if row.countdown
        else ""
    )
    return (
        f'\n  <li class="milestone-item tint-{status}">\n    <div class="mi-main">'
        f'\n      <a href="{escape(row.url)}" class="mi-title">{escape(m.title)}</a>'
        f'\n      {track}\n      <span class="mi-deadline">{deadline}</span>'
        f'\n      {stale}\n    </div>\n    <div class="mi-status">'
        f'\n      <span class="badge status-{status}">{escape(row.status_label)}</span>'
        f"\n      {countdown}\n    </div>\n  </li>\n  "
    )
