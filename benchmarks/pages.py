"""Benchmark: the dashboard's heaviest pages on the ministry's portfolio, cold and warm.

    python benchmarks/pages.py [--repeat 9]

Builds the portfolio (benchmarks/portfolio.py: 50 negotiations, 10,000 milestones, the
largest, negotiation-0, with 500) in a throwaway database (SQLite under a temporary
folder, or DATABASE_URL's test database; REDIS_URL's cache when set, else Django's
in-process cache), then times whole requests through django.test.Client with DEBUG off:

- the negotiation page of negotiation-0 cold (the data version moved just before each
  request, so no cached fragment can be used) and warm (the same request again);
- `/upcoming/` (its first page) and the overview, cold and warm;
- the queries each makes, cold and warm, and the size of the page.

Fragments are cached under a key prefix of the run's own, deleted at the end.

The baseline is a constant view (an HttpResponse of two bytes) mounted beside the site's
URLs and requested through the same client and middleware in the same run: what any
request costs here before a page does any work. It prints; it asserts nothing.
"""

from __future__ import annotations

import argparse
import datetime as dt
import statistics
import sys
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import portfolio  # siblings: the script's own folder is on sys.path
from measure import median_ms, report
from throwaway import in_throwaway_database


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=9)
    args = parser.parse_args()
    in_throwaway_database(lambda: run(args.repeat))


def constant(request: Any) -> Any:
    from django.http import HttpResponse

    return HttpResponse(b"ok")


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
    # Fragments under a prefix of this run's own, deleted at the end (see forget_fragments).
    prefix = f"bench-pages-{uuid.uuid4().hex}"
    caches = {name: {**c, "KEY_PREFIX": prefix} for name, c in settings.CACHES.items()}
    # As production serves them: hashed static files from a manifest (collected once).
    call_command("collectstatic", interactive=False, verbosity=0)
    # The test environment wraps every template render to record it for assertions;
    # production does not, so the benchmark renders as production does.
    Template._render = _TestState.saved_data.template_render  # type: ignore[attr-defined]
    with (
        override_settings(ROOT_URLCONF=BenchmarkURLs, CACHES=caches),
        time_machine.travel(dt.datetime.combine(portfolio.TODAY, dt.time(9), dt.UTC)),
    ):
        print(portfolio.build(), flush=True)
        print(f"database {connection.vendor}, cache {settings.CACHES['default']['BACKEND']}")
        client = Client()

        def get(url: str) -> Callable[[], None]:
            def fetch() -> None:
                response = client.get(url)
                assert response.status_code == 200, (url, response.status_code)

            return fetch

        baseline = median_ms(get("/_constant/"), repeat=repeat * 3, warmup=3)
        report("constant view (baseline)", baseline, baseline=baseline)
        pages = [
            ("negotiation page, 500 milestones", "/negotiations/negotiation-0/", "≤ 60 ms"),
            ("/upcoming/, first page", "/upcoming/", "≤ 40 ms"),
            ("overview, 50 negotiations", "/", "≤ 20 ms"),
        ]
        for what, url, goal in pages:
            fetch = get(url)
            figure = median_after(data_version_bump, fetch, repeat=repeat)
            report(f"{what}, cold", figure, baseline=baseline, goal=goal)
            figure = median_ms(fetch, repeat=repeat)
            report(f"{what}, warm", figure, baseline=baseline, goal=goal)
            for state, prepare in (("cold", data_version_bump), ("warm", lambda: None)):
                prepare()
                with CaptureQueriesContext(connection) as queries:
                    fetch()
                report(f"  queries, {state}", len(queries), unit="q")
            size = len(client.get(url).content)
            report("  page size", size / 1024, unit="KiB")
        forget_fragments(prefix)


def forget_fragments(prefix: str) -> None:
    """Delete this run's keys: the Redis database is shared (never FLUSHDB it)."""
    from django.core.cache import cache

    client = getattr(getattr(cache, "_cache", None), "get_client", None)
    if client is None:  # Django's in-process cache goes with the process
        return
    redis = client(write=True)
    for key in redis.scan_iter(match=f"{prefix}:*", count=1000):
        redis.delete(key)


def median_after(prepare: Callable[[], None], run: Callable[[], None], *, repeat: int) -> float:
    """The median time of `run`, each time just after `prepare` (which is not timed)."""
    prepare()
    run()
    timings = []
    for _ in range(repeat):
        prepare()
        began = time.perf_counter()
        run()
        timings.append((time.perf_counter() - began) * 1000)
    return statistics.median(timings)


if __name__ == "__main__":
    main()
