"""The portfolio roadmap: every negotiation on one axis, its tracks folding out.

The drawing rules are the negotiation timeline's (tracker.dashboard.timeline): one broken
axis for every date (build_axis), approximate deadlines as windows, earlier deadlines as
ghosts placed clear of other marks (place_ghosts) on a slip line, open overdue deadlines
drawn on to today, and a line for today. A roadmap row is denser than a timeline row, so
its markers carry no labels: the comparison table above it and each track's page say the
same in words.

Eight queries whatever the number of negotiations and milestones: the negotiations, their
tracks, the milestones' columns, their deadline moves, and the record (deadline_record.book).
"""

from __future__ import annotations

import bisect
import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from django.db.models import QuerySet
from django.urls import reverse
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from tracker import deadline_record, selectors, track_record
from tracker.dashboard import rows, wording
from tracker.dashboard.pages import OPEN_STATES, next_open
from tracker.dashboard.rows import MilestoneRow
from tracker.dashboard.timeline import (
    MARK_CLEARANCE,
    Axis,
    Ghost,
    Tick,
    at,
    build_axis,
    escape,
    place_ghosts,
)
from tracker.models import Milestone, Negotiation, Party, Track
from tracker.status import day_text

WIDTH = 960.0
MARGIN_X = 16.0
ROW = 26.0
AXIS_HEIGHT = 34.0


@dataclass(frozen=True)
class Comparison:
    """One negotiation in the comparison table."""

    name: str
    url: str
    health: str
    health_label: str
    next_deadline: str
    next_countdown: str
    next_status: str
    overdue: int
    last_confirmed: str
    slips: str
    record: str


@dataclass(frozen=True)
class TrackLine:
    name: str
    url: str
    health: str
    health_label: str
    milestones: int


@dataclass(frozen=True)
class RoadmapRow:
    slug: str
    comparison: Comparison
    summary_svg: SafeString  # every milestone of the negotiation on one line
    tracks_svg: SafeString  # one line per track, shown when the row is unfolded
    tracks: tuple[TrackLine, ...]


@dataclass(frozen=True)
class RoadmapPage:
    rows: tuple[RoadmapRow, ...]
    axis_svg: SafeString
    today: dt.date
    milestones: int
    # Each party to these negotiations with its record across all its negotiations.
    parties: tuple[tuple[str, str], ...] = ()


def roadmap_page(today: dt.date, chosen: QuerySet[Negotiation]) -> RoadmapPage:
    negotiations = list(chosen)
    ids = [n.pk for n in negotiations]
    tracks = list(Track.objects.filter(negotiation_id__in=ids).order_by("position", "name", "id"))
    columns = list(
        selectors.milestone_columns(
            Milestone.objects.filter(track__negotiation_id__in=ids).order_by(
                "deadline_latest", "title", "id"
            )
        )
    )
    moves = selectors.deadline_moves(milestone_ids=[c["pk"] for c in columns])
    lines = rows.milestone_rows(columns, moves, today)
    book = deadline_record.book()

    by_track: dict[int, list[MilestoneRow]] = {t.pk: [] for t in tracks}
    for line in lines:
        by_track[line.milestone.track_id].append(line)
    tracks_of: dict[int, list[Track]] = {n: [] for n in ids}
    for track in tracks:
        tracks_of[track.negotiation_id].append(track)

    dates = [
        day
        for line in lines
        if line.milestone.deadline_earliest and line.milestone.deadline_latest
        for day in (line.milestone.deadline_earliest, line.milestone.deadline_latest)
    ] + [day for line in lines for day in line.earlier_deadlines]
    axis = build_axis(dates, today=today, left=MARGIN_X, right=WIDTH - MARGIN_X)

    found = []
    for negotiation in negotiations:
        own_tracks = tracks_of[negotiation.pk]
        own = sorted(
            (line for t in own_tracks for line in by_track[t.pk]),
            key=lambda r: (r.milestone.deadline_latest or dt.date.max, r.milestone.pk),
        )
        found.append(
            RoadmapRow(
                slug=negotiation.slug,
                comparison=_comparison(negotiation, own, moves, book, today),
                summary_svg=_svg(
                    [own],
                    axis,
                    today,
                    _("Deadlines of %(name)s") % {"name": negotiation.name},
                    titles=False,
                ),
                tracks_svg=_svg(
                    [by_track[t.pk] for t in own_tracks],
                    axis,
                    today,
                    _("Deadlines of %(name)s, one line per track") % {"name": negotiation.name},
                ),
                tracks=tuple(
                    TrackLine(
                        t.name,
                        reverse("track", args=[negotiation.slug, t.slug]),
                        t.health,
                        wording.label(t.health),
                        len(by_track[t.pk]),
                    )
                    for t in own_tracks
                ),
            )
        )
    parties = tuple(
        (party.name, deadline_record.record_in_words(book.party_record(party.pk, today)))
        for party in Party.objects.filter(negotiations__in=ids).distinct().order_by("name")
    )
    return RoadmapPage(tuple(found), _axis_svg(axis, today), today, len(lines), parties)


