"""Chaos for webhooks: a real worker and beat, a redis-server of our own, and receivers on
127.0.0.1 that are down for a while or trickle their answers (issue 26 part 3, issue 22
finding 2).

The retry schedule is scaled down (TRACKER_WEBHOOK_RETRY_SCHEDULE) and so is the lease, so
each test takes under a minute; the rules are the ones production runs. PostgreSQL only, like
the rest of the chaos suite: several processes write the test database at once.
"""

from __future__ import annotations

import itertools
import select
import socket
import threading
import time
from collections import Counter
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from celery import Celery as CeleryApp
from django.conf import settings
from django.contrib.auth.models import User

from tests.chaos.test_chaos import Stack
from tests.processes import RedisServer, Sink, SmtpSink, process_env, wait_until, workers_up
from tracker.models import OutboxEmail, WebhookAttempt, WebhookDelivery, WebhookEndpoint
from tracker.services.endpoints import endpoint_save
from tracker.webhooks.events import Happened, record

pytestmark = [
    pytest.mark.chaos,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        not settings.DATABASES["default"]["ENGINE"].endswith("postgresql"),
        reason="chaos runs on PostgreSQL: several processes write at once",
    ),
]

# Waits after each failure, in seconds: 1 s to about 2 min, 4 min 15 s in all, so an
# outage of 20 s (standing for 10 minutes against the three days of production) is a
# small part of the period and disables nothing.
SCALED_SCHEDULE = "1,2,4,8,16,32,64,128"
LEASE = 6  # seconds; the send deadline is held at two thirds of it, 4 s


class Receiver:
    """An HTTP receiver on 127.0.0.1: answers 500 while `down`, else 200, and keeps the
    `webhook-id` of every request with its answer and when it began and ended."""

    def __init__(self) -> None:
        self.down = False
        self.answers: list[tuple[str, int]] = []
        self._lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                self.rfile.read(int(self.headers["Content-Length"]))
                status = 500 if receiver.down else 200
                with receiver._lock:
                    receiver.answers.append((self.headers["webhook-id"], status))
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/hooks"

    def delivered(self) -> Counter[str]:
        with self._lock:
            return Counter(hook_id for hook_id, status in self.answers if status == 200)

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def stack(tmp_path: Path) -> Iterator[Stack]:
    redis = RedisServer(tmp_path)
    redis.start()
    sink = Sink()
    with SmtpSink(sink) as smtp:
        env = process_env(
            REDIS_URL=redis.url,
            EMAIL_URL=smtp.url,
            OUTBOX_LEASE_SECONDS=str(LEASE),
            TRACKER_WEBHOOKS_ALLOW_PRIVATE="true",
            TRACKER_WEBHOOKS_TIMEOUT="5",
            TRACKER_WEBHOOK_RETRY_SCHEDULE=SCALED_SCHEDULE,
        )
        built = Stack(redis, smtp, sink, env, tmp_path, [])
        try:
            yield built
        finally:
            for process in built.started:
                process.stop()
            redis.stop()


@pytest.fixture
def receiver(settings: Any) -> Iterator[Receiver]:
    settings.TRACKER_WEBHOOKS_ALLOW_PRIVATE = True
    made = Receiver()
    yield made
    made.close()


def endpoint_for(url: str, username: str = "ana") -> WebhookEndpoint:
    owner = User.objects.create_user(username, f"{username}@example.org", "pw")
    endpoint = WebhookEndpoint(url=url, owner=owner, event_types=["milestone.created"])
    return endpoint_save(endpoint=endpoint, by=owner)


def events(count: int, start: int = 0) -> list[str]:
    made = record(
        [
            Happened("milestone.created", None, f"Milestone {n}", {"n": n})
            for n in range(start, start + count)
        ]
    )
    return [event.public_id for event in made]


def kick(stack: Stack, times: int = 1) -> None:
    """Queue send runs now rather than wait up to 15 s for beat's first."""
    app = CeleryApp("kick", broker=stack.redis.url, set_as_current=False)
    for _ in range(times):
        app.send_task("tracker.tasks.deliver_webhooks")


def started(stack: Stack, workers: int = 1) -> None:
    workers_up(workers)


