"""Milestone lists, written in Python (the timeline's markers and list: tracker.dashboard.timeline).

A negotiation page draws one marker, one timeline list item and one milestone row per
milestone, hundreds of each, each with a dozen values: as `{% for %}` loops in
_timeline.html and _milestone_list.html they were most of a cold page's time. The markup
is the loops', character for character (tests/dashboard/test_dashboard_pages_cached.py renders the
loops as they were and compares), and every text goes through `escape` as the templates'
did.
"""

from __future__ import annotations

from collections.abc import Sequence

from django.utils.safestring import SafeString, mark_safe

from tracker import figures
from tracker.dashboard.rows import MilestoneRow
from tracker.dashboard.timeline import escape


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
        deadline += f" · {figures.slip(row.slip_days)}"
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
