"""Deliver what the webhook outbox says is due: claim under a lease, POST signed, record.

The same reliability rules as the email outbox (tracker.reminders.outbox), whose
`ready`/`lapsed` queries and lease length it shares:

- A sender claims a batch of due rows in one conditional update (pending → sending)
  under a fresh claim token and a lease; every later write names the token, so a
  sender whose lease lapsed cannot mark a row another sender took.
- Right before each POST it renews the lease of every row it still holds (fenced by the
  token), and the POST has an overall deadline (`send_deadline()`,
  TRACKER_WEBHOOKS_DEADLINE, at most two thirds of the lease), so no lease lapses mid-POST,
  however long the batch, and a receiver that trickles its answer cannot hold a worker: at
  the deadline the socket is shut down. An attempt cut
  off, by the deadline or by the worker's time limit, counts as a failed attempt. Rows still
  claimed when a run ends, for whatever reason, go back at once; a dead sender's rows
  come back when its lease lapses. The only window for a second delivery is between
  the receiver's answer and the write that records it; receivers deduplicate on
  `webhook-id`, which stays the same for every attempt, as the specification asks.
- A delivery that fails is retried on the schedule of tracker.webhooks.schedule
  (TRACKER_WEBHOOK_RETRY_SCHEDULE, about three days) and marked failed after its last
  attempt, unless that failure disables its endpoint: then it waits for the endpoint to be
  enabled. Every attempt is kept (status, the start of the body, error, duration).
- An endpoint failing for the whole schedule, with no success, is disabled; its owner is
  warned a third of the way and told at disabling, through the email outbox. When a
  delivery succeeds after failures, the endpoint's other deliveries waiting out a backoff
  are due at once, so a recovered receiver drains by itself.
- The running totals for /metrics are added as each row is marked, so a killed run keeps
  what it counted.

Requests are POSTed with the standard library to the address that the SSRF check
(tracker.webhooks.addresses) approved, with a bounded timeout; redirects are not
followed (a 3xx is a failure).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import http.client
import json
import logging
import socket
import ssl
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import Any

from django.conf import settings
from django.db import DatabaseError, transaction
from django.db.models import Case, F, QuerySet, Value, When
from django.utils import timezone
from standardwebhooks import Webhook

from tracker.models import OutboxRow, WebhookAttempt, WebhookDelivery, WebhookEndpoint
from tracker.reminders.outbox import add_to_count, lapsed, lease, ready
from tracker.services.endpoints import endpoint_failed, endpoint_succeeded
from tracker.webhooks import schedule
from tracker.webhooks.addresses import RefusedAddress, Target, resolve
from tracker.webhooks.endpoints import retry_schedule

log = logging.getLogger(__name__)

State = OutboxRow.State

BATCH_SIZE = 20
RUN_BUDGET = 60.0
BODY_KEPT = 2000
USER_AGENT = "Tranche-Webhooks/1"
# Errors that stop the run instead of failing one delivery (the jobs layer adds its
# soft time limit).
INTERRUPTIONS: tuple[type[BaseException], ...] = (DatabaseError,)


def interrupt_on(*errors: type[BaseException]) -> None:
    global INTERRUPTIONS
    INTERRUPTIONS = tuple(dict.fromkeys((*INTERRUPTIONS, *errors)))


def timeout() -> float:
    """Seconds each connect or read may wait."""
    return float(getattr(settings, "TRACKER_WEBHOOKS_TIMEOUT", 10))


# The part of the lease a send may use at most: the rest covers recording the outcome.
LEASE_SHARE = 2 / 3


def send_deadline() -> float:
    """Seconds a whole POST may take, connect to last byte: TRACKER_WEBHOOKS_DEADLINE, held
    below the lease renewed right before it, so no second sender can take the row meanwhile."""
    asked = float(getattr(settings, "TRACKER_WEBHOOKS_DEADLINE", 30))
    return min(asked, lease().total_seconds() * LEASE_SHARE)


@dataclass
class WebhookRun:
    """What one run did; `as_fields()` is its log line."""

    delivered: int = 0
    retrying: int = 0
    failed: int = 0
    returned: int = 0
    released: int = 0
    lost: int = 0
    disabled: int = 0
    warned: int = 0
    brought_forward: int = 0
    more: bool = False

    def as_fields(self) -> dict[str, Any]:
        return asdict(self)


# --- reading the outbox -----------------------------------------------------------------


def due(now: dt.datetime) -> QuerySet[WebhookDelivery]:
    """Deliveries due now, to endpoints that are enabled."""
    return ready(WebhookDelivery, now).filter(endpoint__is_active=True)


def release_lapsed(now: dt.datetime) -> int:
    """Give back the rows of senders that stopped holding their lease."""
    stuck = list(lapsed(WebhookDelivery, now).values_list("pk", flat=True))
    if not stuck:
        return 0
    allowed = schedule.attempts_allowed(retry_schedule())
    count = WebhookDelivery.objects.filter(pk__in=stuck, state=State.SENDING).update(
        state=Case(
            When(attempts__gte=allowed, then=Value(State.FAILED)),
            default=Value(State.PENDING),
        ),
        leased_until=None,
        retry_at=None,
        last_error="The sending worker stopped before recording the outcome; sent again.",
    )
    log.warning("Released %d webhook deliveries whose sender stopped holding its lease.", count)
    add_to_count("webhook_released", count)
    return int(count)


def redeliver(rows: QuerySet[WebhookDelivery]) -> int:
    """The admin's "Redeliver": sent or failed rows go out again, once, as soon as possible.

    Rows being sent or still waiting are left alone, so a redelivery never doubles one.
    """
    return int(
        rows.filter(state__in=[State.SENT, State.FAILED, State.VOID]).update(
            state=State.PENDING,
            due_at=timezone.now(),
            retry_at=None,
            attempts=0,
            leased_until=None,
            last_error="Redelivery asked for by an admin.",
        )
    )


# --- one run ----------------------------------------------------------------------------


def deliver_due_webhooks(
    *, batch_size: int = BATCH_SIZE, budget: float | None = RUN_BUDGET
) -> WebhookRun:
    """POST what is due for at most `budget` seconds; `more` says whether rows remain."""
    result = WebhookRun(released=release_lapsed(timezone.now()))  # counted as released
    ends = None if budget is None else time.monotonic() + budget

    def spent() -> bool:
        return ends is not None and time.monotonic() >= ends

    while not spent():
        rows, token = _claim(timezone.now(), batch_size)
        if not rows:
            break
        try:
            for row in rows:
                if spent():
                    break
                _attempt(row, token, result)
        finally:
            result.returned += _give_back(token)
    result.more = due(timezone.now()).exists()
    return result


def _claim(now: dt.datetime, size: int) -> tuple[list[WebhookDelivery], str]:
    token = uuid.uuid4().hex
    with transaction.atomic():
        ids = list(
            due(now)
            .order_by("due_at", "pk")
            .select_for_update(skip_locked=True, of=("self",))
            .values_list("pk", flat=True)[:size]
        )
        if not ids:
            return [], token
        WebhookDelivery.objects.filter(pk__in=ids, state=State.PENDING).update(
            state=State.SENDING,
            claim_token=token,
            claimed_at=now,
            leased_until=now + lease(),
            attempts=F("attempts") + 1,
        )
    rows = list(
        WebhookDelivery.objects.filter(claim_token=token, state=State.SENDING)
        .select_related("event", "endpoint")
        .order_by("due_at", "id")
    )
    return rows, token


def _mine(row: WebhookDelivery, token: str) -> QuerySet[WebhookDelivery]:
    return WebhookDelivery.objects.filter(pk=row.pk, claim_token=token, state=State.SENDING)


def _give_back(token: str) -> int:
    """Rows of this claim not tried go back at once, without the attempt the claim counted."""
    return int(
        WebhookDelivery.objects.filter(claim_token=token, state=State.SENDING).update(
            state=State.PENDING, leased_until=None, retry_at=None, attempts=F("attempts") - 1
        )
    )


@dataclass(frozen=True)
class Answer:
    status: int | None = None
    body: str = ""
    error: str = ""
    milliseconds: int = 0

    @property
    def ok(self) -> bool:
        return self.status is not None and 200 <= self.status < 300


def _renew(row: WebhookDelivery, token: str, now: dt.datetime) -> bool:
    """Renew the lease of this row and of every other row of the claim still held, right
    before a POST that may take up to the deadline; False when this row's claim was lost."""
    until = now + lease()
    if not _mine(row, token).update(leased_until=until):
        return False
    WebhookDelivery.objects.filter(claim_token=token, state=State.SENDING).exclude(
        pk=row.pk
    ).update(leased_until=until)
    return True


