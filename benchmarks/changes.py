"""Benchmark: pages of the audit log (/api/v1/changes/) with 1,000,000 changes, beside a
plain SQL read of the same rows.

    DATABASE_URL=postgres://… python benchmarks/changes.py [--changes 1000000] [--repeat 9]

Builds the portfolio (benchmarks/portfolio.py: 10,000 milestones with revisions,
dependencies and refreshed statuses) in a throwaway database, then `--changes` audit rows
over two years about its milestones (inserted by one SQL statement: this is a fixture for
reads). Each subject is a GET through the API (routing, filters, the keyset page of 50,
serializer and JSON): the newest page, the page 20 pages deep (followed by cursor), one
day (`date=`), a search (`search=`) and one object's history. Each is alternated run by
run with its baseline, one SQL statement that reads the same 51 rows with the same order
and conditions and fetches them, no Django. Figures are medians of --repeat alternated
runs. The machine is shared: the ratio is the figure to trust.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import portfolio  # siblings: the script's own folder is on sys.path
from measure import report
from throwaway import in_throwaway_database

COLUMNS = (
    "c.id, c.timestamp, c.action, c.object_id, c.object_repr, c.interface, c.changes, "
    "ct.model, u.username"
)
FROM = (
    "FROM tracker_change c JOIN django_content_type ct ON ct.id = c.content_type_id "
    "LEFT JOIN auth_user u ON u.id = c.actor_id"
)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--changes", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=9)
    args = parser.parse_args()
    in_throwaway_database(lambda: run(args))


def build(changes: int) -> None:
    from django.contrib.contenttypes.models import ContentType
    from django.db import connection

    from tracker.models import Milestone

    print(portfolio.build(), flush=True)
    kind = ContentType.objects.get_for_model(Milestone).pk
    began = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute("SELECT min(id), max(id) FROM tracker_milestone")
        low, high = cursor.fetchone()
        cursor.execute(
            """
            INSERT INTO tracker_change (content_type_id, object_pk, object_id, object_repr,
                action, changes_text, changes, timestamp, interface, additional_data)
            SELECT %s, (%s + n %% (%s - %s + 1))::text, %s + n %% (%s - %s + 1),
                'Milestone ' || (n %% 10000) || ' of negotiation ' || (n %% 50)
                    || CASE WHEN n %% 997 = 0 THEN ' (ratification)' ELSE '' END,
                n %% 3, '',
                jsonb_build_object('deadline_text', jsonb_build_array('2026-01-01', '2026-03-31')),
                timestamp '2025-01-01 00:00:00+00' + make_interval(secs => n * 63.0),
                (ARRAY['api', 'admin', 'loader', 'shell'])[1 + n %% 4],
                jsonb_build_object('version', 1 + n %% 7)
            FROM generate_series(1, %s) AS n
            """,
            [kind, low, high, low, low, high, low, changes],
        )
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE tracker_change")
    print(f"{changes:,} changes built in {time.perf_counter() - began:.1f} s", flush=True)


def sql(
    where: str, params: list[Any], order: str = "c.timestamp DESC, c.id DESC"
) -> Callable[[], None]:
    from django.db import connection

    statement = f"SELECT {COLUMNS} {FROM} {where} ORDER BY {order} LIMIT 51"

    def read() -> None:
        with connection.cursor() as cursor:
            cursor.execute(statement, params)
            cursor.fetchall()

    return read


def alternated(
    subject: Callable[[], Any], baseline: Callable[[], Any], repeat: int
) -> tuple[float, float]:
    subject(), baseline()  # warm-up
    ours, theirs = [], []
    for _ in range(repeat):
        began = time.perf_counter()
        subject()
        ours.append((time.perf_counter() - began) * 1000)
        began = time.perf_counter()
        baseline()
        theirs.append((time.perf_counter() - began) * 1000)
    return statistics.median(ours), statistics.median(theirs)


def run(args: argparse.Namespace) -> None:
    from django.db import connection
    from django.test import Client

    from tracker.models import Change

    if connection.vendor != "postgresql":
        sys.exit("The audit-log benchmark measures PostgreSQL's indexes: set DATABASE_URL.")
    connection.ensure_connection()
    build(args.changes)
    client = Client()

    def get(path: str, query: dict[str, str] | None = None) -> Callable[[], Any]:
        def answer() -> Any:
            response = client.get(path, query or {})
            assert response.status_code == 200, response.content[:300]
            return response

        return answer

    deep = "/api/v1/changes/"
    for _ in range(20):
        deep = client.get(deep).json()["next"]
    deep_page = client.get(deep).json()["results"]
    last = Change.objects.filter(pk=deep_page[0]["id"]).values("timestamp", "id").get()
    one = Change.objects.order_by("-id").values("object_id").first()
    assert one is not None
    subjects = {
        "the newest page": (get("/api/v1/changes/"), sql("", [])),
        "20 pages deep (cursor)": (
            get(deep),
            sql(
                "WHERE (c.timestamp, c.id) <= (%s, %s)",
                [last["timestamp"], last["id"]],
            ),
        ),
        "one day (date=)": (
            get("/api/v1/changes/", {"date": "2025-06-01"}),
            sql(
                "WHERE c.timestamp >= %s AND c.timestamp < %s",
                [dt.datetime(2025, 6, 1, tzinfo=dt.UTC), dt.datetime(2025, 6, 2, tzinfo=dt.UTC)],
            ),
        ),
        "a search (search=ratification)": (
            get("/api/v1/changes/", {"search": "ratification"}),
            sql("WHERE upper(c.object_repr) LIKE upper(%s)", ["%ratification%"]),
        ),
        "one milestone's history": (
            get(
                "/api/v1/changes/", {"object_type": "milestone", "object_id": str(one["object_id"])}
            ),
            sql("WHERE ct.model = 'milestone' AND c.object_id = %s", [one["object_id"]]),
        ),
    }
    print(
        f"{dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC, load {os.getloadavg()[0]:.1f} on "
        f"{os.cpu_count()} cores; {args.changes:,} changes; "
        f"medians of {args.repeat} alternated runs",
        flush=True,
    )
    for label, (subject, baseline) in subjects.items():
        ours, theirs = alternated(subject, baseline, args.repeat)
        report(f"changes API: {label}", ours, baseline=theirs, goal="≤ 20 ms a page")


if __name__ == "__main__":
    main()
