"""A journalist signs themselves up, follows India–US and manages the subscription, in
Debian's chromium. The emails go through the outbox and a real SMTP server (aiosmtpd),
and the links the test follows are the ones read from those emails."""

from __future__ import annotations

import email
import re
import threading
from collections.abc import Iterator
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from playwright.sync_api import expect

from tests.browser.conftest import screenshot
from tests.processes import free_port, wait_until
from tracker.reminders.outbox import send_due_reminders

pytestmark = pytest.mark.browser

ADDRESS = "ana@newsroom.example"
PASSWORD = "first passphrase for tranche"
NEW_PASSWORD = "second passphrase for tranche"


class Mailbox:
    """An aiosmtpd handler keeping each message's recipients, subject and plain text."""

    def __init__(self) -> None:
        self.messages: list[tuple[list[str], str, str]] = []
        self._lock = threading.Lock()

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        message = email.message_from_bytes(envelope.content)
        body = next(
            bytes(part.get_payload(decode=True)).decode()
            for part in message.walk()
            if part.get_content_type() == "text/plain"
        )
        with self._lock:
            self.messages.append((list(envelope.rcpt_tos), str(message["Subject"]), body))
        return "250 OK"

    def link_from(self, count: int, subject: str, address: str = ADDRESS) -> str:
        """Run the sender job, as beat does, until the `count`th message arrives; its link."""
        send_due_reminders()
        wait_until(lambda: len(self.messages) >= count, timeout=10)
        to, got, body = self.messages[count - 1]
        assert to == [address] and subject in got, (to, got)
        match = re.search(r"https?://\S+", body)
        assert match, body
        return match.group(0)


@pytest.fixture
def mailbox(settings: Any, live_server: Any) -> Iterator[Mailbox]:
    handler = Mailbox()
    port = free_port()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", port
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
    settings.EMAIL_TIMEOUT = 5
    settings.SITE_URL = live_server.url  # the emailed links lead back to this server
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    yield handler
    controller.stop()


@pytest.fixture
def new_york_page(
    chromium: Any, live_server: Any, collected_static: None, india_us: None
) -> Iterator[Any]:
    context = chromium.new_context(
        viewport={"width": 1280, "height": 900},
        base_url=live_server.url,
        timezone_id="America/New_York",
    )
    context.set_default_timeout(10_000)
    page = context.new_page()
    yield page
    context.close()


def test_a_journalist_signs_up_verifies_subscribes_edits_and_resets_the_password(
    new_york_page: Any, mailbox: Mailbox
) -> None:
    page = new_york_page
    page.goto("/login/")
    page.get_by_role("link", name="Sign up").first.click()
    page.get_by_label("Email address").fill(ADDRESS)
    page.get_by_role("button", name="Sign up").click()
    page.get_by_role("heading", name="Check your email").wait_for()

    # The password is chosen behind the emailed link, by whoever proved the address.
    page.goto(mailbox.link_from(1, "Verify your address"))
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_label("Password again").fill(PASSWORD)
    page.get_by_role("button", name="Verify and sign in").click()
    page.get_by_text(f"Your address {ADDRESS} is verified").wait_for()
    assert page.url.endswith("/subscriptions/")

    # The time zone starts as the browser's own (set by a deferred script: wait for it).
    zone = page.get_by_label("Time zone")
    expect(zone).to_have_value("America/New_York")
    page.get_by_label("Follow", exact=True).select_option(
        label="India–US Bilateral Trade Agreement (whole negotiation)"
    )
    page.get_by_role("button", name="Subscribe").click()
    page.get_by_text("Subscribed to India–US Bilateral Trade Agreement").wait_for()
    following = page.get_by_test_id("subscription")
    assert "America/New_York" in following.inner_text()

    page.get_by_role("link", name="Edit the subscription to India–US").click()
    page.get_by_label("Time zone").fill("Asia/Kolkata")
    page.get_by_role("button", name="Save").click()
    page.get_by_text("Saved your subscription").wait_for()
    next_reminder = page.get_by_test_id("next-reminder").inner_text()
    # The record's two overdue deals are stale, so they are reminded monthly: the next
    # reminder is one of those, at 08:00 in the zone just chosen.
    assert "08:00 (Asia/Kolkata)" in next_reminder
    assert "overdue" in next_reminder
    assert "(Asia/Kolkata)" in page.get_by_test_id("next-digest").inner_text()
    assert page.get_by_test_id("reminder-address").inner_text() == ADDRESS
    screenshot(page, "subscriptions")

    page.get_by_role("button", name="Log out").click()
    page.goto("/password/reset/")
    page.get_by_label("Email").fill(ADDRESS)
    page.get_by_role("button", name="Email me a link").click()
    page.get_by_role("heading", name="Check your email").wait_for()

    page.goto(mailbox.link_from(2, "Reset your Tranche password"))
    page.get_by_label("New password", exact=True).fill(NEW_PASSWORD)
    page.get_by_label("New password confirmation").fill(NEW_PASSWORD)
    page.get_by_role("button", name="Set password").click()
    page.get_by_role("heading", name="Password set").wait_for()

    page.goto("/login/")
    page.get_by_label("Username").fill(ADDRESS)
    page.get_by_label("Password").fill(NEW_PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.get_by_role("button", name="Log out").wait_for()


VICTIM = "victim@newsroom.example"
ATTACKERS = "the attacker's passphrase 13"
HERS = "the victim's own passphrase 21"


def signs_up(page: Any, address: str) -> None:
    page.goto("/signup/")
    page.get_by_label("Email address").fill(address)
    page.get_by_role("button", name="Sign up").click()
    page.get_by_role("heading", name="Check your email").wait_for()


def logs_in(page: Any, username: str, password: str) -> bool:
    page.goto("/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_load_state()
    return page.get_by_role("button", name="Log out").count() == 1


def test_an_address_signed_up_first_by_an_attacker_is_owned_by_the_person_who_verifies_it(
    chromium: Any, live_server: Any, collected_static: None, mailbox: Mailbox
) -> None:
    attacker = chromium.new_context(base_url=live_server.url).new_page()
    victim = chromium.new_context(base_url=live_server.url).new_page()
    for page in (attacker, victim):
        page.set_default_timeout(10_000)

    # The attacker signs the victim's address up first; the form asks for no password, so
    # there is nothing of his the account could keep. He signs it up again after her too.
    signs_up(attacker, VICTIM)
    signs_up(victim, VICTIM)
    link = mailbox.link_from(1, "Verify your address", VICTIM)
    signs_up(attacker, VICTIM)

    victim.goto(link)
    victim.get_by_role("heading", name="Choose your password").wait_for()
    victim.get_by_label("Password", exact=True).fill(HERS)
    victim.get_by_label("Password again").fill(HERS)
    victim.get_by_role("button", name="Verify and sign in").click()
    victim.get_by_text(f"Your address {VICTIM} is verified").wait_for()
    victim.get_by_role("button", name="Log out").click()

    assert logs_in(victim, VICTIM, HERS)
    assert not logs_in(attacker, VICTIM, ATTACKERS)
    attacker.get_by_text("Please enter a correct username and password").wait_for()
    token = attacker.request.post(
        "/api/v1/auth/token/", data={"username": VICTIM, "password": ATTACKERS}
    )
    assert token.status == 400
    assert victim.request.post(
        "/api/v1/auth/token/", data={"username": VICTIM, "password": HERS}
    ).ok
    # The link is spent: nobody can follow it again to choose another password.
    attacker.goto(link)
    attacker.get_by_role("heading", name="This link does not work").wait_for()
