"""The outbox under faults: leases, fenced writes, bounded runs, the shared circuit, bad rows.

Mail goes to an aiosmtpd sink on loopback, or to Django's locmem outbox where only the
content matters; the clock is frozen with time-machine wherever a lease or a backoff is
being measured.
"""

from __future__ import annotations

import ast
import datetime as dt
import itertools
import logging
import re
import smtplib
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import time_machine
from aiosmtpd.controller import Controller
from django.contrib.auth import get_user_model
from django.core import mail
from django.db import DatabaseError, OperationalError, connection, transaction
from django.utils import timezone

from tests.conftest import make_milestone, make_negotiation, make_track
from tests.jobs.test_reminders_celery_integration import Sink, free_port
from tracker.models import (
    Heartbeat,
    MailCircuit,
    Milestone,
    OutboxEmail,
    Reminder,
    StatusChange,
    Subscription,
)
from tracker.reminders import outbox
from tracker.reminders.alerts import send_health_alerts
from tracker.reminders.outbox import MAX_ATTEMPTS, send_due_reminders
from tracker.reminders.planning import plan_reminders
from tracker.services.subscriptions import subscription_create

pytestmark = pytest.mark.django_db
UTC = dt.UTC
NINE = dt.datetime(2026, 7, 1, 9, tzinfo=UTC)
LEASE = dt.timedelta(seconds=90)


@pytest.fixture(autouse=True)
def fixed_timings(settings: Any) -> None:
    settings.OUTBOX_LEASE_SECONDS = LEASE.total_seconds()
    settings.SMTP_PROBE_SECONDS = 30


def due_reminders(count: int, *, title: str = "Milestone") -> list[Reminder]:
    """`count` milestones due in seven days, each with one reminder due at NINE."""
    track = make_track(make_negotiation())
    with time_machine.travel(NINE - dt.timedelta(days=1), tick=False):
        for n in range(count):
            make_milestone(track, f"{title} {n}", "July 8, 2026", reference=NINE.date())
    Subscription.objects.create(
        track=track, email="ana@example.org", confirmed_at=NINE - dt.timedelta(days=30)
    )
    with time_machine.travel(NINE, tick=False):
        plan_reminders()
        Reminder.objects.exclude(offset=7).delete()
    return list(Reminder.objects.order_by("id"))


def keys(messages: list[Any]) -> list[str]:
    return sorted(str(m.extra_headers["X-Reminder-Key"]) for m in messages)


class Backend:
    """A mail connection that runs a fault between messages; delivery is Django's locmem."""

    fault: Any = None
    delivered: list[Any] = []

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        pass

    def open(self) -> bool:
        return True

    def close(self) -> None:
        pass

    def send_messages(self, messages: list[Any]) -> int:
        if Backend.fault is not None:
            Backend.fault(len(Backend.delivered), messages[0])
        for message in messages:
            message.message().as_bytes()  # as the SMTP backend does: headers are checked
        Backend.delivered.extend(messages)
        return len(messages)


@pytest.fixture
def backend(settings: Any) -> Iterator[type[Backend]]:
    settings.EMAIL_BACKEND = "tests.jobs.test_outbox_reliability.Backend"
    Backend.fault, Backend.delivered = None, []
    yield Backend
    Backend.fault, Backend.delivered = None, []


# --- leases ------------------------------------------------------------------------------


def test_a_claim_records_its_own_time_its_token_and_a_lease() -> None:
    due_reminders(2)
    with time_machine.travel(NINE + dt.timedelta(minutes=20), tick=False):
        rows, claim = outbox._claim(outbox.REMINDERS, timezone.now(), 10)
    assert len(rows) == 2 and len(claim.token) == 32
    for row in Reminder.objects.all():
        assert row.state == "sending" and row.claim_token == claim.token and row.attempts == 1
        assert row.claimed_at == NINE + dt.timedelta(minutes=20)
        assert row.leased_until == NINE + dt.timedelta(minutes=20) + LEASE


