"""The reminder outbox: planned once per key, sent once, never early, never lost."""

from __future__ import annotations

import datetime as dt
import email
import io
import smtplib
from typing import Any

import pytest
import time_machine
from django.contrib.auth import get_user_model
from django.core import mail
from django.core.management import call_command

from tests.conftest import committed, make_milestone, make_negotiation, make_track
from tracker import services
from tracker.deadlines import parse_deadline
from tracker.models import Milestone, Reminder, Source, Subscription
from tracker.reminders.outbox import MAX_ATTEMPTS, send_due_reminders
from tracker.reminders.planning import plan_reminders
from tracker.services import milestone_complete, milestone_set_deadline

pytestmark = pytest.mark.django_db
UTC = dt.UTC


def subscribe(
    target: Any, email_address: str = "ana@example.org", zone: str = "UTC", **fields: Any
) -> Subscription:
    key = "track" if target.__class__.__name__ == "Track" else "negotiation"
    fields.setdefault("confirmed_at", dt.datetime(2025, 1, 1, tzinfo=UTC))
    fields.setdefault("created_at", dt.datetime(2025, 1, 1, tzinfo=UTC))
    return Subscription.objects.create(
        email=email_address, timezone=zone, **{key: target}, **fields
    )


def run_jobs() -> Any:
    plan_reminders()
    return send_due_reminders()


def keys_sent() -> list[str]:
    return [m.extra_headers["X-Reminder-Key"] for m in mail.outbox]


@pytest.fixture
def milestone() -> Milestone:
    track = make_track(make_negotiation())
    return make_milestone(
        track, "Interim agreement", "July 8, 2025", consequence="Tariffs take full effect"
    )


def test_it_plans_one_row_per_offset_and_overdue_step(milestone: Milestone) -> None:
    subscribe(milestone.track)
    with time_machine.travel(dt.datetime(2025, 5, 1, tzinfo=UTC), tick=False):
        plan_reminders()
    rows = list(Reminder.objects.order_by("due_at"))
    assert [(r.kind, r.offset) for r in rows] == [
        ("before", 30),
        ("before", 7),
        ("before", 1),
        ("before", 0),
        ("overdue", -1),
        ("overdue", -8),
        ("overdue", -15),
        ("overdue", -22),
    ]
    assert rows[0].due_at == dt.datetime(2025, 6, 8, 8, 0, tzinfo=UTC)


def test_planning_twice_creates_nothing_new(milestone: Milestone) -> None:
    subscribe(milestone.track)
    with time_machine.travel(dt.datetime(2025, 5, 1, tzinfo=UTC), tick=False):
        plan_reminders()
        assert plan_reminders().created == 0
    assert Reminder.objects.count() == 8


def test_a_reminder_goes_out_at_eight_local_and_not_before(milestone: Milestone) -> None:
    subscribe(milestone.track, zone="Asia/Kolkata")
    with time_machine.travel(dt.datetime(2025, 7, 1, 2, 29, tzinfo=UTC), tick=False):
        plan_reminders()
        Reminder.objects.filter(offset=30).update(state=Reminder.State.SENT)
        assert run_jobs().sent == 0
    with time_machine.travel(dt.datetime(2025, 7, 1, 2, 30, tzinfo=UTC), tick=False):
        assert run_jobs().sent == 1
        assert run_jobs().sent == 0
    assert keys_sent() == [f"{milestone.pk}:ana@example.org:before:7:2025-07-08"]


