"""Send what the outbox says is due: claim under a lease, send over one connection, record.

Two tables make the outbox: `Reminder` (one row per reminder) and `OutboxEmail`
(confirmations, health alerts, account emails and digests). Work is set-based, a batch
(BATCH_SIZE rows) at a time, so the database cost per email stays flat however large
the backlog:

- One statement claims a batch: it moves the first due rows (by due_at, id) from pending
  to sending under a fresh claim token and a lease (`leased_until`); on PostgreSQL it
  locks them with FOR UPDATE SKIP LOCKED, so concurrent senders take different rows. One
  query (and one per prefetched relation) then loads what the messages need.
- The run sends over one SMTP connection, opened once and reused by every batch,
  replaced only after the server or the network dropped it. While it sends, it renews
  the whole claim's lease by token at most every third of a lease.
- The moment the server accepts a message, one transaction fenced by the token records
  it as sent and adds it to the running count. When the database cannot be reached, that
  write is retried for as long as the claim's lease holds: no other sender can take the
  row meanwhile, so a dropped connection sends nothing twice. A claim that was lost
  anyway (its lease lapsed and another sender took the row) is counted and logged, never
  counted as sent. Failures are rare and are recorded row by row, with backoff.
- However a batch ends (the budget, an outage, an error, a soft time limit), the untried
  rows go back to pending at once (try/finally), without the attempt the claim counted.
  The rows of a sender that died come back when its lease lapses, within one lease.

The window for a duplicate is between the server accepting a message and that write: a
sender killed there (or whose database is gone for a whole lease) leaves that one row in
sending; its lease lapses and it goes out again. That is at most the one message in
flight per crash; its stable Message-ID and X-Reminder-Key let mail clients and the sink
in the chaos tests recognise the second copy. Nothing is ever lost: a row leaves sending
only as sent, failed, void, or back to pending. Counters for /metrics are written at each
write, so a run killed midway has counted what it did.

Work is bounded: a run stops claiming after its time budget and says whether due rows
remain, and whether other runs still hold claims, so the jobs layer queues one
successor; a run that sees a backlog of several batches asks for helpers (`fan_out`),
up to OUTBOX_SENDERS runs at once. When the mail server refuses everything, the
senders back off together through one shared circuit (`MailCircuit`): one warning per
outage, one probe about every `SMTP_PROBE_SECONDS`, and the rows that waited go out as
soon as a probe succeeds, without per-row backoff.

Building or sending one message can fail only that message: it is retried with
backoff and marked failed, with its error, after its last attempt.
"""

from __future__ import annotations

import datetime as dt
import functools
import itertools
import logging
import smtplib
import time
import uuid
import zoneinfo
from collections.abc import Callable, Sequence
from contextlib import suppress
from dataclasses import asdict, dataclass, field
from typing import Any, TypeVar

from django.conf import settings
from django.core.mail import EmailMessage, get_connection
from django.core.mail.backends.smtp import EmailBackend as SmtpBackend
from django.core.mail.message import sanitize_address
from django.db import DatabaseError, IntegrityError, close_old_connections, connection, transaction
from django.db.models import Case, Exists, F, OuterRef, Prefetch, Q, QuerySet, Value, When
from django.utils import timezone
from psycopg import errors as pg_errors
from psycopg import generators, pq

from tracker.models import (
    DeliveryCount,
    MailCircuit,
    Milestone,
    OutboxEmail,
    OutboxRow,
    Reminder,
    StatusChange,
    Subscription,
)
from tracker.reminders.digest_news import digest_news
from tracker.reminders.emails import (
    account_email,
    confirmation_email,
    digest_email,
    health_alert_email,
    outbox_message_id,
    reminder_email,
    unconfirmed_email,
)
from tracker.reminders.planning import (
    MISSED_WINDOW,
    OPEN_STATES,
    VOID_DEADLINE_CHANGED,
    VOID_NOT_WANTED,
)
from tracker.reminders.unsubscribe import owner_unsubscribe_url, subscription_unsubscribe_url
from tracker.selectors import unconfirmed_milestones

log = logging.getLogger(__name__)

State = OutboxRow.State
Row = TypeVar("Row", bound=OutboxRow)

BATCH_SIZE = 50
# Seconds to wait before attempt n+1 after n failed attempts; then the row is failed.
BACKOFF = (60, 300, 1800, 7200, 21600)
MAX_ATTEMPTS = len(BACKOFF) + 1
# A run stops claiming after this many seconds (the send task's soft limit is 240 s).
RUN_BUDGET = 60.0
# This many refusals in a row, with nothing accepted between them, is an outage.
OUTAGE_AFTER = 3
CIRCUIT = "smtp"

# What a mail server or the network throws (smtplib's errors are OSErrors too).
DELIVERY_ERRORS: tuple[type[BaseException], ...] = (smtplib.SMTPException, OSError)
# Errors that stop the whole run rather than fail one message: the database going away,
# and whatever the jobs layer adds (a task's soft time limit).
INTERRUPTIONS: tuple[type[BaseException], ...] = (DatabaseError,)


def interrupt_on(*errors: type[BaseException]) -> None:
    """Let these exceptions stop a run instead of failing the message being sent."""
    global INTERRUPTIONS
    INTERRUPTIONS = tuple(dict.fromkeys((*INTERRUPTIONS, *errors)))


def lease() -> dt.timedelta:
    """How long a claim holds without renewal; a dead sender's rows come back after it."""
    return dt.timedelta(seconds=float(getattr(settings, "OUTBOX_LEASE_SECONDS", 90)))