def test_the_rows_of_a_sender_that_died_come_back_within_one_lease() -> None:
    due_reminders(3)
    with time_machine.travel(NINE, tick=False):
        outbox._claim(outbox.REMINDERS, NINE, 10)  # ...and the sender is killed here
    with time_machine.travel(NINE + LEASE - dt.timedelta(seconds=1), tick=False):
        assert send_due_reminders().sent == 0
    with time_machine.travel(NINE + LEASE + dt.timedelta(seconds=1), tick=False):
        result = send_due_reminders()
    assert (result.released, result.sent) == (3, 3)
    assert len(mail.outbox) == 3
    assert set(Reminder.objects.values_list("attempts", flat=True)) == {2}


def test_a_live_sender_renews_its_lease_so_an_overlapping_sender_takes_nothing(
    backend: type[Backend],
) -> None:
    due_reminders(5)
    overlapping: list[outbox.SendResult] = []
    with time_machine.travel(NINE, tick=False) as clock:

        def slow_server(sent_before: int, message: Any) -> None:
            clock.shift(dt.timedelta(seconds=40))  # 200 s for five: longer than the lease
            if sent_before == 3:
                overlapping.append(send_due_reminders())

        backend.fault = slow_server
        first = send_due_reminders()
    assert first.sent == 5 and first.lost == 0
    assert (overlapping[0].released, overlapping[0].sent) == (0, 0)
    assert len(backend.delivered) == 5


def test_mark_sent_is_fenced_by_the_claim_token_and_a_lost_claim_is_never_counted_as_sent(
    backend: type[Backend], caplog: pytest.LogCaptureFixture
) -> None:
    rows = due_reminders(3)

    def released_and_taken_meanwhile(sent_before: int, message: Any) -> None:
        if sent_before == 1:  # another sender took the second row after a release
            Reminder.objects.filter(pk=rows[1].pk).update(claim_token="someone-else")

    backend.fault = released_and_taken_meanwhile
    with time_machine.travel(NINE, tick=False):
        result = send_due_reminders()
    assert (result.sent, result.lost) == (2, 1)
    assert Reminder.objects.get(pk=rows[1].pk).state == "sending"  # not ours to mark
    assert "claim" in caplog.text and "lost" in caplog.text


def test_a_sender_that_fails_gives_its_unsent_rows_back_at_once(backend: type[Backend]) -> None:
    due_reminders(4)

    def database_gone(sent_before: int, message: Any) -> None:
        if sent_before == 1:
            raise DatabaseError("the connection was lost")

    backend.fault = database_gone
    with time_machine.travel(NINE, tick=False):
        with pytest.raises(DatabaseError):
            send_due_reminders()
        states = sorted(Reminder.objects.values_list("state", "attempts"))
        assert states == [("pending", 0), ("pending", 0), ("pending", 0), ("sent", 1)]
        backend.fault = None
        assert send_due_reminders().sent == 3  # at once: no lease to wait out


# --- bounded work ----------------------------------------------------------------------


class Stopwatch:
    """The outbox's view of time.monotonic: still, until a test moves it on."""

    def __init__(self) -> None:
        self.now = 1000.0

    def monotonic(self) -> float:
        return self.now


def test_a_run_stops_claiming_when_its_budget_is_spent_and_says_that_rows_remain(
    backend: type[Backend], monkeypatch: pytest.MonkeyPatch
) -> None:
    due_reminders(3)
    clock = Stopwatch()
    monkeypatch.setattr(outbox, "time", clock)  # the run's budget reads this clock alone

    def slow_message(sent_before: int, message: Any) -> None:
        clock.now += 1.5  # each message takes 1.5 s of the 1 s budget

    backend.fault = slow_message
    with time_machine.travel(NINE, tick=False):
        first = send_due_reminders(batch_size=1, budget=1.0)
        backend.fault = None
        rest = send_due_reminders()
    assert (first.sent, first.more) == (1, True)
    assert (rest.sent, rest.more) == (2, False)


def test_the_cron_command_has_its_own_bound_and_says_what_remains() -> None:
    from io import StringIO

    from django.core.management import call_command

    due_reminders(2)
    output = StringIO()
    with time_machine.travel(NINE, tick=False):
        call_command("send_reminders", "--max-seconds=0", stdout=output)
        assert "Sent 0;" in output.getvalue() and "still due" in output.getvalue()
        call_command("send_reminders", stdout=output)
    assert len(mail.outbox) == 2