def test_the_email_names_the_milestone_date_and_days_left_and_carries_headers_and_ics(
    milestone: Milestone, settings: Any
) -> None:
    settings.SITE_URL = "https://tranche.example.org"  # one-click needs https (RFC 8058)
    subscribe(milestone.track)
    with time_machine.travel(dt.datetime(2025, 7, 1, 9, tzinfo=UTC), tick=False):
        run_jobs()
    [message] = mail.outbox
    assert message.subject == "Interim agreement: July 8, 2025, 7 days left"
    assert message.extra_headers["Message-ID"].startswith("<reminder-")
    assert message.extra_headers["List-Unsubscribe"].startswith("<https://tranche.example.org/")
    assert message.extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    parsed = email.message_from_bytes(message.message().as_bytes())
    parts = {part.get_content_type(): part for part in parsed.walk()}
    assert {"text/plain", "text/html", "text/calendar"} <= parts.keys()
    ics = bytes(parts["text/calendar"].get_payload(decode=True)).decode()
    assert "DTSTART;VALUE=DATE:20250708" in ics and "Interim agreement" in ics
    # The same event as the calendar feed's, so a client does not show it twice.
    assert f"UID:milestone-{milestone.pk}@tranche" in ics
    text = bytes(parts["text/plain"].get_payload(decode=True)).decode()
    for words in (
        "Status:",
        "Track health:",
        "If missed: Tariffs take full effect",
        "Slippage:",
        f"/milestones/{milestone.pk}/",
    ):
        assert words in text


def test_the_message_id_is_stable_for_a_reminder(milestone: Milestone) -> None:
    from tracker.reminders.emails import message_id

    subscribe(milestone.track)
    with time_machine.travel(dt.datetime(2025, 5, 1, tzinfo=UTC), tick=False):
        plan_reminders()
    row = Reminder.objects.first()
    assert row is not None
    assert message_id(row) == message_id(Reminder.objects.get(pk=row.pk))
    assert message_id(row) != message_id(Reminder.objects.exclude(pk=row.pk).first())  # type: ignore[arg-type]


def test_when_several_were_missed_only_the_latest_goes_out_late_once(milestone: Milestone) -> None:
    subscribe(milestone.track)
    with time_machine.travel(dt.datetime(2025, 5, 1, tzinfo=UTC), tick=False):
        plan_reminders()
    # Nothing ran from then until the day before the deadline, in the afternoon.
    with time_machine.travel(dt.datetime(2025, 7, 7, 15, tzinfo=UTC), tick=False):
        result = send_due_reminders()
        assert send_due_reminders().sent == 0
    assert result.sent == 1
    assert keys_sent() == [f"{milestone.pk}:ana@example.org:before:1:2025-07-08"]
    assert Reminder.objects.filter(state="superseded").count() == 2


def test_a_new_subscriber_hears_at_once_about_a_milestone_due_in_seven_days() -> None:
    track = make_track(make_negotiation())
    with time_machine.travel(dt.datetime(2026, 11, 21, 6, 0, tzinfo=UTC), tick=False):
        make_milestone(
            track, "Tariff schedule published", "November 28, 2026", reference=dt.date(2026, 11, 21)
        )
        subscribe(track, confirmed_at=dt.datetime(2026, 11, 21, 6, 0, tzinfo=UTC))
        assert run_jobs().sent == 1
        assert run_jobs().sent == 0
    assert mail.outbox[0].subject.endswith("7 days left")


def test_a_deadline_change_voids_the_old_rows_and_plans_the_new_ones(milestone: Milestone) -> None:
    subscribe(milestone.track)
    with time_machine.travel(dt.datetime(2025, 5, 1, tzinfo=UTC), tick=False):
        plan_reminders()
        milestone_set_deadline(
            milestone=milestone, deadline=parse_deadline("autumn 2025"), reason="Slipped"
        )
        plan_reminders()
    assert set(
        Reminder.objects.filter(deadline=dt.date(2025, 7, 8)).values_list("state", flat=True)
    ) == {"void"}
    assert Reminder.objects.filter(deadline=dt.date(2025, 11, 30), state="pending").count() == 8
    with time_machine.travel(dt.datetime(2025, 11, 23, 9, tzinfo=UTC), tick=False):
        run_jobs()
    assert (
        mail.outbox[0].subject
        == "Interim agreement: autumn 2025 (by November 30, 2025), 7 days left"
    )


def test_a_deadline_changed_between_planning_and_sending_is_not_reminded(
    milestone: Milestone,
) -> None:
    subscribe(milestone.track)
    with time_machine.travel(dt.datetime(2025, 7, 1, 9, tzinfo=UTC), tick=False):
        plan_reminders()
        milestone.deadline = parse_deadline("December 1, 2025")
        milestone.save()
        assert send_due_reminders().sent == 0
    assert Reminder.objects.filter(state="void").exists()


