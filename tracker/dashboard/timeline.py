"""Geometry of the negotiation timeline: plain values in, SVG coordinates out.

The axis is *broken* rather than clamped. A negotiation mixes dates months apart (an interim
deal, an autumn window, today) with a target years away (2030). One linear axis would squeeze
everything near-term into a few pixels; clamping would hide the far date. So the dates are
split into clusters wherever a gap is both longer than a year and a large share of the whole
span; each cluster gets its own linear segment, the segment holding today gets most of the
width, and a zig-zag marks each break.
"""

from __future__ import annotations

import datetime as dt
import html
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext

from tracker.dashboard import glyphs
from tracker.dashboard.glyphs import Advances
from tracker.deadlines import short_date

MIN_BREAK_DAYS = 365
BREAK_SHARE = 0.35
BREAK_WIDTH = 28.0
TODAY_SHARE = 0.78
TICK_SPACING = 72.0
_TICK_STEPS_MONTHS = (1, 2, 3, 6, 12, 24, 60, 120)
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


@dataclass(frozen=True)
class Segment:
    start: dt.date
    end: dt.date
    x0: float
    x1: float

    def contains(self, day: dt.date) -> bool:
        return self.start <= day <= self.end

    def x(self, day: dt.date) -> float:
        span = (self.end - self.start).days or 1
        return self.x0 + (self.x1 - self.x0) * (day - self.start).days / span


def at(x: float) -> str:
    """An SVG coordinate as drawn: one decimal ("12.0")."""
    return f"{x:.1f}"


# "8 Jul 2025", as the timeline and its list write a day: as deadlines write it.
short_day = short_date


# Pages draw hundreds of markers: coordinates and days are formatted here, in Python, rather
# than by template filters (floatformat, date) a few thousand times per page.


@dataclass(frozen=True)
class Tick:
    x: float
    label: str

    @property
    def x_at(self) -> str:
        return at(self.x)


@dataclass(frozen=True)
class Axis:
    segments: tuple[Segment, ...]

    def x(self, day: dt.date) -> float:
        """The x of a day; a day outside every segment sits at the nearest segment's edge."""
        for segment in self.segments:
            if segment.contains(day):
                return segment.x(day)
        before = [s for s in self.segments if s.end < day]
        if before:
            return before[-1].x1
        return self.segments[0].x0

    @property
    def breaks(self) -> tuple[float, ...]:
        """The middle of each gap between segments, where the zig-zag goes."""
        return tuple(
            (a.x1 + b.x0) / 2 for a, b in zip(self.segments, self.segments[1:], strict=False)
        )

    @property
    def ticks(self) -> tuple[Tick, ...]:
        return tuple(tick for segment in self.segments for tick in _ticks(segment))


def build_axis(dates: Iterable[dt.date], *, today: dt.date, left: float, right: float) -> Axis:
    """An axis from `left` to `right` covering every date and today, broken at long gaps."""
    days = sorted({*dates, today})
    clusters = _clusters(days)
    padded = [_pad(first, last) for first, last in clusters]
    width = right - left - BREAK_WIDTH * (len(padded) - 1)
    shares = _shares(padded, today)
    segments: list[Segment] = []
    x = left
    for (start, end), share in zip(padded, shares, strict=True):
        segment_width = width * share
        segments.append(Segment(start, end, x, x + segment_width))
        x += segment_width + BREAK_WIDTH
    return Axis(tuple(segments))


def _clusters(days: Sequence[dt.date]) -> list[tuple[dt.date, dt.date]]:
    total = (days[-1] - days[0]).days
    threshold = max(MIN_BREAK_DAYS, BREAK_SHARE * total)
    clusters: list[tuple[dt.date, dt.date]] = []
    first = previous = days[0]
    for day in days[1:]:
        if (day - previous).days > threshold:
            clusters.append((first, previous))
            first = day
        previous = day
    clusters.append((first, previous))
    return clusters


def _pad(first: dt.date, last: dt.date) -> tuple[dt.date, dt.date]:
    # Room either side so a marker on the first or last day is not cut by the edge.
    pad = dt.timedelta(days=max(20, round((last - first).days * 0.05)))
    return first - pad, last + pad


def _shares(segments: Sequence[tuple[dt.date, dt.date]], today: dt.date) -> list[float]:
    spans = [max((end - start).days, 1) for start, end in segments]
    if len(spans) == 1:
        return [1.0]
    total = sum(spans)
    shares = [span / total for span in spans]
    now = next(i for i, (start, end) in enumerate(segments) if start <= today <= end)
    if shares[now] >= TODAY_SHARE:
        return shares
    # The present is what readers look for; far clusters share what is left, by span.
    others = total - spans[now]
    return [
        TODAY_SHARE if i == now else (1 - TODAY_SHARE) * span / others
        for i, span in enumerate(spans)
    ]


