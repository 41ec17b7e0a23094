"""Issue 26, part 3: a failing webhook receiver is waited for, not dropped. Retries follow a
schedule over about three days; an endpoint is disabled only after failing for all of it,
its owner warned before and told at disabling; a recovered endpoint drains by itself; and
operators see the backlog (issue 26, part 6)."""

from __future__ import annotations

import datetime as dt
import email
import re
import signal
from collections.abc import Iterator
from email.policy import default
from typing import Any

import pytest
import time_machine
from aiosmtpd.controller import Controller
from billiard.exceptions import SoftTimeLimitExceeded
from django.contrib.auth.models import Group, User
from django.test import Client
from django.utils import timezone

import tracker.tasks  # noqa: F401  (registers the worker's time limit as an interruption)
from tests.jobs.test_webhooks import Receiver
from tests.processes import free_port
from tests.security.test_slow_webhook_receivers import Trickler
from tracker.models import Heartbeat, OutboxEmail, WebhookDelivery, WebhookEndpoint
from tracker.reminders.outbox import send_due_reminders
from tracker.services.endpoints import endpoint_enable, endpoint_save
from tracker.webhooks import schedule
from tracker.webhooks.delivery import deliver_due_webhooks
from tracker.webhooks.events import Happened, record
from tracker.webhooks.schedule import DEFAULT_SCHEDULE, Verdict

NINE = dt.datetime(2026, 7, 1, 9, tzinfo=dt.UTC)
SECOND = dt.timedelta(seconds=1)


# --- the schedule, as pure rules ---------------------------------------------------------


def test_the_default_schedule_starts_as_svix_s_and_waits_about_three_days_in_all() -> None:
    assert DEFAULT_SCHEDULE[:7] == (5, 5 * 60, 30 * 60, 2 * 3600, 5 * 3600, 10 * 3600, 10 * 3600)
    assert schedule.attempts_allowed(DEFAULT_SCHEDULE) == 12
    period = schedule.failing_period(DEFAULT_SCHEDULE)
    assert period == dt.timedelta(days=2, hours=19, minutes=35, seconds=5)
    assert dt.timedelta(days=2, hours=12) < period <= dt.timedelta(days=3)


@pytest.mark.parametrize(
    ("failed_attempts", "wait"),
    [(0, None), (1, 5), (2, 300), (3, 1800), (5, 18000), (11, 36000), (12, None), (40, None)],
)
def test_each_failed_attempt_waits_its_turn_of_the_schedule_and_the_last_waits_no_more(
    failed_attempts: int, wait: int | None
) -> None:
    expected = None if wait is None else dt.timedelta(seconds=wait)
    assert schedule.next_try_after(failed_attempts, DEFAULT_SCHEDULE) == expected


@pytest.mark.parametrize(
    ("failing_for", "warned", "verdict"),
    [
        (dt.timedelta(0), False, Verdict.KEEP),
        (dt.timedelta(hours=22, minutes=31, seconds=41), False, Verdict.KEEP),
        (dt.timedelta(hours=22, minutes=31, seconds=42), False, Verdict.WARN),
        (dt.timedelta(hours=30), True, Verdict.KEEP),
        (dt.timedelta(days=2, hours=19, minutes=35, seconds=4), True, Verdict.KEEP),
        (dt.timedelta(days=2, hours=19, minutes=35, seconds=5), True, Verdict.DISABLE),
        (dt.timedelta(days=2, hours=19, minutes=35, seconds=5), False, Verdict.DISABLE),
        (dt.timedelta(days=9), True, Verdict.DISABLE),
    ],
)
def test_an_endpoint_is_warned_a_third_of_the_way_and_disabled_after_failing_for_the_period(
    failing_for: dt.timedelta, warned: bool, verdict: Verdict
) -> None:
    # The period is 243,305 s; its third, 81,101.67 s, is 22 h 31 min 41.67 s.
    got = schedule.after_failure(
        failing_since=NINE, now=NINE + failing_for, warned=warned, schedule=DEFAULT_SCHEDULE
    )
    assert got == verdict


def test_the_day_an_endpoint_will_be_disabled_is_its_first_failure_plus_the_period() -> None:
    assert schedule.disabled_on(NINE, DEFAULT_SCHEDULE) == dt.datetime(
        2026, 7, 4, 4, 35, 5, tzinfo=dt.UTC
    )


def test_a_schedule_reads_as_whole_seconds_separated_by_commas() -> None:
    assert schedule.parse_schedule(" 1, 2,4 ") == (1, 2, 4)
    for bad in ("", "1,,x", "1.5,2", "0,1", "-1", "²"):
        with pytest.raises(schedule.ScheduleError):
            schedule.parse_schedule(bad)