def _comparison(
    negotiation: Negotiation,
    lines: list[MilestoneRow],
    moves: dict[int, list[selectors.DeadlineMove]],
    book: deadline_record.Book,
    today: dt.date,
) -> Comparison:
    upcoming = next_open(lines, negotiation.next_deadline)
    held = [
        track_record.held(
            line.milestone.deadline_latest,
            [(m.previous_latest, m.new_latest) for m in moves.get(line.milestone.pk, ())],
        )
        for line in lines
    ]
    slips = sum(h.slips for h in held)
    slip_days = sum(h.slip_days for h in held)
    slips_words = ngettext("%(count)d slip", "%(count)d slips", slips) % {"count": slips} + (
        ", " + _("%(span)s in all") % {"span": deadline_record.span(slip_days)} if slips else ""
    )
    confirmed = negotiation.last_confirmed_on
    return Comparison(
        name=negotiation.name,
        url=reverse("negotiation", args=[negotiation.slug]),
        health=negotiation.health,
        health_label=wording.label(negotiation.health),
        next_deadline=upcoming.deadline_in_words if upcoming else _("none ahead"),
        next_countdown=upcoming.countdown if upcoming else "",
        next_status=upcoming.milestone.status if upcoming else "",
        overdue=sum(
            1
            for line in lines
            if line.milestone.status == "overdue" and line.milestone.state in OPEN_STATES
        ),
        last_confirmed=day_text(confirmed) if confirmed else _("no dated source"),
        slips=slips_words,
        record=deadline_record.record_in_words(book.record([negotiation.pk], today)),
    )


# Drawing: the markup is written here, as the timeline's markers are, for speed.


def _axis_svg(axis: Axis, today: dt.date) -> SafeString:
    ticks = "".join(
        f'<text class="tick" x="{t.x_at}" y="20" text-anchor="middle">{escape(t.label)}</text>'
        for t in axis.ticks
    )
    x = at(axis.x(today))
    anchor = "end" if axis.x(today) > WIDTH * 0.8 else "start"
    label = escape(_("Today, %(day)s") % {"day": day_text(today)})
    return mark_safe(
        f'<svg class="roadmap-svg" viewBox="0 0 {WIDTH:.0f} {AXIS_HEIGHT:.0f}" aria-hidden="true">'
        f"{ticks}{_breaks(axis, AXIS_HEIGHT)}"
        f'<line class="today" x1="{x}" x2="{x}" y1="24" y2="{AXIS_HEIGHT:.0f}"/>'
        f'<text class="today-label" x="{x}" y="32" text-anchor="{anchor}" '
        f'dx="{-4 if anchor == "end" else 4}">{label}</text></svg>'
    )


def _breaks(axis: Axis, height: float) -> str:
    return "".join(
        f'<rect class="break-gap" x="{at(b - 9)}" y="0" width="18" height="{height:.0f}"/>'
        for b in axis.breaks
    )


def _grid(ticks: Sequence[Tick], height: float) -> str:
    return "".join(
        f'<line class="grid" x1="{t.x_at}" x2="{t.x_at}" y1="0" y2="{height:.0f}"/>' for t in ticks
    )


