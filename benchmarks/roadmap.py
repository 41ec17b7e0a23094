"""Benchmark: the portfolio roadmap on 50 negotiations and 5,000 milestones, cold and warm.

    python benchmarks/roadmap.py [--repeat 9]

Builds the portfolio (benchmarks/portfolio.py with 5,000 milestones, 6,000 revisions, some
completed so the track records and outlooks have history) in a throwaway database, as
benchmarks/pages.py does, and times whole requests through django.test.Client with DEBUG
off: `/roadmap/` cold (the data version moved before each request) and warm, its queries,
its size, and the CSV export of its milestones.

Two baselines run in the same process: a constant view (an HttpResponse of two bytes)
through the same client and middleware, and the overview warm, an existing page that
does no more than read its cached body. Goal: the roadmap warm under 150 ms. It prints; it
asserts nothing.
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
import uuid
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import portfolio  # siblings: the script's own folder is on sys.path
from measure import median_ms, report
from pages import constant, forget_fragments, median_after
from throwaway import in_throwaway_database


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=9)
    args = parser.parse_args()
    in_throwaway_database(lambda: run(args.repeat))


def run(repeat: int) -> None:
    import time_machine
    from django.conf import settings
    from django.core.management import call_command
    from django.db import connection
    from django.template import Template
    from django.test import Client, override_settings
    from django.test.utils import CaptureQueriesContext, _TestState
    from django.urls import include, path

    from tracker.services.versions import data_version_bump

    class BenchmarkURLs:
        urlpatterns = [path("_constant/", constant), path("", include("config.urls"))]

    settings.DEBUG = False
    prefix = f"bench-roadmap-{uuid.uuid4().hex}"
    caches = {name: {**c, "KEY_PREFIX": prefix} for name, c in settings.CACHES.items()}
    call_command("collectstatic", interactive=False, verbosity=0)
    Template._render = _TestState.saved_data.template_render  # type: ignore[attr-defined]
    with (
        override_settings(ROOT_URLCONF=BenchmarkURLs, CACHES=caches),
        time_machine.travel(dt.datetime.combine(portfolio.TODAY, dt.time(9), dt.UTC)),
    ):
        print(
            portfolio.build(milestones=5_000, revisions=6_000, dependencies=400, largest=250),
            flush=True,
        )
        call_command("outlook_backtest", stdout=sys.stdout)
        print(f"database {connection.vendor}, cache {settings.CACHES['default']['BACKEND']}")
        client = Client()

        def get(url: str) -> Callable[[], None]:
            def fetch() -> None:
                response = client.get(url)
                assert response.status_code == 200, (url, response.status_code)
                if response.streaming:
                    b"".join(response.streaming_content)  # type: ignore[attr-defined]

            return fetch

        baseline = median_ms(get("/_constant/"), repeat=repeat * 3, warmup=3)
        report("constant view (baseline)", baseline, baseline=baseline)
        overview = median_ms(get("/"), repeat=repeat)
        report("overview warm (baseline)", overview, baseline=baseline)
        roadmap = get("/roadmap/")
        figure = median_after(data_version_bump, roadmap, repeat=max(3, repeat // 3))
        report("roadmap, 50 negotiations, cold", figure, baseline=baseline)
        figure = median_ms(roadmap, repeat=repeat)
        report("roadmap, 50 negotiations, warm", figure, baseline=baseline, goal="< 150 ms")
        report("  vs the overview warm", figure / overview, unit="×")
        for state, prepare in (("cold", data_version_bump), ("warm", lambda: None)):
            prepare()
            with CaptureQueriesContext(connection) as queries:
                roadmap()
            report(f"  queries, {state}", len(queries), unit="q")
        report("  page size", len(client.get("/roadmap/").content) / 1024, unit="KiB")
        export = median_ms(get("/roadmap/export.csv"), repeat=3)
        report("roadmap CSV export, 5,000 milestones", export, baseline=baseline)
        forget_fragments(prefix)


if __name__ == "__main__":
    main()