def probe_every() -> dt.timedelta:
    return dt.timedelta(seconds=float(getattr(settings, "SMTP_PROBE_SECONDS", 30)))


@dataclass
class SendResult:
    """What one run did; `as_fields()` is the run's structured log line."""

    sent: int = 0
    failed: int = 0
    retrying: int = 0
    returned: int = 0  # given back unsent: the budget ran out, an outage, or an error
    released: int = 0  # other senders' rows whose lease had lapsed
    lost: int = 0  # claims this run lost before it could mark the row
    superseded: int = 0
    voided: int = 0
    batches: int = 0
    helpers: int = 0  # further runs this one asked for (fan_out)
    more: bool = False  # due rows remain: queue a successor
    others: int = 0  # when more: other runs still holding a claim (they queue successors)
    # closed: sending; held: an outage another sender saw, nothing tried; opened: this run
    # saw the server refuse (and a probe is due in SMTP_PROBE_SECONDS); probing: trying one.
    circuit: str = "closed"
    errors: list[str] = field(default_factory=list)

    def as_fields(self) -> dict[str, Any]:
        fields = asdict(self)
        fields.pop("errors")
        return fields


# --- what to send for a row -------------------------------------------------------------


@dataclass(frozen=True)
class Void:
    """A claimed row that must not go out after all, and why."""

    reason: str


def _reminder_wanted(row: Reminder) -> str | None:
    milestone = row.milestone
    if milestone.deadline_latest != row.deadline:
        return VOID_DEADLINE_CHANGED
    if milestone.state not in OPEN_STATES:
        return VOID_NOT_WANTED
    if milestone.track.archived_at is not None or milestone.track.negotiation.archived_at:
        return VOID_NOT_WANTED
    if row.subscription_id is not None:
        if row.subscription is None or not row.subscription.is_active:
            return "Unsubscribed"
        if not row.subscription.reminders_on:
            return VOID_NOT_WANTED
    elif milestone.track.owner is None or milestone.track.owner.email.lower() != row.recipient:
        return VOID_NOT_WANTED
    return None


def _reminder_message(
    row: Reminder, now: dt.datetime, shared: dict[Any, Any]
) -> EmailMessage | Void:
    reason = _reminder_wanted(row)
    return Void(reason) if reason else reminder_email(row, now, shared)


def _outbox_email_message(
    row: OutboxEmail, now: dt.datetime, shared: dict[Any, Any]
) -> EmailMessage | Void:
    """The row's message, with the Message-ID of the row: every copy is the same message."""
    built = _outbox_email_content(row, now)
    if isinstance(built, EmailMessage):
        built.extra_headers["Message-ID"] = outbox_message_id(row)
    return built


def _outbox_email_content(row: OutboxEmail, now: dt.datetime) -> EmailMessage | Void:
    subscription: Subscription | None = row.subscription
    if row.kind in OutboxEmail.ACCOUNT_KINDS:
        message = account_email(row)
        return Void(VOID_NOT_WANTED) if message is None else message
    if row.kind == OutboxEmail.Kind.CONFIRMATION:
        assert subscription is not None  # a database constraint
        if subscription.unsubscribed_at is not None:
            return Void("Unsubscribed")
        if subscription.confirmed_at is not None:
            return Void("Already confirmed")
        return confirmation_email(subscription)
    if row.kind == OutboxEmail.Kind.WEBHOOK_DISABLED:
        return _webhook_disabled_message(row)
    if row.kind == OutboxEmail.Kind.WEBHOOK_FAILING:
        return _webhook_failing_message(row)
    if row.kind == OutboxEmail.Kind.UNCONFIRMED:
        return _unconfirmed_message(row, now)
    if row.kind == OutboxEmail.Kind.DIGEST:
        return _digest_message(row)
    change = row.status_change
    assert change is not None  # a database constraint
    track = change.track
    if track is None:
        return Void(VOID_NOT_WANTED)
    if subscription is not None:
        if not subscription.is_active:
            return Void("Unsubscribed")
        link = subscription_unsubscribe_url(subscription)
    else:
        owner = track.owner
        if owner is None or owner.email.strip().lower() != row.recipient:
            return Void(VOID_NOT_WANTED)
        link = owner_unsubscribe_url(track_id=track.pk, user_id=owner.pk)
    return health_alert_email(change, track, to=row.recipient, unsubscribe_url=link)


def _unconfirmed_message(row: OutboxEmail, now: dt.datetime) -> EmailMessage | Void:
    subscription = row.subscription
    assert subscription is not None and row.week is not None  # a database constraint
    if not subscription.is_active:
        return Void("Unsubscribed")
    if not subscription.reminders_on:
        return Void(VOID_NOT_WANTED)
    # Read now: what an article confirmed or moved since the list was queued is left out.
    milestones = list(unconfirmed_milestones(subscription))
    if not milestones:
        return Void("Confirmed or moved before the list went out.")
    today = now.astimezone(zoneinfo.ZoneInfo(subscription.timezone)).date()
    return unconfirmed_email(subscription, milestones, week=row.week, today=today)


def _digest_message(row: OutboxEmail) -> EmailMessage | Void:
    """The digest for the row's window, read now: the same window reads the same news, so
    a digest sent again is the same message; news undone since it was planned is left out."""
    subscription = row.subscription
    start, end = row.period_start, row.period_end
    assert subscription is not None and start is not None and end is not None  # a constraint
    if not subscription.is_active:
        return Void("Unsubscribed")
    if not subscription.digest_rule:
        return Void(VOID_NOT_WANTED)
    news = digest_news(subscription, since=start, until=end)
    if not news:
        return Void("Nothing left to say: what was new was undone before the digest went out.")
    return digest_email(subscription, period_start=start, period_end=end, news=news)


