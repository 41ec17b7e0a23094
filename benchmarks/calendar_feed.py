"""Benchmark: the calendar feed of a whole portfolio (10,000 milestones), and a worker's RSS.

    DATABASE_URL=postgres://… python benchmarks/calendar_feed.py [--no-gunicorn]

Builds the portfolio (benchmarks/portfolio.py) in a throwaway database, then prints
through measure.report, in process with django.test.Client:
- the cold `/calendar.ics` (the default window, a year back) and `?past=all`, each with
  only its own cached body deleted before every run;
- the warm 200 (body from the cache), and the repeat with If-None-Match and with
  If-Modified-Since (304s);
- baselines from the same run: a constant view through the same Client; and for the
  writer alone (on rows fetched beforehand), the same events built as icalendar trees,
  as every request did before. CPU times of this process are printed beside the wall
  times: on a shared machine they leave out the wait for a core.
Then, on PostgreSQL, it starts gunicorn (2 workers, DEBUG=false) on a free loopback port
against the throwaway database and prints each worker's VmRSS after serving only a
constant page (/health/web/) and again after serving the feed. Everything is bounded in
time, and gunicorn is stopped in `finally`. It prints; it asserts nothing.
"""

from __future__ import annotations

# Not named calendar.py: run as a script, its folder comes first on sys.path, and the
# standard library's `calendar` (which Django and email import) would be this file.
import argparse
import datetime as dt
import os
import signal
import socket
import statistics
import subprocess
import sys
import time
import types
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from measure import median_ms, report  # noqa: E402 (siblings: the script's folder is on sys.path)
from throwaway import in_throwaway_database  # noqa: E402

GUNICORN_SECONDS = 120


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--no-gunicorn", action="store_true", help="in-process figures only")
    args = parser.parse_args()
    in_throwaway_database(lambda: run(gunicorn=not args.no_gunicorn))


def _constant_urls() -> str:
    """The project's URLs plus /constant/, a view that does nothing: the baseline."""
    from django.http import HttpResponse
    from django.urls import path

    module = types.ModuleType("calendar_benchmark_urls")
    module.urlpatterns = [  # type: ignore[attr-defined]
        path("constant/", lambda request: HttpResponse(b"ok", content_type="text/plain")),
        *__import__("config.urls", fromlist=["urlpatterns"]).urlpatterns,
    ]
    sys.modules[module.__name__] = module
    return module.__name__


def run(*, gunicorn: bool) -> None:
    import portfolio
    from django.conf import settings
    from django.db import connection
    from django.http import QueryDict
    from django.test import Client, override_settings
    from django.utils import timezone

    from tracker.calendar import views

    print(portfolio.build(), flush=True)
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")  # as autovacuum would have: the planner's row counts
    print(f"database: {connection.vendor}; cache: {settings.CACHES['default']['BACKEND']}")
    client = Client()
    default_since = views.requested_since(QueryDict(), timezone.localdate())
    with override_settings(ROOT_URLCONF=_constant_urls()):
        constant = median_ms(lambda: client.get("/constant/"), repeat=31)
        report("constant view (baseline)", constant)
        feed(client, "", default_since, label="default window", baseline=constant)
        feed(client, "?past=all", None, label="past=all", baseline=constant)

    if not gunicorn:
        return
    if connection.vendor != "postgresql":
        print("gunicorn RSS: skipped (measured on PostgreSQL, as the issue states its goals)")
        return
    db = connection.settings_dict
    url = f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}"
    if db.get("PASSWORD"):
        url = f"postgres://{db['USER']}:{db['PASSWORD']}@{db['HOST']}:{db['PORT']}/{db['NAME']}"
    worker_rss(url)


def tree_body(rows: list[Any], *, today: dt.date) -> bytes:
    """The same events built as an icalendar Calendar of Events, as every request did
    before issue 13: the baseline of the text writer."""
    from icalendar import Calendar, Event, vText

    from tracker.calendar import feeds

    phrases = feeds._phrases(today)
    calendar = Calendar()
    for name, value in (("prodid", feeds.PRODID), ("version", "2.0"), ("x-wr-calname", "x")):
        calendar.add(name, value)
    for row in rows:
        event = Event()
        url = feeds.milestone_url(row)
        event.add("uid", f"milestone-{row.id}@tranche")
        event.add("dtstamp", row.updated_at)
        event.add("dtstart", row.deadline_latest)
        event.add("dtend", row.deadline_latest + dt.timedelta(days=1))
        event.add("summary", row.title)
        event.add("description", vText.from_ical(feeds._description(row, phrases, url)))
        event.add("url", url)
        event.add("sequence", max(row.revision_count - 1, 0))
        event.add("transp", "TRANSPARENT")
        event.add("categories", [row.negotiation_name, row.kind])
        calendar.add_component(event)
    body: bytes = calendar.to_ical()
    return body


