"""A real Celery worker on the configured broker (Redis when REDIS_URL is set, as in
CI; the filesystem broker otherwise) delivering over SMTP to an aiosmtpd sink."""

from __future__ import annotations

import datetime as dt
import email
import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from celery.signals import task_postrun, task_received
from django.conf import settings as django_settings
from django.test import Client
from django.utils import timezone

from config.celery import app
from tests.conftest import make_milestone, make_negotiation, make_track
from tests.processes import database_url
from tracker import tasks
from tracker.models import Heartbeat, MailCircuit, Reminder, StatusChange, Subscription
from tracker.reminders import outbox
from tracker.reminders.planning import plan_reminders

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]
WAIT = 60.0


class Sink:
    """An SMTP server that keeps what it receives and can refuse the first few."""

    def __init__(self, refuse: int = 0) -> None:
        self.refuse = refuse
        self.messages: list[email.message.Message] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        if self.refuse > 0:
            self.refuse -= 1
            return "451 4.3.0 Try again later"
        self.messages.append(email.message_from_bytes(envelope.content))
        return "250 OK"

    def keys(self) -> list[str]:
        return [str(m["X-Reminder-Key"]) for m in self.messages]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_until(condition: Callable[[], bool], timeout: float = WAIT) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("timed out waiting")
        time.sleep(0.2)


def outbox_settled() -> bool:
    return not Reminder.objects.filter(
        state__in=["pending", "sending"], due_at__lte=timezone.now()
    ).exists()


@pytest.fixture
def smtp_port(settings: Any) -> int:
    port = free_port()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", port
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
    settings.EMAIL_TIMEOUT = 5
    return port


@pytest.fixture
def sink(smtp_port: int) -> Iterator[Sink]:
    handler = Sink()
    controller = Controller(handler, hostname="127.0.0.1", port=smtp_port)
    controller.start()
    yield handler
    controller.stop()


class Finished:
    """The ids of the tasks the worker took from the broker, and of those it has run to the
    end. The worker runs in a thread of this process, so Celery's task_received and
    task_postrun signals reach it here."""

    def __init__(self) -> None:
        self.taken: set[str] = set()
        self.ids: set[str] = set()
        self._lock = threading.Lock()

    def received(self, request: Any = None, **kwargs: Any) -> None:
        with self._lock:
            self.taken.add(str(getattr(request, "id", "")))

    def __call__(self, task_id: str | None = None, **kwargs: Any) -> None:
        with self._lock:
            self.ids.add(str(task_id))

    def all_of(self, queued: list[str]) -> bool:
        """Every queued run this worker took has ended, and at least one has. On Redis the
        queue is shared with the other pytest-xdist worker's processes: a run one of them
        took runs there, on that worker's own test database, and never touches this one."""
        with self._lock:
            mine = set(queued) & self.taken
            return bool(mine) and mine <= self.ids


@pytest.fixture
def finished() -> Iterator[Finished]:
    made = Finished()
    task_received.connect(made.received, weak=False)
    task_postrun.connect(made, weak=False)
    yield made
    task_postrun.disconnect(made)
    task_received.disconnect(made.received)


@pytest.fixture
def worker() -> Iterator[None]:
    from celery.contrib.testing.worker import start_worker

    app.control.purge()
    with start_worker(app, pool="solo", perform_ping_check=False, shutdown_timeout=20):
        yield


@pytest.fixture
def due_soon() -> list[Reminder]:
    """Three milestones, each with a reminder due now for one confirmed subscriber."""
    today = timezone.localdate()
    track = make_track(make_negotiation())
    for n in range(3):
        make_milestone(track, f"Milestone {n}", (today + dt.timedelta(days=7)).isoformat())
    Subscription.objects.create(
        track=track, email="sink@example.org", confirmed_at=timezone.now() - dt.timedelta(days=1)
    )
    # Alerts for the health of the new track are not what these tests count.
    StatusChange.objects.update(notified_at=timezone.now())
    plan_reminders()
    return list(Reminder.objects.filter(state="pending", due_at__lte=timezone.now()))