def _webhook_disabled_message(row: OutboxEmail) -> EmailMessage | Void:
    from tracker.webhooks.endpoints import disabled_email

    endpoint = row.webhook_endpoint
    assert endpoint is not None  # a database constraint
    if endpoint.is_active:
        return Void("The endpoint was enabled again before this email went out.")
    return disabled_email(endpoint, to=row.recipient)


def _webhook_failing_message(row: OutboxEmail) -> EmailMessage | Void:
    from tracker.webhooks.endpoints import failing_email

    endpoint = row.webhook_endpoint
    assert endpoint is not None  # a database constraint
    if not endpoint.is_active:
        return Void("The endpoint was disabled before this warning went out; that email says so.")
    if endpoint.failing_since is None:
        return Void("The endpoint answered again before this warning went out.")
    return failing_email(endpoint, to=row.recipient)


def _alert_sent(row: OutboxEmail, now: dt.datetime) -> None:
    """A health transition counts as notified once its alert has actually gone out."""
    if row.status_change_id is not None:
        StatusChange.objects.filter(id=row.status_change_id, notified_at__isnull=True).update(
            notified_at=now
        )


@dataclass(frozen=True)
class Lane:
    """One outbox table, and how to turn its rows into messages."""

    model: type[OutboxRow]
    related: tuple[str, ...]
    prefetch: tuple[str | Prefetch[Any], ...]
    # (row, now, shared): `shared` is one dict per batch, for content its messages share.
    message: Callable[[Any, dt.datetime, dict[Any, Any]], EmailMessage | Void]
    after_sent: Callable[[Any, dt.datetime], None] | None = None
    # Building a message reads the database (digests read their news): it waits for the
    # previous message's "sent" write. Reminders build from the rows the claim loaded,
    # so each is built while the previous one's write is on its way (see _deliver).
    reads_to_build: bool = True

    @property
    def name(self) -> str:
        return self.model._meta.model_name or self.model.__name__.lower()


EMAILS = Lane(
    model=OutboxEmail,
    related=(
        "subscription",
        "subscription__user",
        "subscription__track",
        "subscription__track__negotiation",
        "subscription__negotiation",
        "status_change",
        "status_change__track",
        "status_change__track__owner",
        "status_change__track__negotiation",
        "user",
        "webhook_endpoint",
    ),
    prefetch=(),
    message=_outbox_email_message,
    after_sent=_alert_sent,
)
REMINDERS = Lane(
    model=Reminder,
    related=("subscription", "subscription__user"),
    # A batch's reminders are mostly a few milestones' subscribers: each milestone (with
    # its track, owner, negotiation and revisions) is loaded once, and the batch's rows
    # share that one instance, as the emails share its rendered content.
    prefetch=(
        Prefetch(
            "milestone",
            queryset=Milestone.objects.select_related(
                "track", "track__owner", "track__negotiation"
            ).prefetch_related("revisions"),
        ),
    ),
    message=_reminder_message,
    reads_to_build=False,
)
# Confirmations and alerts first: they are few, and someone is waiting for them.
LANES = (EMAILS, REMINDERS)


# --- reading the outbox -----------------------------------------------------------------


def ready(model: type[Row], now: dt.datetime) -> QuerySet[Row]:
    """Rows due now and not waiting out a retry backoff."""
    return model._default_manager.filter(state=State.PENDING, due_at__lte=now).filter(
        Q(retry_at__isnull=True) | Q(retry_at__lte=now)
    )


def lapsed(model: type[Row], now: dt.datetime) -> QuerySet[Row]:
    """Rows in sending whose sender's lease has run out (rows from before leases existed
    count from their claim)."""
    return model._default_manager.filter(state=State.SENDING).filter(
        Q(leased_until__lt=now)
        | Q(leased_until__isnull=True, claimed_at__lt=now - lease())
        | Q(leased_until__isnull=True, claimed_at__isnull=True)
    )


def release_lapsed(now: dt.datetime | None = None) -> int:
    """Give the rows of senders that stopped (killed, lost) back to pending, at once ready.

    A row that keeps killing its sender still counts its attempts and ends failed.
    """
    now = now or timezone.now()
    released = 0
    for lane in LANES:
        stuck = list(lapsed(lane.model, now).values_list("pk", "claim_token"))
        if not stuck:
            continue
        count = lane.model._default_manager.filter(
            pk__in=[row_id for row_id, _ in stuck], state=State.SENDING
        ).update(
            state=Case(
                When(attempts__gte=MAX_ATTEMPTS, then=Value(State.FAILED)),
                default=Value(State.PENDING),
            ),
            leased_until=None,
            retry_at=None,
            last_error="The sending worker stopped before recording the outcome; sent again.",
        )
        released += count
        log.warning(
            "Released %d %s row(s) whose sender stopped holding its lease (claims %s).",
            count,
            lane.name,
            ", ".join(sorted({token[:8] for _, token in stuck if token})) or "from before leases",
        )
    return released


def supersede_missed(now: dt.datetime) -> int:
    """Of several due reminders for one milestone and recipient, only the latest goes out.

    One statement: a due row is superseded when a later due row (by due_at, then id) for
    the same milestone and recipient exists, found through the unique key's index."""
    later = Reminder.objects.filter(
        milestone_id=OuterRef("milestone_id"),
        recipient=OuterRef("recipient"),
        state=State.PENDING,
        due_at__lte=now,
    ).filter(Q(due_at__gt=OuterRef("due_at")) | Q(due_at=OuterRef("due_at"), id__gt=OuterRef("id")))
    return (
        Reminder.objects.filter(state=State.PENDING, due_at__lte=now)
        .filter(Exists(later))
        .update(state=State.SUPERSEDED, last_error=MISSED_WINDOW)
    )


