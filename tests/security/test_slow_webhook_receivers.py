"""Issue 22, finding 2: a receiver that trickles its answer cannot hold a webhook worker past
the send's overall deadline, which is shorter than the lease; an attempt cut off, by the
deadline or by the worker's time limit, counts as a failed attempt."""

from __future__ import annotations

import datetime as dt
import signal
import socket
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest
from billiard.exceptions import SoftTimeLimitExceeded
from django.contrib.auth.models import Group, User
from django.utils import timezone

import tracker.tasks  # noqa: F401  (registers the worker's time limit as an interruption)
from tests.conftest import make_milestone, make_negotiation, make_track
from tracker.models import OutboxRow, WebhookDelivery, WebhookEndpoint
from tracker.services.endpoints import endpoint_save
from tracker.webhooks.delivery import (
    WebhookRun,
    _attempt,
    _claim,
    deliver_due_webhooks,
    release_lapsed,
    send_deadline,
)

pytestmark = pytest.mark.django_db


class Trickler:
    """A socket server on 127.0.0.1 that reads a request, then answers one byte a second
    (the status line first) for at most `seconds`; it notes when the sender hung up."""

    def __init__(self, seconds: float = 20) -> None:
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.seconds = seconds
        self.hung_up_after: float | None = None
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.listener.getsockname()[1]}/hook"

    def _serve(self) -> None:
        connection, _ = self.listener.accept()
        with connection:
            connection.settimeout(5)
            connection.recv(65536)
            started = time.monotonic()
            answer = b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n" + b"x" * 100
            try:
                for byte in answer:
                    if time.monotonic() - started > self.seconds:
                        break
                    connection.sendall(bytes([byte]))
                    time.sleep(1)
            except OSError:
                self.hung_up_after = time.monotonic() - started

    def close(self) -> None:
        self.listener.close()
        self.thread.join(timeout=30)


@pytest.fixture
def trickler(settings: Any) -> Iterator[Trickler]:
    settings.TRACKER_WEBHOOKS_ALLOW_PRIVATE = True
    settings.TRACKER_WEBHOOKS_TIMEOUT = 5  # each read: the trickle never waits that long
    made = Trickler()
    yield made
    made.close()


def endpoint_with_a_delivery(url: str) -> WebhookEndpoint:
    owner = User.objects.create_user("ana", "ana@example.org", "pw", is_staff=True)
    owner.groups.add(Group.objects.get(name="editors"))
    endpoint = endpoint_save(
        endpoint=WebhookEndpoint(url=url, owner=owner, event_types=["milestone.created"]),
        by=owner,
    )
    make_milestone(make_track(make_negotiation()), "Interim agreement", "July 8, 2026")
    assert endpoint.deliveries.count() == 1
    return endpoint


def test_a_trickling_receiver_is_cut_off_at_the_deadline_and_the_attempt_counts_as_failed(
    trickler: Trickler, settings: Any
) -> None:
    settings.TRACKER_WEBHOOKS_DEADLINE = 3
    endpoint = endpoint_with_a_delivery(trickler.url)

    started = time.monotonic()
    run = deliver_due_webhooks(budget=None)
    took = time.monotonic() - started

    assert took < 6, f"the run took {took:.1f} s"
    assert run.retrying == 1 and run.delivered == 0 and run.returned == 0
    row = WebhookDelivery.objects.get(endpoint=endpoint)
    assert row.state == OutboxRow.State.PENDING and row.attempts == 1
    assert row.retry_at is not None
    assert "deadline" in row.last_error
    (attempt,) = row.attempt_log.all()
    assert not attempt.succeeded and 2900 <= attempt.duration_ms < 5000
    endpoint.refresh_from_db()
    assert endpoint.consecutive_failures == 1


def test_the_deadline_is_always_shorter_than_the_lease(settings: Any) -> None:
    settings.OUTBOX_LEASE_SECONDS = 90
    settings.TRACKER_WEBHOOKS_DEADLINE = 30
    assert send_deadline() == 30
    settings.TRACKER_WEBHOOKS_DEADLINE = 600  # asked for too much: held below the lease
    assert send_deadline() < 90
    settings.OUTBOX_LEASE_SECONDS = 6
    assert send_deadline() < 6


def test_a_send_cut_off_by_the_worker_s_time_limit_counts_as_a_failed_attempt(
    trickler: Trickler, settings: Any
) -> None:
    settings.TRACKER_WEBHOOKS_DEADLINE = 30
    endpoint = endpoint_with_a_delivery(trickler.url)

    def time_limit(*_: Any) -> None:
        raise SoftTimeLimitExceeded()

    previous = signal.signal(signal.SIGALRM, time_limit)
    signal.setitimer(signal.ITIMER_REAL, 2)
    try:
        with pytest.raises(SoftTimeLimitExceeded):
            deliver_due_webhooks(budget=None)
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)

    row = WebhookDelivery.objects.get(endpoint=endpoint)
    assert row.state == OutboxRow.State.PENDING
    assert row.attempts == 1, "the interrupted attempt was handed back uncounted"
    assert row.retry_at is not None and row.claimed_at is not None
    assert row.retry_at > row.claimed_at + dt.timedelta(seconds=1)
    assert "interrupted" in row.last_error
    endpoint.refresh_from_db()
    assert endpoint.consecutive_failures == 1
    (attempt,) = row.attempt_log.all()
    assert not attempt.succeeded


def test_a_send_renews_the_lease_of_every_row_still_held_so_no_second_worker_takes_one(
    trickler: Trickler, settings: Any, time_machine: Any
) -> None:
    settings.OUTBOX_LEASE_SECONDS = 90
    settings.TRACKER_WEBHOOKS_DEADLINE = 1
    time_machine.move_to("2026-11-21 09:00Z", tick=False)
    endpoint = endpoint_with_a_delivery(trickler.url)
    make_milestone(make_track(make_negotiation("eu-india")), "Final text", "July 9, 2026")
    assert endpoint.deliveries.count() == 2
    claimed_at = timezone.now()
    (first, waiting), token = _claim(claimed_at, 10)

    time_machine.shift(dt.timedelta(seconds=80))  # ten seconds of the lease left
    _attempt(first, token, WebhookRun())
    waiting.refresh_from_db()
    assert waiting.leased_until == claimed_at + dt.timedelta(seconds=80 + 90)

    time_machine.shift(dt.timedelta(seconds=20))  # past the lease the claim took
    assert release_lapsed(timezone.now()) == 0
    second_worker_takes, _ = _claim(timezone.now(), 10)  # the first row's retry, if due
    assert waiting.pk not in {row.pk for row in second_worker_takes}
    waiting.refresh_from_db()
    assert waiting.state == OutboxRow.State.SENDING and waiting.claim_token == token
