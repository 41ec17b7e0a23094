"""Real processes for the integration and chaos tests: Celery workers and beats run as
subprocesses on the test database, a redis-server of their own on a free loopback port,
and an aiosmtpd sink. Each is stopped by the test that started it, by its own pid."""

from __future__ import annotations

import asyncio
import email
import logging
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller
from django.conf import settings
from django.db import connection


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_until(condition: Callable[[], bool], timeout: float, step: float = 0.2) -> float:
    """Seconds it took; AssertionError when `timeout` passes first."""
    started = time.monotonic()
    while not condition():
        if time.monotonic() - started > timeout:
            raise AssertionError(f"timed out after {timeout:.0f} s")
        time.sleep(step)
    return time.monotonic() - started


def database_url() -> str:
    """The test database, as DATABASE_URL, for a subprocess to share it."""
    db = connection.settings_dict
    if db["ENGINE"].endswith("sqlite3"):
        return f"sqlite:///{db['NAME']}"
    password = f":{db['PASSWORD']}" if db.get("PASSWORD") else ""
    return f"postgres://{db['USER']}{password}@{db['HOST']}:{db['PORT'] or 5432}/{db['NAME']}"


def process_env(**extra: str) -> dict[str, str]:
    env = {**os.environ, "TRANCHE_VAR_DIR": str(settings.VAR_DIR), "DATABASE_URL": database_url()}
    env.update(extra)
    return env


class RedisServer:
    """A redis-server of the test's own on a free loopback port; never the shared one."""

    def __init__(self, folder: Path) -> None:
        self.port = free_port()
        self.folder = folder
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        binary = shutil.which("redis-server")
        assert binary, "redis-server is not installed"
        self.process = subprocess.Popen(
            [binary, "--bind", "127.0.0.1", "--port", str(self.port), "--save", "",
             "--appendonly", "no", "--dir", str(self.folder)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )  # fmt: skip
        wait_until(self._answers, timeout=20)

    def _answers(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=1) as s:
                s.sendall(b"PING\r\n")
                return s.recv(16).startswith(b"+PONG")
        except OSError:
            return False

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(timeout=20)
            self.process = None


class Celery:
    """`celery -A config worker|beat` as a subprocess in its own process group."""

    def __init__(self, role: str, env: dict[str, str], *args: str, log: Path | None = None):
        self.command = [sys.executable, "-m", "celery", "-A", "config", role, *args]
        self.env = env
        self.log = log
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> Celery:
        output: Any = open(self.log, "ab") if self.log else subprocess.DEVNULL  # noqa: SIM115
        self.process = subprocess.Popen(
            self.command,
            cwd=settings.BASE_DIR,
            env=self.env,
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        return self

    def kill(self) -> None:
        """kill -9 of the worker and its pool processes, as an OOM killer would."""
        if self.process is not None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=20)
            self.process = None

    def stop(self) -> None:
        if self.process is None:
            return
        os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.kill()
        self.process = None


class Sink:
    """An aiosmtpd handler that keeps each message's reminder key (or Message-ID); it can
    take a while per message, or refuse everything with 451 while `refusing` is set."""

    def __init__(self, delay: float = 0.0) -> None:
        self.delay = delay
        self.refusing = False
        self.refused = 0
        self.keys: list[str] = []
        self._lock = threading.Lock()

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        if self.delay:
            await asyncio.sleep(self.delay)
        if self.refusing:
            self.refused += 1
            return "451 4.3.0 Try again later"
        message = email.message_from_bytes(envelope.content)
        with self._lock:
            self.keys.append(str(message["X-Reminder-Key"] or message["Message-ID"]))
        return "250 OK"

    @property
    def count(self) -> int:
        with self._lock:
            return len(self.keys)

    def duplicates(self) -> int:
        with self._lock:
            return len(self.keys) - len(set(self.keys))


class SmtpSink:
    def __init__(self, handler: Sink) -> None:
        self.handler = handler
        self.port = free_port()
        self.controller = Controller(handler, hostname="127.0.0.1", port=self.port)

    @property
    def url(self) -> str:
        return f"smtp://127.0.0.1:{self.port}"

    def __enter__(self) -> SmtpSink:
        logging.getLogger("mail.log").setLevel(logging.WARNING)  # aiosmtpd: a line a command
        self.controller.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.controller.stop()


def due_outbox(milestones: int, recipients: int) -> list[str]:
    """One due reminder per milestone and recipient, planned as beat would plan them:
    `milestones` milestones two days overdue, followed by `recipients` confirmed email
    subscribers of their track. Returns the keys that must arrive."""
    import datetime as dt

    from django.utils import timezone

    from tracker.models import Milestone, Negotiation, Reminder, Subscription, Track
    from tracker.reminders.outbox import supersede_missed
    from tracker.reminders.planning import plan_reminders

    now = timezone.now()
    latest = timezone.localdate() - dt.timedelta(days=2)
    negotiation = Negotiation.objects.create(slug="chaos", name="Chaos")
    track = Track.objects.create(negotiation=negotiation, slug="drain", name="Drain")
    Milestone.objects.bulk_create(
        Milestone(
            track=track,
            slug=f"m{n}",
            title=f"Milestone {n}",
            deadline_text=latest.isoformat(),
            deadline_earliest=latest,
            deadline_latest=latest,
            deadline_precision="day",
        )
        for n in range(milestones)
    )
    Subscription.objects.bulk_create(
        Subscription(track=track, email=f"r{n}@example.org", confirmed_at=now)
        for n in range(recipients)
    )
    plan_reminders(now=now)
    supersede_missed(now)  # of the missed ones, only the latest goes out
    due = Reminder.objects.filter(state="pending", due_at__lte=now)
    assert due.count() == milestones * recipients
    return [r.key for r in due]


# A worker's first heartbeat: Django and Celery starting cold, on a 2-core machine that may
# be running the rest of the suite beside it.
WORKER_START = 120.0


def workers_up(count: int = 1) -> None:
    """Wait until `count` workers beat their heart on the test database."""
    from tracker.models import Heartbeat

    wait_until(
        lambda: Heartbeat.objects.filter(role="worker").count() >= count, timeout=WORKER_START
    )


def outbox_settled() -> bool:
    from django.utils import timezone

    from tracker.models import OutboxEmail, Reminder

    return not any(
        model.objects.filter(state__in=["pending", "sending"], due_at__lte=timezone.now()).exists()
        for model in (Reminder, OutboxEmail)
    )