def release_stuck(rows: QuerySet[Row]) -> int:
    """The admin's "Release stuck rows": only rows whose lease has lapsed, so a live
    sender is never pulled from under its work."""
    return rows.filter(pk__in=lapsed(rows.model, timezone.now()).values("pk")).update(
        state=State.PENDING, leased_until=None, retry_at=None, last_error="Released by an admin."
    )


# --- the shared circuit -----------------------------------------------------------------


def circuit_state(now: dt.datetime) -> str:
    """closed (send), open (an outage: hold everything), or probe (time to try one)."""
    circuit = MailCircuit.objects.filter(name=CIRCUIT, opened_at__isnull=False).first()
    if circuit is None:
        return "closed"
    if circuit.probe_at is None or circuit.probe_at <= now:
        return "probe"
    return "open"


def _take_probe(now: dt.datetime) -> bool:
    """One sender at a time probes: the one that moves `probe_at` forward."""
    return bool(
        MailCircuit.objects.filter(name=CIRCUIT, opened_at__isnull=False)
        .filter(Q(probe_at__isnull=True) | Q(probe_at__lte=now))
        .update(probe_at=now + probe_every())
    )


def open_circuit(error: BaseException, now: dt.datetime) -> None:
    message = f"{type(error).__name__}: {error}"[:2000]
    MailCircuit.objects.get_or_create(name=CIRCUIT)
    if MailCircuit.objects.filter(name=CIRCUIT, opened_at__isnull=True).update(
        opened_at=now, probe_at=now + probe_every(), last_error=message
    ):
        log.warning(
            "The mail server refuses everything (%s). Holding all mail and probing every %d s.",
            message,
            probe_every().total_seconds(),
        )
    else:
        MailCircuit.objects.filter(name=CIRCUIT).update(
            probe_at=now + probe_every(), last_error=message
        )
        log.info("The mail server still refuses mail: %s", message)


def close_circuit(now: dt.datetime) -> None:
    circuit = MailCircuit.objects.filter(name=CIRCUIT, opened_at__isnull=False).first()
    if circuit is None:
        return
    if MailCircuit.objects.filter(pk=circuit.pk, opened_at=circuit.opened_at).update(
        opened_at=None, probe_at=None
    ):
        assert circuit.opened_at is not None
        log.info(
            "The mail server accepts mail again after %d s; sending what waited.",
            (now - circuit.opened_at).total_seconds(),
        )


def _refused_by_server(error: BaseException) -> bool:
    """Does this say "the server is not taking mail now" rather than "not this message"?"""
    if isinstance(error, smtplib.SMTPResponseException):
        return 400 <= error.smtp_code < 500
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        codes = [code for code, _ in error.recipients.values()]
        return bool(codes) and all(400 <= code < 500 for code in codes)
    if isinstance(error, smtplib.SMTPServerDisconnected):
        return True
    if isinstance(error, smtplib.SMTPException):
        return False
    return isinstance(error, OSError)


# --- database writes that survive a dropped connection ----------------------------------

_Write = TypeVar("_Write")


def _resilient(write: Callable[[], _Write]) -> _Write:
    """Run one idempotent write; if the connection dropped, reconnect once and retry."""
    try:
        return write()
    except DatabaseError:
        if connection.in_atomic_block:
            raise
        log.warning("The database connection failed during a write; reconnecting once.")
        connection.close()
        return write()


class _Claim:
    """A batch's claim: its token, and until when the rows are surely still ours (a
    margin before the lease written in the database lapses), on the run's clock."""

    MARGIN = 0.1  # of a lease: left for the write itself to reach the database

    def __init__(self, token: str, now: dt.datetime) -> None:
        self.token = token
        self.renewed(now)
        # The "sent" write on its way (see _record_accepted), and the rows the server
        # accepted whose "sent" is not known to have landed: those stay with the claim.
        self.recording: _Recording | None = None
        self.unrecorded: list[int] = []

    def renewed(self, now: dt.datetime) -> None:
        self.renewed_at = now
        self.holds_until = now + lease() * (1 - self.MARGIN)

    def due_for_renewal(self, now: dt.datetime) -> bool:
        """A third of a lease has passed since the claim or its last renewal."""
        return now - self.renewed_at > lease() / 3


RETRY_PAUSES = (0.05, 0.1, 0.2, 0.5, 1.0, 2.0)


def _while_claimed(
    claim: _Claim,
    clock: Callable[[], dt.datetime],
    write: Callable[[], _Write],
    *,
    failed: BaseException | None = None,
) -> _Write:
    """Run an idempotent write (`failed`: its first try already failed so); while the
    database is unreachable, reconnect and retry with growing pauses for as long as the
    claim's lease holds, then give up (raise).

    Used where giving up costs a duplicate: recording that the server accepted a message.
    Until the lease lapses no other sender can take the row, so a write that lands in
    time keeps the message from going out twice. The pauses themselves are counted too,
    so a run whose clock is fixed (tests, `now=`) still gives up after one lease."""
    waited = dt.timedelta()
    for paused in itertools.count():
        if failed is not None:
            pause = dt.timedelta(seconds=RETRY_PAUSES[min(paused, len(RETRY_PAUSES) - 1)])
            waited += pause
            if clock() + pause >= claim.holds_until or waited >= lease() * (1 - claim.MARGIN):
                log.error("The database stayed unreachable for the claim's whole lease.")
                raise failed
            log.warning("The database connection failed during a write; retrying in %s.", pause)
            time.sleep(pause.total_seconds())
        try:
            return write()
        except DatabaseError as error:
            if connection.in_atomic_block:
                raise
            connection.close()
            failed = error
    raise AssertionError("itertools.count() never ends")


