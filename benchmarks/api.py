"""Benchmark: the milestone list API against baselines built in the same run.

    python benchmarks/api.py

Builds the portfolio (benchmarks/portfolio.py: 50 negotiations, 10,000 milestones, 12,000
revisions, 950 dependencies) in a throwaway database (SQLite under a temporary folder, or
DATABASE_URL's test database), with DEBUG off and the tracker public, then requests the API
through django.test.Client (the whole middleware stack, no network) and prints, each beside
its baseline and the ratio:

- a page of 100 milestones, against the same JSON built from values() rows and orjson with
  no request around it (the same queries and wording functions: the content's own cost);
- all 10,000 milestones as JSON, walking the cursor pages of 1,000 (`next` links), against
  the same content built in one go the same way;
- a page of 50 (the default), in ms per request and the requests a second one core could
  answer, against a constant view through the same client and middleware.

For comparison it also times the read path this replaced (MilestoneSerializer over the old
prefetching queryset, DRF's JSONRenderer). Every baseline's JSON is checked equal to the
API's answer first. It prints; it asserts nothing but that equality.
"""

from __future__ import annotations

import os
import statistics
import sys
import time
import types
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from measure import median_ms, report  # siblings: the script's own folder is on sys.path
from throwaway import in_throwaway_database

os.environ.setdefault("DEBUG", "false")
os.environ.setdefault("TRACKER_PUBLIC", "true")


def main() -> None:
    in_throwaway_database(run)


def values_page(limit: int | None) -> list[dict[str, Any]]:
    """The baseline: the list's JSON from values() rows, with no request, view or paginator."""
    from django.utils import timezone

    from tracker import selectors
    from tracker.api import rows
    from tracker.models import Milestone

    found = selectors.milestone_rows(Milestone.objects.all()).order_by("due", "id")  # type: ignore[misc]
    plain = list(found if limit is None else found[:limit])
    relations = selectors.milestone_relations(row["id"] for row in plain)
    return rows.milestones(plain, relations, timezone.localdate())


def values_json(limit: int | None) -> bytes:
    import orjson

    return orjson.dumps(values_page(limit))


def serializer_page(limit: int | None) -> bytes:
    """The read path before: MilestoneSerializer over the prefetching queryset."""
    from rest_framework.renderers import JSONRenderer

    from tracker import selectors
    from tracker.api.serializers import MilestoneSerializer

    found = selectors.milestones_list()
    milestones = found if limit is None else found[:limit]
    return JSONRenderer().render(MilestoneSerializer(milestones, many=True).data)


def paired_ms(
    run: Callable[[], Any],
    baseline: Callable[[], Any],
    *,
    repeat: int = 9,
    before: Callable[[], Any] = lambda: None,
) -> tuple[float, float]:
    """Medians of `run` and `baseline` timed in turns, so that the load other processes put
    on a shared machine weighs on both alike; `before` runs untimed before each call."""
    timings: tuple[list[float], list[float]] = ([], [])
    run(), baseline()
    for _ in range(repeat):
        for timed, fn in zip(timings, (run, baseline), strict=True):
            before()
            began = time.perf_counter()
            fn()
            timed.append((time.perf_counter() - began) * 1000)
    return statistics.median(timings[0]), statistics.median(timings[1])


def walk(client: Any, url: str) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    while url:
        body = client.get(url).json()
        found += body["results"]
        url = body["next"]
    return found


def run() -> None:
    import orjson
    import portfolio
    from django.conf import settings
    from django.db import connection
    from django.http import HttpResponse
    from django.test import Client
    from django.test.utils import override_settings
    from django.urls import path

    import config.urls

    print(portfolio.build(), flush=True)
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")  # as autovacuum would have by now on a real server
    print(f"database: {connection.vendor}, DEBUG={settings.DEBUG}", flush=True)
    # The project's URLs and a view that answers a constant: the cost of the stack alone.
    constant = types.ModuleType("benchmark_urls")
    constant.urlpatterns = [  # type: ignore[attr-defined]
        path("constant/", lambda request: HttpResponse(b'{"ok":true}')),
        *config.urls.urlpatterns,
    ]
    sys.modules[constant.__name__] = constant
    with override_settings(ROOT_URLCONF=constant.__name__):
        client = Client()
        page = "/api/v1/milestones/?page_size=100"
        response = client.get(page)
        assert response.status_code == 200, response.content[:300]
        assert response.json()["results"] == orjson.loads(orjson.dumps(values_page(100)))
        queries: list[str] = []

        def counted(execute: Callable[..., Any], sql: str, *arguments: Any) -> Any:
            queries.append(sql)
            return execute(sql, *arguments)

        from tracker.services.versions import data_version_bump

        # Fresh: the data version moved before each request, so the answer is built (the
        # first request after a write). Kept: the same URL again, served from the cache.
        with connection.execute_wrapper(counted):
            data_version_bump()
            client.get(page)
        api_ms, values_ms = paired_ms(
            lambda: client.get(page), lambda: values_json(100), before=data_version_bump
        )
        report(
            f"list page_size=100, fresh ({len(queries)} queries)",
            api_ms,
            baseline=values_ms,
            goal="≤ 1.5× values()+orjson",
        )
        api_ms, values_ms = paired_ms(lambda: client.get(page), lambda: values_json(100))
        report("list page_size=100, kept answer (1 query)", api_ms, baseline=values_ms)
        old_ms, values_ms = paired_ms(lambda: serializer_page(100), lambda: values_json(100))
        report("  the same page through the old serializer", old_ms, baseline=values_ms)

        fifty = "/api/v1/milestones/"
        assert len(client.get(fifty).json()["results"]) == 50
        fifty_ms, values_ms = paired_ms(
            lambda: client.get(fifty), lambda: values_json(50), before=data_version_bump
        )
        report("page of 50, fresh", fifty_ms, baseline=values_ms)
        fifty_ms, values_ms = paired_ms(lambda: client.get(fifty), lambda: values_json(50))
        report("page of 50, kept answer", fifty_ms, baseline=values_ms)
        fifty_ms, constant_ms = paired_ms(
            lambda: client.get(fifty), lambda: client.get("/constant/"), repeat=31
        )
        report("  page of 50 against a constant view", fifty_ms, baseline=constant_ms)
        report(
            "  page of 50, requests a second on one core",
            1000 / fifty_ms,
            baseline=1000 / constant_ms,
            unit="r/s",
            goal="≥ 150 req/s (lead: hey, gunicorn)",
        )

        everything = "/api/v1/milestones/?page_size=1000"
        walked = walk(client, everything)
        assert len(walked) == 10_000 == len({row["id"] for row in walked})
        assert walked == orjson.loads(orjson.dumps(values_page(None)))
        walk_ms, same_content = paired_ms(
            lambda: walk(client, everything),
            lambda: values_json(None),
            repeat=3,
            before=data_version_bump,
        )
        report(
            "all 10k as JSON, cursor pages of 1,000 (10 requests), fresh",
            walk_ms,
            baseline=same_content,
            goal="≤ 1.5× same content",
        )
        report(
            "  all 10k through the old serializer (one list)",
            median_ms(lambda: serializer_page(None), repeat=1, warmup=0),
            baseline=same_content,
        )


if __name__ == "__main__":
    main()
