"""A refresh whose database connection dies mid-run is retried, and the statuses end fresh.

A real worker on the test database runs the refresh job. The test holds a lock on the
negotiation, so the refresh stops at a known point inside its transaction (its
SELECT … FOR UPDATE); the test terminates that backend with pg_terminate_backend, as a
database failover or an operator would, and releases the lock. Nothing else runs the
refresh (no beat): only the job's own retry can make the statuses fresh.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
import time_machine
from celery import Celery as CeleryApp
from django.conf import settings
from django.db import connection
from django.utils import timezone

from tests.conftest import make_milestone, make_negotiation, make_track
from tests.processes import Celery, RedisServer, database_url, process_env, wait_until, workers_up
from tracker.models import Milestone

pytestmark = [
    pytest.mark.chaos,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        not settings.DATABASES["default"]["ENGINE"].endswith("postgresql"),
        reason="the fault is PostgreSQL's pg_terminate_backend",
    ),
]


@pytest.fixture
def redis(tmp_path: Path) -> Iterator[RedisServer]:
    server = RedisServer(tmp_path)
    server.start()
    try:
        yield server
    finally:
        server.stop()


def blocked_refresh() -> int | None:
    """The backend of a refresh waiting for the negotiation's row lock, if one is."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pid FROM pg_stat_activity WHERE datname = current_database() "
            "AND pid <> pg_backend_pid() AND wait_event_type = 'Lock' AND query LIKE %s",
            # The start of the refresh's SELECT … FOR UPDATE (the view cuts long queries).
            ['SELECT "tracker_negotiation".%'],
        )
        row = cursor.fetchone()
    return int(row[0]) if row else None


def test_a_refresh_whose_connection_is_terminated_mid_run_is_retried_and_ends_fresh(
    redis: RedisServer, tmp_path: Path
) -> None:
    today = timezone.localdate()
    # Judged ten days ago, when its deadline was a week off: stored as due soon.
    with time_machine.travel(timezone.now() - dt.timedelta(days=10), tick=False):
        track = make_track(make_negotiation())
        milestone = make_milestone(
            track, "Interim agreement", (today - dt.timedelta(days=3)).isoformat()
        )
    assert Milestone.objects.get(pk=milestone.pk).status == "due_soon"

    log = tmp_path / "worker.log"
    worker = Celery(
        "worker",
        process_env(REDIS_URL=redis.url),
        "--pool=solo",
        "--without-mingle",
        "--without-gossip",
        "--loglevel=INFO",
        log=log,
    ).start()
    try:
        workers_up()
        kick = CeleryApp("kick", broker=redis.url, set_as_current=False)
        # The lock is held on a connection of its own: this one stays in autocommit, where
        # each read of pg_stat_activity is fresh (a transaction would keep one snapshot).
        with psycopg.connect(database_url()) as locker:
            locker.execute("SELECT id FROM tracker_negotiation FOR UPDATE")  # the refresh waits
            kick.send_task("tracker.tasks.refresh_statuses", kwargs={"everything": True})
            wait_until(lambda: blocked_refresh() is not None, timeout=60, step=0.1)
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_terminate_backend(%s)", [blocked_refresh()])
            time.sleep(0.5)  # the worker sees its connection gone before the lock goes
            locker.rollback()
        wait_until(lambda: Milestone.objects.get(pk=milestone.pk).status == "overdue", timeout=60)
    finally:
        worker.stop()
    text = log.read_text(errors="replace")
    assert text.count("retry: Retry in") == 1, text[-3000:]
    assert "OperationalError" in text
    track.refresh_from_db()
    assert track.health == "off_track"