def _ticks(segment: Segment) -> list[Tick]:
    px_per_month = (segment.x1 - segment.x0) / max((segment.end - segment.start).days / 30.44, 0.1)
    step = next(
        (s for s in _TICK_STEPS_MONTHS if s * px_per_month >= TICK_SPACING), _TICK_STEPS_MONTHS[-1]
    )
    ticks: list[Tick] = []
    year, month = segment.start.year, segment.start.month
    while True:
        month += 1
        if month > 12:
            year, month = year + 1, 1
        day = dt.date(year, month, 1)
        if day > segment.end:
            break
        index = year * 12 + month - 1
        if index % step:
            continue
        label = str(year) if step >= 12 else f"{_MONTHS[month - 1]} {year}"
        x = segment.x(day)
        # A label centred on a tick next to a break would run into the zig-zag.
        if x - segment.x0 < len(label) * 3.5 or segment.x1 - x < len(label) * 3.5:
            continue
        ticks.append(Tick(x, label))
    return ticks


# Rows and markers


@dataclass(frozen=True)
class TimelineMilestone:
    title: str
    url: str
    status: str
    status_label: str
    earliest: dt.date
    latest: dt.date
    deadline_text: str
    # Latest dates the deadline had before, oldest first: each is drawn as a ghost.
    earlier_deadlines: tuple[dt.date, ...] = ()
    # No recent source: a passed deadline is labelled "passed … ago", not "… overdue".
    stale: bool = False

    @property
    def earliest_day(self) -> str:
        return short_day(self.earliest)

    @property
    def latest_day(self) -> str:
        return short_day(self.latest)

    @property
    def heading(self) -> str:
        """What heads it in the list in date order: the day when the deadline is a day, else
        its words ("February 2025", "2030"), never a last day nobody said."""
        if self.earliest == self.latest or not self.deadline_text:
            return self.latest_day
        return self.deadline_text


@dataclass(frozen=True)
class TimelineTrack:
    name: str
    url: str
    health: str
    health_label: str
    milestones: tuple[TimelineMilestone, ...]


@dataclass(frozen=True)
class Ghost:
    x: float
    date: dt.date

    @property
    def x_at(self) -> str:
        return at(self.x)

    @property
    def day(self) -> str:
        return short_day(self.date)


@dataclass(frozen=True)
class Marker:
    milestone: TimelineMilestone
    x: float
    y: float
    window: tuple[float, float] | None
    # The earlier deadlines drawn, each clear of every other mark in the row (place_ghosts).
    ghosts: tuple[Ghost, ...]
    label: str
    label_x: float
    label_y: float
    label_anchor: str
    # Labels that would collide drop into lanes below the row's line, one lane per clash.
    lane: int = 0
    # From the deadline to today, for an open milestone whose deadline has passed.
    overdue_to: float | None = None
    overdue_days: int = 0
    # Every earlier deadline, drawn or merged into the marker, for the list in date order.
    earlier: tuple[Ghost, ...] = ()

    @property
    def x_at(self) -> str:
        return at(self.x)

    @property
    def label_x_at(self) -> str:
        return at(self.label_x)

    @property
    def window_x_at(self) -> str:
        return at(self.window[0]) if self.window else ""

    @property
    def window_width_at(self) -> str:
        return at(self.window_width)

    @property
    def overdue_to_at(self) -> str:
        return at(self.overdue_to) if self.overdue_to is not None else ""

    @property
    def overdue_label_x(self) -> float:
        return (self.x + (self.overdue_to or self.x)) / 2

    @property
    def overdue_label_x_at(self) -> str:
        return at(self.overdue_label_x)

    @property
    def overdue_label_fits(self) -> bool:
        return self.overdue_to is not None and self.overdue_to - self.x > 130

    @property
    def window_width(self) -> float:
        return self.window[1] - self.window[0] if self.window else 0.0

    @property
    def label_box(self) -> Box:
        width = label_width(self.label)
        x0 = self.label_x if self.label_anchor == "start" else self.label_x - width
        return Box(x0, x0 + width, self.label_y - LABEL_ASCENT, self.label_y + LABEL_DESCENT)


@dataclass(frozen=True)
class Row:
    track: TimelineTrack
    y: float
    top: float
    markers: tuple[Marker, ...]
    height: float = 0.0

    @property
    def markers_svg(self) -> str:
        return markers_svg(self.markers)

    @property
    def name_box(self) -> Box:
        text = f"{self.track.name} · {self.track.health_label}"
        baseline = self.top + 12
        return Box(16, 16 + label_width(text, bold=True), baseline - 12, baseline + 4)


