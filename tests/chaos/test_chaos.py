"""Chaos: real workers, beat, a redis-server of our own and an SMTP sink, with faults.

Each test fills the outbox with due reminders, starts Celery processes on the test
database, injects one kind of fault while they send, and then waits for the outbox to
drain. Every reminder must arrive, and each test prints how long the drain took after the
fault. Each message is recorded as sent the moment the server accepts it, so a worker
killed sends at most the one message in flight twice; every other fault (Redis, SMTP, a
database connection dropped and reconnected) sends nothing twice. test_fault_points.py
injects each fault at the exact point that matters.

Leases and probes are shortened (OUTBOX_LEASE_SECONDS, SMTP_PROBE_SECONDS) so the suite
takes minutes; benchmarks/drain.py measures the production values. PostgreSQL only: the
workers share the test database with this process, and one fault is PostgreSQL's own
pg_terminate_backend.
"""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from celery import Celery as CeleryApp
from django.conf import settings
from django.db import connection

from tests.processes import (
    Celery,
    RedisServer,
    Sink,
    SmtpSink,
    due_outbox,
    outbox_settled,
    process_env,
    wait_until,
    workers_up,
)
from tracker.models import Heartbeat, MailCircuit, OutboxEmail, Reminder

pytestmark = [
    pytest.mark.chaos,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        not settings.DATABASES["default"]["ENGINE"].endswith("postgresql"),
        reason="chaos runs on PostgreSQL: several processes write at once, and one fault "
        "is pg_terminate_backend",
    ),
]

LEASE = 10  # seconds; 90 in production
PROBE = 3  # seconds; 30 in production
DRAIN = 150.0  # the most any test waits for the outbox to drain


@dataclass
class Stack:
    redis: RedisServer
    smtp: SmtpSink
    sink: Sink
    env: dict[str, str]
    folder: Path
    started: list[Celery]

    def worker(self, name: str) -> Celery:
        worker = Celery(
            "worker",
            self.env,
            "--pool=solo",
            f"--hostname={name}@%h",
            "--without-mingle",
            "--without-gossip",
            "--loglevel=INFO",
            log=self.folder / f"{name}.log",
        ).start()
        self.started.append(worker)
        return worker

    def beat(self, name: str = "beat") -> Celery:
        beat = Celery(
            "beat",
            self.env,
            f"--schedule={self.folder / name}",
            "--loglevel=INFO",
            log=self.folder / f"{name}.log",
        ).start()
        self.started.append(beat)
        return beat

    def logs(self) -> str:
        return "\n".join(
            f"--- {path.name}\n{path.read_text(errors='replace')[-3000:]}"
            for path in sorted(self.folder.glob("*.log"))
        )


@pytest.fixture
def stack(tmp_path: Path) -> Iterator[Stack]:
    redis = RedisServer(tmp_path)
    redis.start()
    sink = Sink(delay=0.01)
    with SmtpSink(sink) as smtp:
        env = process_env(
            REDIS_URL=redis.url,
            EMAIL_URL=smtp.url,
            OUTBOX_LEASE_SECONDS=str(LEASE),
            SMTP_PROBE_SECONDS=str(PROBE),
        )
        built = Stack(redis, smtp, sink, env, tmp_path, [])
        try:
            yield built
        finally:
            for process in built.started:
                process.stop()
            redis.stop()


def delivered(stack: Stack, keys: list[str]) -> bool:
    return set(keys) <= set(stack.sink.keys) and outbox_settled()


def drain(stack: Stack, keys: list[str], since: float) -> float:
    """Seconds from `since` until every key arrived and nothing due is left unsent."""
    try:
        wait_until(lambda: delivered(stack, keys), timeout=DRAIN, step=0.25)
    except AssertionError:
        pytest.fail(
            f"{len(set(keys) - set(stack.sink.keys))} of {len(keys)} never arrived; "
            f"states {sorted(set(Reminder.objects.values_list('state', flat=True)))}\n"
            + stack.logs()
        )
    return time.monotonic() - since


def report(capsys: pytest.CaptureFixture[str], fault: str, keys: list[str], seconds: float,
           stack: Stack) -> None:  # fmt: skip
    with capsys.disabled():
        print(
            f"\nchaos: {fault}: {len(keys)} reminders delivered, drained {seconds:.1f} s after "
            f"the fault, {stack.sink.duplicates()} duplicate(s)"
        )


def assert_every_reminder_once_give_or_take(stack: Stack, keys: list[str], duplicates: int) -> None:
    assert set(keys) <= set(stack.sink.keys)
    assert stack.sink.duplicates() <= duplicates
    assert outbox_settled()
    assert not Reminder.objects.filter(state="failed").exists()


def started(stack: Stack, workers: int = 1) -> None:
    """Wait for the workers' heartbeats (they are up and reading the test database), then
    queue a first send run rather than wait 30 s for beat's."""
    workers_up(workers)
    kick = CeleryApp("kick", broker=stack.redis.url, set_as_current=False)
    kick.send_task("tracker.tasks.send_due_reminders")


