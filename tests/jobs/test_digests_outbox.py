"""Digests through the email outbox, and one Message-ID for every copy of a message.

A digest is planned as an outbox row in the transaction that closes its window, and sent
by the outbox's sender with its claim, lease and circuit: the mail server refusing, or a
sender dying after the claim, delays a digest and never loses or doubles it. Mail goes
to an aiosmtpd sink on loopback where delivery matters, and to Django's locmem outbox
where only the content does.
"""

from __future__ import annotations

import datetime as dt
import email
import email.policy
from collections.abc import Iterator
from email.message import EmailMessage as ParsedMessage
from typing import Any

import pytest
import time_machine
from django.contrib.auth import get_user_model
from django.core import mail
from django.core.management import call_command
from django.db import OperationalError, connection

from tests.conftest import make_milestone, make_negotiation, make_track
from tests.processes import Sink, SmtpSink
from tracker.models import OutboxEmail, Reminder, StatusChange, Subscription
from tracker.reminders import outbox
from tracker.reminders.digests import plan_digests, send_digests
from tracker.reminders.planning import plan_reminders
from tracker.services.subscriptions import subscription_create

pytestmark = pytest.mark.django_db
UTC = dt.UTC
# Subscribed on Sunday 1 March 2026; the daily digest falls due at 08:00 UTC.
SUNDAY = dt.datetime(2026, 3, 1, 9, tzinfo=UTC)
MONDAY_8 = dt.datetime(2026, 3, 2, 8, tzinfo=UTC)
DAILY_AT_8 = "FREQ=DAILY;BYHOUR=8;BYMINUTE=0;BYSECOND=0"


@pytest.fixture(autouse=True)
def fixed_timings(settings: Any) -> None:
    settings.OUTBOX_LEASE_SECONDS = 90
    settings.SMTP_PROBE_SECONDS = 30


@pytest.fixture
def subscriber() -> Subscription:
    """A confirmed daily subscriber to a track with a deadline in the next 30 days: every
    digest has something to say."""
    with time_machine.travel(SUNDAY, tick=False):
        track = make_track(make_negotiation())
        make_milestone(track, "First round", "March 20, 2026", reference=SUNDAY.date())
        StatusChange.objects.update(notified_at=SUNDAY)  # no alerts in these tests' mail
        return Subscription.objects.create(
            track=track,
            email="d@example.org",
            digest_rule=DAILY_AT_8,
            reminders_on=False,
            confirmed_at=SUNDAY,
            created_at=SUNDAY,
        )


def parsed(message: Any) -> ParsedMessage:
    """The message as a mail client reads it."""
    raw = message.message().as_bytes()
    found = email.message_from_bytes(raw, policy=email.policy.default)
    assert isinstance(found, ParsedMessage)
    return found


@pytest.fixture
def sink(settings: Any) -> Iterator[Sink]:
    handler = Sink()
    with SmtpSink(handler) as smtp:
        settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
        settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", smtp.port
        settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
        settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
        settings.EMAIL_TIMEOUT = 5
        yield handler


# --- planning ----------------------------------------------------------------------------


def test_a_due_digest_is_planned_once_as_an_outbox_row_that_closes_its_window(
    subscriber: Subscription,
) -> None:
    with time_machine.travel(MONDAY_8, tick=False):
        first = plan_digests()
        again = plan_digests()
    assert (first.queued, again.queued) == (1, 0)
    [row] = OutboxEmail.objects.filter(kind="digest")
    assert (row.subscription_id, row.recipient) == (subscriber.pk, "d@example.org")
    assert row.state == "pending"
    assert (row.period_start, row.period_end, row.due_at) == (SUNDAY, MONDAY_8, MONDAY_8)
    subscriber.refresh_from_db()
    assert subscriber.last_digest_at == MONDAY_8
    assert mail.outbox == []  # planning sends nothing: the outbox's sender does


def test_a_window_planned_twice_by_racing_planners_is_one_row_in_the_database(
    subscriber: Subscription,
) -> None:
    # A planner that read the subscription before another closed the window.
    with time_machine.travel(MONDAY_8, tick=False):
        plan_digests()
    Subscription.objects.filter(pk=subscriber.pk).update(last_digest_at=None)
    with time_machine.travel(MONDAY_8, tick=False):
        assert plan_digests().queued == 1  # it thinks it planned one…
    assert OutboxEmail.objects.filter(kind="digest").count() == 1  # …the unique key says no


