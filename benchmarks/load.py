"""Benchmark: Tranche under HTTP load, gunicorn with 2 workers on loopback, driven by hey.

    DATABASE_URL=postgres://… python benchmarks/load.py [--seconds 10] [--only NAME]
                                                         [--conn-max-age N] [--smoke]

Builds the portfolio (benchmarks/portfolio.py: 50 negotiations, 10,000 milestones) in a
throwaway database, collects the static files, and starts gunicorn (2 workers, DEBUG off,
readable without login) on a free loopback port with that database. Then, for each endpoint,
hey runs for `--seconds` at the issue's rate, and the constant view (the deadline parser,
`/api/v1/deadlines/parse`: the whole middleware stack and DRF, no database query) runs just
before it at the same rate and concurrency as the in-run baseline. It prints p50, p95 and
requests per second beside the baseline's, each worker's memory before and after the
calendar run, and the database connections the workers hold at the end.

Endpoints (`--only`, repeatable): `negotiation` (the 500-milestone page, 20 req/s), `overview`
(50 req/s), `api` (a milestone page of 50), `calendar` (`/calendar.ics`), `calendar-304` (the
same with If-None-Match) and `parties` (two rows: the cost of a connection), the last four
flat out; 4 clients each.

Rates are offered, not promised: hey holds each client to rate/clients requests a second and
a slow server answers fewer. Requests in flight when the time is up finish and count; hey
leaves requests that fail or time out (180 s) out of its CSV, so compare the answers counted
with the run's length. `calendar-304` asks again with the feed's ETag (skipped when the
feed sends none) and expects 304s; every other answer must be a 200, or the benchmark exits
1. gunicorn's output goes to `load-gunicorn.log` in the var folder; gunicorn is stopped when
the benchmark ends or dies.
"""

from __future__ import annotations

import argparse
import signal
import sys
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NoReturn

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import hey  # siblings: the script's own folder is on sys.path
import portfolio
from measure import report
from throwaway import in_throwaway_database
from webserver import Gunicorn, collect_static, production_env

BASELINE = "/api/v1/deadlines/parse?text=2030&reference=2026-12-02"
CLIENTS = 4


@dataclass(frozen=True)
class Endpoint:
    name: str
    path: str
    rate: float | None  # requests a second offered by all clients together; None: flat out
    p95_goal: str = ""
    throughput_goal: str = ""
    # Asked with the ETag of a first answer (If-None-Match): every answer must be a 304.
    revalidate: bool = False

    @property
    def expected(self) -> set[int]:
        return {304} if self.revalidate else {200}

    @property
    def load(self) -> str:
        rate = f"{self.rate:g} req/s" if self.rate else "flat out"
        return f"{rate}, {CLIENTS} clients"


