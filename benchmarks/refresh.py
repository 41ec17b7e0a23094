"""Benchmark: the status refresh over 100,000 milestones, beside in-run baselines.

    python benchmarks/refresh.py [--milestones 100000] [--repeat 3]

Builds the portfolio (benchmarks/portfolio.py: 50 negotiations, the largest with 2,000
milestones, deadlines 2024–2031, a third of the past ones completed) in a throwaway
database, unrefreshed, then times:

- the first refresh, where every row changes (every milestone, track and negotiation is
  assessed for the first time); baseline: one UPDATE that rewrites the derived columns of
  every milestone with their own values, the database's floor for touching every row
  (each timed on a freshly vacuumed table, as autovacuum would leave it);
- a second refresh the same day, where nothing changes; baseline: reading the open
  milestones' ids and statuses with values_list, the least a pass that looked at every
  open row would do;
- the next day, when only rows crossing a band change (due soon, overdue) now that
  reasons name dates; same baseline;
- once, the daily pass that judges every row (`everything=True`) when nothing changes,
  beside the all-rows UPDATE.

Each figure is a median of --repeat runs; queries are counted. The machine is shared:
trust the ratios.
"""

from __future__ import annotations

import argparse
import datetime as dt
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import portfolio  # siblings: the script's own folder is on sys.path
from measure import median_ms, report
from throwaway import in_throwaway_database


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--milestones", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    in_throwaway_database(lambda: run(args))


def timed(run: Callable[[], Any]) -> tuple[float, int, Any]:
    """Milliseconds, queries and the result of one call."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as queries:
        began = time.perf_counter()
        result = run()
        elapsed = (time.perf_counter() - began) * 1000
    return elapsed, len(queries.captured_queries), result


def run(args: argparse.Namespace) -> None:
    from django.db import connection

    from tracker.models import Milestone, Negotiation, Track
    from tracker.refresh import refresh_statuses

    built = portfolio.build(
        milestones=args.milestones, revisions=0, dependencies=0, largest=2000, refresh=False
    )
    print(f"{connection.vendor}: {built}")
    today = portfolio.TODAY
    table = Milestone._meta.db_table
    columns = ", ".join(f"{c} = {c}" for c in sorted(Milestone.DERIVED_FIELDS))

    def touch_every_row() -> None:
        with connection.cursor() as cursor:
            cursor.execute(f"UPDATE {table} SET {columns}")

    def read_open_rows() -> None:
        list(
            Milestone.objects.filter(state__in=["planned", "in_progress"]).values_list(
                "id", "status", "status_reason"
            )
        )

    def unassessed() -> None:
        Milestone.objects.update(status="unscheduled", status_reason="")
        Track.objects.update(health_reason="")
        Negotiation.objects.update(health_reason="")
        vacuumed()

    def vacuumed() -> None:
        """What autovacuum does after a fifth of a table changed: without it each pass that
        rewrites every row leaves the table larger and its statistics wrong."""
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("VACUUM ANALYZE")

    first: list[float] = []
    for _ in range(args.repeat):
        unassessed()
        elapsed, queries, result = timed(lambda: refresh_statuses(today=today))
        first.append(elapsed)
    rows = result.rows_written
    touched = []
    for _ in range(args.repeat):
        vacuumed()
        touched.append(timed(touch_every_row)[0])
    report(
        f"all rows change ({rows:,} rows, {queries} queries)",
        statistics.median(first),
        baseline=statistics.median(touched),
        goal="≤ 1,000 ms",
    )

    vacuumed()
    _, queries, result = timed(lambda: refresh_statuses(today=today))
    assert result.rows_written == 0, result
    baseline = median_ms(read_open_rows, repeat=args.repeat)
    report(
        f"nothing changes ({queries} queries)",
        median_ms(lambda: refresh_statuses(today=today), repeat=args.repeat),
        baseline=baseline,
        goal="≤ 200 ms",
    )

    next_days: list[float] = []
    written: list[int] = []
    for n in range(1, args.repeat + 1):
        day = today + dt.timedelta(days=n)
        elapsed, queries, result = timed(lambda: refresh_statuses(today=day))  # noqa: B023
        next_days.append(elapsed)
        written.append(result.rows_written)
    report(
        f"next day (~{statistics.median(written):,.0f} rows change, {queries} queries)",
        statistics.median(next_days),
        baseline=baseline,
    )

    # Once, the daily pass that judges every row: it is the dearest and runs once a day.
    last = today + dt.timedelta(days=args.repeat)
    elapsed, queries, result = timed(lambda: refresh_statuses(today=last, everything=True))
    report(
        f"every row judged, nothing changes ({queries} queries)",
        elapsed,
        baseline=statistics.median(touched),
    )


if __name__ == "__main__":
    main()
