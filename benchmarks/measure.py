"""Timing and printing for the benchmarks: each figure beside its in-run baseline.

Timings are medians of several runs after a warm-up; baselines run in the same process
at the same time, so on a shared machine the ratio is the figure to trust.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from typing import Any


def median_ms(run: Callable[[], Any], *, repeat: int = 7, warmup: int = 1) -> float:
    for _ in range(warmup):
        run()
    timings = []
    for _ in range(repeat):
        began = time.perf_counter()
        run()
        timings.append((time.perf_counter() - began) * 1000)
    return statistics.median(timings)


def report(
    what: str, figure: float, *, baseline: float | None = None, goal: str = "", unit: str = "ms"
) -> None:
    """One line: the figure, the baseline and the ratio, and the goal it is held to."""
    line = f"{what:52} {figure:10.1f} {unit}"
    if baseline is not None:
        ratio = figure / baseline if baseline else float("inf")
        line += f"   baseline {baseline:9.1f} {unit}   ratio {ratio:5.2f}×"
    if goal:
        line += f"   goal {goal}"
    print(line, flush=True)