# --- against a real receiver, with the clock in hand -------------------------------------


@pytest.fixture
def receiver(settings: Any) -> Iterator[Receiver]:
    settings.TRACKER_WEBHOOKS_ALLOW_PRIVATE = True
    settings.TRACKER_WEBHOOKS_TIMEOUT = 5
    made = Receiver([200])
    made.thread.start()
    yield made
    made.server.shutdown()
    made.server.server_close()


@pytest.fixture
def editor(db: None) -> User:
    user = User.objects.create_user("ana", "ana@example.org", "pw", is_staff=True)
    # get_or_create: a transactional test before this one flushed the migrations' groups.
    user.groups.add(Group.objects.get_or_create(name="editors")[0])
    return user


def register(url: str, owner: User) -> WebhookEndpoint:
    endpoint = WebhookEndpoint(url=url, owner=owner, event_types=["milestone.created"])
    return endpoint_save(endpoint=endpoint, by=owner)


def happen(count: int = 1) -> None:
    record([Happened("milestone.created", None, f"Milestone {n}", {"n": n}) for n in range(count)])


class Inbox:
    def __init__(self) -> None:
        self.messages: list[email.message.Message] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.messages.append(email.message_from_bytes(envelope.content, policy=default))
        return "250 OK"


@pytest.fixture
def inbox(settings: Any) -> Iterator[Inbox]:
    """An SMTP sink on 127.0.0.1 that the email outbox sends to."""
    port = free_port()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", port, 5
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
    made = Inbox()
    sink = Controller(made, hostname="127.0.0.1", port=port)
    sink.start()
    yield made
    sink.stop()


def body_of(message: email.message.Message) -> str:
    """The text part (every email is text and HTML)."""
    [text] = [part for part in message.walk() if part.get_content_type() == "text/plain"]
    payload = text.get_payload(decode=True)
    assert isinstance(payload, bytes)
    return payload.decode()


def test_twenty_failures_in_two_minutes_leave_the_endpoint_enabled_and_every_delivery_waiting(
    receiver: Receiver, editor: User
) -> None:
    receiver.statuses = [500]
    endpoint = register(receiver.url, editor)
    with time_machine.travel(NINE, tick=False):
        happen(20)
        run = deliver_due_webhooks()
    with time_machine.travel(NINE + 2 * 60 * SECOND, tick=False):
        deliver_due_webhooks()
    assert run.retrying == 20
    endpoint.refresh_from_db()
    assert endpoint.is_active and endpoint.failing_since == NINE
    assert endpoint.consecutive_failures == 40
    assert set(WebhookDelivery.objects.values_list("state", flat=True)) == {"pending"}


def test_an_endpoint_down_for_the_whole_schedule_is_warned_once_then_disabled_and_its_owner_told(
    receiver: Receiver, editor: User, inbox: Inbox
) -> None:
    receiver.statuses = [503]
    endpoint = register(receiver.url, editor)
    moment = NINE
    with time_machine.travel(moment, tick=False):
        happen()
    emails_by_attempt = []
    for wait in (0, *DEFAULT_SCHEDULE):
        moment += (wait + 1) * SECOND
        with time_machine.travel(moment, tick=False):
            deliver_due_webhooks()
            send_due_reminders()
        emails_by_attempt.append(len(inbox.messages))

    # Twelve attempts over 2 days 19 h 35 min; the warning came with the first failure
    # past a third of that (the eighth attempt, 27 h 35 min in), the notice with the last.
    assert len(receiver.received) == 12
    assert emails_by_attempt == [0] * 7 + [1] * 4 + [2]
    warning, notice = inbox.messages
    assert warning["To"] == notice["To"] == "ana@example.org"
    assert warning["Subject"] == f"Webhook failing, will be disabled on 2026-07-04: {receiver.url}"
    assert "has failed since 2026-07-01 09:00 UTC" in body_of(warning)
    assert "If no delivery succeeds by 2026-07-04 04:35 UTC" in body_of(warning)
    assert notice["Subject"] == f"Webhook disabled: {receiver.url}"
    assert "Every delivery attempt failed from 2026-07-01 09:00 UTC on" in body_of(notice)
    endpoint.refresh_from_db()
    assert not endpoint.is_active
    # The delivery is kept, waiting for the endpoint to be enabled, not failed.
    row = WebhookDelivery.objects.get()
    assert (row.state, row.retry_at, row.attempts) == ("pending", None, 12)
    kinds = sorted(OutboxEmail.objects.values_list("kind", "state"))
    assert kinds == [("webhook_off", "sent"), ("webhook_warn", "sent")]