def test_a_completed_milestone_gets_no_more_reminders(milestone: Milestone) -> None:
    subscribe(milestone.track)
    with time_machine.travel(dt.datetime(2025, 7, 1, 9, tzinfo=UTC), tick=False):
        plan_reminders()
        milestone_complete(milestone=milestone)
        assert run_jobs().sent == 0
    assert not Reminder.objects.filter(state="pending").exists()


def test_weekly_overdue_reminders_stop_after_four_then_a_stale_item_is_reminded_monthly(
    milestone: Milestone,
) -> None:
    subscribe(milestone.track, offsets=[])
    sent = []
    for day in range(0, 60):
        with time_machine.travel(
            dt.datetime(2025, 7, 8, 9, tzinfo=UTC) + dt.timedelta(days=day), tick=False
        ):
            sent.append(run_jobs().sent)
    # The day itself ("due today" is offset 0), four weekly overdue, then, since no source
    # says what became of it (stale), the first monthly one at 30 days.
    assert sum(sent) == 6
    assert [m.subject.rsplit(", ", 1)[1] for m in mail.outbox][1:] == [
        "1 day overdue",
        "8 days overdue",
        "15 days overdue",
        "22 days overdue",
        "30 days overdue",
    ]


def test_the_track_owner_is_reminded_without_subscribing(milestone: Milestone) -> None:
    owner = get_user_model().objects.create_user("owner", "Owner@Example.org")
    milestone.track.owner = owner
    milestone.track.save()
    with time_machine.travel(dt.datetime(2025, 7, 1, 9, tzinfo=UTC), tick=False):
        run_jobs()
    assert [m.to for m in mail.outbox] == [["owner@example.org"]]
    assert "/unsubscribe/owner/" in mail.outbox[0].extra_headers["List-Unsubscribe"]


def test_one_address_subscribed_twice_hears_once(milestone: Milestone) -> None:
    subscribe(milestone.track)
    subscribe(milestone.track.negotiation)
    with time_machine.travel(dt.datetime(2025, 7, 1, 9, tzinfo=UTC), tick=False):
        run_jobs()
    assert len(mail.outbox) == 1


def test_an_unconfirmed_email_subscription_receives_nothing(milestone: Milestone) -> None:
    subscribe(milestone.track, confirmed_at=None)
    with time_machine.travel(dt.datetime(2025, 7, 1, 9, tzinfo=UTC), tick=False):
        run_jobs()
    assert mail.outbox == []
    assert not Reminder.objects.exists()


class FlakyBackend:
    """A mail connection that refuses a given number of messages, then delivers."""

    refusals = 0
    delivered: list[Any] = []

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        pass

    def open(self) -> bool:
        return True

    def close(self) -> None:
        pass

    def send_messages(self, messages: list[Any]) -> int:
        if FlakyBackend.refusals > 0:
            FlakyBackend.refusals -= 1
            raise smtplib.SMTPDataError(451, b"try again later")
        FlakyBackend.delivered.extend(messages)
        return len(messages)


def test_a_refused_reminder_is_retried_with_backoff_and_then_sent_once(
    milestone: Milestone, settings: Any
) -> None:
    settings.EMAIL_BACKEND = "tests.jobs.test_reminders_outbox.FlakyBackend"
    FlakyBackend.refusals, FlakyBackend.delivered = 2, []
    subscribe(milestone.track)
    start = dt.datetime(2025, 7, 1, 9, tzinfo=UTC)
    with time_machine.travel(start, tick=False):
        assert run_jobs().retrying == 1
        assert run_jobs().sent == 0  # backing off
    with time_machine.travel(start + dt.timedelta(seconds=61), tick=False):
        assert run_jobs().retrying == 1
    with time_machine.travel(start + dt.timedelta(seconds=400), tick=False):
        assert run_jobs().sent == 1
        assert run_jobs().sent == 0
    row = Reminder.objects.get(state="sent")
    assert row.attempts == 3 and row.last_error == ""
    assert len(FlakyBackend.delivered) == 1