def _svg(
    lines: Sequence[Sequence[MilestoneRow]],
    axis: Axis,
    today: dt.date,
    name: str,
    *,
    titles: bool = True,
) -> SafeString:
    """Rows of markers under the shared axis, one per sequence in `lines`; an image with
    a name, its details said in the table and the track list beside it."""
    height = ROW * max(len(lines), 1)
    today_x = at(axis.x(today))
    body = "".join(
        _row(row, axis, ROW * index + ROW / 2, today, titles=titles)
        for index, row in enumerate(lines)
    )
    return mark_safe(
        f'<svg class="roadmap-svg" viewBox="0 0 {WIDTH:.0f} {height:.0f}" role="img" '
        f'aria-label="{escape(name)}">{_grid(axis.ticks, height)}{_breaks(axis, height)}'
        f"{body}"
        f'<line class="today" x1="{today_x}" x2="{today_x}" y1="0" y2="{height:.0f}"/></svg>'
    )


def _row(
    lines: Sequence[MilestoneRow], axis: Axis, y: float, today: dt.date, *, titles: bool
) -> str:
    """One line of markers. Without `titles` (a negotiation's summary line, whose markers
    its tracks' lines repeat with their names) marks that would draw the same pixels are
    drawn once: 5,000 milestones on 930 pixels overlap."""
    dated = [
        r
        for r in lines
        if r.milestone.deadline_earliest is not None and r.milestone.deadline_latest
    ]
    xs = [axis.x(r.milestone.deadline_latest) for r in dated]  # type: ignore[arg-type]
    ordered = sorted(xs)
    drawn = [f'<line class="row-line" x1="0" x2="{WIDTH:.0f}" y1="{y}" y2="{y}"/>']
    placed: list[float] = []
    seen: set[str] = set()
    for line, x in zip(dated, xs, strict=True):
        m = line.milestone
        assert m.deadline_earliest is not None and m.deadline_latest is not None
        earlier = tuple(
            Ghost(axis.x(day), day) for day in line.earlier_deadlines if day != m.deadline_latest
        )
        ghosts: tuple[Ghost, ...] = ()
        if earlier:
            # A ghost moves only toward its own marker: the marks between matter, no others.
            low = min(x, *(g.x for g in earlier)) - MARK_CLEARANCE
            high = max(x, *(g.x for g in earlier)) + MARK_CLEARANCE
            near = ordered[bisect.bisect_left(ordered, low) : bisect.bisect_right(ordered, high)]
            near.remove(x)
            ghosts = place_ghosts(earlier, x, [*near, *(p for p in placed if low <= p <= high)])
            placed += [g.x for g in ghosts]
        parts = [f'<g class="marker status-{escape(m.status)}">']
        if titles:
            parts.append(
                f"<title>{escape(m.title)}: {escape(line.status_label)}, "
                f"{escape(line.deadline_in_words)}</title>"
            )
        if m.deadline_earliest < m.deadline_latest:
            x0 = axis.x(m.deadline_earliest)
            parts.append(
                f'<rect class="window" x="{at(x0)}" y="{y - 7}" width="{at(x - x0)}" '
                'height="14" rx="3"/>'
            )
        if m.status == "overdue" and m.deadline_latest < today:
            parts.append(
                f'<line class="overdue-span" x1="{at(x)}" x2="{at(axis.x(today))}" '
                f'y1="{y}" y2="{y}"/>'
            )
        for g in ghosts:
            parts.append(
                f'<line class="slip" x1="{g.x_at}" x2="{at(x)}" y1="{y}" y2="{y}"/>'
                f'<circle class="ghost" cx="{g.x_at}" cy="{y}" r="4"/>'
            )
        parts.append(f'<circle class="dot" cx="{at(x)}" cy="{y}" r="5"/></g>')
        mark = "".join(parts)
        if not titles:
            if mark in seen:
                continue
            seen.add(mark)
        drawn.append(mark)
    return "".join(drawn)
