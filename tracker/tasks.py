"""Celery tasks: thin wrappers that carry ids (or nothing) and call one service.

No task carries an email or a reminder: each says "look at the tables", so a
duplicated, late or lost message changes nothing. Only delivery trouble (the mail
server or network) is retried here; anything else is a bug and surfaces as one.

This is the jobs layer: it imports the domain, and no domain module imports it
(tests/project/test_architecture.py). Work that must follow a write runs after the commit in
the writing process (tracker.services.followups); beat is the safety net.

Sending is bounded: one run stops claiming after `outbox.RUN_BUDGET` seconds, well
inside the time limit, and queues its successor when due rows remain; a backlog of
more than one batch fans out to every worker process. Queueing never
raises (beat runs the sender every 30 s anyway). Every run logs one line with all its
counts. Worker and beat processes write heartbeats that /health/ reads.
"""

from __future__ import annotations

import logging
import os
import socket
import time
from typing import Any

from celery import bootsteps, shared_task
from celery.beat import PersistentScheduler
from celery.exceptions import SoftTimeLimitExceeded
from django.db import InterfaceError, OperationalError, connection
from django.utils import timezone

from tracker import deadline_record, heartbeats, imports
from tracker.refresh import refresh_statuses as refresh
from tracker.reminders import alerts, digests, escalation, outbox, planning
from tracker.services.heartbeats import heartbeat_record
from tracker.services.outlook import outlook_scores_store
from tracker.webhooks import delivery

log = logging.getLogger(__name__)

# A soft time limit stops a run where it stands; the outbox gives its rows back.
outbox.interrupt_on(SoftTimeLimitExceeded)
delivery.interrupt_on(SoftTimeLimitExceeded)

# Jobs that queue email: the outbox sends it, and retries delivery row by row.
DELIVERY: dict[str, Any] = {"time_limit": 300, "soft_time_limit": 240}


# A refresh whose database connection died has rolled back whole and wrote nothing: run
# it again soon, backing off (2, 4, 8 … s, at most a minute apart, five times), rather than
# leave statuses stale until beat's next pass ten minutes on. Celery's Django fixup drops
# the dead connection before the retry runs.
REFRESH: dict[str, Any] = {
    "time_limit": 300,
    "soft_time_limit": 240,
    "autoretry_for": (OperationalError, InterfaceError),
    "retry_backoff": 2,
    "retry_backoff_max": 60,
    "retry_jitter": True,
    "max_retries": 5,
}


def log_run(task: str, started: float, **counts: Any) -> None:
    """One structured line per run: task=… seconds=… and every count (logfmt)."""
    fields = {"task": task, "seconds": f"{time.monotonic() - started:.2f}", **counts}
    log.info(" ".join(f"{key}={str(value).lower()}" for key, value in fields.items()))


def enqueue(task: Any, *, countdown: float | None = None) -> bool:
    """Queue a task without ever raising: the broker may be down, and beat is the net."""
    try:
        task.apply_async(countdown=countdown, retry=False)
    except Exception:
        log.warning("Could not queue %s; beat will run it.", task.name, exc_info=True)
        return False
    return True


@shared_task(name="tracker.tasks.refresh_statuses", **REFRESH)
def refresh_statuses(negotiation_ids: list[int] | None = None, everything: bool = False) -> int:
    """Bring stored statuses up to date, then tell people about tracks that got worse."""
    started = time.monotonic()
    changes = len(refresh(negotiation_ids=negotiation_ids, everything=everything).changes)
    sent = alerts.send_health_alerts()
    log_run("refresh_statuses", started, changes=changes, alerts=sent.alerts, emails=sent.emails)
    return changes


@shared_task(name="tracker.tasks.score_outlooks", time_limit=600, soft_time_limit=540)
def score_outlooks() -> int:
    """Back-test the outlook on the record's history as of today and store its Brier scores
    (what `manage.py outlook_backtest` does), so the pages' scores are a day old at most."""
    started = time.monotonic()
    today = timezone.localdate()
    scores = deadline_record.backtest_scores(today)
    outlook_scores_store(scores=scores, on=today)
    forecasts = scores[0][2]
    log_run("score_outlooks", started, forecasts=forecasts)
    return forecasts


@shared_task(name="tracker.tasks.plan_reminders", time_limit=300, soft_time_limit=240)
def plan_reminders(milestone_ids: list[int] | None = None) -> int:
    started = time.monotonic()
    result = planning.plan_reminders(milestone_ids=milestone_ids)
    log_run(
        "plan_reminders",
        started,
        created=result.created,
        voided=result.voided,
        revived=result.revived,
        rescheduled=result.rescheduled,
    )
    return result.created