def test_a_reminder_is_marked_failed_after_the_last_attempt(
    milestone: Milestone, settings: Any
) -> None:
    settings.EMAIL_BACKEND = "tests.jobs.test_reminders_outbox.FlakyBackend"
    FlakyBackend.refusals, FlakyBackend.delivered = 100, []
    subscribe(milestone.track)
    moment = dt.datetime(2025, 7, 1, 9, tzinfo=UTC)
    for _ in range(MAX_ATTEMPTS + 2):
        with time_machine.travel(moment, tick=False):
            run_jobs()
        moment += dt.timedelta(hours=7)
    row = Reminder.objects.get(offset=7)
    assert row.state == "failed" and row.attempts == MAX_ATTEMPTS
    assert "try again later" in row.last_error


def test_a_row_abandoned_by_a_dead_worker_is_sent_later(milestone: Milestone) -> None:
    subscribe(milestone.track)
    with time_machine.travel(dt.datetime(2025, 7, 1, 9, tzinfo=UTC), tick=False):
        plan_reminders()
        Reminder.objects.filter(offset=7).update(
            state="sending", claimed_at=dt.datetime(2025, 7, 1, 9, tzinfo=UTC), attempts=1
        )
        assert send_due_reminders().sent == 0
    with time_machine.travel(dt.datetime(2025, 7, 1, 9, 20, tzinfo=UTC), tick=False):
        assert send_due_reminders().sent == 1


def test_send_reminders_run_again_sends_nothing(milestone: Milestone) -> None:
    subscribe(milestone.track)
    with time_machine.travel(dt.datetime(2025, 7, 1, 9, tzinfo=UTC), tick=False):
        call_command("send_reminders", stdout=io.StringIO())
        output = io.StringIO()
        call_command("send_reminders", stdout=output)
    assert "Sent 0;" in output.getvalue()
    assert len(mail.outbox) == 1


def test_saving_a_milestone_plans_its_reminders_once_the_transaction_commits(
    django_capture_on_commit_callbacks: Any,
) -> None:
    owner = get_user_model().objects.create_user("planner", "planner@example.org")
    track = make_track(make_negotiation("queued"), owner=owner)
    milestone = Milestone(track=track, slug="queued", title="Queued")
    milestone.deadline = parse_deadline("July 8, 2030")
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        services.milestone_save(milestone=milestone)
    assert not Reminder.objects.exists()  # nothing is planned before the commit
    assert len(callbacks) == 1  # one follow-up for the whole transaction
    callbacks[0]()
    assert sorted(Reminder.objects.values_list("offset", flat=True)) == [
        -22,
        -15,
        -8,
        -1,
        0,
        1,
        7,
        30,
    ]


def test_the_owner_stops_reminders_with_the_button_behind_their_link(milestone: Milestone) -> None:
    from django.test import Client

    owner = get_user_model().objects.create_user("owner", "owner@example.org")
    milestone.track.owner = owner
    milestone.track.save()
    with time_machine.travel(dt.datetime(2025, 7, 1, 9, tzinfo=UTC), tick=False):
        run_jobs()
    link = mail.outbox[0].extra_headers["List-Unsubscribe"].strip("<>")
    path = link.replace("http://127.0.0.1:8000", "")
    client = Client()
    assert b"Unsubscribe?" in client.get(path).content
    assert b"Unsubscribed" in client.post(path).content
    with time_machine.travel(dt.datetime(2025, 7, 8, 9, tzinfo=UTC), tick=False):
        assert run_jobs().sent == 0


def test_a_reminder_says_how_recently_a_source_confirmed_the_milestone(
    milestone: Milestone,
) -> None:
    source = Source.objects.create(
        slug="june-report", title="June report", published_on=dt.date(2025, 6, 20), excerpt="…"
    )
    with committed():
        services.milestone_save(milestone=milestone, sources=[source])
    subscribe(milestone.track)
    with time_machine.travel(dt.datetime(2025, 7, 1, 9, tzinfo=UTC), tick=False):
        run_jobs()
    [message] = mail.outbox
    assert "Sources: Last confirmed by a source on 20 June 2025 (11 days ago)" in message.body
    parsed = email.message_from_bytes(message.message().as_bytes())
    [html] = [p for p in parsed.walk() if p.get_content_type() == "text/html"]
    html_text = bytes(html.get_payload(decode=True)).decode()
    assert "Last confirmed by a source on 20 June 2025 (11 days ago)" in html_text