@dataclass(frozen=True)
class Timeline:
    width: float
    height: float
    axis_y: float
    axis: Axis
    rows: tuple[Row, ...]
    today: dt.date
    today_x: float
    undated: tuple[TimelineTrack, ...] = field(default=())

    @property
    def ticks(self) -> tuple[Tick, ...]:
        return self.axis.ticks

    @property
    def breaks(self) -> tuple[float, ...]:
        return self.axis.breaks

    @property
    def agenda(self) -> tuple[AgendaItem, ...]:
        return agenda(self)

    @property
    def agenda_html(self) -> str:
        return agenda_html(self.agenda)

    @property
    def today_x_at(self) -> str:
        return at(self.today_x)

    @property
    def today_anchor(self) -> str:
        return "end" if self.today_x > self.width * 0.8 else "start"


WIDTH = 960.0
MARGIN_X = 16.0
AXIS_Y = 44.0
ROW_HEIGHT = 62.0
LABEL_LIMIT = 46
# The first label's baseline sits this far under the row's line; each further lane adds
# LANE_HEIGHT, which is more than a label's ascent and descent, so lanes never touch.
LABEL_DROP = 22.0
LANE_HEIGHT = 17.0
LABEL_ASCENT = 12.0
LABEL_DESCENT = 4.0
LABEL_GAP = 10.0
LABEL_OFFSET = 6.0


def build_timeline(
    tracks: Sequence[TimelineTrack], *, today: dt.date, width: float = WIDTH
) -> Timeline:
    dated = [t for t in tracks if t.milestones]
    undated = tuple(t for t in tracks if not t.milestones)
    dates = [
        day
        for track in dated
        for m in track.milestones
        for day in (m.earliest, m.latest, *m.earlier_deadlines)
    ]
    axis = build_axis(dates, today=today, left=MARGIN_X, right=width - MARGIN_X)
    rows: list[Row] = []
    top = AXIS_Y + 12
    for track in dated:
        y = top + 34
        markers = _markers(track.milestones, axis, y, width, today)
        lanes = 1 + max(m.lane for m in markers)
        height = max(ROW_HEIGHT, 34 + LABEL_DROP + (lanes - 1) * LANE_HEIGHT + LABEL_DESCENT + 8)
        rows.append(Row(track, y, top, markers, height))
        top += height
    return Timeline(width, top + 14, AXIS_Y, axis, tuple(rows), today, axis.x(today), undated)


def _markers(
    milestones: Sequence[TimelineMilestone], axis: Axis, y: float, width: float, today: dt.date
) -> tuple[Marker, ...]:
    xs = [axis.x(m.latest) for m in milestones]
    labels = [_short(m.title) for m in milestones]
    slots = lay_out_labels(xs, [label_width(label) for label in labels], left=0.0, right=width)
    markers = []
    placed: list[float] = []  # the ghosts drawn so far in this row
    for index, (m, x, label, slot) in enumerate(zip(milestones, xs, labels, slots, strict=True)):
        window = (axis.x(m.earliest), x) if m.earliest < m.latest else None
        earlier = tuple(Ghost(axis.x(day), day) for day in m.earlier_deadlines if day != m.latest)
        others = [*xs[:index], *xs[index + 1 :], *placed]
        ghosts = place_ghosts(earlier, x, others)
        placed += [g.x for g in ghosts]
        overdue_to = axis.x(today) if m.status == "overdue" and m.latest < today else None
        markers.append(
            Marker(
                m,
                x,
                y,
                window,
                ghosts,
                label,
                slot.x0,
                y + LABEL_DROP + slot.lane * LANE_HEIGHT,
                "start",
                slot.lane,
                overdue_to,
                (today - m.latest).days if overdue_to is not None else 0,
                earlier,
            )
        )
    return tuple(markers)


# A ghost (r 6) and a dot (r 7) are clear of each other when their centres are this far apart.
MARK_CLEARANCE = 14.0


def place_ghosts(ghosts: Sequence[Ghost], own: float, others: Sequence[float]) -> tuple[Ghost, ...]:
    """The ghosts to draw, each clear of every mark in `others` (the row's other dots and
    ghosts already drawn) and of its own marker at `own`.

    A ghost on another mark moves toward its own marker, along its slip line, until it is
    clear; one that would reach its own marker is merged into it (not drawn; the list in
    date order still names its date).
    """
    drawn: list[Ghost] = []
    for ghost in ghosts:
        x = ghost.x
        toward = 1.0 if own > x else -1.0
        # Each step clears one mark and moves one way, so the marks in the row bound it.
        for _ in range(len(others) + len(drawn) + 1):
            blocking = [o for o in [*others, *(g.x for g in drawn)] if abs(o - x) < MARK_CLEARANCE]
            if not blocking:
                break
            x = (max(blocking) if toward > 0 else min(blocking)) + toward * MARK_CLEARANCE
        if abs(own - x) < MARK_CLEARANCE or toward * (own - x) < 0:
            continue
        if any(abs(o - x) < MARK_CLEARANCE for o in [*others, *(g.x for g in drawn)]):
            continue
        drawn.append(Ghost(round(x, 1), ghost.date))
    return tuple(drawn)