ENDPOINTS = (
    Endpoint("negotiation", "/negotiations/negotiation-0/", 20, p95_goal="≤ 100 ms"),
    Endpoint("overview", "/", 50, p95_goal="≤ 50 ms"),
    Endpoint("api", "/api/v1/milestones/?page_size=50", None, throughput_goal="≥ 150 req/s"),
    Endpoint("calendar", "/calendar.ics", None),
    Endpoint("calendar-304", "/calendar.ics", None, p95_goal="≤ 5 ms", revalidate=True),
    # Two rows from the database: what a connection per request costs shows here
    # (compare runs with --conn-max-age 0 and the default).
    Endpoint("parties", "/api/v1/parties/", None),
)
RSS_GOAL_MIB = 150
SMOKE_PORTFOLIO: dict[str, Any] = {
    "negotiations": 4,
    "milestones": 80,
    "revisions": 40,
    "dependencies": 10,
    "largest": 20,
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--seconds", type=float, help="per run (default 10; 1 with --smoke)")
    parser.add_argument("--only", choices=[e.name for e in ENDPOINTS], action="append")
    parser.add_argument("--conn-max-age", type=int, help="CONN_MAX_AGE for gunicorn")
    parser.add_argument("--smoke", action="store_true", help="a tiny portfolio, 1 s runs")
    args = parser.parse_args()
    if args.seconds is None:
        args.seconds = 1.0 if args.smoke else 10.0
    if not hey.installed():
        sys.exit("hey is not installed: apt-get install hey")
    # A SIGTERM (a test's timeout) unwinds like an exception: gunicorn stops, the database goes.
    signal.signal(signal.SIGTERM, _exit_on_sigterm)
    failures: list[str] = []
    in_throwaway_database(lambda: failures.extend(run(args)))
    if failures:
        sys.exit("Unexpected answers: " + "; ".join(failures))


def _exit_on_sigterm(signum: int, frame: object) -> NoReturn:
    raise SystemExit(128 + signum)


def run(args: argparse.Namespace) -> list[str]:
    """Every endpoint asked for, each after its baseline; returns what failed."""
    from django.conf import settings

    print(portfolio.build(**(SMOKE_PORTFOLIO if args.smoke else {})), flush=True)
    static_root = settings.VAR_DIR / "load-static"
    collect_static(static_root)
    env = production_env(static_root, conn_max_age=args.conn_max_age)
    log = settings.VAR_DIR / "load-gunicorn.log"
    endpoints = [e for e in ENDPOINTS if not args.only or e.name in args.only]
    failures: list[str] = []
    try:
        with Gunicorn(env, log) as server:
            failures += _drive(server, endpoints, env, args)
    finally:
        _wait_for_connections_to_close()
    return failures


def _drive(
    server: Gunicorn, endpoints: list[Endpoint], env: dict[str, str], args: argparse.Namespace
) -> list[str]:
    failures: list[str] = []
    server.wait_until_answering(BASELINE)
    print(
        f"gunicorn: 2 workers on port {server.port}, CONN_MAX_AGE={env['CONN_MAX_AGE']}, "
        f"{_engine()}; {args.seconds:g} s per run; baseline GET {BASELINE} "
        "(no database query)",
        flush=True,
    )
    hey.warm(server.url(BASELINE), requests=20)
    _print_rss("worker memory at start", server)
    for endpoint in endpoints:
        headers = {}
        if endpoint.revalidate:
            etag = _etag(server.url(endpoint.path))
            if not etag:
                print(f"{endpoint.name}: skipped, {endpoint.path} sends no ETag", flush=True)
                continue
            headers["If-None-Match"] = etag
        hey.warm(server.url(endpoint.path), requests=2, headers=headers)  # one per worker
        if endpoint.name == "calendar":
            _print_rss("worker memory before the calendar run", server)
        baseline = _load(server, BASELINE, endpoint, args.seconds)
        figure = _load(server, endpoint.path, endpoint, args.seconds, headers)
        _report(endpoint, figure, baseline)
        failures += _unexpected(endpoint.path, figure, endpoint.expected)
        failures += _unexpected(BASELINE, baseline, {200})
        if endpoint.name == "calendar":
            _print_rss("worker memory after the calendar run", server)
    held = _held_connections()
    print(
        "database connections held by the workers: "
        + ("not counted (not PostgreSQL)" if held is None else str(held)),
        flush=True,
    )
    return failures


def _load(
    server: Gunicorn,
    path: str,
    endpoint: Endpoint,
    seconds: float,
    headers: dict[str, str] | None = None,
) -> hey.Load:
    return hey.run(
        server.url(path), seconds=seconds, clients=CLIENTS, rate=endpoint.rate, headers=headers
    )


def _report(endpoint: Endpoint, figure: hey.Load, baseline: hey.Load) -> None:
    label = f"{endpoint.name} ({endpoint.load})"
    report(f"{label} p50", figure.p50, baseline=baseline.p50)
    report(f"{label} p95", figure.p95, baseline=baseline.p95, goal=endpoint.p95_goal)
    report(
        f"{label} throughput",
        figure.per_second,
        baseline=baseline.per_second,
        unit="req/s",
        goal=endpoint.throughput_goal,
    )
    print(f"    {figure.requests} answers {dict(figure.statuses)} in {figure.seconds:.1f} s")


def _unexpected(path: str, load: hey.Load, expected: set[int]) -> list[str]:
    if not load.requests:
        return [f"{path}: no answer"]
    wrong = {status: n for status, n in load.statuses.items() if status not in expected}
    return [f"{path}: {wrong}"] if wrong else []


def _etag(url: str) -> str | None:
    with urllib.request.urlopen(url, timeout=hey.TIMEOUT_SECONDS) as response:
        etag: str | None = response.headers.get("ETag")
        return etag


def _print_rss(what: str, server: Gunicorn) -> None:
    sizes = ", ".join(f"{mib:.0f} MiB (pid {pid})" for pid, mib in server.worker_rss_mib().items())
    print(f"{what}: {sizes}   goal < {RSS_GOAL_MIB} MiB each", flush=True)


def _engine() -> str:
    from django.db import connection

    return f"{connection.vendor} database {connection.settings_dict['NAME']}"


def _held_connections() -> int | None:
    """Connections other processes hold to the throwaway database: the workers' own (None:
    not PostgreSQL, not counted)."""
    from django.db import connection

    if connection.vendor != "postgresql":
        return None
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity"
            " WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )
        return int(cursor.fetchone()[0])


def _wait_for_connections_to_close(timeout: float = 10) -> None:
    """Workers' backends end a moment after the workers: until then the database cannot go."""
    deadline = time.monotonic() + timeout
    while _held_connections() and time.monotonic() < deadline:
        time.sleep(0.1)


if __name__ == "__main__":
    main()