def test_a_receiver_down_for_a_while_gets_every_event_once_after_it_recovers_with_no_person_acting(
    stack: Stack, receiver: Receiver, capsys: pytest.CaptureFixture[str]
) -> None:
    endpoint = endpoint_for(receiver.url)
    receiver.down = True
    ids = events(30)
    stack.worker("worker")
    stack.beat()
    started(stack)
    kick(stack)
    down_since = time.monotonic()
    # Down for 20 s, with events still happening meanwhile.
    for batch in range(4):
        time.sleep(5)
        ids += events(5, start=30 + 5 * batch)
    receiver.down = False
    assert time.monotonic() - down_since >= 20
    failed_meanwhile = len([a for a in receiver.answers if a[1] == 500])
    refused = {hook_id for hook_id, status in receiver.answers if status == 500}

    def all_sent() -> bool:
        return WebhookDelivery.objects.filter(state="sent").count() == len(ids)

    try:
        seconds = wait_until(all_sent, timeout=45, step=0.25)
    except AssertionError:
        pytest.fail(
            f"{WebhookDelivery.objects.exclude(state='sent').count()} of {len(ids)} not sent\n"
            + stack.logs()
        )
    with capsys.disabled():
        print(
            f"\nchaos: webhook receiver down 20 s: {len(ids)} events, {failed_meanwhile} failed "
            f"attempts meanwhile, all delivered {seconds:.1f} s after it recovered"
        )

    delivered = receiver.delivered()
    assert set(delivered) == set(ids)  # none lost
    assert max(delivered.values()) == 1  # none twice
    assert set(ids[:30]) <= refused  # it really was down for them
    endpoint.refresh_from_db()
    assert endpoint.is_active and endpoint.disabled_at is None
    assert endpoint.failing_since is None and endpoint.consecutive_failures == 0
    assert not OutboxEmail.objects.filter(kind__in=["webhook_off", "webhook_warn"]).exists()
    # Everything drained on the first success, not on each row's own backoff.
    assert seconds < 30


class Trickler:
    """A socket server on 127.0.0.1 that reads each request and answers one byte a second;
    it keeps, per `webhook-id`, when each request came in and when the sender hung up."""

    def __init__(self) -> None:
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.listener.settimeout(0.5)
        self.requests: list[tuple[str, float, float]] = []
        self.open = True
        self._lock = threading.Lock()
        threading.Thread(target=self._accept, daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.listener.getsockname()[1]}/hook"

    def _accept(self) -> None:
        while self.open:
            try:
                connection, _ = self.listener.accept()
            except OSError:
                continue
            threading.Thread(target=self._serve, args=(connection,), daemon=True).start()

    def _serve(self, connection: Any) -> None:
        with connection:
            connection.settimeout(5)
            head = connection.recv(65536).decode("latin-1")
            began = time.monotonic()
            hook_id = next(
                (
                    line.split(":", 1)[1].strip()
                    for line in head.split("\r\n")
                    if line.lower().startswith("webhook-id:")
                ),
                "?",
            )
            answer = b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n" + b"x" * 100
            try:
                for byte in answer:
                    connection.sendall(bytes([byte]))
                    # A second between bytes, ending at once when the sender hangs up.
                    readable, _, _ = select.select([connection], [], [], 1.0)
                    if readable and not connection.recv(1):
                        break
            except OSError:
                pass
            with self._lock:
                self.requests.append((hook_id, began, time.monotonic()))

    def overlapping(self) -> list[str]:
        """webhook-ids of which a second copy came in while an earlier one was in flight."""
        with self._lock:
            ordered = sorted(self.requests, key=lambda r: (r[0], r[1]))
        return [
            later[0]
            for earlier, later in itertools.pairwise(ordered)
            if earlier[0] == later[0] and later[1] < earlier[2] - 0.5
        ]

    def close(self) -> None:
        self.open = False
        self.listener.close()


def test_a_trickling_receiver_is_cut_off_at_the_deadline_counted_and_never_sent_twice_at_once(
    stack: Stack, receiver: Receiver, capsys: pytest.CaptureFixture[str]
) -> None:
    trickler = Trickler()
    try:
        slow = endpoint_for(trickler.url, "slow")
        fast = endpoint_for(receiver.url, "fast")
        ids = events(3)
        stack.worker("one")
        stack.worker("two")  # a second sender that would take a row whose lease lapsed
        stack.beat()
        started(stack, workers=2)
        kick(stack, times=2)
        began = time.monotonic()
        # The answering receiver is not held up behind the trickler: its three arrive
        # within a few deadlines, whichever worker takes them.
        wait_until(lambda: set(receiver.delivered()) == set(ids), timeout=30)
        moved_on = time.monotonic() - began
        wait_until(lambda: len(trickler.requests) >= 6, timeout=40)
        # No new attempts, then let the ones in flight end and be recorded.
        WebhookEndpoint.objects.filter(pk=slow.pk).update(is_active=False)
        time.sleep(8)
    finally:
        trickler.close()

    attempts = WebhookAttempt.objects.filter(delivery__endpoint=slow)
    with capsys.disabled():
        print(
            f"\nchaos: trickling receiver, 2 workers: {len(trickler.requests)} requests cut "
            f"off, the other receiver served after {moved_on:.1f} s"
        )
    assert moved_on < 20
    assert trickler.overlapping() == []  # never a second copy while the first was in flight
    assert len(trickler.requests) == attempts.count()  # every interrupted attempt counted
    assert not attempts.filter(succeeded=True).exists()
    assert max(attempts.values_list("duration_ms", flat=True)) < 4000 + 1500
    assert all("deadline" in error for error in attempts.values_list("error", flat=True))
    assert set(WebhookDelivery.objects.filter(endpoint=fast).values_list("state", flat=True)) == {
        "sent"
    }