def test_one_success_restarts_the_clock_so_two_spells_of_failures_disable_nothing(
    receiver: Receiver, editor: User, settings: Any
) -> None:
    settings.TRACKER_WEBHOOK_RETRY_SCHEDULE = (60, 60, 60)  # disabled after 3 minutes
    endpoint = register(receiver.url, editor)

    def at(seconds: int, *, new_event: bool = False) -> Any:
        with time_machine.travel(NINE + seconds * SECOND, tick=False):
            if new_event:
                happen()
            return deliver_due_webhooks()

    receiver.statuses = [500]
    at(0, new_event=True)
    at(61)
    at(122)  # failing for 2 minutes
    receiver.statuses = [200]
    assert at(150, new_event=True).delivered == 2
    receiver.statuses = [500]
    at(200, new_event=True)
    at(261)
    at(322)  # failing for 2 more minutes: 4 in all, never 3 in a row

    endpoint.refresh_from_db()
    assert endpoint.is_active
    assert endpoint.failing_since == NINE + 200 * SECOND
    assert endpoint.consecutive_failures == 3


def test_a_recovered_endpoint_drains_its_backlog_at_the_first_success_without_waiting_out_backoffs(
    receiver: Receiver, editor: User, inbox: Inbox
) -> None:
    receiver.statuses = [500] * 10 + [200]
    endpoint = register(receiver.url, editor)
    with time_machine.travel(NINE, tick=False):
        happen(5)
        deliver_due_webhooks()  # 5 failures
    with time_machine.travel(NINE + 6 * SECOND, tick=False):
        deliver_due_webhooks()  # 5 more: each now waits 5 minutes
    assert WebhookDelivery.objects.filter(retry_at=NINE + 306 * SECOND).count() == 5

    with time_machine.travel(NINE + 60 * SECOND, tick=False):  # the receiver is back
        happen()  # a new event goes out at once, succeeds, and brings the rest forward
        run = deliver_due_webhooks()
    assert (run.delivered, run.brought_forward) == (6, 5)
    assert set(WebhookDelivery.objects.values_list("state", flat=True)) == {"sent"}
    ids = [headers["webhook-id"] for headers, _ in receiver.received[10:]]
    assert len(ids) == len(set(ids)) == 6
    endpoint.refresh_from_db()
    assert endpoint.is_active and endpoint.failing_since is None
    assert endpoint.consecutive_failures == 0
    send_due_reminders()
    assert inbox.messages == []


def test_a_warning_still_queued_when_the_endpoint_answers_again_is_not_sent(
    receiver: Receiver, editor: User, inbox: Inbox, settings: Any
) -> None:
    settings.TRACKER_WEBHOOK_RETRY_SCHEDULE = (30, 30, 30)  # warned after 30 s of failures
    receiver.statuses = [500, 500, 200]
    register(receiver.url, editor)
    with time_machine.travel(NINE, tick=False):
        happen()
        deliver_due_webhooks()
    with time_machine.travel(NINE + 31 * SECOND, tick=False):
        deliver_due_webhooks()
    assert OutboxEmail.objects.get().kind == "webhook_warn"
    with time_machine.travel(NINE + 62 * SECOND, tick=False):
        assert deliver_due_webhooks().delivered == 1
        send_due_reminders()
    assert inbox.messages == []
    assert OutboxEmail.objects.get().state == "void"


def test_enabling_a_disabled_endpoint_sends_what_waited_with_a_fresh_schedule(
    receiver: Receiver, editor: User, settings: Any
) -> None:
    settings.TRACKER_WEBHOOK_RETRY_SCHEDULE = (10,)
    receiver.statuses = [500, 500, 500, 500, 200]
    endpoint = register(receiver.url, editor)
    with time_machine.travel(NINE, tick=False):
        happen()
        deliver_due_webhooks()
    with time_machine.travel(NINE + 11 * SECOND, tick=False):
        assert deliver_due_webhooks().disabled == 1
        happen()  # while it is disabled: waits
        assert deliver_due_webhooks().delivered == 0
    with time_machine.travel(NINE + 20 * SECOND, tick=False):
        endpoint_enable(endpoint=endpoint, by=editor)
        run = deliver_due_webhooks()
    # The first two fail again and each gets its whole schedule anew, not a final attempt.
    assert (run.retrying, run.delivered) == (2, 0)
    assert list(WebhookDelivery.objects.values_list("state", "attempts")) == [("pending", 1)] * 2
    with time_machine.travel(NINE + 31 * SECOND, tick=False):
        assert deliver_due_webhooks().delivered == 2


# --- what operators see --------------------------------------------------------------------


def metric(text: str, name: str) -> float:
    [value] = re.findall(rf"^{name} ([0-9.e+]+)$", text, re.MULTILINE)
    return float(value)