def test_the_same_task_delivered_twice_sends_one_email(
    sink: Sink, worker: None, due_soon: Any, finished: Finished
) -> None:
    assert len(due_soon) == 3
    queued = [tasks.send_due_reminders.delay().id for _ in range(2)]
    # Both runs have ended, so any duplicate they sent is in the sink by now.
    wait_until(lambda: finished.all_of(queued))
    assert outbox_settled()
    assert sorted(sink.keys()) == sorted(r.key for r in due_soon)
    message = sink.messages[0]
    assert message["Message-ID"].startswith("<reminder-")
    assert str(message["List-Unsubscribe"]).strip().startswith("<http")
    assert any(part.get_content_type() == "text/calendar" for part in message.walk())


def test_two_beats_give_one_email(sink: Sink, worker: None, due_soon: Any, tmp_path: Path) -> None:
    env = {
        **os.environ,
        "TRANCHE_VAR_DIR": str(django_settings.VAR_DIR),
        "DATABASE_URL": database_url(),  # the beats' heartbeats land in the test database
    }
    beats = [
        subprocess.Popen(
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "config",
                "beat",
                "--loglevel=WARNING",
                f"--schedule={tmp_path / f'beat-{n}'}",
            ],
            cwd=django_settings.BASE_DIR,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for n in range(2)
    ]
    try:
        wait_until(lambda: len(sink.messages) >= 3 and outbox_settled())
        wait_until(lambda: Heartbeat.objects.filter(role="beat").count() == 2)
        # Worker and both beats are alive, the outbox is drained: every check passes.
        wait_until(lambda: health().status_code == 200)
        assert health().status_code == 200, health().content
    finally:
        for beat in beats:
            beat.terminate()
        for beat in beats:
            beat.wait(timeout=20)
    assert sorted(sink.keys()) == sorted(r.key for r in due_soon)
    assert Heartbeat.objects.filter(role="worker").exists()


def health() -> Any:
    return Client().get("/health/", HTTP_ACCEPT="application/json")


def test_an_smtp_server_that_refuses_and_then_recovers_gets_every_reminder_once(
    smtp_port: int,
    worker: None,
    due_soon: Any,
    monkeypatch: Any,
    settings: Any,
    finished: Finished,
) -> None:
    monkeypatch.setattr(outbox, "BACKOFF", (1, 1, 1, 1, 1))
    settings.SMTP_PROBE_SECONDS = 1
    queued: list[str] = []

    # First nobody listens at all: the circuit opens, and the rows wait unpenalised...
    # (queued again each second: the broker's queue is shared with the other xdist worker,
    # whose tests may queue tasks of their own, so one message is not waited on alone)
    def circuit_opened() -> bool:
        queued.append(tasks.send_due_reminders.delay().id)
        time.sleep(1)  # the pace of the checks, not a wait for something to happen
        return MailCircuit.objects.filter(opened_at__isnull=False).exists()

    wait_until(circuit_opened)
    assert set(Reminder.objects.values_list("state", "attempts")) == {("pending", 0)}
    # ...then a server that turns the first two messages away (two failed probes).
    handler = Sink(refuse=2)
    controller = Controller(handler, hostname="127.0.0.1", port=smtp_port)
    controller.start()
    try:

        def everything_sent() -> bool:
            queued.append(tasks.send_due_reminders.delay().id)
            time.sleep(1)  # the pace of the checks
            return Reminder.objects.filter(state="sent").count() == 3

        wait_until(everything_sent)
        # Every run queued has ended: a duplicate any of them sent has arrived by now.
        wait_until(lambda: finished.all_of(queued))
    finally:
        controller.stop()
    assert sorted(handler.keys()) == sorted(r.key for r in due_soon)
    assert not Reminder.objects.filter(state="failed").exists()
    assert MailCircuit.objects.get().opened_at is None
