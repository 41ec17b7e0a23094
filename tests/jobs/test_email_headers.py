"""Emails as mail readers parse them: a long non-ASCII subject starts on its own line, the
HTML part has a <title>, and one-click unsubscribing is offered only over https (RFC 8058)."""

from __future__ import annotations

import datetime as dt
import email
import email.policy

from django.contrib.auth.models import User

from tests.conftest import make_negotiation, make_track
from tracker.models import OutboxEmail, Subscription
from tracker.reminders.emails import (
    _message,
    account_email,
    confirmation_email,
    unconfirmed_email,
)

LONG = (
    "Interim agreement (first tranche) — India–US Bilateral Trade Agreement: "
    "by “autumn 2025” (by November 30, 2025), about 3 months left"
)


def parsed(message):
    return email.message_from_bytes(message.message().as_bytes(), policy=email.policy.default)


def test_a_long_non_ascii_subject_begins_on_the_subject_line_and_reads_back_whole():
    message = _message(subject=LONG, to="ana@example.org", text="x", html="<p>x</p>", headers={})
    raw = message.message().as_bytes().decode()
    line = next(line for line in raw.splitlines() if line.startswith("Subject:"))
    assert line.startswith("Subject: =?utf-8?")
    assert parsed(message)["Subject"] == LONG


def test_the_html_part_is_titled_with_the_subject_escaped(db):
    negotiation = make_negotiation(name="EU & India <FTA>")
    subscription = Subscription.objects.create(negotiation=negotiation, email="ana@example.org")
    html = parsed(confirmation_email(subscription)).get_body(("html",)).get_content()
    assert "<title>Confirm your Tranche reminders for EU &amp; India &lt;FTA&gt;</title>" in html
    assert html.index("<title>") < html.index("<body")


def test_one_click_unsubscribe_is_offered_with_an_https_site(settings, db):
    settings.SITE_URL = "https://tranche.example.org"
    track = make_track(make_negotiation())
    subscription = Subscription.objects.create(track=track, email="ana@example.org")
    message = parsed(_unsubscribable(subscription))
    assert message["List-Unsubscribe"].strip().startswith("<https://tranche.example.org/")
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"


def test_an_http_site_keeps_the_link_but_offers_no_one_click(settings, db):
    settings.SITE_URL = "http://127.0.0.1:8000"
    track = make_track(make_negotiation())
    subscription = Subscription.objects.create(track=track, email="ana@example.org")
    message = parsed(_unsubscribable(subscription))
    assert message["List-Unsubscribe"].strip().startswith("<http://127.0.0.1:8000/")
    assert message["List-Unsubscribe-Post"] is None


def test_an_account_email_is_titled_too(db):
    user = User.objects.create_user("ana", email="ana@example.org", password="x" * 12)
    row = OutboxEmail(user=user, kind=OutboxEmail.Kind.PASSWORD_RESET, recipient=user.email)
    message = account_email(row)
    assert message is not None
    assert "<title>Reset your Tranche password</title>" in str(message.alternatives[0][0])


def _unsubscribable(subscription):
    return unconfirmed_email(subscription, [], week=dt.date(2026, 3, 2), today=dt.date(2026, 3, 2))
