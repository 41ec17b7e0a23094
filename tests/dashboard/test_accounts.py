"""Accounts through the test client: sign-up verified by email, a verified change of
address, password reset and change. Emails go through the outbox and are read from the
mail the sender job delivers."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.core import mail
from django.test import Client
from django.urls import reverse

from tracker.models import OutboxEmail
from tracker.reminders.outbox import send_due_reminders

pytestmark = pytest.mark.django_db


PASSWORD = "a long passphrase 4 tranche"


def deliver() -> list[Any]:
    """Run the sender job, as beat does every 30 seconds, and return what it sent."""
    before = len(mail.outbox)
    send_due_reminders()
    return mail.outbox[before:]


def link_in(message: Any) -> str:
    match = re.search(r"https?://\S+", message.body)
    assert match, message.body
    return match.group(0).removeprefix("http://127.0.0.1:8000")


def logs_in(username: str, password: str) -> bool:
    """Through the login page, as a person would (django-axes wants the request)."""
    response = Client().post(reverse("login"), {"username": username, "password": password})
    return response.status_code == 302


def sign_up(client: Client, email: str = "ana@example.org") -> Any:
    """Sign-up asks only for the address; the password is chosen behind the emailed link."""
    return client.post(reverse("sign_up"), {"email": email}, follow=True)


def test_sign_up_sends_a_link_and_the_account_works_only_once_it_is_followed(
    client: Client,
) -> None:
    response = sign_up(client)
    assert "We sent a link to ana@example.org" in response.content.decode()
    # No account until the link is followed, so nothing that could log in.
    assert not get_user_model().objects.filter(email="ana@example.org").exists()
    assert not logs_in("ana@example.org", PASSWORD)

    (message,) = deliver()
    assert message.to == ["ana@example.org"]
    assert "Verify your address" in message.subject
    link = link_in(message)
    # Opening the link (as a mail scanner would) only asks for the password.
    assert "Verify and sign in" in client.get(link).content.decode()
    assert not get_user_model().objects.exists()

    short = client.post(link, {"password1": "short", "password2": "short"})
    assert "This password is too short" in short.content.decode()
    differ = client.post(link, {"password1": PASSWORD, "password2": PASSWORD + "!"})
    assert "The two passwords differ" in differ.content.decode()
    assert not get_user_model().objects.exists()

    response = client.post(link, {"password1": PASSWORD, "password2": PASSWORD}, follow=True)
    assert "Your address ana@example.org is verified" in response.content.decode()
    assert response.wsgi_request.user.is_authenticated
    user = get_user_model().objects.get(email="ana@example.org")
    assert user.is_active and user.username == "ana@example.org"
    assert logs_in("ana@example.org", PASSWORD)
    again = {"password1": PASSWORD, "password2": PASSWORD}
    assert Client().post(link, again).status_code == 404  # once only


def test_signing_up_with_a_known_address_looks_the_same_and_makes_no_second_account(
    client: Client,
) -> None:
    get_user_model().objects.create_user("bo", "bo@example.org", PASSWORD)
    fresh = sign_up(client, "new@example.org").content.decode()
    known = sign_up(Client(), "BO@example.org").content.decode()
    assert known.replace("BO@example.org", "X") == fresh.replace("new@example.org", "X")
    assert get_user_model().objects.filter(email__iexact="bo@example.org").count() == 1
    sent = {m.to[0]: m for m in deliver()}
    # The owner of the known address is offered a password reset, not a second account.
    assert "Reset your Tranche password" in sent["bo@example.org"].subject
    assert "you already have an account with this address" in sent["bo@example.org"].body
    assert logs_in("bo", PASSWORD)


def test_sign_up_emails_to_one_address_are_rate_limited(client: Client) -> None:
    for _ in range(3):
        sign_up(Client())
    assert OutboxEmail.objects.filter(kind=OutboxEmail.Kind.SIGN_UP).count() == 1


def test_one_client_starts_at_most_ten_accounts_an_hour(client: Client) -> None:
    for n in range(10):
        assert sign_up(client, f"reader{n}@example.org").status_code == 200
    response = sign_up(client, "reader10@example.org")
    assert response.status_code == 429
    assert "Too many sign-ups from your network" in response.content.decode()
    assert not get_user_model().objects.filter(email="reader10@example.org").exists()


def test_with_sign_up_off_there_is_no_sign_up_page_or_link(client: Client, settings: Any) -> None:
    settings.TRACKER_SIGNUP = False
    assert client.get(reverse("sign_up")).status_code == 404
    assert sign_up(client).status_code == 404
    assert not get_user_model().objects.exists()
    login_page = client.get(reverse("login")).content.decode()
    assert "Sign up" not in login_page and reverse("sign_up") not in login_page
    assert "Forgot your password?" in login_page


def test_with_sign_up_on_the_login_page_links_to_it(client: Client) -> None:
    assert reverse("sign_up") in client.get(reverse("login")).content.decode()


def test_the_account_page_says_where_reminders_go(client: Client) -> None:
    user = get_user_model().objects.create_user("ana@example.org", "ana@example.org", PASSWORD)
    client.force_login(user)
    html = client.get(reverse("account")).content.decode()
    assert "Reminders and digests for your subscriptions go to" in html
    assert "ana@example.org" in html


def test_a_new_address_takes_effect_only_once_its_link_is_followed(client: Client) -> None:
    user = get_user_model().objects.create_user("ana@example.org", "ana@example.org", PASSWORD)
    client.force_login(user)
    form = {"email": "ana@newsroom.example", "password": PASSWORD}
    response = client.post(reverse("account"), form, follow=True)
    assert "Reminders keep going to ana@example.org" in response.content.decode()
    user.refresh_from_db()
    assert user.email == "ana@example.org"

    message, notice = deliver()
    assert message.to == ["ana@newsroom.example"]
    assert notice.to == ["ana@example.org"]  # the old address hears of it
    link = link_in(message)
    client.get(link)
    user.refresh_from_db()
    assert user.email == "ana@example.org"  # a GET only asks
    response = client.post(link, follow=True)
    assert "Reminders now go to ana@newsroom.example" in response.content.decode()
    user.refresh_from_db()
    assert user.email == user.username == "ana@newsroom.example"
    assert client.post(link).status_code == 404  # the old address it named is gone


def test_a_new_address_another_account_uses_is_not_sent_to(client: Client) -> None:
    get_user_model().objects.create_user("bo", "bo@example.org", PASSWORD)
    user = get_user_model().objects.create_user("ana", "ana@example.org", PASSWORD)
    client.force_login(user)
    form = {"email": "bo@example.org", "password": PASSWORD}
    response = client.post(reverse("account"), form, follow=True)
    assert "We sent a link to bo@example.org, unless another account uses it" in (
        response.content.decode()
    )
    assert deliver() == []


def test_a_reset_for_an_unknown_address_reveals_nothing(client: Client) -> None:
    get_user_model().objects.create_user("ana", "ana@example.org", PASSWORD)
    known = client.post(reverse("password_reset"), {"email": "ana@example.org"}, follow=True)
    unknown = Client().post(reverse("password_reset"), {"email": "nobody@example.org"}, follow=True)
    assert known.redirect_chain == unknown.redirect_chain
    assert known.content == unknown.content
    sent = {m.to[0]: m for m in deliver()}
    assert set(sent) == {"ana@example.org", "nobody@example.org"}
    assert sent["ana@example.org"].subject == "Reset your Tranche password"
    # The unknown address is told no account uses it; it gets no reset link.
    told = sent["nobody@example.org"]
    assert told.subject == "Tranche password reset: no account uses this address"
    assert "no account uses this address" in told.body
    assert "/signup/" in told.body and "/reset/" not in told.body


def test_the_reset_link_sets_a_new_password_once(client: Client) -> None:
    get_user_model().objects.create_user("ana", "ana@example.org", PASSWORD)
    client.post(reverse("password_reset"), {"email": "ana@example.org"})
    (message,) = deliver()
    page = client.get(link_in(message), follow=True)
    assert "Choose a new password" in page.content.decode()
    new = "a brand new passphrase 77"
    done = client.post(
        page.redirect_chain[-1][0], {"new_password1": new, "new_password2": new}, follow=True
    )
    assert "Your new password works now" in done.content.decode()
    assert logs_in("ana", new)
    assert "This link does not work" in client.get(link_in(message), follow=True).content.decode()


def test_a_signed_in_user_changes_their_password(client: Client) -> None:
    user = get_user_model().objects.create_user("ana", "ana@example.org", PASSWORD)
    client.force_login(user)
    new = "a brand new passphrase 77"
    response = client.post(
        reverse("password_change"),
        {"old_password": PASSWORD, "new_password1": new, "new_password2": new},
        follow=True,
    )
    assert "Password changed" in response.content.decode()
    assert logs_in("ana", new)