def test_a_planner_whose_database_fails_before_the_row_is_written_leaves_the_window_open(
    subscriber: Subscription,
) -> None:
    def insert_fails(execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        if sql.startswith("INSERT") and '"tracker_outboxemail"' in sql:
            raise OperationalError("server closed the connection unexpectedly")
        return execute(sql, params, many, context)

    with time_machine.travel(MONDAY_8, tick=False):
        with connection.execute_wrapper(insert_fails), pytest.raises(OperationalError):
            plan_digests()
        subscriber.refresh_from_db()
        assert subscriber.last_digest_at is None  # rolled back with the row: not lost
        assert plan_digests().queued == 1  # the next run plans it
    assert OutboxEmail.objects.filter(kind="digest").count() == 1


def test_a_window_with_nothing_to_say_is_closed_without_a_row(subscriber: Subscription) -> None:
    subscriber.track.milestones.all().delete()  # type: ignore[union-attr]
    StatusChange.objects.all().delete()  # and no health changed in the window
    with time_machine.travel(MONDAY_8, tick=False):
        result = send_digests()
    assert (result.queued, result.nothing_to_say, result.sent) == (0, 1, 0)
    assert not OutboxEmail.objects.filter(kind="digest").exists()
    subscriber.refresh_from_db()
    assert subscriber.last_digest_at == MONDAY_8


# --- sending -----------------------------------------------------------------------------


def test_a_digest_the_mail_server_refuses_waits_in_the_outbox_and_goes_out_once(
    subscriber: Subscription, sink: Sink
) -> None:
    sink.refusing = True
    with time_machine.travel(MONDAY_8, tick=False):
        refused = send_digests()
    assert (refused.queued, refused.sent, refused.waiting) == (1, 0, False)
    [row] = OutboxEmail.objects.filter(kind="digest")
    # One refusal is about that message: it waits out its backoff, like a reminder.
    assert (row.state, row.retry_at) == ("pending", MONDAY_8 + dt.timedelta(seconds=60))
    assert "451" in row.last_error
    subscriber.refresh_from_db()
    assert subscriber.last_digest_at == MONDAY_8  # planned: never planned again

    sink.refusing = False
    with time_machine.travel(MONDAY_8 + dt.timedelta(seconds=61), tick=False):
        later = send_digests()
        again = send_digests()
    assert (later.queued, later.sent) == (0, 1)
    assert (again.queued, again.sent) == (0, 0)
    assert sink.keys == [f"<outbox-digest-{row.pk}@127.0.0.1>"]


def test_a_digest_whose_sender_died_after_the_claim_goes_out_after_the_lease(
    subscriber: Subscription,
) -> None:
    with time_machine.travel(MONDAY_8, tick=False):
        plan_digests()
        rows, _token = outbox._claim(outbox.EMAILS, MONDAY_8, 10)  # and then killed
    assert [row.kind for row in rows] == ["digest"]
    with time_machine.travel(MONDAY_8 + dt.timedelta(seconds=60), tick=False):
        assert send_digests().sent == 0  # the lease still holds
    with time_machine.travel(MONDAY_8 + dt.timedelta(seconds=91), tick=False):
        assert send_digests().sent == 1
    [message] = mail.outbox
    assert message.subject == "Tranche digest: Interim, March 1 to March 2, 2026"
    assert "- March 20, 2026: First round (upcoming)" in message.body
    assert OutboxEmail.objects.get(kind="digest").state == "sent"


def test_a_digest_for_a_subscriber_who_left_before_it_went_out_is_void(
    subscriber: Subscription,
) -> None:
    with time_machine.travel(MONDAY_8, tick=False):
        plan_digests()
        Subscription.objects.filter(pk=subscriber.pk).update(unsubscribed_at=MONDAY_8)
        assert send_digests().sent == 0
    row = OutboxEmail.objects.get(kind="digest")
    assert (row.state, row.last_error) == ("void", "Unsubscribed")
    assert mail.outbox == []


def test_the_send_digests_command_says_what_it_queued_and_sent(
    subscriber: Subscription, capsys: pytest.CaptureFixture[str]
) -> None:
    with time_machine.travel(MONDAY_8, tick=False):
        call_command("send_digests")
    assert capsys.readouterr().out == ("Queued 1 digests; 0 had nothing to say. Sent 1 emails.\n")
    assert [m.to for m in mail.outbox] == [["d@example.org"]]


# --- one Message-ID per message ---------------------------------------------------------


def built_twice(row: OutboxEmail | Reminder, now: dt.datetime) -> tuple[str, str]:
    """The Message-ID of the row's message built, then built again from a fresh read of
    the row (as a second sender would after a lease lapsed)."""
    lane = outbox.EMAILS if isinstance(row, OutboxEmail) else outbox.REMINDERS
    again = type(row)._default_manager.get(pk=row.pk)
    first, second = lane.message(row, now, {}), lane.message(again, now, {})
    assert not isinstance(first, outbox.Void) and not isinstance(second, outbox.Void)
    return str(parsed(first)["Message-ID"]), str(parsed(second)["Message-ID"])


def test_every_kind_of_outbox_email_builds_with_one_message_id_from_its_row(
    subscriber: Subscription, settings: Any
) -> None:
    settings.SITE_URL = "https://tranche.example.org"
    user = get_user_model().objects.create_user("ana", "ana@example.org", "a long password 1")
    newcomer = get_user_model().objects.create_user("ben", "ben@example.org", is_active=False)
    with time_machine.travel(SUNDAY, tick=False):
        waiting = subscription_create(track=subscriber.track, email="new@example.org")
        change = StatusChange.objects.create(
            subject="track",
            negotiation=subscriber.track.negotiation,  # type: ignore[union-attr]
            track=subscriber.track,
            previous="on_track",
            new="off_track",
            reason="First round is overdue",
            as_of=SUNDAY.date(),
        )
        rows = [
            OutboxEmail.objects.get(subscription=waiting, kind="confirmation"),
            OutboxEmail.objects.create(
                kind="health_alert",
                status_change=change,
                subscription=subscriber,
                recipient="d@example.org",
                due_at=SUNDAY,
            ),
            OutboxEmail.objects.create(
                kind="reset", user=user, recipient="ana@example.org", due_at=SUNDAY
            ),
            OutboxEmail.objects.create(
                kind="sign_up", user=newcomer, recipient="ben@example.org", due_at=SUNDAY
            ),
        ]
    with time_machine.travel(MONDAY_8, tick=False):
        plan_digests()
        rows.append(OutboxEmail.objects.get(kind="digest"))
        ids = [built_twice(row, MONDAY_8) for row in rows]
    for row, (first, second) in zip(rows, ids, strict=True):
        assert first == second == f"<outbox-{row.kind}-{row.pk}@tranche.example.org>"
    assert len({first for first, _ in ids}) == len(rows)


def test_a_reminder_builds_with_one_message_id_however_often_it_is_built(
    subscriber: Subscription,
) -> None:
    Subscription.objects.filter(pk=subscriber.pk).update(reminders_on=True)
    with time_machine.travel(MONDAY_8, tick=False):
        plan_reminders()
    reminder = Reminder.objects.filter(recipient="d@example.org").order_by("due_at").first()
    assert reminder is not None
    first, second = built_twice(reminder, MONDAY_8)
    assert first == second and first.startswith("<reminder-") and first.endswith("@127.0.0.1>")


def test_a_digest_sent_again_after_a_lost_mark_is_the_same_message_to_the_mail_client(
    subscriber: Subscription, sink: Sink
) -> None:
    with time_machine.travel(MONDAY_8, tick=False):
        send_digests()
    # The server accepted it, but the sender's "sent" never reached the database.
    OutboxEmail.objects.filter(kind="digest").update(
        state="sending", leased_until=MONDAY_8, sent_at=None
    )
    with time_machine.travel(MONDAY_8 + dt.timedelta(minutes=2), tick=False):
        assert send_digests().sent == 1
    assert len(sink.keys) == 2 and sink.duplicates() == 1  # one key: one message, twice