@pytest.mark.django_db(transaction=True)
def test_five_hundred_deliveries_waiting_on_a_disabled_endpoint_make_health_503_and_show_in_metrics(
    editor: User, settings: Any
) -> None:
    settings.TRACKER_WEBHOOKS_ALLOW_PRIVATE = True
    for role in ("worker", "beat"):
        Heartbeat.objects.create(role=role, process=f"{role}-1", seen_at=timezone.now())
    endpoint = register("http://127.0.0.1:9/hook", editor)
    happen(500)
    WebhookEndpoint.objects.filter(pk=endpoint.pk).update(
        is_active=False, disabled_at=timezone.now(), disabled_reason="down"
    )

    response = Client().get("/health/", HTTP_ACCEPT="application/json")
    assert response.status_code == 503
    said = {check: text for check, text in response.json().items() if text != "OK"}
    [(check, message)] = said.items()
    assert check.startswith("Webhooks")
    assert "500 deliveries waiting on 1 disabled endpoint(s)" in message

    text = Client().get("/metrics").content.decode()
    assert metric(text, "tranche_webhook_backlog") == 500
    assert metric(text, "tranche_webhook_waiting_on_disabled") == 500
    assert metric(text, "tranche_webhook_endpoints_disabled") == 1
    assert metric(text, "tranche_webhook_due") == 0


def test_metrics_count_deliveries_waiting_out_a_retry_in_the_backlog(
    receiver: Receiver, editor: User, client: Client
) -> None:
    receiver.statuses = [500]
    register(receiver.url, editor)
    with time_machine.travel(NINE, tick=False):
        happen(3)
        deliver_due_webhooks()
        text = client.get("/metrics").content.decode()
    assert metric(text, "tranche_webhook_backlog") == 3
    assert metric(text, "tranche_webhook_retrying") == 3
    assert 'tranche_webhook_deliveries_total{outcome="retrying"} 3.0' in text


def test_a_run_cut_off_by_the_worker_s_time_limit_keeps_the_counts_of_what_it_marked(
    receiver: Receiver, editor: User, settings: Any, client: Client
) -> None:
    settings.TRACKER_WEBHOOKS_DEADLINE = 30
    trickler = Trickler()
    try:
        fast = register(receiver.url, editor)
        register(trickler.url, editor)
        happen(2)
        # The answering receiver's two go first, then one to the trickler is cut off.
        WebhookDelivery.objects.filter(endpoint=fast).update(due_at=timezone.now() - SECOND)

        def time_limit(*_: Any) -> None:
            raise SoftTimeLimitExceeded()

        previous = signal.signal(signal.SIGALRM, time_limit)
        signal.setitimer(signal.ITIMER_REAL, 3)
        try:
            with pytest.raises(SoftTimeLimitExceeded):
                deliver_due_webhooks(budget=None)
        finally:
            signal.setitimer(signal.ITIMER_REAL, 0)
            signal.signal(signal.SIGALRM, previous)
    finally:
        trickler.close()

    text = client.get("/metrics").content.decode()
    assert 'tranche_webhook_deliveries_total{outcome="delivered"} 2.0' in text
    assert 'tranche_webhook_deliveries_total{outcome="retrying"} 1.0' in text


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(
    ("due_ago", "retry_ago", "healthy"),
    [
        (dt.timedelta(days=3), dt.timedelta(seconds=5), True),  # a retry that just fell due
        (dt.timedelta(minutes=30), None, False),  # never tried for half an hour
    ],
    ids=["retry just due", "old backlog"],
)
def test_health_measures_a_delivery_s_wait_from_when_it_fell_due_not_when_its_event_happened(
    editor: User,
    settings: Any,
    due_ago: dt.timedelta,
    retry_ago: dt.timedelta | None,
    healthy: bool,
) -> None:
    settings.TRACKER_WEBHOOKS_ALLOW_PRIVATE = True
    now = timezone.now()
    for role in ("worker", "beat"):
        Heartbeat.objects.create(role=role, process=f"{role}-1", seen_at=now)
    register("http://127.0.0.1:9/hook", editor)
    happen()
    WebhookDelivery.objects.update(
        due_at=now - due_ago, retry_at=None if retry_ago is None else now - retry_ago
    )
    response = Client().get("/health/", HTTP_ACCEPT="application/json")
    said = {check: text for check, text in response.json().items() if text != "OK"}
    if healthy:
        assert (response.status_code, said) == (200, {})
    else:
        assert response.status_code == 503
        [(check, message)] = said.items()
        assert check.startswith("Webhooks") and "1 due, the oldest for 18" in message
