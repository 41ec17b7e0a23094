"""Escalation on silence: editors following a negotiation hear every week about its stale
open items until a source confirms or moves them, and overdue reminders of a stale item go
on monthly. Mail goes through a real SMTP server (aiosmtpd) on a local port."""

from __future__ import annotations

import datetime as dt
import email
import email.message
import email.policy
import threading
from collections.abc import Iterator
from typing import Any

import pytest
import time_machine
from django.contrib.auth.models import Group, User
from django.test import Client

from tests.conftest import committed, make_milestone, make_negotiation, make_track
from tests.processes import SmtpSink
from tracker import services
from tracker.models import Milestone, OutboxEmail, Reminder, Source, Subscription
from tracker.refresh import refresh_statuses
from tracker.reminders.escalation import send_unconfirmed_lists, week_of
from tracker.reminders.outbox import send_due_reminders
from tracker.reminders.planning import plan_reminders
from tracker.reminders.schedule import OVERDUE, reminder_slots

pytestmark = pytest.mark.django_db
UTC = dt.UTC
# Mondays 08:00 UTC: the subscriptions below read UTC.
WEEK_1 = dt.datetime(2026, 3, 2, 8, tzinfo=UTC)
WEEK_2 = WEEK_1 + dt.timedelta(days=7)


class Inbox:
    """An aiosmtpd handler that keeps every message it accepts, parsed."""

    def __init__(self) -> None:
        self.messages: list[email.message.EmailMessage] = []
        self._lock = threading.Lock()

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        with self._lock:
            self.messages.append(message)
        return "250 OK"

    def to(self, address: str) -> list[email.message.EmailMessage]:
        with self._lock:
            return [m for m in self.messages if m["To"] == address]


def text_of(message: email.message.EmailMessage) -> str:
    part = message.get_body(preferencelist=("plain",))
    assert part is not None
    return str(part.get_content())


@pytest.fixture
def inbox(settings: Any) -> Iterator[Inbox]:
    handler = Inbox()
    with SmtpSink(handler) as sink:  # type: ignore[arg-type]
        settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
        settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", sink.port
        settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
        settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
        yield handler


@pytest.fixture
def world() -> dict[str, Any]:
    """India–US: a deal due 8 July 2025 that no dated source confirms (stale and overdue),
    one that a fresh article confirmed, an editor and a reader following the negotiation."""
    with time_machine.travel(dt.datetime(2026, 2, 20, tzinfo=UTC), tick=False):
        negotiation = make_negotiation()
        track = make_track(negotiation)
        silent = make_milestone(track, "Interim agreement", "July 8, 2025")
        confirmed = make_milestone(track, "Market access offer", "December 1, 2026")
        article = Source.objects.create(
            slug="fresh",
            title="Talks resume",
            publisher="Reuters",
            published_on=dt.date(2026, 2, 19),
        )
        with committed():
            services.milestone_save(milestone=confirmed, sources=[article])
        editor = User.objects.create_user("editor", "editor@example.org", "pw-editor-1")
        editor.groups.add(Group.objects.get(name="editors"))
        reader = User.objects.create_user("reader", "reader@example.org", "pw-reader-1")
        follows = {}
        for user in (editor, reader):
            follows[user.username] = Subscription.objects.create(
                user=user,
                negotiation=negotiation,
                confirmed_at=dt.datetime(2026, 2, 20, tzinfo=UTC),
                created_at=dt.datetime(2026, 2, 20, tzinfo=UTC),
                digest_rule="",
            )
        refresh_statuses(everything=True)
    return {
        "negotiation": negotiation,
        "silent": silent,
        "confirmed": confirmed,
        "editor": follows["editor"],
        "reader": follows["reader"],
    }


def test_a_following_editor_gets_the_stale_open_items_once_a_week_until_they_are_confirmed(
    world: dict[str, Any], inbox: Inbox
) -> None:
    assert Milestone.objects.get(pk=world["silent"].pk).stale
    assert not Milestone.objects.get(pk=world["confirmed"].pk).stale
    with time_machine.travel(WEEK_1, tick=False):
        assert send_unconfirmed_lists().emails == 1
    [first] = inbox.to("editor@example.org")
    assert first["Subject"] == "Still unconfirmed: 1 item in India Us Bta, week of March 2, 2026"
    body = text_of(first)
    assert "- Interim agreement (Interim): July 8, 2025" in body
    assert "No dated source confirms it — may be out of date" in body
    assert "Market access offer" not in body  # a source confirmed it this month
    assert f"/milestones/{world['silent'].pk}/" in body
    assert inbox.to("reader@example.org") == []  # readers cannot confirm anything

    # The same week again, from the job or another beat: nothing new.
    with time_machine.travel(WEEK_1 + dt.timedelta(days=3), tick=False):
        result = send_unconfirmed_lists()
    assert (result.queued, result.emails) == (0, 0)
    assert len(inbox.to("editor@example.org")) == 1

    with time_machine.travel(WEEK_2, tick=False):
        assert send_unconfirmed_lists().emails == 1
    second = inbox.to("editor@example.org")[1]
    assert second["Subject"].endswith("week of March 9, 2026")
    assert second["Message-ID"] != first["Message-ID"]

    # An article confirms the silent deal was moved: it is no longer stale, the lists stop.
    with time_machine.travel(WEEK_2 + dt.timedelta(days=2), tick=False):
        article = Source.objects.create(
            slug="moved", title="Deal pushed", publisher="Mint", published_on=dt.date(2026, 3, 10)
        )
        silent = Milestone.objects.get(pk=world["silent"].pk)
        with committed():
            services.milestone_save(milestone=silent, sources=[article])
        refresh_statuses(everything=True)
    assert not Milestone.objects.get(pk=world["silent"].pk).stale
    with time_machine.travel(WEEK_2 + dt.timedelta(days=7), tick=False):
        assert send_unconfirmed_lists().emails == 0
    assert len(inbox.to("editor@example.org")) == 2


