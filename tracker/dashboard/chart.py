"""Geometry of the target chart: baseline, required path, target, each series, today.

The path is sampled from tracker.status.expected_value, so the chart draws exactly the
curve the status rules judge against (compound or linear).

Figures are clamped to what float arithmetic can scale (`plotted`), and dates to what
date arithmetic can step, so no figure or date a row can hold makes the page fail: an
absurd figure draws at the edge of the chart instead.

Every series is its own line (US and partner statistics side by side, as PIIE's tracker
draws them); the labels of the baseline, the target and today's expected value are placed
where they cover no point of any series (`place_label`).
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Sequence
from dataclasses import dataclass

from tracker import figures
from tracker.status import TargetFacts, expected_value

WIDTH = 720.0
HEIGHT = 320.0
LEFT, RIGHT, TOP, BOTTOM = 56.0, 24.0, 20.0, 36.0
SAMPLES = 48
# Label boxes: the chart's 12.5px semi-bold text is about this wide per character.
CHAR_WIDTH = 7.4
LABEL_ASCENT, LABEL_DESCENT = 11.0, 4.0
# A point covers its radius plus a little air.
POINT_CLEARANCE = 8.0
# Beyond these a grid step or a scale overflows or underflows; no real figure comes near.
LARGEST = 1e300
SMALLEST = 1e-9


@dataclass(frozen=True)
class Point:
    x: float
    y: float
    date: dt.date
    value: float

    @property
    def value_text(self) -> str:
        return figures.number(self.value)


@dataclass(frozen=True)
class GridLine:
    y: float
    label: str


@dataclass(frozen=True)
class YearTick:
    x: float
    label: str


@dataclass(frozen=True)
class Figure:
    """One observation of a series, drawn at the end of the period it covers."""

    on: dt.date
    value: float
    period: str = ""
    approximate: bool = False


@dataclass(frozen=True)
class SeriesFigures:
    name: str
    primary: bool
    figures: tuple[Figure, ...]


@dataclass(frozen=True)
class SeriesPoint:
    x: float
    y: float
    value: float
    period: str
    approximate: bool

    @property
    def value_text(self) -> str:
        """ "about 186", "191.8": as the observation table says it (the unit is in the legend)."""
        return figures.amount(self.value, "", approximate=self.approximate)


@dataclass(frozen=True)
class SeriesLine:
    name: str
    primary: bool
    index: int  # its colour, in the order the legend lists the series
    path: str
    points: tuple[SeriesPoint, ...]


@dataclass(frozen=True)
class Box:
    left: float
    top: float
    right: float
    bottom: float

    def overlaps(self, other: Box) -> bool:
        return (
            self.left < other.right
            and other.left < self.right
            and self.top < other.bottom
            and other.top < self.bottom
        )

    def inside(self, other: Box) -> bool:
        return (
            self.left >= other.left
            and self.right <= other.right
            and self.top >= other.top
            and self.bottom <= other.bottom
        )


@dataclass(frozen=True)
class Label:
    x: float
    y: float  # the text's baseline
    text: str
    anchor: str  # SVG text-anchor: "start" or "end"

    @property
    def box(self) -> Box:
        width = len(self.text) * CHAR_WIDTH
        left = self.x if self.anchor == "start" else self.x - width
        return Box(left, self.y - LABEL_ASCENT, left + width, self.y + LABEL_DESCENT)


def point_box(x: float, y: float) -> Box:
    return Box(x - POINT_CLEARANCE, y - POINT_CLEARANCE, x + POINT_CLEARANCE, y + POINT_CLEARANCE)


# Where a label may go around its point, nearest first: above then below, right then left,
# a line further away each time.
_PLACES = tuple(
    (dx, dy, anchor)
    for step in range(12)
    for dy in (-10.0 - 14 * step, 20.0 + 14 * step)
    for dx, anchor in ((10.0, "start"), (-10.0, "end"))
)


def place_label(x: float, y: float, text: str, *, avoid: Sequence[Box], within: Box) -> Label:
    """`text` beside the point (x, y), on the first side where it covers nothing in `avoid`
    and stays `within` the chart; failing that, the first side within the chart."""
    candidates = [Label(round(x + dx, 1), round(y + dy, 1), text, a) for dx, dy, a in _PLACES]
    inside = [c for c in candidates if c.box.inside(within)] or candidates
    for label in inside:
        if not any(label.box.overlaps(box) for box in avoid):
            return label
    return inside[0]


@dataclass(frozen=True)
class TargetChart:
    width: float
    height: float
    left: float
    right: float
    top: float
    bottom: float
    path: str
    baseline: Point
    target: Point
    observations: tuple[SeriesPoint, ...]  # every series' points
    series: tuple[SeriesLine, ...]
    grid: tuple[GridLine, ...]
    years: tuple[YearTick, ...]
    today_x: float | None
    expected_today: Point | None
    labels: tuple[Label, ...]  # baseline, target, then today's expected value if drawn


def plotted(value: float) -> float:
    """`value` as the chart can draw it: not NaN or negative, not beyond LARGEST."""
    if math.isnan(value) or value < 0:
        return 0.0
    return min(value, LARGEST)


def _expected(facts: TargetFacts, day: dt.date) -> float:
    try:
        return plotted(expected_value(facts, day))
    except (OverflowError, ZeroDivisionError, ValueError):
        return LARGEST  # a path too steep for floats: drawn at the top


def nice_step(span: float, lines: int = 5) -> float:
    """A 1, 2 or 5 × 10ⁿ step giving about `lines` grid lines over `span`."""
    if not span > 0:  # also NaN
        return 1.0
    span = min(max(span, SMALLEST), LARGEST)
    raw = span / lines
    power = float(10 ** math.floor(math.log10(raw)))
    return next(float(m * power) for m in (1, 2, 5, 10) if m * power >= raw)


def build_chart(
    facts: TargetFacts, *, today: dt.date, series: Sequence[SeriesFigures] = ()
) -> TargetChart:
    """The chart of `facts`, drawing `series` (by default one line of facts.observations)."""
    if not series:
        series = (
            SeriesFigures("", True, tuple(Figure(o.on, o.value) for o in facts.observations)),
        )
    every = [f for s in series for f in s.figures]
    # Figures from before the baseline are drawn too: the axis starts at the earliest of them.
    start = min(facts.baseline_date, *(f.on for f in every), dt.date.max - dt.timedelta(days=1))
    baseline_day = min(facts.baseline_date, dt.date.max - dt.timedelta(days=1))
    end = max(facts.latest, *(f.on for f in every), start + dt.timedelta(days=1))
    top_value = max(
        SMALLEST,
        *(
            plotted(v)
            for v in (
                facts.target_value,
                facts.baseline_value,
                *(f.value for f in every),
            )
        ),
    )
    step = nice_step(top_value)
    y_max = math.ceil(top_value * 1.05 / step) * step
    plot_right, plot_bottom = WIDTH - RIGHT, HEIGHT - BOTTOM

    def x(day: dt.date) -> float:
        return LEFT + (plot_right - LEFT) * (day - start).days / (end - start).days

    def y(value: float) -> float:
        return plot_bottom - (plot_bottom - TOP) * plotted(value) / y_max

    def point(day: dt.date, value: float) -> Point:
        return Point(round(x(day), 1), round(y(value), 1), day, value)

    # The required path runs from the baseline, not from the earliest figure.
    span = max((facts.latest - baseline_day).days, 0)
    samples = [
        baseline_day + dt.timedelta(days=round(span * i / SAMPLES)) for i in range(SAMPLES + 1)
    ]
    path = "M" + " L".join(f"{x(day):.1f},{y(_expected(facts, day)):.1f}" for day in samples)
    grid = tuple(
        GridLine(round(y(i * step), 1), f"{i * step:,.0f}" if step >= 1 else f"{i * step:g}")
        for i in range(round(y_max / step) + 1)
    )
    year_step = max(1, math.ceil((end.year - start.year + 1) / 8))
    years = tuple(
        YearTick(round(x(dt.date(year, 1, 1)), 1), str(year))
        for year in range(start.year + 1, end.year + 1, year_step)
    )
    lines = []
    for index, s in enumerate(series):
        points = tuple(
            SeriesPoint(round(x(f.on), 1), round(y(f.value), 1), f.value, f.period, f.approximate)
            for f in sorted(s.figures, key=lambda f: f.on)
        )
        line = "M" + " L".join(f"{p.x:.1f},{p.y:.1f}" for p in points) if points else ""
        lines.append(SeriesLine(s.name, s.primary, index, line, points))
    in_range = start <= today <= end
    baseline = point(baseline_day, facts.baseline_value)
    target = point(facts.latest, facts.target_value)
    expected_today = point(today, _expected(facts, today)) if in_range else None
    labels = _labels(
        baseline,
        target,
        expected_today,
        points=[p for line in lines for p in line.points],
        within=Box(0.0, 0.0, WIDTH, plot_bottom),
    )
    return TargetChart(
        width=WIDTH,
        height=HEIGHT,
        left=LEFT,
        right=plot_right,
        top=TOP,
        bottom=plot_bottom,
        path=path,
        baseline=baseline,
        target=target,
        observations=tuple(p for line in lines for p in line.points),
        series=tuple(lines),
        grid=grid,
        years=years,
        today_x=round(x(today), 1) if in_range else None,
        expected_today=expected_today,
        labels=labels,
    )


def _labels(
    baseline: Point,
    target: Point,
    expected_today: Point | None,
    *,
    points: Sequence[SeriesPoint],
    within: Box,
) -> tuple[Label, ...]:
    marked = [(baseline, f"Baseline {figures.number(baseline.value)}")]
    marked.append((target, f"Target {figures.number(target.value)}"))
    if expected_today is not None:
        marked.append((expected_today, f"Should be {figures.number(expected_today.value)} today"))
    avoid = [point_box(p.x, p.y) for p in points]
    avoid += [point_box(p.x, p.y) for p, _ in marked]
    labels: list[Label] = []
    for p, text in marked:
        label = place_label(p.x, p.y, text, avoid=avoid, within=within)
        labels.append(label)
        avoid.append(label.box)  # no two labels on each other either
    return tuple(labels)
