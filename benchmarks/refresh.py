"""Benchmark: how long and how much memory a full status refresh takes.

    python benchmarks/refresh.py [--negotiations 20] [--milestones-per-track 50]

Builds a throwaway database (SQLite under a temporary folder, or DATABASE_URL's test
database), then prints figures for the first refresh (every row changes), a second one
(nothing changes) and the day turning over. It prints; it asserts nothing.
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
import time
import tracemalloc
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from throwaway import in_throwaway_database  # a sibling: the script's own folder is on sys.path


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--negotiations", type=int, default=20)
    parser.add_argument("--tracks", type=int, default=5)
    parser.add_argument("--milestones-per-track", type=int, default=50)
    args = parser.parse_args()

    in_throwaway_database(lambda: run(args))


def run(args: argparse.Namespace) -> None:
    from tracker.models import Milestone, Negotiation, Track
    from tracker.refresh import refresh_statuses

    start = dt.date(2025, 1, 1)
    for n in range(args.negotiations):
        negotiation = Negotiation.objects.create(slug=f"n{n}", name=f"Negotiation {n}")
        tracks = Track.objects.bulk_create(
            Track(negotiation=negotiation, slug=f"t{t}", name=f"Track {t}")
            for t in range(args.tracks)
        )
        Milestone.objects.bulk_create(
            Milestone(
                track=track,
                slug=f"m{m}",
                title=f"Milestone {m}",
                deadline_text="day",
                deadline_earliest=start + dt.timedelta(days=m * 7),
                deadline_latest=start + dt.timedelta(days=m * 7),
                deadline_precision="day",
            )
            for track in tracks
            for m in range(args.milestones_per_track)
        )
    total = Milestone.objects.count()
    print(
        f"{args.negotiations} negotiations, {args.negotiations * args.tracks} tracks, "
        f"{total} milestones"
    )
    steps = [
        ("first refresh (all rows change)", dt.date(2025, 6, 1)),
        ("second refresh (nothing changes)", dt.date(2025, 6, 1)),
        ("next day (reasons and some statuses change)", dt.date(2025, 6, 2)),
    ]
    for label, day in steps:
        began = time.perf_counter()
        result = refresh_statuses(today=day)
        elapsed = time.perf_counter() - began
        print(
            f"{label:45} {elapsed * 1000:8.1f} ms  {total / elapsed:8.0f} milestones/s  "
            f"rows written {result.rows_written}"
        )
    # Memory separately: tracemalloc slows Python down several times over.
    Milestone.objects.update(status="unscheduled", status_reason="")
    for label, day in [
        ("peak memory, all rows change", steps[0][1]),
        ("peak memory, nothing changes", steps[0][1]),
    ]:
        tracemalloc.start()
        refresh_statuses(today=day)
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        print(f"{label:45} {peak / 2**20:8.1f} MiB")


if __name__ == "__main__":
    main()
