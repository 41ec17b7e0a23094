"""Every kind of email Tranche sends, parsed as a mail reader does (email.policy.default):
text and HTML alternatives, a titled HTML part, a subject that starts on its own line, and
one-click unsubscribing (RFC 8058) wherever a List-Unsubscribe link is given."""

from __future__ import annotations

import datetime as dt
import email
import email.policy
from email.message import EmailMessage

import pytest
from django.contrib.auth.models import User
from django.core.mail import EmailMessage as DjangoEmail
from django.core.mail import EmailMultiAlternatives
from django.utils import timezone

from tracker.models import (
    Milestone,
    Negotiation,
    OutboxEmail,
    Reminder,
    StatusChange,
    Subscription,
    Track,
    WebhookEndpoint,
)
from tracker.reminders.digest_news import digest_news
from tracker.reminders.emails import (
    account_email,
    confirmation_email,
    digest_email,
    health_alert_email,
    reminder_email,
    unconfirmed_email,
)
from tracker.services.accounts import account_email_queue
from tracker.webhooks.endpoints import disabled_email, failing_email

SITE = "https://tranche.example.org"
UNTIL = dt.datetime(2026, 11, 23, 8, tzinfo=dt.UTC)


def problems(raw: bytes) -> list[str]:
    message = email.message_from_bytes(raw, policy=email.policy.default)
    assert isinstance(message, EmailMessage)
    subject = str(message["Subject"])
    found = []
    if raw.split(b"Subject:", 1)[1][:1] != b" " or raw.split(b"Subject:", 1)[1][1:2].isspace():
        found.append(f"{subject!r}: the subject begins with a folded line break")
    if subject != subject.strip():
        found.append(f"{subject!r}: the subject reads with a leading or trailing space")
    alternative = next(
        (p for p in message.walk() if p.get_content_type() == "multipart/alternative"), None
    )
    if alternative is None:
        found.append(f"{subject!r}: not multipart/alternative")
    html = message.get_body(("html",))
    text = message.get_body(("plain",))
    if text is None:
        found.append(f"{subject!r}: no text part")
    if html is None or "<title>" not in html.get_content():
        found.append(f"{subject!r}: no HTML part with a <title>")
    unsubscribe = message["List-Unsubscribe"]
    if unsubscribe is not None:
        link = str(unsubscribe).strip().strip("<>")
        if not link.startswith("https://"):
            found.append(f"{subject!r}: List-Unsubscribe is not https ({link})")
        if message["List-Unsubscribe-Post"] != "List-Unsubscribe=One-Click":
            found.append(f"{subject!r}: no List-Unsubscribe-Post: List-Unsubscribe=One-Click")
    return found


