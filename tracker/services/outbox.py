"""What the planners put in the email outbox, and what a person does to its rows.

The planners (tracker.reminders.digests, .alerts, .escalation) read what is due and call
these; each write is a compare-and-set or an insert under a unique key, so two planners
at once queue an email once. Sending, with its claim, lease and fenced marks, is
tracker.reminders.outbox's.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence

from django.db import transaction
from django.utils import timezone

from tracker.models import OutboxEmail, OutboxRow, StatusChange, Subscription


def outbox_rows_retry(*, model: type[OutboxRow], ids: Iterable[int]) -> int:
    """Queue the failed rows among `ids` again, from a fresh start; returns how many."""
    return int(
        model._default_manager.filter(pk__in=list(ids), state=OutboxRow.State.FAILED).update(
            state=OutboxRow.State.PENDING,
            attempts=0,
            claimed_at=None,
            retry_at=None,
            due_at=timezone.now(),
        )
    )


@transaction.atomic
def digest_queue(
    *,
    subscription_id: int,
    recipient: str,
    since: dt.datetime,
    previous: dt.datetime | None,
    occurrence: dt.datetime,
    has_news: bool,
) -> bool:
    """Close the digest window (`last_digest_at` moves from `previous` to `occurrence`,
    unless another planner moved it first: then False and nothing is written) and, when
    there is news, queue its digest beside it in the same transaction."""
    unchanged = Subscription.objects.filter(pk=subscription_id, last_digest_at=previous)
    if previous is None:
        unchanged = Subscription.objects.filter(pk=subscription_id, last_digest_at__isnull=True)
    if not unchanged.update(last_digest_at=occurrence):
        return False
    if has_news:
        # The unique key (subscription, period_end) holds should the window's row
        # exist already (last_digest_at moved back by hand).
        OutboxEmail.objects.bulk_create(
            [
                OutboxEmail(
                    kind=OutboxEmail.Kind.DIGEST,
                    subscription_id=subscription_id,
                    recipient=recipient,
                    period_start=since,
                    period_end=occurrence,
                    due_at=occurrence,
                )
            ],
            ignore_conflicts=True,
        )
    return True


def status_change_mark_quiet(*, change_id: int, now: dt.datetime) -> bool:
    """A status change nobody hears about (better, stale, or nobody listening) is done."""
    return bool(
        StatusChange.objects.filter(id=change_id, notified_at__isnull=True).update(notified_at=now)
    )


@transaction.atomic
def health_alert_queue(
    *, change_id: int, recipients: Sequence[tuple[int | None, str]], now: dt.datetime
) -> None:
    """Queue one alert email per (subscription id, address) for a status change; the
    unique key (change, recipient) holds when another planner got here first."""
    OutboxEmail.objects.bulk_create(
        [
            OutboxEmail(
                kind=OutboxEmail.Kind.HEALTH_ALERT,
                status_change_id=change_id,
                subscription_id=subscription_id,
                recipient=email,
                due_at=now,
            )
            for subscription_id, email in recipients
        ],
        ignore_conflicts=True,
    )


def unconfirmed_list_queue(
    *, subscription_id: int, recipient: str, week: dt.date, due_at: dt.datetime
) -> bool:
    """Queue the week's list of unconfirmed items for a following editor, once a week:
    False when it was queued already (the unique key (subscription, week) holds when
    another planner got here first)."""
    this_week = OutboxEmail.objects.filter(
        kind=OutboxEmail.Kind.UNCONFIRMED, subscription_id=subscription_id, week=week
    )
    if this_week.exists():
        return False
    OutboxEmail.objects.bulk_create(
        [
            OutboxEmail(
                kind=OutboxEmail.Kind.UNCONFIRMED,
                subscription_id=subscription_id,
                recipient=recipient,
                week=week,
                due_at=due_at,
            )
        ],
        ignore_conflicts=True,
    )
    return True