def cpu_ms(run: Callable[[], object], *, repeat: int = 5) -> float:
    """The median CPU time of `run` in this process: on a shared machine, what waiting
    for a core adds to the wall time is left out (the database's own work too)."""
    run()
    timings = []
    for _ in range(repeat):
        began = time.process_time()
        run()
        timings.append((time.process_time() - began) * 1000)
    return statistics.median(timings)


def feed(client: Any, query: str, since: dt.date | None, *, label: str, baseline: float) -> None:
    """Cold, CPU, query, writer, warm and 304 figures of `/calendar.ics{query}`."""
    from django.core.cache import cache
    from django.utils import timezone

    from tracker.calendar import views
    from tracker.calendar.feeds import calendar_body, calendar_rows
    from tracker.selectors import milestones_for_calendar

    path = f"/calendar.ics{query}"
    slot = views.cache_slot(None, since)

    def cold() -> None:
        cache.delete(slot)  # our own cached body only, never cache.clear()
        assert client.get(path).status_code == 200

    def fetched() -> list[Any]:
        return list(calendar_rows(milestones_for_calendar(since=since)))

    def repeat(**headers: str) -> None:
        response = client.get(path, headers=headers)
        assert response.status_code == 304, response.status_code

    cache.delete(slot)
    began = time.perf_counter()
    first = client.get(path)
    first_ms = (time.perf_counter() - began) * 1000
    events = first.content.count(b"BEGIN:VEVENT")
    print(f"{path}: {events:,} events, {len(first.content):,} bytes", flush=True)
    report(f"first render in this process, {label}", first_ms, baseline=baseline)
    report(f"cold {path}", median_ms(cold), baseline=baseline, goal="≤ 200 ms")
    report("  the same, CPU time of this process", cpu_ms(cold), baseline=baseline)
    report("  the query alone", median_ms(fetched), baseline=baseline)
    rows, today = fetched(), timezone.localdate()
    writer = cpu_ms(lambda: calendar_body(rows, name="x", today=today))
    trees = cpu_ms(lambda: tree_body(rows, today=today), repeat=3)
    report(f"  the writer alone, {len(rows):,} rows, CPU", writer, baseline=trees)
    print("    (baseline: the same events as icalendar trees, the way before, CPU)", flush=True)
    warm = median_ms(lambda: client.get(path), repeat=15)
    report(f"warm 200 (cached body), {label}", warm, baseline=baseline)
    etag, modified = first["ETag"], first["Last-Modified"]
    not_modified = median_ms(lambda: repeat(if_none_match=etag), repeat=31)
    report(f"304 If-None-Match, {label}", not_modified, baseline=baseline, goal="≤ 5 ms")
    since_ms = median_ms(lambda: repeat(if_modified_since=modified), repeat=31)
    report(f"304 If-Modified-Since, {label}", since_ms, baseline=baseline, goal="≤ 5 ms")


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def _rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def _workers(master: int) -> list[int]:
    children = Path(f"/proc/{master}/task/{master}/children").read_text().split()
    return sorted(int(pid) for pid in children)


def _get(url: str, deadline: float) -> int:
    timeout = max(deadline - time.monotonic(), 1)
    with urllib.request.urlopen(url, timeout=timeout) as response:
        response.read()
        status: int = response.status
        return status


def worker_rss(database_url: str) -> None:
    port = _free_port()
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "DEBUG": "false",
        "SECRET_KEY": os.urandom(32).hex(),
    }
    gunicorn = str(Path(sys.executable).parent / "gunicorn")
    bind = f"127.0.0.1:{port}"
    command = [gunicorn, "config.wsgi", "--bind", bind, "--workers", "2", "--timeout", "60"]
    server = subprocess.Popen(command, cwd=ROOT, env=env, start_new_session=True)
    deadline = time.monotonic() + GUNICORN_SECONDS
    base = f"http://{bind}"
    try:
        while True:
            try:
                _get(f"{base}/health/web/", deadline)
                break
            except OSError:
                if time.monotonic() > deadline or server.poll() is not None:
                    raise RuntimeError("gunicorn did not answer") from None
                time.sleep(0.3)
        for _ in range(20):  # both workers serve it
            _get(f"{base}/health/web/", deadline)
        workers = _workers(server.pid)
        before = {pid: _rss_mb(pid) for pid in workers}
        for _ in range(6):
            _get(f"{base}/calendar.ics", deadline)
            _get(f"{base}/calendar.ics?past=all", deadline)
        after = {pid: _rss_mb(pid) for pid in workers}
        for pid in workers:
            report(
                f"gunicorn worker {pid} RSS after feeds",
                after[pid],
                baseline=before[pid],
                goal="< 150 MB",
                unit="MB",
            )
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait()


if __name__ == "__main__":
    main()