def _attempt(row: WebhookDelivery, token: str, result: WebhookRun) -> None:
    now = timezone.now()
    if not _renew(row, token, now):
        result.lost += 1
        add_to_count("webhook_lost", 1)
        log.warning("Lost the claim on webhook delivery %s before sending it.", row.pk)
        return
    endpoint = row.endpoint
    if not WebhookEndpoint.objects.filter(pk=endpoint.pk, is_active=True).exists():
        return  # disabled since the claim: given back by the run, it waits to be enabled
    body = json.dumps(row.event.payload, separators=(",", ":"), ensure_ascii=False)
    headers = {
        "content-type": "application/json",
        "user-agent": USER_AGENT,
        "webhook-id": row.event.public_id,
        "webhook-timestamp": str(int(now.timestamp())),
        "webhook-signature": Webhook(endpoint.secret).sign(row.event.public_id, now, body),
    }
    started = time.monotonic()
    try:
        answer = post(endpoint.url, body.encode("utf-8"), headers)
    except INTERRUPTIONS as stop:
        # The request may have reached the receiver: the attempt is spent, and counted as a
        # failure, so an endpoint that always stalls its worker is disabled in the end.
        spent = int((time.monotonic() - started) * 1000)
        error = f"The send was interrupted ({type(stop).__name__}) before an answer came."
        try:
            _record(row, token, Answer(error=error, milliseconds=spent), result)
        except DatabaseError:
            log.exception("Could not record the interrupted attempt at delivery %s.", row.pk)
        raise
    _record(row, token, answer, result)


