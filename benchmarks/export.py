"""Benchmark: exporting 100,000 milestones as CSV and XLSX, in time and peak memory.

    python benchmarks/export.py [--milestones 100000]

Builds a throwaway database (SQLite under a temporary folder, or DATABASE_URL's test
database) with the milestones spread over 20 negotiations of 5 tracks, each milestone
with a deadline revision and a cited source, then reads the export responses the API
and the dashboard send (tracker.exports.export_response) to the end. Time is measured
without tracemalloc (which slows Python several times over), then peak memory with it.
It prints; it asserts nothing.
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
    parser.add_argument("--milestones", type=int, default=100_000)
    args = parser.parse_args()
    in_throwaway_database(lambda: run(args.milestones))


def build(total: int) -> None:
    from tracker.models import DeadlineRevision, Milestone, Negotiation, Source, Track

    sources = Source.objects.bulk_create(
        Source(slug=f"s{n}", title=f"Source {n}", excerpt="…", published_on=dt.date(2025, 5, 26))
        for n in range(10)
    )
    tracks = []
    for n in range(20):
        negotiation = Negotiation.objects.create(slug=f"n{n}", name=f"Negotiation {n}")
        tracks += Track.objects.bulk_create(
            Track(negotiation=negotiation, slug=f"t{t}", name=f"Track {t}") for t in range(5)
        )
    start = dt.date(2025, 1, 1)
    per_track = total // len(tracks)
    for track in tracks:
        milestones = Milestone.objects.bulk_create(
            Milestone(
                track=track,
                slug=f"m{m}",
                title=f"=Milestone {m}" if m % 100 == 0 else f"Milestone {m}",
                deadline_text="day",
                deadline_earliest=start + dt.timedelta(days=m),
                deadline_latest=start + dt.timedelta(days=m),
                deadline_precision="day",
                consequence="Tariffs rise",
                last_confirmed_on=dt.date(2025, 5, 26),
            )
            for m in range(per_track)
        )
        DeadlineRevision.objects.bulk_create(
            DeadlineRevision(
                milestone=m,
                new_text="day",
                new_earliest=m.deadline_earliest,
                new_latest=m.deadline_latest,
                new_precision="day",
                source=sources[m.pk % 10],
            )
            for m in milestones
        )
        Milestone.sources.through.objects.bulk_create(
            Milestone.sources.through(milestone_id=m.pk, source_id=sources[m.pk % 10].pk)
            for m in milestones
        )


def drain(file_format: str) -> int:
    from tracker import exports, selectors

    response = exports.export_response(
        exports.MILESTONES,
        selectors.milestones_list(),
        file_format=file_format,
        today=dt.date(2026, 11, 21),
    )
    size = 0
    for chunk in response.streaming_content:  # type: ignore[union-attr]
        size += len(chunk)
    response.close()
    return size


def run(total: int) -> None:
    from tracker.models import Milestone

    began = time.perf_counter()
    build(total)
    print(
        f"{Milestone.objects.count()} milestones built in {time.perf_counter() - began:.1f} s",
        flush=True,
    )
    for file_format in ("csv", "xlsx"):
        began = time.perf_counter()
        size = drain(file_format)
        elapsed = time.perf_counter() - began
        tracemalloc.start()
        drain(file_format)
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        print(
            f"{file_format:5} {elapsed:7.1f} s  {total / elapsed:8.0f} rows/s  "
            f"{size / 2**20:6.1f} MiB file  peak memory {peak / 2**20:6.1f} MiB",
            flush=True,
        )


if __name__ == "__main__":
    main()
