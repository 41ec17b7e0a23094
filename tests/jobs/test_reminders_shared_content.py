"""A batch renders a milestone's reminder once for every subscriber who reads the same
language on the same day (a mail merge); each message still carries its recipient's own
unsubscribe link and is, byte for byte, the message built for that reminder alone."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
import time_machine
from django.core import mail

from tests.conftest import make_milestone, make_negotiation, make_track
from tests.jobs.test_outbox_reliability import NINE
from tracker.models import Reminder, Subscription
from tracker.reminders.emails import reminder_email
from tracker.reminders.outbox import send_due_reminders
from tracker.reminders.planning import plan_reminders

pytestmark = pytest.mark.django_db

READERS = [
    ("ana@example.org", "en", "UTC"),
    ("ben@example.org", "en", "UTC"),
    ("chloe@example.org", "fr", "Europe/Paris"),
    ("dev@example.org", "hi", "Asia/Kolkata"),
    ("kenji@example.org", "en", "Asia/Tokyo"),  # already July 2nd there: a day less
]
SENT_AT = NINE + dt.timedelta(hours=12)  # 21:00 UTC, when every reader's reminder is due


def _send_one_batch(settings: object) -> list[Reminder]:
    track = make_track(make_negotiation())
    with time_machine.travel(NINE - dt.timedelta(days=1), tick=False):
        make_milestone(track, "Interim agreement", "July 8, 2026", reference=NINE.date())
    for address, language, zone in READERS:
        Subscription.objects.create(
            track=track,
            email=address,
            language=language,
            timezone=zone,
            confirmed_at=NINE - dt.timedelta(days=30),
        )
    with time_machine.travel(NINE, tick=False):
        plan_reminders()
        Reminder.objects.exclude(offset=7).delete()
    with time_machine.travel(SENT_AT, tick=False):
        assert send_due_reminders().sent == len(READERS)
    return list(Reminder.objects.select_related("milestone__track__negotiation", "subscription"))


def test_each_subscriber_gets_the_message_built_for_their_reminder_alone(settings: object) -> None:
    reminders = _send_one_batch(settings)
    sent: dict[str, Any] = {message.to[0]: message for message in mail.outbox}
    assert set(sent) == {address for address, _, _ in READERS}
    for reminder in reminders:
        with time_machine.travel(SENT_AT, tick=False):  # the links are signed with the time
            alone = reminder_email(reminder, SENT_AT)
        message = sent[reminder.recipient]
        assert message.subject == alone.subject
        assert message.body == alone.body
        assert message.alternatives == alone.alternatives
        assert message.attachments == alone.attachments
        assert message.extra_headers == alone.extra_headers


def test_each_subscriber_s_message_links_to_their_own_unsubscribe_page(settings: object) -> None:
    _send_one_batch(settings)
    links = {}
    message: Any
    for message in mail.outbox:
        link = message.extra_headers["List-Unsubscribe"].strip("<>")
        assert link in message.body
        assert link.replace("&", "&amp;") in message.alternatives[0][0]
        assert "tranche-unsubscribe-link" not in message.body + message.alternatives[0][0]
        links[message.to[0]] = link
    assert len(set(links.values())) == len(READERS)


def test_readers_of_other_languages_and_days_get_their_own_wording(settings: object) -> None:
    _send_one_batch(settings)
    sent: dict[str, Any] = {message.to[0]: message for message in mail.outbox}
    assert sent["ana@example.org"].subject == "Interim agreement: July 8, 2026, 7 days left"
    assert sent["kenji@example.org"].subject == "Interim agreement: July 8, 2026, 6 days left"
    assert sent["chloe@example.org"].body != sent["ana@example.org"].body
    assert sent["dev@example.org"].body != sent["ana@example.org"].body