@shared_task(name="tracker.tasks.send_due_reminders", time_limit=300, soft_time_limit=240)
def send_due_reminders() -> int:
    """Send for at most RUN_BUDGET seconds. A backlog fans out: after its first batch a run
    queues helpers so every worker process sends (at most OUTBOX_SENDERS runs at once), and
    the last run to stop queues the successor that carries on."""
    started = time.monotonic()

    def fan_out(helpers: int) -> None:
        for _ in range(helpers):
            enqueue(send_due_reminders)

    result = outbox.send_due_reminders(fan_out=fan_out)
    successor = ""
    if result.circuit == "opened":
        # The server refused: come back when the circuit wants its next probe.
        countdown = outbox.probe_every().total_seconds()
        successor = "probe" if enqueue(send_due_reminders, countdown=countdown) else "failed"
    elif result.more and result.circuit != "held":
        # Runs still sending queue their own successors when they stop; one chain each.
        if result.others:
            successor = "others"
        else:
            successor = "queued" if enqueue(send_due_reminders) else "failed"
    log_run("send_due_reminders", started, **result.as_fields(), successor=successor or "none")
    return result.sent


@shared_task(name="tracker.tasks.send_digests", time_limit=300, soft_time_limit=240)
def send_digests() -> int:
    """Queue the digests that are due in the email outbox; its sender sends them under the
    same claim, lease and circuit as reminders (and beat's sender would within 30 s)."""
    started = time.monotonic()
    result = digests.plan_digests()
    sender = ""
    if result.queued:
        sender = "queued" if enqueue(send_due_reminders) else "failed"
    log_run(
        "send_digests",
        started,
        queued=result.queued,
        nothing_to_say=result.nothing_to_say,
        sender=sender or "none",
    )
    return result.queued


@shared_task(name="tracker.tasks.send_unconfirmed_lists", **DELIVERY)
def send_unconfirmed_lists() -> int:
    """This week's "still unconfirmed" lists; a rerun in the same week queues nothing."""
    started = time.monotonic()
    result = escalation.send_unconfirmed_lists()
    log_run("send_unconfirmed_lists", started, queued=result.queued, emails=result.emails)
    return result.queued


@shared_task(name="tracker.tasks.deliver_webhooks", time_limit=300, soft_time_limit=240)
def deliver_webhooks() -> int:
    """POST due webhooks for at most RUN_BUDGET seconds; a successor takes what remains."""
    started = time.monotonic()
    result = delivery.deliver_due_webhooks()
    successor = ""
    if result.more:
        successor = "queued" if enqueue(deliver_webhooks) else "failed"
    log_run("deliver_webhooks", started, **result.as_fields(), successor=successor or "none")
    return result.delivered


# --- heartbeats -------------------------------------------------------------------------

HEARTBEAT_EVERY = 15.0  # seconds


def _process_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def _beat(role: str) -> None:
    heartbeat_record(role=role, process=_process_name())
    # The worker's main process and beat run no tasks: hold no connection between beats.
    connection.close()


class WorkerHeartbeat(bootsteps.StartStopStep):
    """A worker bootstep: a heartbeat row every HEARTBEAT_EVERY seconds, on the worker's
    own timer, so /health/ sees a live worker even when no task is running."""

    requires = ("celery.worker.components:Timer",)

    def __init__(self, worker: Any, **kwargs: Any) -> None:
        super().__init__(worker, **kwargs)
        self.timer_entry: Any = None

    def start(self, worker: Any) -> None:
        _beat(heartbeats.WORKER)
        self.timer_entry = worker.timer.call_repeatedly(
            HEARTBEAT_EVERY, _beat, (heartbeats.WORKER,), priority=10
        )

    def stop(self, worker: Any) -> None:
        if self.timer_entry is not None:
            self.timer_entry.cancel()


class HeartbeatScheduler(PersistentScheduler):
    """Celery beat's own scheduler, with a heartbeat on each tick (at most every 15 s)."""

    last_heartbeat = 0.0

    def tick(self, *args: Any, **kwargs: Any) -> float:
        interval: float = super().tick(*args, **kwargs)
        if time.monotonic() - self.last_heartbeat >= HEARTBEAT_EVERY:
            self.last_heartbeat = time.monotonic()
            _beat(heartbeats.BEAT)
        return min(interval, HEARTBEAT_EVERY)


# A file of 5,000 rows takes minutes; the limit stays under the broker's visibility timeout.
@shared_task(name="tracker.tasks.run_import_jobs", time_limit=1800, soft_time_limit=1740)
def run_import_jobs() -> int:
    """Import every confirmed large file waiting as an ImportJob (tracker.imports)."""
    started = time.monotonic()
    ran = imports.import_jobs_run()
    log_run("run_import_jobs", started, jobs=ran)
    return ran
