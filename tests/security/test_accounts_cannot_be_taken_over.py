"""Issue 22, findings 1 and 5 (timing): a verified account's password is the one chosen
by the person who proved the address, and sign-up and reset do the same work whether or
not an address has an account."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import MD5PasswordHasher
from django.core import mail
from django.test import Client
from django.urls import reverse
from rest_framework.test import APIClient

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


def hashes_for(action: Any) -> int:
    before = Counted.calls
    action()
    return Counted.calls - before


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


def test_an_unverified_account_has_no_usable_password() -> None:
    sign_up(VICTIM, ATTACKERS)
    user = get_user_model().objects.get(email=VICTIM)
    assert not user.is_active
    assert not user.has_usable_password()


def test_sign_up_hashes_as_many_passwords_for_a_known_address_as_for_a_new_one() -> None:
    get_user_model().objects.create_user("known@example.org", "known@example.org", HERS)
    new = hashes_for(lambda: sign_up("new@example.org", ATTACKERS))
    known = hashes_for(lambda: sign_up("known@example.org", ATTACKERS))
    unverified = hashes_for(lambda: sign_up("new@example.org", ATTACKERS))
    assert new == known == unverified


def test_a_reset_hashes_as_many_passwords_for_an_unknown_address_as_for_a_known_one() -> None:
    get_user_model().objects.create_user("known@example.org", "known@example.org", HERS)
    known = hashes_for(
        lambda: Client().post(reverse("password_reset"), {"email": "known@example.org"})
    )
    unknown = hashes_for(
        lambda: Client().post(reverse("password_reset"), {"email": "nobody@example.org"})
    )
    assert known == unknown
