"""Send what the outbox says is due: claim, send over one connection, record.

Each row is claimed by a compare-and-set update (pending → sending), so any number
of workers, duplicated task messages or beats can run this at once and a row is
sent by exactly one of them. Rows are never deleted; their state says what happened.
"""

from __future__ import annotations

import datetime as dt
import logging
import smtplib
from dataclasses import dataclass, field

from django.core.mail import get_connection
from django.db.models import F
from django.utils import timezone

from tracker.models import Reminder
from tracker.reminders.emails import reminder_email
from tracker.reminders.planning import (
    MISSED_WINDOW,
    OPEN_STATES,
    VOID_DEADLINE_CHANGED,
    VOID_NOT_WANTED,
)

log = logging.getLogger(__name__)

BATCH_SIZE = 50
# Seconds to wait before attempt n+1 after n failed attempts; then the row is failed.
BACKOFF = (60, 300, 1800, 7200, 21600)
MAX_ATTEMPTS = len(BACKOFF) + 1
# Longer than the task time limit: a row still "sending" after this was abandoned
# by a worker that died, and goes back to pending.
ABANDONED_AFTER = dt.timedelta(minutes=15)

# What a mail server or the network throws; anything else is a bug and propagates.
DELIVERY_ERRORS: tuple[type[BaseException], ...] = (smtplib.SMTPException, OSError)


class DeliveryUnavailable(Exception):
    """The mail server could not be reached at all; the rows were put back."""


@dataclass
class SendResult:
    sent: int = 0
    failed: int = 0
    retrying: int = 0
    superseded: int = 0
    voided: int = 0
    errors: list[str] = field(default_factory=list)


def _ready(row: Reminder, now: dt.datetime) -> bool:
    if row.attempts == 0 or row.claimed_at is None:
        return True
    wait = BACKOFF[min(row.attempts, len(BACKOFF)) - 1]
    return row.claimed_at + dt.timedelta(seconds=wait) <= now


def supersede_missed(now: dt.datetime) -> int:
    """Of several due rows for one milestone and recipient, only the latest goes out."""
    due = Reminder.objects.filter(state=Reminder.State.PENDING, due_at__lte=now).values_list(
        "id", "milestone_id", "recipient", "due_at"
    )
    latest: dict[tuple[int, str], tuple[dt.datetime, int]] = {}
    for row_id, milestone_id, recipient, due_at in due:
        key = (milestone_id, recipient)
        latest[key] = max(latest.get(key, (due_at, row_id)), (due_at, row_id))
    keep = {row_id for _, row_id in latest.values()}
    older = [row_id for row_id, *_ in due if row_id not in keep]
    if not older:
        return 0
    return Reminder.objects.filter(id__in=older, state=Reminder.State.PENDING).update(
        state=Reminder.State.SUPERSEDED, last_error=MISSED_WINDOW
    )


def _still_wanted(row: Reminder) -> str | None:
    """Why a claimed row must not go out after all, or None."""
    milestone = row.milestone
    if milestone.deadline_latest != row.deadline:
        return VOID_DEADLINE_CHANGED
    if milestone.state not in OPEN_STATES:
        return VOID_NOT_WANTED
    if row.subscription_id is not None:
        if row.subscription is None or not row.subscription.is_active:
            return "Unsubscribed"
    elif milestone.track.owner is None or milestone.track.owner.email.lower() != row.recipient:
        return VOID_NOT_WANTED
    return None


def release_abandoned(now: dt.datetime) -> int:
    return Reminder.objects.filter(
        state=Reminder.State.SENDING, claimed_at__lt=now - ABANDONED_AFTER
    ).update(state=Reminder.State.PENDING, last_error="The sending worker stopped; retrying.")


def send_due_reminders(
    *, now: dt.datetime | None = None, batch_size: int = BATCH_SIZE
) -> SendResult:
    """Send every due reminder, `batch_size` per connection, until none is left."""
    now = now or timezone.now()
    result = SendResult()
    release_abandoned(now)
    result.superseded = supersede_missed(now)
    seen: set[int] = set()
    while True:
        candidates = [
            row
            for row in Reminder.objects.filter(state=Reminder.State.PENDING, due_at__lte=now)
            .exclude(id__in=seen)
            .order_by("due_at", "id")[: batch_size * 4]
        ]
        if not candidates:
            break
        seen.update(row.id for row in candidates)
        ready = [row for row in candidates if _ready(row, now)]
        if ready:
            _send_batch(ready[:batch_size], now, result)
            seen.difference_update(row.id for row in ready[batch_size:])
    return result


def _claim(row: Reminder, now: dt.datetime) -> bool:
    return bool(
        Reminder.objects.filter(
            id=row.id, state=Reminder.State.PENDING, attempts=row.attempts
        ).update(state=Reminder.State.SENDING, claimed_at=now, attempts=F("attempts") + 1)
    )


def _record_failure(row: Reminder, error: BaseException, result: SendResult) -> None:
    attempts = row.attempts  # already counted by the claim
    final = attempts >= MAX_ATTEMPTS
    Reminder.objects.filter(id=row.id, state=Reminder.State.SENDING).update(
        state=Reminder.State.FAILED if final else Reminder.State.PENDING,
        last_error=f"{type(error).__name__}: {error}"[:2000],
    )
    if final:
        result.failed += 1
    else:
        result.retrying += 1
    result.errors.append(f"{row.key}: {error}")
    log.warning("Reminder %s not delivered (attempt %d): %s", row.key, attempts, error)


def _send_batch(rows: list[Reminder], now: dt.datetime, result: SendResult) -> None:
    claimed = [row for row in rows if _claim(row, now)]
    if not claimed:
        return
    claimed_rows = list(
        Reminder.objects.filter(id__in=[r.id for r in claimed])
        .select_related(
            "milestone",
            "milestone__track",
            "milestone__track__owner",
            "milestone__track__negotiation",
            "subscription",
            "subscription__user",
        )
        .prefetch_related("milestone__revisions")
        .order_by("due_at", "id")
    )
    messages = []
    for row in claimed_rows:
        reason = _still_wanted(row)
        if reason is not None:
            result.voided += Reminder.objects.filter(
                id=row.id, state=Reminder.State.SENDING
            ).update(state=Reminder.State.VOID, last_error=reason)
            continue
        messages.append((row, reminder_email(row, now)))
    if not messages:
        return
    connection = get_connection(fail_silently=False)
    try:
        connection.open()
    except DELIVERY_ERRORS as error:
        for row, _ in messages:
            _record_failure(row, error, result)
        raise DeliveryUnavailable(str(error)) from error
    try:
        for row, message in messages:
            message.connection = connection
            try:
                delivered = message.send()
            except DELIVERY_ERRORS as error:
                _record_failure(row, error, result)
                continue
            if not delivered:
                _record_failure(row, RuntimeError("the mail backend accepted nothing"), result)
                continue
            Reminder.objects.filter(id=row.id, state=Reminder.State.SENDING).update(
                state=Reminder.State.SENT, sent_at=timezone.now(), last_error=""
            )
            result.sent += 1
    finally:
        try:
            connection.close()
        except DELIVERY_ERRORS:
            log.info("Closing the mail connection failed; the messages were already sent.")