def test_a_list_queued_before_the_item_was_confirmed_is_not_sent(world: dict[str, Any]) -> None:
    zone = world["editor"].timezone
    with time_machine.travel(WEEK_1 - dt.timedelta(hours=6), tick=False):
        # Queued in the night, due at 08:00: an editor confirms the item before then.
        from tracker.reminders.escalation import plan_unconfirmed_lists

        assert plan_unconfirmed_lists() == 1
        row = OutboxEmail.objects.get(kind="unconfirmed")
        assert row.week == week_of(WEEK_1, zone) == dt.date(2026, 3, 2)
        article = Source.objects.create(
            slug="met", title="Deal signed", publisher="PIB", published_on=dt.date(2026, 3, 1)
        )
        with committed():
            services.milestone_save(
                milestone=Milestone.objects.get(pk=world["silent"].pk), sources=[article]
            )
        refresh_statuses(everything=True)
    with time_machine.travel(WEEK_1, tick=False):
        assert send_due_reminders().sent == 0
    row.refresh_from_db()
    assert (row.state, row.last_error) == ("void", "Confirmed or moved before the list went out.")


def test_the_unsubscribe_link_of_the_list_stops_the_lists(
    world: dict[str, Any], inbox: Inbox
) -> None:
    with time_machine.travel(WEEK_1, tick=False):
        send_unconfirmed_lists()
    [message] = inbox.to("editor@example.org")
    url = "".join(str(message["List-Unsubscribe"]).split()).strip("<>")
    client = Client(enforce_csrf_checks=True)
    one_click = {"List-Unsubscribe": "One-Click"}
    assert client.post(url.replace("http://127.0.0.1:8000", ""), one_click).status_code == 200
    with time_machine.travel(WEEK_2, tick=False):
        assert send_unconfirmed_lists().emails == 0
    assert len(inbox.to("editor@example.org")) == 1


def test_overdue_reminders_go_on_monthly_while_the_item_is_open_and_stale() -> None:
    latest = dt.date(2026, 1, 1)
    fresh = [s.offset for s in reminder_slots(latest, [7], "UTC") if s.kind == OVERDUE]
    assert fresh == [-1, -8, -15, -22]
    stale = reminder_slots(latest, [7], "UTC", stale_until=dt.date(2026, 3, 5))
    assert [s.offset for s in stale if s.kind == OVERDUE] == [-1, -8, -15, -22, -30, -60, -90]
    # The last weekly one now holds only until the first monthly one.
    by_offset = {s.offset: s for s in stale}
    assert by_offset[-22].expires_at == by_offset[-30].due_at


def test_a_stale_overdue_item_is_reminded_at_30_and_60_days_and_a_confirmed_one_is_not(
    world: dict[str, Any], inbox: Inbox
) -> None:
    # The silent deal is due by 8 July 2025: +30 is 7 August, +60 is 6 September.
    subscription: Subscription = world["editor"]
    Subscription.objects.filter(pk=world["reader"].pk).update(
        unsubscribed_at=dt.datetime(2026, 2, 20, tzinfo=UTC)
    )
    with time_machine.travel(dt.datetime(2025, 8, 7, 8, tzinfo=UTC), tick=False):
        refresh_statuses(everything=True)
        plan_reminders()
        send_due_reminders()
    with time_machine.travel(dt.datetime(2025, 9, 6, 8, tzinfo=UTC), tick=False):
        plan_reminders()
        send_due_reminders()
        plan_reminders()
        assert send_due_reminders().sent == 0  # a rerun sends nothing twice
    sent = Reminder.objects.filter(
        milestone=world["silent"], recipient=subscription.recipient, state="sent"
    )
    assert sorted(sent.values_list("offset", flat=True)) == [-60, -30]
    subjects = [m["Subject"] for m in inbox.to("editor@example.org")]
    assert subjects == [
        "Interim agreement: July 8, 2025, 30 days overdue",
        "Interim agreement: July 8, 2025, 60 days overdue",
    ]
    assert "/unsubscribe/" in str(inbox.to("editor@example.org")[-1]["List-Unsubscribe"])

    # Confirmed by an article (still open, no longer stale): the monthly ones stop.
    with time_machine.travel(dt.datetime(2025, 9, 10, 8, tzinfo=UTC), tick=False):
        article = Source.objects.create(
            slug="still-talking",
            title="Talks go on",
            publisher="ET",
            published_on=dt.date(2025, 9, 9),
        )
        with committed():
            services.milestone_save(
                milestone=Milestone.objects.get(pk=world["silent"].pk), sources=[article]
            )
        refresh_statuses(everything=True)
    with time_machine.travel(dt.datetime(2025, 10, 6, 8, tzinfo=UTC), tick=False):
        plan_reminders()
        assert send_due_reminders().sent == 0
    assert not Reminder.objects.filter(
        milestone=world["silent"], offset=-90, state__in=["pending", "sent"]
    ).exists()
