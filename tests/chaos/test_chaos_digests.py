"""Chaos for digests: 300 due digests, a real worker and beat, and one fault each.

The digest job plans the digests into the email outbox, and the outbox's sender sends
them: a worker killed mid-run, or a mail server answering 451 for a while, must lose
none and send at most the one message in flight again per kill. Each test prints what it
saw. Same stack and shortened leases as tests/chaos/test_chaos.py; PostgreSQL only.
"""

from __future__ import annotations

import datetime as dt
import time
from typing import Any

import pytest
from celery import Celery as CeleryApp
from django.utils import timezone

# The marks: chaos, a committed database, PostgreSQL only (the stack is in conftest.py).
from tests.chaos.test_chaos import DRAIN, PROBE, Stack, pytestmark  # noqa: F401
from tests.conftest import make_milestone, make_negotiation, make_track
from tests.processes import outbox_settled, wait_until, workers_up
from tracker.models import MailCircuit, OutboxEmail, StatusChange, Subscription
from tracker.reminders.emails import outbox_message_id

DIGESTS = 300
MIDNIGHT = "FREQ=DAILY;BYHOUR=0;BYMINUTE=0;BYSECOND=0"


def due_digests(count: int) -> None:
    """`count` confirmed subscribers, digests only, each with a digest due since midnight
    UTC that has news: a milestone falls due in ten days."""
    now = timezone.now()
    track = make_track(make_negotiation("digests"), "weekly")
    make_milestone(track, "Round", (timezone.localdate() + dt.timedelta(days=10)).isoformat())
    StatusChange.objects.update(notified_at=now)  # no health alerts in the sink
    two_days_ago = now - dt.timedelta(days=2)
    Subscription.objects.bulk_create(
        Subscription(
            track=track,
            email=f"r{n}@example.org",
            digest_rule=MIDNIGHT,
            reminders_on=False,
            confirmed_at=two_days_ago,
            created_at=two_days_ago,
        )
        for n in range(count)
    )


def kick(stack: Stack, task: str) -> None:
    CeleryApp("kick", broker=stack.redis.url, set_as_current=False).send_task(task)


def expected_keys() -> list[str]:
    return [outbox_message_id(row) for row in OutboxEmail.objects.filter(kind="digest")]


def every_digest_planned() -> bool:
    planned = OutboxEmail.objects.filter(kind="digest").count()
    return planned == DIGESTS and not Subscription.objects.filter(last_digest_at=None).exists()


def delivered(stack: Stack) -> bool:
    return (
        every_digest_planned() and set(expected_keys()) <= set(stack.sink.keys) and outbox_settled()
    )


def drain(stack: Stack, since: float) -> float:
    try:
        wait_until(lambda: delivered(stack), timeout=DRAIN, step=0.25)
    except AssertionError:
        missing = set(expected_keys()) - set(stack.sink.keys)
        states = sorted(set(OutboxEmail.objects.values_list("state", flat=True)))
        pytest.fail(
            f"{OutboxEmail.objects.filter(kind='digest').count()} planned, {len(missing)} "
            f"never arrived; states {states}\n" + stack.logs()
        )
    return time.monotonic() - since


def report(capsys: pytest.CaptureFixture[str], fault: str, seconds: float, stack: Stack) -> None:
    with capsys.disabled():
        print(
            f"\nchaos: {fault}: {DIGESTS} digests delivered, 0 lost, drained {seconds:.1f} s "
            f"after the fault, {stack.sink.duplicates()} duplicate(s)"
        )


def assert_every_digest_arrived(stack: Stack, duplicates: int) -> None:
    keys = expected_keys()
    assert len(keys) == DIGESTS and set(keys) <= set(stack.sink.keys)
    assert stack.sink.count - stack.sink.duplicates() == DIGESTS  # nothing else was sent
    assert stack.sink.duplicates() <= duplicates
    assert not OutboxEmail.objects.filter(state="failed").exists()


def start(stack: Stack, name: str = "worker") -> Any:
    worker = stack.worker(name)
    workers_up()
    return worker


def test_a_worker_killed_with_sigkill_mid_run_loses_no_digest_and_doubles_at_most_one(
    stack: Stack, capsys: pytest.CaptureFixture[str]
) -> None:
    due_digests(DIGESTS)
    first = start(stack, "first")
    stack.beat()
    kick(stack, "tracker.tasks.send_digests")
    wait_until(lambda: stack.sink.count >= DIGESTS // 3, timeout=90)
    first.kill()
    killed_at = time.monotonic()
    stack.worker("second")
    kick(stack, "tracker.tasks.send_digests")  # beat's next pass: plans nothing twice
    seconds = drain(stack, killed_at)
    report(capsys, "kill -9 of the worker mid-run", seconds, stack)
    # At most the message whose SMTP transaction was in flight goes out again.
    assert_every_digest_arrived(stack, duplicates=1)


def test_an_smtp_server_refusing_for_a_while_gets_every_digest_once(
    stack: Stack, capsys: pytest.CaptureFixture[str]
) -> None:
    due_digests(DIGESTS)
    stack.sink.refusing = True
    start(stack)
    stack.beat()
    kick(stack, "tracker.tasks.send_digests")
    wait_until(lambda: MailCircuit.objects.filter(opened_at__isnull=False).exists(), timeout=60)
    time.sleep(2 * PROBE)
    assert stack.sink.count == 0 and stack.sink.refused >= 3
    stack.sink.refusing = False
    recovered_at = time.monotonic()
    seconds = drain(stack, recovered_at)
    report(capsys, "SMTP answering 451, then accepting", seconds, stack)
    assert_every_digest_arrived(stack, duplicates=0)