def _record(row: WebhookDelivery, token: str, answer: Answer, result: WebhookRun) -> None:
    """Keep the attempt, and move the row to sent, a retry, waiting or failed (fenced by the
    token); the endpoint hears of it in the same transaction."""
    now = timezone.now()
    attempts = row.attempts  # counted by the claim
    waits = retry_schedule()
    verdict = schedule.Verdict.KEEP
    brought_forward = 0
    error = answer.error or f"HTTP {answer.status}"
    outcome = "delivered"
    with transaction.atomic():
        # Only the holder of the claim writes (the row locked meanwhile): a sender whose
        # lease ran out, and whose row another sender took over, changes neither the
        # attempt log nor the endpoint.
        changed = bool(_mine(row, token).select_for_update().exists())
        if changed:
            WebhookAttempt.objects.create(
                delivery=row,
                attempted_at=now,
                status_code=answer.status,
                response_body=answer.body,
                error=answer.error,
                duration_ms=answer.milliseconds,
                succeeded=answer.ok,
            )
        if changed and answer.ok:
            _mine(row, token).update(
                state=State.SENT,
                sent_at=now,
                leased_until=None,
                last_error="",
                response_status=answer.status,
            )
            brought_forward = endpoint_succeeded(endpoint_id=row.endpoint_id, now=now)
        elif changed:
            verdict = endpoint_failed(endpoint_id=row.endpoint_id, now=now)
            wait = schedule.next_try_after(attempts, waits)
            if wait is not None:
                outcome, state, retry_at = "retrying", State.PENDING, now + wait
            elif WebhookEndpoint.objects.filter(pk=row.endpoint_id, is_active=True).exists():
                outcome, state, retry_at = "failed", State.FAILED, None
            else:
                # Its endpoint is disabled: it waits, with the others, for it to be enabled.
                outcome, state, retry_at = "retrying", State.PENDING, None
            _mine(row, token).update(
                state=state,
                retry_at=retry_at,
                leased_until=None,
                last_error=error[:2000],
                response_status=answer.status,
            )
    if not changed:
        outcome = "lost"
        log.error("Recorded webhook %s's attempt, but its claim was lost meanwhile.", row.pk)
    elif outcome == "failed":
        log.error("Webhook delivery %s failed after %d attempts: %s", row.pk, attempts, error)
    elif outcome == "retrying":
        log.info("Webhook delivery %s not delivered (attempt %d): %s", row.pk, attempts, error)
    _count(result, outcome)
    if brought_forward:
        result.brought_forward += brought_forward
        log.info(
            "Endpoint %s answers again: %d waiting deliveries are due now.",
            row.endpoint_id,
            brought_forward,
        )
    if verdict == schedule.Verdict.DISABLE:
        _count(result, "disabled")
        log.warning(
            "Disabled webhook endpoint %s: it failed for the whole schedule.", row.endpoint_id
        )
    elif verdict == schedule.Verdict.WARN:
        _count(result, "warned")
        log.warning("Webhook endpoint %s keeps failing; its owner is warned.", row.endpoint_id)