def test_a_worker_killed_with_sigkill_mid_send_loses_nothing(
    stack: Stack, capsys: pytest.CaptureFixture[str]
) -> None:
    keys = due_outbox(milestones=60, recipients=4)
    first = stack.worker("first")
    stack.beat()
    started(stack)
    wait_until(lambda: stack.sink.count >= 40, timeout=90)
    first.kill()
    killed_at = time.monotonic()
    stack.worker("second")
    seconds = drain(stack, keys, killed_at)
    report(capsys, "kill -9 of the worker", keys, seconds, stack)
    # The message in flight when it was killed, at most, goes out again after its lease.
    assert_every_reminder_once_give_or_take(stack, keys, duplicates=1)


def test_redis_stopped_and_restarted_loses_nothing_and_a_subscription_meanwhile_is_confirmed(
    stack: Stack, capsys: pytest.CaptureFixture[str]
) -> None:
    from tests.conftest import make_negotiation, make_track
    from tracker.services.subscriptions import subscription_create

    keys = due_outbox(milestones=60, recipients=4)
    track = make_track(make_negotiation("during-outage"), "followed")
    stack.worker("worker")
    stack.beat()
    started(stack)
    wait_until(lambda: stack.sink.count >= 40, timeout=90)
    stack.redis.stop()
    stopped_at = time.monotonic()
    # Subscribing meanwhile works: the confirmation waits in the outbox, not in Redis.
    subscription_create(track=track, email="meanwhile@example.org")
    time.sleep(8)
    stack.redis.start()  # the same port: workers and beat reconnect
    seconds = drain(stack, keys, stopped_at)
    report(capsys, "Redis stopped for 8 s", keys, seconds, stack)
    assert_every_reminder_once_give_or_take(stack, keys, duplicates=0)
    assert OutboxEmail.objects.get(recipient="meanwhile@example.org").state == "sent"


def test_an_smtp_server_that_refuses_everything_then_accepts_gets_everything_once(
    stack: Stack, capsys: pytest.CaptureFixture[str]
) -> None:
    keys = due_outbox(milestones=40, recipients=4)
    stack.sink.refusing = True
    stack.worker("worker")
    stack.beat()
    started(stack)
    wait_until(lambda: MailCircuit.objects.filter(opened_at__isnull=False).exists(), timeout=60)
    time.sleep(2 * PROBE)
    stack.sink.refusing = False
    recovered_at = time.monotonic()
    seconds = drain(stack, keys, recovered_at)
    report(capsys, "SMTP refusing, then accepting", keys, seconds, stack)
    assert_every_reminder_once_give_or_take(stack, keys, duplicates=0)
    # Within a probe and a beat of recovery, and without per-row backoff.
    assert seconds < 45
    assert set(Reminder.objects.filter(state="sent").values_list("attempts", flat=True)) == {1}
    warnings = (stack.folder / "worker.log").read_text().count("refuses everything")
    assert warnings == 1


def test_the_worker_database_connection_terminated_repeatedly_leaves_at_most_one_duplicate_each(
    stack: Stack, capsys: pytest.CaptureFixture[str]
) -> None:
    keys = due_outbox(milestones=60, recipients=4)
    stack.sink.delay = 0.03
    stack.worker("worker")
    stack.beat()
    started(stack)
    wait_until(lambda: stack.sink.count >= 20, timeout=90)
    terminated = 0
    first_at = time.monotonic()

    def terminate_the_others() -> bool:
        # Wait for the sender to have reconnected since the last cut, each time.
        nonlocal terminated
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                "WHERE datname = current_database() AND pid <> pg_backend_pid()"
            )
            found = int(cursor.fetchone()[0])
        terminated += found
        return found > 0

    for _ in range(4):
        wait_until(terminate_the_others, timeout=30, step=0.05)
        time.sleep(0.3)
    assert terminated >= 4
    seconds = drain(stack, keys, first_at)
    report(capsys, f"{terminated} database connections terminated", keys, seconds, stack)
    # A "sent" write is retried while the claim's lease holds, so at most one per cut.
    assert_every_reminder_once_give_or_take(stack, keys, duplicates=terminated)


def test_overlapping_senders_two_workers_two_beats_and_cron_send_each_reminder_once(
    stack: Stack, capsys: pytest.CaptureFixture[str]
) -> None:
    keys = due_outbox(milestones=60, recipients=4)
    stack.worker("one")
    stack.worker("two")
    stack.beat("beat-one")
    stack.beat("beat-two")
    started(stack, workers=2)
    began = time.monotonic()
    crons = [
        subprocess.Popen(
            [sys.executable, "manage.py", "send_reminders", "--max-seconds=20"],
            cwd=settings.BASE_DIR,
            env=stack.env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for _ in range(2)
    ]
    try:
        seconds = drain(stack, keys, began)
    finally:
        for cron in crons:
            cron.wait(timeout=60)
    report(capsys, "two workers, two beats and two cron runs at once", keys, seconds, stack)
    assert_every_reminder_once_give_or_take(stack, keys, duplicates=0)


def test_the_stack_is_healthy_after_the_drain(stack: Stack, client: Any) -> None:
    keys = due_outbox(milestones=5, recipients=2)
    stack.worker("worker")
    stack.beat()
    started(stack)
    drain(stack, keys, time.monotonic())
    wait_until(lambda: Heartbeat.objects.filter(role="beat").exists(), timeout=30)
    response = client.get("/health/", HTTP_ACCEPT="application/json")
    assert response.status_code == 200, response.content