def _short(title: str) -> str:
    return title if len(title) <= LABEL_LIMIT else title[: LABEL_LIMIT - 1].rstrip() + "…"


# Label layout: boxes estimated from the text, lanes assigned so that no two boxes meet.


@dataclass(frozen=True)
class Box:
    x0: float
    x1: float
    y0: float
    y1: float

    def overlaps(self, other: Box) -> bool:
        return (
            self.x0 < other.x1 and other.x0 < self.x1 and self.y0 < other.y1 and other.y0 < self.y1
        )


@dataclass(frozen=True)
class LabelSlot:
    x0: float
    lane: int


# Advance widths in ems, rounded up from DejaVu Sans (the widest common system-ui font, and
# the one Debian's chromium falls back to), so an estimated box holds the drawn text.
DEJAVU_EMS = Advances(narrow=0.4, wide=1.0, capital=0.75, other=0.65)
LABEL_FONT_PX = 12.5


def label_width(text: str, *, bold: bool = False, font_px: float = LABEL_FONT_PX) -> float:
    return glyphs.text_width(text, DEJAVU_EMS) * font_px * (1.12 if bold else 1.0)


def lay_out_labels(
    xs: Sequence[float], widths: Sequence[float], *, left: float, right: float
) -> tuple[LabelSlot, ...]:
    """Where each marker's label goes: its left edge and its lane under the row's line.

    A label starts just left of its marker and runs right; near the right edge it ends just
    right of its marker instead, and it never leaves [left, right]. Labels are then dealt, in
    order of their left edge, into the first lane whose last label ends LABEL_GAP before this
    one starts (greedy colouring of intervals, which uses as few lanes as any layout can).
    """
    starts = []
    for x, width in zip(xs, widths, strict=True):
        x0 = x - LABEL_OFFSET
        if x0 + width > right:
            x0 = x + LABEL_OFFSET - width
        starts.append(max(left, min(x0, right - width)))
    lanes: list[float] = []
    slots: dict[int, LabelSlot] = {}
    for index in sorted(range(len(starts)), key=lambda i: (starts[i], xs[i])):
        x0 = starts[index]
        lane = next((n for n, end in enumerate(lanes) if end + LABEL_GAP <= x0), len(lanes))
        end = x0 + widths[index]
        if lane == len(lanes):
            lanes.append(end)
        else:
            lanes[lane] = end
        slots[index] = LabelSlot(x0, lane)
    return tuple(slots[i] for i in range(len(starts)))


# The same milestones as a list in date order, with today among them: what a phone shows.


@dataclass(frozen=True)
class AgendaItem:
    day: dt.date
    track: TimelineTrack | None = None
    marker: Marker | None = None

    @property
    def is_today(self) -> bool:
        return self.marker is None

    @property
    def day_text(self) -> str:
        return short_day(self.day)


def agenda(timeline: Timeline) -> tuple[AgendaItem, ...]:
    items = [
        AgendaItem(marker.milestone.latest, row.track, marker)
        for row in timeline.rows
        for marker in row.markers
    ]
    items.sort(key=lambda item: item.day)
    position = sum(1 for item in items if item.day <= timeline.today)
    items.insert(position, AgendaItem(timeline.today))
    return tuple(items)


# --- markup ------------------------------------------------------------------------------
# The markers and the timeline's list in date order, written in Python: as `{% for %}`
# loops in _timeline.html they were most of a cold page's time. The markup is the loops',
# character for character (tests/dashboard/test_dashboard_pages_cached.py compares), every text
# escaped as the templates escaped it.

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
            f'<span class="agenda-date">{item.day_text}</span> {html.escape(gettext("Today"))}</li>'
            "\n      \n      "
        )
    m, milestone, track = item.marker, item.marker.milestone, item.track
    window = f" ({milestone.earliest_day} to {milestone.latest_day})" if m.window else ""
    earlier = ", ".join(g.day for g in m.earlier)
    return (
        f'\n      <li class="agenda-item status-line-{escape(milestone.status)}">'
        f'<span class="agenda-date">{escape(milestone.heading)}</span> '
        f'<a href="{escape(milestone.url)}">{escape(milestone.title)}</a>: '
        f"{escape(milestone.status_label)}, deadline {escape(milestone.deadline_text)}{window}"
        f"{', earlier deadlines: ' + earlier if earlier else ''} "
        f'<span class="agenda-track">{escape(track.name if track else "")} · '
        f"{escape(track.health_label if track else '')}</span></li>\n      "
    )