# --- one run ----------------------------------------------------------------------------


class _Budget:
    def __init__(self, seconds: float | None) -> None:
        self.ends = None if seconds is None else time.monotonic() + seconds

    @property
    def spent(self) -> bool:
        return self.ends is not None and time.monotonic() >= self.ends


@dataclass(frozen=True)
class _Serialized:
    """A message as the bytes its SMTP transaction carries, made as Django's SMTP backend
    makes them (`EmailBackend._send`), before the transaction may start."""

    sender: str
    recipients: list[str]
    data: bytes


class _Mail:
    """One mail connection for a whole run: opened for the first message, reused by every
    batch after it, and replaced only after the server or the network dropped it."""

    def __init__(self) -> None:
        self.connection: Any = None
        self._smtp: bool | None = None

    def open(self) -> None:
        if self.connection is None:
            connection = get_connection(fail_silently=False)
            connection.open()
            self.connection = connection

    def prepare(self, message: EmailMessage) -> EmailMessage | _Serialized:
        """With Django's SMTP backend, turn the message into its bytes now: work for the
        CPU alone, done while the previous message's "sent" write is on its way to the
        database (the SMTP transaction itself waits for that write). Other backends
        (locmem, file, console) take the message as it is."""
        if self._smtp is None:
            backend = self.connection or get_connection(fail_silently=False)
            self._smtp = isinstance(backend, SmtpBackend)
        if not self._smtp or not message.recipients():
            return message
        encoding = message.encoding or settings.DEFAULT_CHARSET
        mime: Any = message.message()  # Django's SafeMIME classes take a line separator
        return _Serialized(
            sanitize_address(message.from_email, encoding),
            [sanitize_address(address, encoding) for address in message.recipients()],
            mime.as_bytes(linesep="\r\n"),
        )

    def send(self, message: EmailMessage | _Serialized) -> int:
        self.open()
        if isinstance(message, _Serialized):
            self.connection.connection.sendmail(message.sender, message.recipients, message.data)
            return 1
        return int(self.connection.send_messages([message]))

    def drop(self) -> None:
        """Forget a session that failed; the next message opens a new one."""
        connection, self.connection = self.connection, None
        if connection is not None:
            with suppress(*DELIVERY_ERRORS):
                connection.close()

    def close(self) -> None:
        try:
            if self.connection is not None:
                self.connection.close()
        except DELIVERY_ERRORS:
            log.info("Closing the mail connection failed; the messages were already sent.")
        self.connection = None


def senders() -> int:
    """How many runs may send at once: the worker's concurrency (OUTBOX_SENDERS, 2)."""
    return max(1, int(getattr(settings, "OUTBOX_SENDERS", 2)))


def live_senders(now: dt.datetime, lanes: Sequence[Lane] = LANES) -> int:
    """Runs holding a claim right now (one claim each); only rows in flight are read."""
    tokens: set[str] = set()
    for lane in lanes:
        tokens.update(
            lane.model._default_manager.filter(state=State.SENDING, leased_until__gt=now)
            .values_list("claim_token", flat=True)
            .distinct()
        )
    return len(tokens)


