"""Faults at the exact points that matter, each in a sender process of its own.

The random chaos tests (test_chaos.py) kill and cut off real workers at whatever moment
the fault lands. These inject each fault where it costs most, deterministically
(tests/chaos/faults.py): after the SMTP server accepted a message and before its "sent"
is written; with that write sent and its answer not yet read; between a claim and the
first send; in the middle of a lease renewal; and a
database connection cut just as the "sent" write is made. Then a second sender
drains the outbox, and the SMTP sink tells what arrived, and how often.

`CHAOS_REPEAT=20 pytest tests/chaos/test_fault_points.py` runs each point 20 times in a
row (CI runs each once, on PostgreSQL)."""

from __future__ import annotations

import datetime as dt
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from typing import Any

import pytest
from django.conf import settings
from django.utils import timezone

from tests.processes import Sink, SmtpSink, due_outbox, outbox_settled, process_env
from tracker.models import Reminder
from tracker.reminders import outbox

pytestmark = [
    pytest.mark.chaos,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        not settings.DATABASES["default"]["ENGINE"].endswith("postgresql"),
        reason="the sender process shares the test database, and one fault is "
        "PostgreSQL's pg_terminate_backend",
    ),
]

LEASE = 4  # seconds: a renewal comes due within one 50-message batch at the sink's pace
REPEAT = range(int(os.environ.get("CHAOS_REPEAT", "1")))


@pytest.fixture
def sink(settings: Any) -> Iterator[tuple[Sink, SmtpSink]]:
    received = Sink(delay=0.03)
    with SmtpSink(received) as smtp:
        settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
        settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", smtp.port
        settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
        settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
        settings.OUTBOX_LEASE_SECONDS = LEASE
        yield received, smtp


def sender_with_a_fault(smtp: SmtpSink, point: str, *nth: int) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "tests.chaos.faults", point, ",".join(map(str, nth))],
        cwd=settings.BASE_DIR,
        env=process_env(EMAIL_URL=smtp.url, OUTBOX_LEASE_SECONDS=str(LEASE)),
        capture_output=True,
        text=True,
        timeout=120,
    )


def killed_at(smtp: SmtpSink, point: str, nth: int) -> None:
    died = sender_with_a_fault(smtp, point, nth)
    assert died.returncode == -signal.SIGKILL, died.stdout + died.stderr


def drained_after_the_lease(
    received: Sink, keys: list[str], capsys: pytest.CaptureFixture[str], fault: str
) -> tuple[int, int, int]:
    """A second sender drains the outbox after the dead one's lease has lapsed; returns
    (delivered, duplicates, lost) of the keys that must arrive, and prints them."""
    later = timezone.now() + dt.timedelta(seconds=LEASE + 1)
    outbox.send_due_reminders(now=later, budget=None)
    assert outbox_settled()
    return arrived(received, keys, capsys, fault)


def arrived(
    received: Sink, keys: list[str], capsys: pytest.CaptureFixture[str], fault: str
) -> tuple[int, int, int]:
    delivered = len(set(received.keys) & set(keys))
    duplicates, lost = received.duplicates(), len(set(keys) - set(received.keys))
    with capsys.disabled():
        print(f"\nfault point: {fault}: {delivered} delivered, {duplicates} duplicate(s), "
              f"{lost} lost")  # fmt: skip
    return delivered, duplicates, lost


@pytest.mark.parametrize("run", REPEAT)
def test_a_sender_killed_after_the_smtp_accept_and_before_its_record_doubles_only_that_message(
    sink: tuple[Sink, SmtpSink], capsys: pytest.CaptureFixture[str], run: int
) -> None:
    received, smtp = sink
    keys = due_outbox(milestones=30, recipients=2)
    killed_at(smtp, "after-accept", 17)
    assert received.count == 17  # the 17th was accepted just before the kill
    assert Reminder.objects.filter(state="sent").count() == 16
    fault = "kill -9 after the SMTP accept, before the record"
    assert drained_after_the_lease(received, keys, capsys, fault) == (60, 1, 0)


@pytest.mark.parametrize("run", REPEAT)
def test_a_sender_killed_while_a_sent_write_is_on_its_way_doubles_nothing(
    sink: tuple[Sink, SmtpSink], capsys: pytest.CaptureFixture[str], run: int
) -> None:
    """The write went out before the kill: the database commits it without its sender."""
    received, smtp = sink
    keys = due_outbox(milestones=30, recipients=2)
    killed_at(smtp, "write-in-flight", 17)
    assert received.count == 17  # the 18th was not begun: its predecessor was unconfirmed
    fault = "kill -9 with the sent write on its way, its answer unread"
    assert drained_after_the_lease(received, keys, capsys, fault) == (60, 0, 0)


@pytest.mark.parametrize("run", REPEAT)
def test_a_sender_killed_between_its_claim_and_the_first_send_doubles_nothing(
    sink: tuple[Sink, SmtpSink], capsys: pytest.CaptureFixture[str], run: int
) -> None:
    received, smtp = sink
    keys = due_outbox(milestones=30, recipients=2)
    killed_at(smtp, "after-claim", 2)  # the second batch
    assert received.count == outbox.BATCH_SIZE
    fault = "kill -9 between the claim and the first send"
    assert drained_after_the_lease(received, keys, capsys, fault) == (60, 0, 0)


@pytest.mark.parametrize("run", REPEAT)
def test_a_sender_killed_in_the_middle_of_a_lease_renewal_doubles_nothing(
    sink: tuple[Sink, SmtpSink], capsys: pytest.CaptureFixture[str], run: int
) -> None:
    received, smtp = sink
    keys = due_outbox(milestones=30, recipients=2)
    killed_at(smtp, "mid-renewal", 1)
    assert received.count < 60
    # Its claim keeps the lease it had before the renewal that never committed.
    assert Reminder.objects.filter(state="sending").exists()
    fault = "kill -9 in the middle of a lease renewal"
    assert drained_after_the_lease(received, keys, capsys, fault) == (60, 0, 0)


@pytest.mark.parametrize("run", REPEAT)
def test_a_connection_cut_as_a_sent_message_is_recorded_is_retried_and_doubles_nothing(
    sink: tuple[Sink, SmtpSink], capsys: pytest.CaptureFixture[str], run: int
) -> None:
    received, smtp = sink
    keys = due_outbox(milestones=30, recipients=2)
    finished = sender_with_a_fault(smtp, "record-cut-off", 3, 20, 41)  # three cuts, one sender
    assert finished.returncode == 0, finished.stdout + finished.stderr
    # 60 writes, and the 3 that were cut once more each; 60 sent.
    assert "reached 63 time(s)" in finished.stdout and "'sent': 60" in finished.stdout
    fault = "the connection cut as the sent write is made"
    assert arrived(received, keys, capsys, fault) == (60, 0, 0)
    assert outbox_settled()
