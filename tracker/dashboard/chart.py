"""Geometry of the target chart: baseline, required path, target, observations, today.

The path is sampled from tracker.status.expected_value, so the chart draws exactly the
curve the status rules judge against (compound or linear).

Figures are clamped to what float arithmetic can scale (`plotted`), and dates to what
date arithmetic can step, so no figure or date a row can hold makes the page fail: an
absurd figure draws at the edge of the chart instead.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass

from tracker.status import TargetFacts, expected_value

WIDTH = 720.0
HEIGHT = 320.0
LEFT, RIGHT, TOP, BOTTOM = 56.0, 24.0, 20.0, 36.0
SAMPLES = 48
# Beyond these a grid step or a scale overflows or underflows; no real figure comes near.
LARGEST = 1e300
SMALLEST = 1e-9


@dataclass(frozen=True)
class Point:
    x: float
    y: float
    date: dt.date
    value: float


@dataclass(frozen=True)
class GridLine:
    y: float
    label: str


@dataclass(frozen=True)
class YearTick:
    x: float
    label: str


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
    observations: tuple[Point, ...]
    grid: tuple[GridLine, ...]
    years: tuple[YearTick, ...]
    today_x: float | None
    expected_today: Point | None


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


def build_chart(facts: TargetFacts, *, today: dt.date) -> TargetChart:
    start = min(facts.baseline_date, dt.date.max - dt.timedelta(days=1))
    end = max(facts.latest, *(o.on for o in facts.observations), start + dt.timedelta(days=1))
    top_value = max(
        SMALLEST,
        *(
            plotted(v)
            for v in (
                facts.target_value,
                facts.baseline_value,
                *(o.value for o in facts.observations),
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

    span = max((facts.latest - start).days, 0)
    samples = [start + dt.timedelta(days=round(span * i / SAMPLES)) for i in range(SAMPLES + 1)]
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
    in_range = start <= today <= end
    return TargetChart(
        width=WIDTH,
        height=HEIGHT,
        left=LEFT,
        right=plot_right,
        top=TOP,
        bottom=plot_bottom,
        path=path,
        baseline=point(start, facts.baseline_value),
        target=point(facts.latest, facts.target_value),
        observations=tuple(
            point(o.on, o.value) for o in sorted(facts.observations, key=lambda o: o.on)
        ),
        grid=grid,
        years=years,
        today_x=round(x(today), 1) if in_range else None,
        expected_today=point(today, _expected(facts, today)) if in_range else None,
    )