def helpers_wanted(now: dt.datetime, batch_size: int, lanes: Sequence[Lane] = LANES) -> int:
    """Further runs worth starting beside this one: one per due batch beyond the one this
    run takes next, up to `senders()` in all with those already sending. The count of due
    rows stops at what that many runs would take, so it costs the same for any backlog."""
    room = senders() - 1 - live_senders(now, lanes)
    if room <= 0:
        return 0
    enough = (room + 1) * batch_size
    due = sum(ready(lane.model, now).values("pk")[:enough].count() for lane in lanes)
    return max(0, min(room, -(-due // batch_size) - 1))


def send_due_reminders(
    *,
    now: dt.datetime | None = None,
    batch_size: int = BATCH_SIZE,
    budget: float | None = RUN_BUDGET,
    lanes: Sequence[Lane] = LANES,
    fan_out: Callable[[int], object] | None = None,
) -> SendResult:
    """Send what is due in the outbox (reminders, confirmations, alerts), for at most
    `budget` seconds, over one mail connection; `result.more` says whether due rows
    remain for a successor. After its first batch, a run that sees more than one batch
    still due calls `fan_out(n)` to start `n` more runs beside it (see helpers_wanted)."""
    fixed_now = now
    clock: Callable[[], dt.datetime] = (lambda: fixed_now) if fixed_now else timezone.now
    result = SendResult()
    limit = _Budget(budget)
    _count(result, "released", release_lapsed(clock()))
    _count(result, "superseded", supersede_missed(clock()))
    state = circuit_state(clock())
    if state == "open" or (state == "probe" and not _take_probe(clock())):
        result.circuit = "held"
    else:
        result.circuit = "probing" if state == "probe" else "closed"
        mail = _Mail()
        try:
            for lane in lanes:
                while not limit.spent and result.circuit != "opened":
                    rows, claim = _claim(lane, clock(), batch_size)
                    if not rows:
                        break
                    result.batches += 1
                    _send_batch(lane, rows, claim, mail, clock, limit, result)
                    if result.batches == 1 and fan_out is not None and result.circuit == "closed":
                        result.helpers = helpers_wanted(clock(), batch_size, lanes)
                        if result.helpers:
                            fan_out(result.helpers)
        finally:
            mail.close()
    result.more = any(ready(lane.model, clock()).exists() for lane in lanes)
    if result.more:
        result.others = live_senders(clock(), lanes)
    return result


def _claim(lane: Lane, now: dt.datetime, size: int) -> tuple[list[Any], _Claim]:
    """Claim up to `size` due rows in one statement under a fresh token, then load them
    and what their messages need in one query (and one per prefetched relation).

    On PostgreSQL the statement is UPDATE … WHERE id IN (SELECT id … ORDER BY due_at, id
    LIMIT n FOR UPDATE SKIP LOCKED): concurrent senders skip each other's rows instead of
    waiting. SQLite has no row locks (writes are serialized), and the same statement
    runs without them."""
    claim = _Claim(uuid.uuid4().hex, now)
    token = claim.token
    manager = lane.model._default_manager
    with transaction.atomic():  # FOR UPDATE needs one, even inside a single statement
        due = (
            ready(lane.model, now)
            .order_by("due_at", "pk")
            .select_for_update(skip_locked=True)
            .values("pk")[:size]
        )
        # No second "still pending" test out here: the subquery's row locks already hold
        # it (PostgreSQL rechecks a locked row's WHERE), and with one PostgreSQL walks
        # every due row instead of the batch's ids.
        claimed = manager.filter(pk__in=due).update(
            state=State.SENDING,
            claim_token=token,
            claimed_at=now,
            leased_until=now + lease(),
            attempts=F("attempts") + 1,
        )
    if not claimed:
        return [], claim
    rows = list(
        manager.filter(claim_token=token, state=State.SENDING)
        .select_related(*lane.related)
        .prefetch_related(*lane.prefetch)
        .order_by("due_at", "id")
    )
    return rows, claim


def _mine(lane: Lane, ids: Sequence[int], token: str) -> QuerySet[Any]:
    return lane.model._default_manager.filter(
        pk__in=list(ids), claim_token=token, state=State.SENDING
    )


def _renew(lane: Lane, claim: _Claim, clock: Callable[[], dt.datetime]) -> None:
    now = clock()
    _while_claimed(
        claim,
        clock,
        lambda: lane.model._default_manager.filter(
            claim_token=claim.token, state=State.SENDING
        ).update(leased_until=now + lease()),
    )
    claim.renewed(now)


def _record_accepted(
    lane: Lane, row: Any, claim: _Claim, clock: Callable[[], dt.datetime], result: SendResult
) -> None:
    """The server accepted `row`'s message: start recording it as sent, with the "sent"
    count, in one transaction fenced by the claim token, before anything else happens.

    On PostgreSQL the write goes out at once and its answer is read later, by
    `_confirm_recorded`, which every next step calls first: nothing else is sent to the
    mail server or written before this write is known to have landed, so at most this
    one accepted message is ever unrecorded. Meanwhile the next reminder is built."""
    now = clock()
    outcome: Callable[[], bool] | None
    try:
        outcome = _write_sent(lane, row.pk, claim.token, now)
    except DatabaseError as error:
        if connection.in_atomic_block:
            raise
        connection.close()
        outcome = None
        claim.recording = _Recording(lane, row, now, None, error)
        return
    claim.recording = _Recording(lane, row, now, outcome, None)


@dataclass
class _Recording:
    """A "sent" write started and not yet confirmed (`outcome` reads its answer), or one
    that failed to start (`error`)."""

    lane: Lane
    row: Any
    now: dt.datetime
    outcome: Callable[[], bool] | None
    error: DatabaseError | None


def _confirm_recorded(claim: _Claim, clock: Callable[[], dt.datetime], result: SendResult) -> None:
    """Wait for the claim's "sent" write in flight, if any. When the database cannot be
    reached the write is retried for as long as the claim's lease holds, so a dropped
    connection sends nothing twice; only a sender killed before it lands (or a database
    gone for the whole lease) leaves that one row to go out again, and such a row stays
    with the claim (`claim.unrecorded`) until its lease lapses. A row whose claim was
    lost meanwhile is counted lost, never sent."""
    recording, claim.recording = claim.recording, None
    if recording is None:
        return
    lane, row, now = recording.lane, recording.row, recording.now

    def landed() -> bool:
        # Lost, or a retried write whose first try committed before its answer was lost.
        return bool(
            lane.model._default_manager.filter(
                pk=row.pk, claim_token=claim.token, state=State.SENT
            ).exists()
        )

    def write() -> bool:
        return _write_sent(lane, row.pk, claim.token, now)() or landed()

    failed = recording.error
    marked = False
    if recording.outcome is not None:
        try:
            marked = recording.outcome()
        except DatabaseError as error:
            if connection.in_atomic_block:
                raise
            connection.close()
            failed = error
    if failed is not None:
        recorded = _while_claimed(claim, clock, write, failed=failed)
    else:
        recorded = marked or _while_claimed(claim, clock, landed)
    claim.unrecorded.remove(row.pk)
    if not recorded:
        result.lost += 1
        add_to_count("lost", 1)
        log.error(
            "Sent %s %s, but its claim %s was lost meanwhile: it may go out twice.",
            lane.name,
            row.pk,
            claim.token[:8],
        )
        return
    result.sent += 1
    if lane.after_sent is not None:
        lane.after_sent(row, now)


def _write_sent(lane: Lane, pk: int, token: str, now: dt.datetime) -> Callable[[], bool]:
    """Start marking the row sent, if this claim still holds it, and adding it to the
    "sent" count, in one transaction; the function returned waits for the outcome: True
    when this write marked it. Nothing else may use the connection until it is called."""
    if connection.vendor == "postgresql":
        return _start_sent_in_one_statement(lane, pk, token, now)
    with transaction.atomic():
        marked = bool(
            _mine(lane, [pk], token).update(
                state=State.SENT, sent_at=now, leased_until=None, last_error=""
            )
        )
        if marked:
            _add_to_count("sent", 1)
    return lambda: marked


_SENT_STATEMENTS: dict[str, str] = {}


def _sent_statement(lane: Lane) -> str:
    """The "sent" write as one PostgreSQL statement, its own transaction.

    The transaction's commit does not wait for its WAL to reach the disk
    (synchronous_commit off, for this transaction only): a flush per message would cost
    several times the SMTP exchange. The commit is still atomic, at once visible to every
    other sender, and survives the sender being killed or cut off; only a crash of the
    database server itself within the WAL writer's delay (about 0.2 s,
    `wal_writer_delay`) could forget it, and then those few messages go out again."""
    table = connection.ops.quote_name(lane.model._meta.db_table)
    if table not in _SENT_STATEMENTS:
        counts = connection.ops.quote_name(DeliveryCount._meta.db_table)
        _SENT_STATEMENTS[table] = f"""
            WITH unflushed AS (SELECT set_config('synchronous_commit', 'off', true)),
            marked AS (
                UPDATE {table} SET state = $1, sent_at = $2, leased_until = NULL,
                    last_error = ''
                WHERE id = $3 AND claim_token = $4 AND state = $5
                RETURNING id
            ),
            counted AS (
                INSERT INTO {counts} (name, value) SELECT 'sent', 1 FROM marked
                ON CONFLICT (name) DO UPDATE SET value = {counts}.value + 1
                RETURNING 1
            )
            SELECT (SELECT count(*) FROM marked), (SELECT count(*) FROM counted),
                (SELECT count(*) FROM unflushed)
            """
    return _SENT_STATEMENTS[table]


def _start_sent_in_one_statement(
    lane: Lane, pk: int, token: str, now: dt.datetime
) -> Callable[[], bool]:
    """PostgreSQL: send the "sent" write without waiting for its answer (libpq's
    asynchronous query, through psycopg's own wait loop), and return the function that
    reads the answer. Its round trip then overlaps building the next message.

    It passes through the connection's execute wrappers and query log like any query
    Django runs, so query counts (tests, benchmarks, debug tools) see it."""
    statement = _sent_statement(lane)
    values = [State.SENT, now.isoformat(), str(pk), token, State.SENDING]
    connection.ensure_connection()
    raw = connection.connection
    pgconn = raw.pgconn

    def send(sql: str, params: Sequence[str], many: bool, context: dict[str, Any]) -> None:
        began = time.monotonic()
        with connection.wrap_database_errors:
            pgconn.send_query_params(sql.encode(), [value.encode() for value in params])
            raw.wait(generators.send(pgconn))
        if connection.queries_logged:
            # The time it took to send; its answer is read later.
            duration = f"{time.monotonic() - began:.3f}"
            connection.queries_log.append({"sql": sql, "time": duration})

    executor: Callable[..., None] = send
    for wrapper in reversed(connection.execute_wrappers):
        executor = functools.partial(wrapper, executor)
    executor(statement, values, False, {"connection": connection, "cursor": None})

    def outcome() -> bool:
        with connection.wrap_database_errors:
            results = raw.wait(generators.fetch_many(pgconn))
            for answer in results:
                if answer.status != pq.ExecStatus.TUPLES_OK:
                    raise pg_errors.error_from_result(answer)
        [answer] = results
        return bool(answer.get_value(0, 0) == b"1")

    return outcome


def _fail(
    lane: Lane,
    row: OutboxRow,
    token: str,
    error: BaseException,
    now: dt.datetime,
    result: SendResult,
) -> None:
    """One message failed: retry it after its backoff, or mark it failed after the last try."""
    attempts = row.attempts  # counted by the claim
    final = attempts >= MAX_ATTEMPTS
    wait = BACKOFF[min(attempts, len(BACKOFF)) - 1]
    error_text = f"{type(error).__name__}: {error}"[:2000]
    changed = _resilient(
        lambda: _mine(lane, [row.pk], token).update(
            state=State.FAILED if final else State.PENDING,
            retry_at=None if final else now + dt.timedelta(seconds=wait),
            leased_until=None,
            last_error=error_text,
        )
    )
    if not changed:
        _count(result, "lost", 1)
        return
    if final:
        _count(result, "failed", 1)
        log.error("%s %s failed after %d attempts: %s", lane.name, row.pk, attempts, error_text)
    else:
        _count(result, "retrying", 1)
        log.info("%s %s not delivered (attempt %d): %s", lane.name, row.pk, attempts, error_text)
    result.errors.append(f"{lane.name} {row.pk}: {error_text}")


def _give_back(lane: Lane, token: str, keep: Sequence[int] = ()) -> int:
    """Return unsent rows of this claim to pending, ready at once and without the attempt
    the claim counted: their turn did not come, or the server was not taking mail. Rows
    in `keep` were accepted by the server and stay with the claim whatever happens."""
    rows = lane.model._default_manager.filter(claim_token=token, state=State.SENDING)
    if keep:
        rows = rows.exclude(pk__in=list(keep))
    return int(
        rows.update(
            state=State.PENDING, leased_until=None, retry_at=None, attempts=F("attempts") - 1
        )
    )


def _settle(lane: Lane, claim: _Claim, unrecorded: Sequence[int], result: SendResult) -> None:
    """The end of every batch, however it ends: give back the rows not sent. A row the
    server accepted whose "sent" could not be recorded (`unrecorded`) stays with the
    claim until its lease lapses: it may go out again, but it is never handed on early."""
    try:
        returned = _resilient(lambda: _give_back(lane, claim.token, unrecorded))
        _count(result, "returned", returned)
    except DatabaseError:
        # The database is gone too: the lease lapses and the next run releases them.
        log.exception("Could not give back claim %s; its lease will free the rows.", claim.token)
        close_old_connections()


def _send_batch(
    lane: Lane,
    rows: list[Any],
    claim: _Claim,
    mail: _Mail,
    clock: Callable[[], dt.datetime],
    limit: _Budget,
    result: SendResult,
) -> None:
    voids: dict[str, list[int]] = {}
    try:
        try:
            _deliver(lane, rows, claim, mail, clock, limit, result, voids)
        finally:
            _confirm_recorded(claim, clock, result)  # the last "sent" write, however it ended
        for reason, ids in voids.items():
            voided = _mine(lane, ids, claim.token).update(
                state=State.VOID, leased_until=None, last_error=reason
            )
            _count(result, "voided", voided)
    finally:
        _settle(lane, claim, claim.unrecorded, result)


def _deliver(
    lane: Lane,
    rows: list[Any],
    claim: _Claim,
    mail: _Mail,
    clock: Callable[[], dt.datetime],
    limit: _Budget,
    result: SendResult,
    voids: dict[str, list[int]],
) -> None:
    """Build and send a batch's messages one at a time, recording each as sent the moment
    the server accepts it. A reminder is built, and turned into the bytes it is sent as,
    while the previous one's "sent" write is on its way to the database; that write is
    confirmed before the next SMTP transaction or any other write begins
    (`_confirm_recorded`). Rows that must not go out are gathered in `voids`."""
    opened = False
    refusals: list[tuple[Any, BaseException]] = []
    shared: dict[Any, Any] = {}
    for row in rows:
        if limit.spent:
            break
        if lane.reads_to_build:
            _confirm_recorded(claim, clock, result)
        built: EmailMessage | _Serialized | Void | Exception
        try:
            built = lane.message(row, clock(), shared)
            if isinstance(built, EmailMessage):
                built = mail.prepare(built)
        except INTERRUPTIONS:
            raise
        except Exception as error:  # one bad row fails alone, its batch-mates go on
            log.exception("Could not build %s %s", lane.name, row.pk)
            built = error
        _confirm_recorded(claim, clock, result)
        if isinstance(built, Exception):
            _fail(lane, row, claim.token, built, clock(), result)
            continue
        if isinstance(built, Void):
            voids.setdefault(built.reason, []).append(row.pk)
            continue
        if not opened:
            try:
                mail.open()
            except DELIVERY_ERRORS as error:
                open_circuit(error, clock())
                result.circuit = "opened"
                return  # every row goes back, unpenalised
            opened = True
        if claim.due_for_renewal(clock()):
            _renew(lane, claim, clock)
        try:
            delivered = mail.send(built)
        except DELIVERY_ERRORS as error:
            if not _refused_by_server(error):
                _fail(lane, row, claim.token, error, clock(), result)
                continue
            refusals.append((row, error))
            if len(refusals) >= OUTAGE_AFTER or result.circuit == "probing":
                open_circuit(error, clock())
                result.circuit = "opened"
                return  # the refused and the untried rows go back, unpenalised
            if not isinstance(error, smtplib.SMTPResponseException):
                mail.drop()  # the session is gone: the next message opens another
            continue
        except INTERRUPTIONS:
            raise
        except Exception as error:  # e.g. a header the message cannot carry
            log.exception("Could not send %s %s", lane.name, row.pk)
            _fail(lane, row, claim.token, error, clock(), result)
            continue
        if not delivered:
            nothing = RuntimeError("the mail backend accepted nothing")
            _fail(lane, row, claim.token, nothing, clock(), result)
            continue
        claim.unrecorded.append(row.pk)  # until its "sent" is known to have landed
        _record_accepted(lane, row, claim, clock, result)
        if refusals or result.circuit == "probing":
            _confirm_recorded(claim, clock, result)
        # Refusals with an acceptance after them were about those messages.
        for refused, refusal in refusals:
            _fail(lane, refused, claim.token, refusal, clock(), result)
        refusals = []
        if result.circuit == "probing":
            close_circuit(clock())
            result.circuit = "closed"
    _confirm_recorded(claim, clock, result)
    for refused, refusal in refusals:
        _fail(lane, refused, claim.token, refusal, clock(), result)


# --- counts for /metrics ----------------------------------------------------------------

TALLIED = ("sent", "failed", "retrying", "returned", "released", "lost", "superseded", "voided")


def _count(result: SendResult, name: str, amount: int) -> None:
    """Add to this run's result and, at once, to the running total /metrics serves: a
    run killed later still counted what it did."""
    setattr(result, name, getattr(result, name) + amount)
    add_to_count(name, amount)


def _add_to_count(name: str, amount: int) -> None:
    """Add `amount` to the running total `name`; raises what the database raises."""
    if DeliveryCount.objects.filter(name=name).update(value=F("value") + amount):
        return
    try:
        with transaction.atomic():
            DeliveryCount.objects.create(name=name, value=amount)
    except IntegrityError:
        DeliveryCount.objects.filter(name=name).update(value=F("value") + amount)


def add_to_count(name: str, amount: int) -> None:
    """Add `amount` to the running total `name` (webhook senders keep theirs here too); a
    count that cannot be written is logged, never a reason to stop sending."""
    if not amount:
        return
    try:
        _add_to_count(name, amount)
    except DatabaseError:
        log.exception("Could not add %s=%d to the delivery counts.", name, amount)
