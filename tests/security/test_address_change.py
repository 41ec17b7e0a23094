"""Issue 22, finding 5 (address change): moving an account's reminders takes the current
password and tells the old address; links to one new address are limited per recipient,
whichever accounts ask."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth.models import User
from django.core import mail
from django.test import Client

from tracker.mail_limits import NEW_ADDRESS_MAILS_PER_RECIPIENT
from tracker.models import OutboxEmail
from tracker.reminders.outbox import send_due_reminders

pytestmark = pytest.mark.django_db
PASSWORD = "a long passphrase 4 tranche"
TARGET = "target@elsewhere.example"


@pytest.fixture(autouse=True)
def quick_hashing(settings: Any) -> None:
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def signed_in(name: str) -> Client:
    client = Client()
    client.force_login(User.objects.create_user(name, f"{name}@example.org", PASSWORD))
    return client


def test_an_address_change_needs_the_current_password(client: Client) -> None:
    client = signed_in("ana")
    missing = client.post("/account/", {"email": TARGET})
    assert "This field is required" in missing.content.decode()
    wrong = client.post("/account/", {"email": TARGET, "password": "not it at all"})
    assert "That is not your current password" in wrong.content.decode()
    assert not OutboxEmail.objects.exists()


def test_the_old_address_is_told_about_a_change_asked_for() -> None:
    client = signed_in("ana")
    response = client.post("/account/", {"email": TARGET, "password": PASSWORD})
    assert response.status_code == 302
    before = len(mail.outbox)
    send_due_reminders()
    sent = {m.to[0]: m for m in mail.outbox[before:]}
    assert set(sent) == {TARGET, "ana@example.org"}
    notice = sent["ana@example.org"]
    assert "asked to move your Tranche reminders" in notice.subject
    assert TARGET in notice.body and "reset it now" in notice.body


def test_links_to_one_address_are_limited_per_recipient_whichever_accounts_ask() -> None:
    for n in range(NEW_ADDRESS_MAILS_PER_RECIPIENT + 3):
        client = signed_in(f"user{n}")
        assert client.post("/account/", {"email": TARGET, "password": PASSWORD}).status_code == 302
    links = OutboxEmail.objects.filter(kind=OutboxEmail.Kind.NEW_ADDRESS, recipient=TARGET)
    assert links.count() == NEW_ADDRESS_MAILS_PER_RECIPIENT