def _count(result: WebhookRun, outcome: str) -> None:
    """Count an outcome in the run's log line and, at once, in the totals for /metrics."""
    setattr(result, outcome, getattr(result, outcome) + 1)
    add_to_count(f"webhook_{outcome}", 1)


# --- the request ------------------------------------------------------------------------


class _Deadline:
    """Shuts a connection's socket down when the whole send has taken `seconds`: a read
    timeout alone lets a receiver that sends a byte now and then hold the worker."""

    def __init__(self, connection: http.client.HTTPConnection, seconds: float) -> None:
        self.connection = connection
        self.seconds = seconds
        self.passed = False
        self._timer = threading.Timer(seconds, self._cut)
        self._timer.daemon = True

    def _cut(self) -> None:
        self.passed = True
        sock = self.connection.sock
        if sock is not None:
            with contextlib.suppress(OSError):
                # The plain socket's shutdown, under TLS too: it wakes the blocked read.
                socket.socket.shutdown(sock, socket.SHUT_RDWR)

    def __enter__(self) -> _Deadline:
        self._timer.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._timer.cancel()


class _PinnedHTTP(http.client.HTTPConnection):
    """Connects to the address the SSRF check approved, whatever DNS says now."""

    def __init__(self, target: Target, seconds: float) -> None:
        super().__init__(target.host, target.port, timeout=seconds)
        self.address = target.address

    def connect(self) -> None:
        self.sock = socket.create_connection((self.address, self.port), self.timeout)


class _PinnedHTTPS(http.client.HTTPSConnection):
    def __init__(self, target: Target, seconds: float) -> None:
        super().__init__(
            target.host, target.port, timeout=seconds, context=ssl.create_default_context()
        )
        self.address = target.address

    def connect(self) -> None:
        sock = socket.create_connection((self.address, self.port), self.timeout)
        self.sock = self._context.wrap_socket(sock, server_hostname=self.host)  # type: ignore[attr-defined]


def post(
    url: str, body: bytes, headers: dict[str, str], *, clock: Callable[[], float] = time.monotonic
) -> Answer:
    """POST `body` to `url`; the answer, or why there was none. Never raises for the network."""
    started = clock()

    def elapsed() -> int:
        return int((clock() - started) * 1000)

    try:
        target = resolve(url)
    except RefusedAddress as error:
        return Answer(error=f"Refused: {error}", milliseconds=elapsed())
    make = _PinnedHTTPS if target.scheme == "https" else _PinnedHTTP
    seconds = send_deadline()
    connection = make(target, min(timeout(), seconds))
    deadline = _Deadline(connection, seconds)
    try:
        with deadline:
            connection.request("POST", target.path, body=body, headers=headers)
            response = connection.getresponse()
            text = response.read(BODY_KEPT).decode("utf-8", "replace")
            status = response.status
        if deadline.passed:
            raise TimeoutError("cut off")
    except (OSError, http.client.HTTPException, ValueError) as error:
        if deadline.passed:
            error_text = f"No whole answer within the {seconds:g} s deadline; cut off."
        else:
            error_text = f"{type(error).__name__}: {error}"
        return Answer(error=error_text[:2000], milliseconds=elapsed())
    finally:
        connection.close()
    return Answer(status=status, body=text, milliseconds=elapsed())


# --- counts for /metrics ----------------------------------------------------------------

# Running totals, named webhook_<outcome>, added as each row is marked.
TALLIED = ("delivered", "retrying", "failed", "released", "lost", "disabled", "warned")