@pytest.fixture
def messages(record: None, settings) -> dict[str, bytes]:
    settings.SITE_URL = SITE
    negotiation = Negotiation.objects.get(slug="india-us-bta")
    track = Track.objects.filter(negotiation=negotiation).order_by("pk").first()
    milestone = (
        Milestone.objects.filter(track__negotiation=negotiation)
        .exclude(deadline_latest=None)
        .order_by("pk")
        .first()
    )
    assert track is not None and milestone is not None
    assert milestone.deadline_latest is not None
    owner = User.objects.create_user("ana", "ana@example.org", "a long passphrase")
    following = Subscription.objects.create(
        negotiation=negotiation, email="ana@example.org", confirmed_at=UNTIL
    )
    waiting = Subscription.objects.create(track=track, email="ben@example.org")
    reminder = Reminder(
        milestone=milestone,
        subscription=following,
        recipient=following.email,
        kind="before",
        offset=7,
        deadline=milestone.deadline_latest,
    )
    change = StatusChange(
        subject=StatusChange.Subject.TRACK,
        negotiation=negotiation,
        track=track,
        previous="on_track",
        new="off_track",
        as_of=UNTIL.date(),
        reason="Interim agreement overdue by 42 days",
    )
    since = UNTIL - dt.timedelta(days=7)
    endpoint = WebhookEndpoint(
        url="https://hooks.example.org/tranche",
        owner=owner,
        disabled_at=timezone.now(),
        disabled_reason="Five failed deliveries in a row",
    )
    failing = WebhookEndpoint(
        url="https://hooks.example.org/tranche",
        owner=owner,
        failing_since=timezone.now() - dt.timedelta(days=1),
    )
    built = {
        "reminder": reminder_email(reminder, UNTIL),
        "confirmation": confirmation_email(waiting),
        "digest": digest_email(
            following,
            period_start=since,
            period_end=UNTIL,
            news=digest_news(following, since=since, until=UNTIL),
        ),
        "health alert": health_alert_email(
            change, track, to="ana@example.org", unsubscribe_url=f"{SITE}/unsubscribe/x/"
        ),
        "unconfirmed": unconfirmed_email(
            following, [milestone], week=UNTIL.date(), today=UNTIL.date()
        ),
        "webhook disabled": disabled_email(endpoint, to=owner.email),
        "webhook failing": failing_email(failing, to=owner.email),
    }
    # A sign-up names no account: it is made when the link is followed.
    for kind, user, to in [
        (OutboxEmail.Kind.SIGN_UP, None, "new@example.org"),
        (OutboxEmail.Kind.NEW_ADDRESS, owner, owner.email),
        (OutboxEmail.Kind.PASSWORD_RESET, owner, owner.email),
    ]:
        message = account_email(OutboxEmail(user=user, kind=kind, recipient=to))
        assert message is not None, kind
        built[str(kind)] = message
    # The notice to the old address follows a request for a new one.
    account_email_queue(
        user=owner, kind=OutboxEmail.Kind.NEW_ADDRESS, recipient="ana.new@example.org"
    )
    notice = account_email(
        OutboxEmail(user=owner, kind=OutboxEmail.Kind.ADDRESS_NOTICE, recipient=owner.email)
    )
    assert notice is not None
    built[str(OutboxEmail.Kind.ADDRESS_NOTICE)] = notice
    nobody = account_email(
        OutboxEmail(user=None, kind=OutboxEmail.Kind.PASSWORD_RESET, recipient="x@example.org")
    )
    assert nobody is not None
    built["reset to an address without an account"] = nobody
    # A long subject in another script, which Python's email package folds.
    milestone.title = "Conclusión del acuerdo comercial provisional entre India y Estados Unidos"
    built["reminder, long non-ASCII subject"] = reminder_email(reminder, UNTIL)
    return {kind: message.message().as_bytes() for kind, message in built.items()}


# The emails sent to a subscriber, each of which must offer one-click unsubscribing.
TO_SUBSCRIBERS = {"reminder", "digest", "health alert"}
KINDS_BUILT_ELSEWHERE = {
    # The reminder and the digest are not outbox rows of their own kind.
    "confirmation": "confirmation",
    "health_alert": "health alert",
    "unconfirmed": "unconfirmed",
    "webhook_off": "webhook disabled",
    "webhook_warn": "webhook failing",
}


def test_the_suite_parses_every_kind_of_outbox_email(messages):
    named = {KINDS_BUILT_ELSEWHERE.get(kind, kind) for kind in OutboxEmail.Kind.values}
    assert named <= set(messages), named - set(messages)
    assert {"reminder", "digest"} <= set(messages)


def test_every_email_to_a_subscriber_offers_one_click_unsubscribing(messages):
    for kind in TO_SUBSCRIBERS:
        message = email.message_from_bytes(messages[kind], policy=email.policy.default)
        assert str(message["List-Unsubscribe"]).strip().startswith(f"<{SITE}/"), kind
        assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click", kind


def test_a_one_click_link_without_its_post_header_is_caught(messages):
    raw = messages["digest"].replace(b"List-Unsubscribe-Post:", b"X-Dropped:")
    assert any("List-Unsubscribe-Post" in problem for problem in problems(raw))


def test_every_email_kind_parses_as_text_and_titled_html_with_one_click_unsubscribe(messages):
    assert {kind: problems(raw) for kind, raw in messages.items()} == {
        kind: [] for kind in messages
    }


def test_a_subject_that_begins_with_a_fold_is_caught(messages):
    head, rest = messages["reminder"].split(b"Subject: ", 1)
    found = problems(head + b"Subject:\n " + rest)
    assert any("folded line break" in problem for problem in found)


def test_a_plain_text_email_and_an_untitled_html_part_are_caught():
    plain = DjangoEmail(subject="Hello", body="x", to=["ana@example.org"])
    assert any("not multipart/alternative" in p for p in problems(plain.message().as_bytes()))
    untitled = EmailMultiAlternatives(subject="Hello", body="x", to=["ana@example.org"])
    untitled.attach_alternative("<!doctype html><html><body>x</body></html>", "text/html")
    assert any("<title>" in p for p in problems(untitled.message().as_bytes()))


def test_an_http_one_click_link_is_caught(messages):
    raw = messages["digest"].replace(SITE.encode(), b"http://tranche.example.org")
    assert any("not https" in problem for problem in problems(raw))
