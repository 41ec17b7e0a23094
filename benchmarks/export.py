"""Benchmark: exporting every milestone as CSV and XLSX through the Procfile's gunicorn.

    DATABASE_URL=postgres://… python benchmarks/export.py [--milestones 100000] [--repeat 5]

Builds the portfolio (benchmarks/portfolio.py: revisions, dependencies, quoted sources) at
`--milestones` in a throwaway database and starts gunicorn as the Procfile does: 2 workers,
gunicorn's default 30 s worker timeout, no control socket. It downloads
`/api/v1/milestones/?format=csv` and `?format=xlsx` to the end, each download alternating
with its baseline: a plain writer of the same rows, independent of tracker.exports (one SQL
query for the same columns, the sources joined by the database, written by csv.writer or
by openpyxl's write-only workbook in this process, which pays no HTTP). Medians of
`--repeat` runs each, then each worker's peak resident memory (VmHWM) since it started.

Goals: no answer cut off by the worker timeout; CSV ≤ 3× and XLSX ≤ 5× the plain writer;
a worker's peak memory < 100 MiB. It prints; it exits 1 only if a download fails.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import io
import os
import statistics
import sys
import tempfile
import time
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import portfolio  # siblings: the script's own folder is on sys.path
from measure import report
from throwaway import in_throwaway_database
from webserver import Gunicorn, collect_static, production_env

PATH = "/api/v1/milestones/?format={}"
PROCFILE_TIMEOUT = 30  # gunicorn's default: the Procfile sets none
MEMORY_GOAL_MIB = 100
GOALS = {"csv": 3.0, "xlsx": 5.0}
HEADERS = [
    "id", "negotiation", "track", "title", "kind", "state", "status", "status_reason",
    "deadline_text", "deadline_earliest", "deadline_latest", "deadline_precision",
    "completed_on", "completed_late", "last_confirmed_on", "last_confirmed_inferred",
    "stale", "consequence", "sources",
]  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--milestones", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    failures: list[str] = []
    in_throwaway_database(lambda: failures.extend(run(args.milestones, args.repeat)))
    if failures:
        sys.exit("Failed downloads: " + "; ".join(failures))


def run(milestones: int, repeat: int) -> list[str]:
    from django.conf import settings

    scale = milestones / 10_000
    print(
        portfolio.build(
            milestones=milestones,
            revisions=int(12_000 * scale),
            dependencies=int(950 * scale),
            largest=max(500, milestones // 50),
        ),
        flush=True,
    )
    static_root = settings.VAR_DIR / "export-static"
    collect_static(static_root)
    env = production_env(static_root, conn_max_age=None)
    log = settings.VAR_DIR / "export-gunicorn.log"
    failures: list[str] = []
    load = os.getloadavg()
    print(
        f"{dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC, load {load[0]:.2f} {load[1]:.2f}, "
        f"{_engine()}, {repeat} alternating runs each",
        flush=True,
    )
    with Gunicorn(env, log, timeout=PROCFILE_TIMEOUT) as server:
        server.wait_until_answering("/api/v1/parties/")
        for file_format, write in (("csv", _plain_csv), ("xlsx", _plain_xlsx)):
            url = server.url(PATH.format(file_format))
            subject: list[float] = []
            baseline: list[float] = []
            size = 0
            for _ in range(repeat):
                try:
                    seconds, size = _timed(lambda url=url: _download(url))  # type: ignore[misc]
                except OSError as error:
                    failures.append(f"{file_format}: {error}")
                    break
                subject.append(seconds)
                baseline.append(_timed(write)[0])
            if not subject:
                continue
            report(
                f"{file_format} export over HTTP, {size / 2**20:.1f} MiB",
                statistics.median(subject),
                baseline=statistics.median(baseline),
                unit="s",
                goal=f"≤ {GOALS[file_format]:g}× the plain writer",
            )
        peaks = ", ".join(f"{mib:.0f} MiB" for mib in server.worker_rss_mib("VmHWM").values())
        print(f"workers' peak memory: {peaks}   goal < {MEMORY_GOAL_MIB} MiB each", flush=True)
    return failures


def _timed(run: Callable[[], int]) -> tuple[float, int]:
    began = time.perf_counter()
    size = run()
    return time.perf_counter() - began, size


def _download(url: str) -> int:
    """The whole answer, read in 64 KiB pieces; its size in bytes."""
    size = 0
    with urllib.request.urlopen(url, timeout=300) as response:
        if response.status != 200:
            raise OSError(f"{url} answered {response.status}")
        while piece := response.read(65536):
            size += len(piece)
    return size


def _rows() -> Iterator[tuple[Any, ...]]:
    """The export's stored columns and each milestone's source titles, in one query."""
    from django.db import connection

    join = "string_agg(s.title, '; ' ORDER BY s.title)"
    if connection.vendor == "sqlite":
        join = "group_concat(s.title, '; ')"
    sql = f"""
        SELECT m.id, n.name, t.name, m.title, m.kind, m.state, m.status, m.status_reason,
               m.deadline_text, m.deadline_earliest, m.deadline_latest, m.deadline_precision,
               m.completed_on, m.completed_late, m.last_confirmed_on,
               m.last_confirmed_inferred, m.stale, m.consequence, {join}
        FROM tracker_milestone m
        JOIN tracker_track t ON t.id = m.track_id
        JOIN tracker_negotiation n ON n.id = t.negotiation_id
        LEFT JOIN tracker_milestone_sources ms ON ms.milestone_id = m.id
        LEFT JOIN tracker_source s ON s.id = ms.source_id
        GROUP BY m.id, n.name, t.name
        ORDER BY m.deadline_latest, m.id
    """
    cursor = connection.cursor()
    cursor.execute(sql)
    while batch := cursor.fetchmany(2000):
        yield from batch
    cursor.close()


def _plain_csv() -> int:
    sink = io.StringIO()
    writer = csv.writer(sink)
    writer.writerow(HEADERS)
    size = 0
    for row in _rows():
        writer.writerow(row)
        size += sink.tell()
        sink.seek(0)
        sink.truncate()
    return size


def _plain_xlsx() -> int:
    from openpyxl import Workbook

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title="milestones")
    sheet.append(HEADERS)
    for row in _rows():
        sheet.append(row)
    with tempfile.TemporaryFile() as output:
        workbook.save(output)
        return output.tell()


def _engine() -> str:
    from django.db import connection

    return f"{connection.vendor} database {connection.settings_dict['NAME']}"


if __name__ == "__main__":
    main()