def test_queueing_a_task_on_a_broker_that_is_down_never_raises(
    caplog: pytest.LogCaptureFixture,
) -> None:
    from celery import Celery

    from tracker.tasks import enqueue

    nowhere = Celery("nowhere", broker=f"redis://127.0.0.1:{free_port()}/0", set_as_current=False)
    nowhere.conf.broker_connection_timeout = 1

    @nowhere.task(name="nowhere.ping")
    def ping() -> None:
        pass

    task = ping
    started = time.monotonic()
    assert enqueue(task) is False
    assert time.monotonic() - started < 30
    assert "beat will run it" in caplog.text


# --- the circuit -----------------------------------------------------------------------


@pytest.fixture
def refusing_sink(settings: Any) -> Iterator[Sink]:
    port = free_port()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", port
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
    settings.EMAIL_TIMEOUT = 5
    handler = Sink(refuse=10**6)
    handler.attempts = 0  # type: ignore[attr-defined]
    original = handler.handle_DATA

    async def counting(server: Any, session: Any, envelope: Any) -> str:
        handler.attempts += 1  # type: ignore[attr-defined]
        return await original(server, session, envelope)

    handler.handle_DATA = counting  # type: ignore[method-assign]
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    yield handler
    controller.stop()


def test_when_the_server_refuses_everything_the_senders_back_off_as_one_circuit(
    refusing_sink: Sink, caplog: pytest.LogCaptureFixture
) -> None:
    due_reminders(20)
    caplog.set_level(logging.INFO, logger="tracker.reminders.outbox")
    with time_machine.travel(NINE, tick=False) as clock:
        first = send_due_reminders()
        assert first.circuit == "opened" and first.sent == 0
        tried = refusing_sink.attempts  # type: ignore[attr-defined]
        assert tried == outbox.OUTAGE_AFTER
        # Other runs during the outage try nothing at all.
        clock.shift(dt.timedelta(seconds=10))
        assert send_due_reminders().circuit == "held"
        assert refusing_sink.attempts == tried  # type: ignore[attr-defined]
        # One probe about every 30 s, one message each.
        for _ in range(3):
            clock.shift(dt.timedelta(seconds=31))
            assert send_due_reminders().circuit == "opened"
        assert refusing_sink.attempts == tried + 3  # type: ignore[attr-defined]
        # The server recovers: the next probe sends everything that waited, at once.
        refusing_sink.refuse = 0
        clock.shift(dt.timedelta(seconds=31))
        recovered = send_due_reminders()
    assert (recovered.sent, recovered.circuit) == (20, "closed")
    assert len(refusing_sink.messages) == 20
    # Rows did not pile up backoff during the outage: each went out on its first attempt.
    assert set(Reminder.objects.values_list("state", "attempts")) == {("sent", 1)}
    warnings = [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert len(warnings) == 1 and "refuses everything" in warnings[0].getMessage()
    assert MailCircuit.objects.get().opened_at is None


def test_a_refusal_of_one_message_is_retried_alone_without_opening_the_circuit(
    backend: type[Backend],
) -> None:
    rows = due_reminders(3)

    def refuses_the_second(sent_before: int, message: Any) -> None:
        if message.extra_headers["X-Reminder-Key"] == rows[1].key:
            raise smtplib.SMTPDataError(451, b"try again later")

    backend.fault = refuses_the_second
    with time_machine.travel(NINE, tick=False):
        result = send_due_reminders()
    assert (result.sent, result.retrying, result.circuit) == (2, 1, "closed")
    assert Reminder.objects.get(pk=rows[1].pk).retry_at == NINE + dt.timedelta(seconds=60)


# --- one bad row fails alone (issue 11, item 5) ----------------------------------------


def test_a_message_that_cannot_be_built_fails_alone_and_its_batch_mates_go_out_in_the_same_run(
    backend: type[Backend],
) -> None:
    rows = due_reminders(3)
    Milestone.objects.filter(pk=rows[1].milestone_id).update(title="Line\r\nFeed")
    moment = NINE
    with time_machine.travel(moment, tick=False):
        result = send_due_reminders()
    assert (result.sent, result.retrying) == (2, 1)
    assert keys(backend.delivered) == sorted([rows[0].key, rows[2].key])
    for _ in range(MAX_ATTEMPTS + 1):
        moment += dt.timedelta(hours=7)
        with time_machine.travel(moment, tick=False):
            send_due_reminders()
    bad = Reminder.objects.get(pk=rows[1].pk)
    assert bad.state == "failed" and bad.attempts == MAX_ATTEMPTS
    assert re.search("new ?line", bad.last_error)  # what the message builder said
    assert len(backend.delivered) == 2


def test_a_health_alert_that_cannot_be_sent_leaves_its_transition_unnotified(
    backend: type[Backend],
) -> None:
    owner = get_user_model().objects.create_user("owner", "owner@example.org")
    negotiation = make_negotiation()
    broken = make_track(negotiation, "broken", owner=owner)
    fine = make_track(negotiation, "fine", owner=owner)
    StatusChange.objects.update(notified_at=NINE)
    type(broken).objects.filter(pk=broken.pk).update(name="Broken\r\nname")
    changes = [
        StatusChange.objects.create(
            subject="track",
            negotiation=negotiation,
            track=track,
            previous="on_track",
            new="off_track",
            reason="overdue",
            as_of=NINE.date(),
            changed_at=NINE,
        )
        for track in (broken, fine)
    ]
    with time_machine.travel(NINE, tick=False):
        result = send_health_alerts()
    assert (result.alerts, result.emails) == (2, 1)
    changes[0].refresh_from_db()
    changes[1].refresh_from_db()
    assert changes[0].notified_at is None  # not sent, so not notified
    assert changes[1].notified_at == NINE
    alert = OutboxEmail.objects.get(status_change=changes[0])
    assert alert.state == "pending" and alert.last_error
    assert [m.to for m in backend.delivered] == [["owner@example.org"]]


# --- confirmations through the outbox ---------------------------------------------------


def test_an_email_subscription_and_its_confirmation_commit_together_or_not_at_all() -> None:
    track = make_track(make_negotiation())
    with pytest.raises(RuntimeError), transaction.atomic():
        subscription_create(track=track, email="gone@example.org")
        raise RuntimeError("the request failed after subscribing")
    assert not OutboxEmail.objects.exists()
    subscription = subscription_create(track=track, email="kept@example.org")
    [row] = OutboxEmail.objects.all()
    assert (row.kind, row.subscription_id, row.state) == (
        "confirmation",
        subscription.pk,
        "pending",
    )
    send_due_reminders()
    [message] = mail.outbox
    assert message.to == ["kept@example.org"] and "/subscriptions/confirm/" in message.body


def test_subscribing_again_while_unconfirmed_resends_the_confirmation_rate_limited() -> None:
    track = make_track(make_negotiation())
    start = dt.datetime(2026, 7, 1, 9, tzinfo=UTC)
    sent_at = []
    for minutes in (0, 1, 5, 11, 12, 25, 40, 60, 80, 100, 120):
        with time_machine.travel(start + dt.timedelta(minutes=minutes), tick=False):
            subscription_create(track=track, email="again@example.org")
            if send_due_reminders().sent:
                sent_at.append(minutes)
    assert sent_at == [0, 11, 25, 40, 60]  # ten minutes apart at least, five a day at most
    assert Subscription.objects.filter(email="again@example.org").count() == 1


def test_a_confirmation_queued_for_a_subscription_confirmed_meanwhile_is_not_sent() -> None:
    track = make_track(make_negotiation())
    subscription = subscription_create(track=track, email="quick@example.org")
    Subscription.objects.filter(pk=subscription.pk).update(confirmed_at=NINE)
    assert send_due_reminders().voided == 1
    assert mail.outbox == []


# --- commit hooks that cannot fail the write ---------------------------------------------


def test_no_commit_hook_is_a_functools_partial() -> None:
    """Django 5.2's robust on_commit handler reads the callback's __qualname__."""
    offenders = []
    for path in (Path(__file__).resolve().parents[2] / "tracker").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (
                isinstance(node, ast.Call)
                and getattr(node.func, "attr", getattr(node.func, "id", "")) == "on_commit"
                and node.args
                and isinstance(node.args[0], ast.Call)
                and "partial" in ast.unparse(node.args[0].func)
            ):
                offenders.append(f"{path.name}:{node.lineno}")
    assert not offenders


@pytest.mark.django_db(transaction=True)
def test_a_follow_up_that_fails_after_the_commit_does_not_fail_the_write(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    import tracker.refresh

    def broken(**kwargs: Any) -> None:
        raise ConnectionError("the refresh could not run")

    monkeypatch.setattr(tracker.refresh, "refresh_statuses", broken)
    track = make_track(make_negotiation())
    milestone = make_milestone(track, "Saved anyway", "July 8, 2030")
    assert Milestone.objects.filter(pk=milestone.pk).exists()
    assert "the refresh could not run" in caplog.text


# --- what operators see ------------------------------------------------------------------


def test_a_send_task_logs_one_line_with_all_its_counts(caplog: pytest.LogCaptureFixture) -> None:
    from tracker import tasks

    due_reminders(2)
    caplog.set_level(logging.INFO, logger="tracker.tasks")
    with time_machine.travel(NINE, tick=False):
        tasks.send_due_reminders.run()
    [line] = [r.getMessage() for r in caplog.records if r.name == "tracker.tasks"]
    for field in ("task=send_due_reminders", "sent=2", "failed=0", "retrying=0", "released=0"):
        assert field in line
    assert "lost=0" in line and "more=false" in line and "successor=none" in line


def test_metrics_count_what_the_senders_did_and_the_backlog() -> None:
    from django.test import Client

    due_reminders(3)
    with time_machine.travel(NINE, tick=False):
        outbox._claim(outbox.REMINDERS, NINE, 1)  # a sender that will die
        send_due_reminders()
    with time_machine.travel(NINE + LEASE + dt.timedelta(seconds=1), tick=False):
        send_due_reminders()
        body = Client().get("/metrics").content.decode()
    assert "tranche_outbox_sent_total 3.0" in body
    assert "tranche_outbox_released_total 1.0" in body
    assert "tranche_outbox_backlog 0.0" in body
    assert 'tranche_outbox_rows{outbox="reminder",state="sent"} 3.0' in body
    assert 'tranche_webhook_deliveries_total{outcome="delivered"} 0.0' in body


def test_the_admin_shows_the_lease_and_releases_only_rows_whose_lease_lapsed(
    admin_client: Any,
) -> None:
    rows = due_reminders(2)
    with time_machine.travel(NINE, tick=False):
        outbox._claim(outbox.REMINDERS, NINE, 1)
    with time_machine.travel(NINE + LEASE + dt.timedelta(minutes=1), tick=False):
        outbox._claim(outbox.REMINDERS, NINE + LEASE + dt.timedelta(minutes=1), 1)
        page = admin_client.get("/admin/tracker/reminder/").content.decode()
        assert "expired until" in page and "held until" in page
        admin_client.post(
            "/admin/tracker/reminder/",
            {"action": "release_stuck", "_selected_action": [r.pk for r in rows]},
        )
    assert sorted(Reminder.objects.values_list("state", flat=True)) == ["pending", "sending"]


def test_the_admin_queues_failed_rows_again_from_a_fresh_start_and_leaves_the_others(
    admin_client: Any,
) -> None:
    failed, sent, pending = due_reminders(3)
    Reminder.objects.filter(pk=failed.pk).update(
        state=Reminder.State.FAILED, attempts=MAX_ATTEMPTS, retry_at=NINE, claimed_at=NINE
    )
    Reminder.objects.filter(pk=sent.pk).update(state=Reminder.State.SENT)
    with time_machine.travel(NINE + dt.timedelta(hours=1), tick=False):
        response = admin_client.post(
            "/admin/tracker/reminder/",
            {"action": "retry_failed", "_selected_action": [failed.pk, sent.pk, pending.pk]},
            follow=True,
        )
    assert "1 failed row(s) queued again." in response.content.decode()
    failed.refresh_from_db()
    assert (failed.state, failed.attempts, failed.retry_at, failed.claimed_at) == (
        Reminder.State.PENDING,
        0,
        None,
        None,
    )
    assert failed.due_at == NINE + dt.timedelta(hours=1)
    assert Reminder.objects.get(pk=sent.pk).state == Reminder.State.SENT
    assert Reminder.objects.get(pk=pending.pk).due_at == pending.due_at  # not failed: untouched


def test_the_admin_lists_outbox_emails_and_heartbeats(admin_client: Any) -> None:
    track = make_track(make_negotiation())
    subscription_create(track=track, email="listed@example.org")
    Heartbeat.objects.create(role="worker", process="host:1", seen_at=NINE)
    emails = admin_client.get("/admin/tracker/outboxemail/").content.decode()
    assert "listed@example.org" in emails and "Release stuck rows" in emails
    assert "host:1" in admin_client.get("/admin/tracker/heartbeat/").content.decode()


# --- a database connection dropped while sending (PostgreSQL) ---------------------------


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(
    connection.vendor != "postgresql", reason="pg_terminate_backend is PostgreSQL's"
)
def test_a_connection_dropped_between_the_smtp_accept_and_the_sent_write_sends_nothing_twice(
    backend: type[Backend],
) -> None:
    import psycopg

    rows = due_reminders(10)
    db = connection.settings_dict
    admin = psycopg.connect(
        dbname=db["NAME"], user=db["USER"], password=db["PASSWORD"] or None,
        host=db["HOST"], port=db["PORT"] or 5432, autocommit=True,
    )  # fmt: skip
    terminated = []

    def terminate_ours(sent_before: int, message: Any) -> None:
        if sent_before in (1, 4, 7):  # the server is accepting this one as we drop
            pid = connection.connection.info.backend_pid
            admin.execute("SELECT pg_terminate_backend(%s)", [pid])
            terminated.append(pid)

    backend.fault = terminate_ours
    try:
        with time_machine.travel(NINE, tick=False):
            result = send_due_reminders()
    finally:
        admin.close()
    assert len(terminated) == 3
    assert (result.sent, result.lost) == (10, 0)
    assert keys(backend.delivered) == sorted(r.key for r in rows)  # each exactly once
    assert set(Reminder.objects.values_list("state", flat=True)) == {"sent"}


# --- a "sent" write that cannot reach the database ----------------------------------------


@pytest.mark.django_db(transaction=True)
def test_a_sent_write_is_retried_while_the_lease_holds_and_the_accepted_row_is_never_handed_back(
    backend: type[Backend], monkeypatch: pytest.MonkeyPatch, settings: Any,
    caplog: pytest.LogCaptureFixture,
) -> None:  # fmt: skip
    settings.OUTBOX_LEASE_SECONDS = 1.0
    rows = due_reminders(3)
    tries: list[float] = []

    def unreachable(*args: Any) -> bool:
        tries.append(time.monotonic())
        raise OperationalError("server closed the connection unexpectedly")

    monkeypatch.setattr(outbox, "_write_sent", unreachable)
    with time_machine.travel(NINE, tick=True), pytest.raises(OperationalError):
        send_due_reminders()
    # Retried with growing pauses (0.05 s, 0.1 s, 0.2 s …) until the next pause would
    # outlast the one-second lease, then given up.
    pauses = [b - a for a, b in itertools.pairwise(tries)]
    assert len(tries) >= 3 and pauses == sorted(pauses) and pauses[0] >= 0.05
    assert tries[-1] - tries[0] < 0.9
    assert "unreachable for the claim's whole lease" in caplog.text
    states = dict(Reminder.objects.values_list("pk", "state"))
    # The accepted one stays with the claim until its lease lapses; the others went back.
    assert [states[r.pk] for r in rows] == ["sending", "pending", "pending"]
    assert len(backend.delivered) == 1
