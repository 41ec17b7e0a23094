"""Issue 22, findings 1 and 5 (timing): a verified account's password is the one chosen
by the person who proved the address, and sign-up and reset do the same work whether or
not an address has an account: the same statements on the same tables, the same rows
written, the same passwords hashed (none) and one email queued in the outbox."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Any

import pytest
from django.apps import apps
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import MD5PasswordHasher
from django.core import mail
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from rest_framework.test import APIClient

from tracker.models import OutboxEmail
from tracker.reminders.outbox import send_due_reminders

pytestmark = pytest.mark.django_db

VICTIM = "victim@example.org"
ATTACKERS = "attacker's own passphrase 1"
HERS = "the victim's own passphrase 2"


@pytest.fixture(autouse=True)
def quick_hashing(settings: Any) -> None:
    settings.PASSWORD_HASHERS = ["tests.security.test_accounts_cannot_be_taken_over.Counted"]


class Counted(MD5PasswordHasher):
    """MD5, counting how many passwords were hashed or checked."""

    calls = 0

    def encode(self, password: str, salt: str) -> str:
        Counted.calls += 1
        return super().encode(password, salt)


def sign_up(email: str, password: str) -> Any:
    """The sign-up form as anyone may post it (a password field is simply ignored now)."""
    return Client().post(
        reverse("sign_up"), {"email": email, "password1": password, "password2": password}
    )


def links_sent() -> list[str]:
    before = len(mail.outbox)
    send_due_reminders()
    links = [re.search(r"https?://\S+", str(m.body)) for m in mail.outbox[before:]]
    return [link.group(0).removeprefix("http://127.0.0.1:8000") for link in links if link]


def web_login(username: str, password: str) -> bool:
    response = Client().post(reverse("login"), {"username": username, "password": password})
    return response.status_code == 302


def api_token(username: str, password: str) -> int:
    response = APIClient().post(
        "/api/v1/auth/token/", {"username": username, "password": password}, format="json"
    )
    return response.status_code


def test_an_address_signed_up_first_by_someone_else_ends_up_with_the_password_its_owner_chose(
    time_machine: Any,
) -> None:
    time_machine.move_to("2026-11-21 09:00Z", tick=False)
    sign_up(VICTIM, ATTACKERS)
    (first_link,) = links_sent()  # lands in the victim's mailbox, not the attacker's
    time_machine.move_to("2026-11-21 10:00Z", tick=False)
    sign_up(VICTIM, HERS)
    (her_link,) = links_sent()

    victim = Client()
    assert "Choose your password" in victim.get(her_link).content.decode()
    response = victim.post(her_link, {"password1": HERS, "password2": HERS}, follow=True)
    assert f"Your address {VICTIM} is verified" in response.content.decode()

    assert web_login(VICTIM, HERS)
    assert api_token(VICTIM, HERS) == 200
    assert not web_login(VICTIM, ATTACKERS)
    assert api_token(VICTIM, ATTACKERS) == 400
    # Every link dies once the address is verified, the first one included.
    assert (
        Client().post(first_link, {"password1": ATTACKERS, "password2": ATTACKERS}).status_code
        == 404
    )


def test_an_attacker_signing_up_again_after_the_victim_gains_nothing(time_machine: Any) -> None:
    time_machine.move_to("2026-11-21 09:00Z", tick=False)
    sign_up(VICTIM, HERS)
    (her_link,) = links_sent()
    time_machine.move_to("2026-11-21 10:00Z", tick=False)
    sign_up(VICTIM, ATTACKERS)
    (second_link,) = links_sent()
    # Whichever link she follows, what she types is what works.
    Client().post(second_link, {"password1": HERS, "password2": HERS})
    assert web_login(VICTIM, HERS)
    assert not web_login(VICTIM, ATTACKERS)
    assert api_token(VICTIM, ATTACKERS) == 400
    assert (
        Client().post(her_link, {"password1": ATTACKERS, "password2": ATTACKERS}).status_code == 404
    )
    assert web_login(VICTIM, HERS)


def test_signing_up_writes_no_account_so_nothing_of_the_attackers_can_log_in() -> None:
    sign_up(VICTIM, ATTACKERS)
    assert not get_user_model().objects.filter(email=VICTIM).exists()
    assert not web_login(VICTIM, ATTACKERS)
    assert api_token(VICTIM, ATTACKERS) == 400


def test_an_account_left_unverified_by_an_older_sign_up_gets_the_password_its_owner_chooses(
    time_machine: Any,
) -> None:
    time_machine.move_to("2026-11-21 09:00Z", tick=False)
    older = get_user_model()(username=VICTIM, email=VICTIM, is_active=False)
    older.set_unusable_password()
    older.save()
    sign_up(VICTIM, ATTACKERS)
    (link,) = links_sent()
    Client().post(link, {"password1": HERS, "password2": HERS})
    assert get_user_model().objects.get().pk == older.pk  # verified, not a second account
    assert web_login(VICTIM, HERS)
    assert not web_login(VICTIM, ATTACKERS)


def test_a_switched_off_account_is_not_switched_on_again_by_signing_up(time_machine: Any) -> None:
    time_machine.move_to("2026-11-21 09:00Z", tick=False)
    get_user_model().objects.create_user(VICTIM, VICTIM, HERS, is_active=False)
    sign_up(VICTIM, ATTACKERS)
    assert links_sent() == []  # a reset email to a switched-off account is dropped
    assert not get_user_model().objects.get().is_active


@dataclass(frozen=True)
class Work:
    """What answering one request did, as far as it could tell addresses apart."""

    statements: list[tuple[str, str]]  # (SELECT/INSERT/…, the first table named)
    rows_written: int
    passwords_hashed: int
    emails_queued: int


def rows() -> int:
    return sum(model._default_manager.count() for model in apps.get_models())


def work_of(url: str, email: str) -> Work:
    before, emails, hashed = rows(), OutboxEmail.objects.count(), Counted.calls
    with CaptureQueriesContext(connection) as queries:
        response = Client().post(url, {"email": email})
    assert response.status_code == 302
    statements = []
    for query in queries.captured_queries:
        sql = query["sql"]
        verb = sql.split()[0].upper()
        table = re.search(r'(?:FROM|INTO|UPDATE)\s+"?(\w+)', sql, re.IGNORECASE)
        statements.append((verb, table.group(1) if table else ""))
    return Work(
        statements=statements,
        rows_written=rows() - before,
        passwords_hashed=Counted.calls - hashed,
        emails_queued=OutboxEmail.objects.count() - emails,
    )


def known_addresses() -> None:
    """Two accounts, one with an email sent two days ago (a history to look up)."""
    known = get_user_model().objects.create_user("known@example.org", "known@example.org", HERS)
    get_user_model().objects.create_user("fresh@example.org", "fresh@example.org", HERS)
    OutboxEmail.objects.create(
        kind=OutboxEmail.Kind.PASSWORD_RESET,
        user=known,
        recipient="known@example.org",
        state=OutboxEmail.State.SENT,
        due_at=dt.datetime(2026, 11, 19, tzinfo=dt.UTC),
        created_at=dt.datetime(2026, 11, 19, tzinfo=dt.UTC),
    )


@pytest.mark.parametrize("page", ["sign_up", "password_reset"])
def test_an_address_with_an_account_costs_the_same_work_as_one_without(
    page: str, time_machine: Any
) -> None:
    time_machine.move_to("2026-11-21 09:00Z", tick=False)
    known_addresses()
    url = reverse(page)
    new = work_of(url, "new@example.org")
    known = work_of(url, "known@example.org")
    fresh = work_of(url, "fresh@example.org")
    assert new == known == fresh
    assert new.emails_queued == 1
    assert new.passwords_hashed == 0
    assert ("INSERT", "tracker_outboxemail") in new.statements
    assert not any(table == "auth_user" for verb, table in new.statements if verb != "SELECT")
