"""The emails Tranche sends, built from templates under templates/tracker/email/.

Builders return unsent messages; the outbox decides when to send them and over which
connection, and gives each the Message-ID of its row (`message_id`, `outbox_message_id`).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import zoneinfo
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from email.header import Header
from functools import wraps
from typing import Any, TypeVar
from urllib.parse import urlsplit

from django.conf import settings
from django.contrib.auth.tokens import default_token_generator
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.urls import NoReverseMatch, reverse
from django.utils import formats, timezone, translation
from django.utils.encoding import force_bytes
from django.utils.html import escape
from django.utils.http import urlsafe_base64_encode
from django.utils.translation import gettext as _

from tracker import figures
from tracker.calendar.feeds import milestone_ics, milestone_url
from tracker.deadlines import describe, in_words
from tracker.freshness import confirmation, overdue_countdown
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
from tracker.reminders.unsubscribe import (
    absolute,
    owner_unsubscribe_url,
    subscription_confirm_url,
    subscription_unsubscribe_url,
)
from tracker.services.accounts import new_address_token, sign_up_token


def _domain() -> str:
    return urlsplit(settings.SITE_URL).hostname or "tranche.localhost"


def long_date(day: dt.date) -> str:
    """ "March 2, 2026" in English; in Hindi and French as Django's formats write them."""
    if translation.get_language() in (None, "en", "en-us"):
        return f"{day:%B} {day.day}, {day.year}"
    return formats.date_format(day, "DATE_FORMAT")


F = TypeVar("F", bound=Callable[..., EmailMultiAlternatives])


def in_subscriber_language(first: Callable[[Any], str]) -> Callable[[F], F]:
    """Build the email in its recipient's language: `first` reads it from the builder's
    first argument (a subscription, or a reminder)."""

    def decorate(build: F) -> F:
        @wraps(build)
        def built(arg: Any, *args: Any, **kwargs: Any) -> EmailMultiAlternatives:
            with translation.override(first(arg) or settings.LANGUAGE_CODE):
                return build(arg, *args, **kwargs)

        return built  # type: ignore[return-value]

    return decorate


def _reminder_language(reminder: Reminder) -> str:
    return reminder.subscription.language if reminder.subscription else settings.LANGUAGE_CODE


def _subscription_language(subscription: Subscription) -> str:
    return subscription.language


def when(milestone: Milestone) -> str:
    """The deadline as people said it, with the last day it allows when approximate."""
    deadline = milestone.deadline
    if deadline is None:
        return "no date"
    if deadline.said_on is not None:
        # "within 90 days" means the day it resolved to, counted from when it was said.
        return in_words(deadline)
    if deadline.earliest == deadline.latest:
        return long_date(deadline.latest)
    text = describe(deadline.earliest, deadline.latest, deadline.precision)
    return f"{text} (by {long_date(deadline.latest)})"


def negotiation_url(negotiation: Negotiation) -> str:
    try:
        return absolute(reverse("negotiation", args=[negotiation.slug]))
    except NoReverseMatch:
        return absolute(f"/negotiations/{negotiation.slug}/")


def days_phrase(days_left: int, precision: str = "day") -> str:
    """ "3 days left", "about 4 years left" (a deadline of "2030"), "2 days overdue"."""
    if days_left == 0:
        return "due today"
    if days_left > 0:
        return f"{figures.time_left(days_left, precision)} left"
    return f"{figures.days(-days_left)} overdue"


def message_id(reminder: Reminder) -> str:
    digest = hashlib.sha256(reminder.key.encode()).hexdigest()[:32]
    return f"<reminder-{digest}@{_domain()}>"


def outbox_message_id(row: OutboxEmail) -> str:
    """One Message-ID per outbox row, whenever and however often its message is built, so
    mail clients merge a copy sent again after a crash or a late answer from the server."""
    return f"<outbox-{row.kind}-{row.pk}@{_domain()}>"


def _unsubscribe_url(reminder: Reminder) -> str:
    if reminder.subscription is not None:
        return subscription_unsubscribe_url(reminder.subscription)
    owner = reminder.milestone.track.owner
    assert owner is not None, "an owner reminder without an owner is voided before sending"
    return owner_unsubscribe_url(track_id=reminder.milestone.track_id, user_id=owner.pk)


def _render(name: str, context: dict[str, Any]) -> tuple[str, str]:
    text = render_to_string(f"tracker/email/{name}.txt", context)
    html = render_to_string(f"tracker/email/{name}.html", context)
    return text, html


class TrancheEmail(EmailMultiAlternatives):
    """Django's message, with the subject folded knowing it follows "Subject: ".

    Django encodes a non-ASCII subject without knowing its header's name, so a long one
    began with a folded line break ("Subject:" alone on its line), which some mail readers
    show as a leading space."""

    def message(self, **kwargs: Any) -> Any:
        built = super().message(**kwargs)
        subject = str(self.subject)
        if not subject.isascii():
            built.replace_header("Subject", Header(subject, "utf-8", header_name="Subject"))
        return built


def _titled(html: str, subject: str) -> str:
    """The HTML part with its subject as <title>, as HTML requires and mail readers show."""
    head = f'<head><meta charset="utf-8"><title>{escape(subject)}</title></head>'
    return re.sub(r'(<html lang="[^"]*">)', lambda m: f"{m.group(1)}\n{head}", html, count=1)


def _one_click(headers: dict[str, str]) -> dict[str, str]:
    """RFC 8058: a one-click unsubscribe (List-Unsubscribe-Post) is offered only with an
    https link. With an http SITE_URL (a machine of one's own) the List-Unsubscribe link
    stays, for a person to follow, but mail providers are not invited to POST to it."""
    link = headers.get("List-Unsubscribe", "").strip("<>")
    if "List-Unsubscribe-Post" in headers and not link.startswith("https://"):
        return {name: value for name, value in headers.items() if name != "List-Unsubscribe-Post"}
    return headers


def _message(
    *, subject: str, to: str, text: str, html: str, headers: dict[str, str]
) -> EmailMultiAlternatives:
    message = TrancheEmail(
        subject=subject,
        body=text,
        to=[to],
        headers=_one_click(headers),
        from_email=settings.DEFAULT_FROM_EMAIL,
    )
    message.attach_alternative(_titled(html, subject), "text/html")
    return message


def recipient_zone(reminder: Reminder) -> str:
    return reminder.subscription.timezone if reminder.subscription else settings.TIME_ZONE


@in_subscriber_language(_reminder_language)
def reminder_email(
    reminder: Reminder, now: dt.datetime | None = None, shared: dict[Any, Any] | None = None
) -> EmailMultiAlternatives:
    """The email for one outbox row; days left are counted when it is sent, in the
    recipient's time zone, so a late reminder does not claim more time than is left.

    Everything but the recipient and the unsubscribe link is the same for every subscriber
    of the milestone who reads the same language on the same day: given a `shared` dict
    (the outbox passes one per batch), that content is rendered once and reused, as a mail
    merge does."""
    now = now or timezone.now()
    milestone = reminder.milestone
    today = now.astimezone(zoneinfo.ZoneInfo(recipient_zone(reminder))).date()
    key = (milestone.pk, reminder.deadline, today, translation.get_language())
    content = shared.get(key) if shared is not None else None
    if content is None:
        content = _reminder_content(reminder, today)
        if shared is not None:
            shared[key] = content
    unsubscribe = _unsubscribe_url(reminder)
    message = _message(
        subject=content.subject,
        to=reminder.recipient,
        text=content.text.replace(_UNSUBSCRIBE, unsubscribe),
        html=content.html.replace(_UNSUBSCRIBE, escape(unsubscribe)),
        headers={
            "Message-ID": message_id(reminder),
            "X-Reminder-Key": reminder.key,
            "List-Unsubscribe": f"<{unsubscribe}>",
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
        },
    )
    message.attach(content.ics_name, content.ics, "text/calendar")
    return message


# Stands for the recipient's own unsubscribe link in content rendered for every recipient:
# letters and hyphens only, so HTML escaping leaves it as it is.
_UNSUBSCRIBE = "tranche-unsubscribe-link-of-the-recipient"


@dataclass(frozen=True)
class _ReminderContent:
    subject: str
    text: str
    html: str
    ics_name: str
    ics: bytes


def _reminder_content(reminder: Reminder, today: dt.date) -> _ReminderContent:
    milestone = reminder.milestone
    track = milestone.track
    days_left = figures.days_until(reminder.deadline, today)
    said = when(milestone)
    phrase = days_phrase(days_left, milestone.deadline_precision)
    context = {
        "milestone": milestone,
        "track": track,
        "negotiation": track.negotiation,
        "when": said,
        "days_left": days_left,
        "days_phrase": phrase,
        "overdue": days_left < 0,
        "status": milestone.get_status_display(),
        "status_reason": milestone.status_reason,
        "health": track.get_health_display(),
        "health_reason": track.health_reason,
        "slip_days": milestone.slip_days,
        "slip_text": figures.slip(milestone.slip_days),
        "freshness": confirmation(milestone, today),
        "dashboard_url": milestone_url(milestone),
        "unsubscribe_url": _UNSUBSCRIBE,
    }
    subject = f"{milestone.title}: {said}, {phrase}"
    text, html = _render("reminder", context)
    slug = milestone.slug or f"milestone-{milestone.pk}"
    # The revisions are prefetched by the outbox: counting them costs no query.
    ics = milestone_ics(milestone, revisions=len(milestone.revisions.all()))
    return _ReminderContent(subject, text, html, f"{slug}.ics", ics)


@in_subscriber_language(_subscription_language)
def confirmation_email(subscription: Subscription) -> EmailMultiAlternatives:
    subject_of = subscription.subject
    context = {
        "subscription": subscription,
        "subject_of": subject_of,
        "confirm_url": subscription_confirm_url(subscription),
    }
    text, html = _render("confirm", context)
    return _message(
        subject=_("Confirm your Tranche reminders for %(subject)s") % {"subject": subject_of},
        to=subscription.recipient,
        text=text,
        html=html,
        headers={},
    )


def window_words(start: dt.datetime, end: dt.datetime, zone: zoneinfo.ZoneInfo) -> str:
    """The digest's window as the subscriber's calendar has it: "March 2, 2026" for one day,
    "February 23 to March 2, 2026", "December 29, 2025 to January 5, 2026"."""
    first, last = start.astimezone(zone).date(), end.astimezone(zone).date()
    if first == last:
        return long_date(last)
    if first.year == last.year and translation.get_language() in (None, "en", "en-us"):
        return f"{first:%B} {first.day} to {long_date(last)}"
    return _("%(first)s to %(last)s") % {"first": long_date(first), "last": long_date(last)}


@in_subscriber_language(_subscription_language)
def digest_email(
    subscription: Subscription, *, period_start: dt.datetime, period_end: dt.datetime, news: Any
) -> EmailMultiAlternatives:
    subject_of = subscription.subject
    zone = zoneinfo.ZoneInfo(subscription.timezone)
    negotiation = subject_of if isinstance(subject_of, Negotiation) else subject_of.negotiation
    unsubscribe = subscription_unsubscribe_url(subscription)
    context = {
        "subscription": subscription,
        "subject_of": subject_of,
        "since": long_date(period_start.astimezone(zone).date()),
        "until": long_date(period_end.astimezone(zone).date()),
        "news": news,
        "dashboard_url": negotiation_url(negotiation),
        "unsubscribe_url": unsubscribe,
    }
    text, html = _render("digest", context)
    return _message(
        subject=_("Tranche digest: %(subject)s, %(window)s")
        % {"subject": subject_of, "window": window_words(period_start, period_end, zone)},
        to=subscription.recipient,
        text=text,
        html=html,
        headers={
            "List-Unsubscribe": f"<{unsubscribe}>",
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
        },
    )


def health_alert_email(
    change: StatusChange, track: Track, *, to: str, unsubscribe_url: str
) -> EmailMultiAlternatives:
    context = {
        "change": change,
        "track": track,
        "negotiation": track.negotiation,
        "previous": change.previous.replace("_", " "),
        "new": change.new.replace("_", " "),
        "freshness": confirmation(track, change.as_of),
        "dashboard_url": negotiation_url(track.negotiation),
        "unsubscribe_url": unsubscribe_url,
    }
    text, html = _render("health_alert", context)
    return _message(
        subject=f"{track.name} ({track.negotiation.name}): {context['previous']} → "
        f"{context['new']}",
        to=to,
        text=text,
        html=html,
        headers={
            "List-Unsubscribe": f"<{unsubscribe_url}>",
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
        },
    )


@in_subscriber_language(_subscription_language)
def unconfirmed_email(
    subscription: Subscription, milestones: Sequence[Milestone], *, week: dt.date, today: dt.date
) -> EmailMultiAlternatives:
    """The weekly "still unconfirmed" list of the stale open items a subscriber follows."""
    subject_of = subscription.subject
    negotiation = subject_of if isinstance(subject_of, Negotiation) else subject_of.negotiation
    unsubscribe = subscription_unsubscribe_url(subscription)
    items = [
        {
            "title": m.title,
            "track": m.track,
            "when": when(m),
            "overdue": overdue_countdown(m, today),
            "freshness": confirmation(m, today),
            "url": milestone_url(m),
        }
        for m in milestones
    ]
    context = {
        "subject_of": subject_of,
        "items": items,
        "stale_after": settings.TRACKER_STALE_AFTER_DAYS,
        "dashboard_url": negotiation_url(negotiation),
        "unsubscribe_url": unsubscribe,
    }
    text, html = _render("unconfirmed", context)
    count = f"{len(items)} item{'s' if len(items) != 1 else ''}"
    return _message(
        subject=f"Still unconfirmed: {count} in {subject_of}, week of {long_date(week)}",
        to=subscription.recipient,
        text=text,
        html=html,
        headers={
            "List-Unsubscribe": f"<{unsubscribe}>",
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
        },
    )


def _reset_to_an_address_without_account(row: OutboxEmail) -> EmailMultiAlternatives:
    """A reset was asked for an address no account used: say so to the address, which
    learns of the attempt; whoever asked learns nothing from the page."""
    signing_up = bool(settings.TRACKER_SIGNUP)
    link = absolute(reverse("sign_up" if signing_up else "password_reset"))
    context = {"recipient": row.recipient, "link": link, "sign_up": signing_up}
    text, html = _render("account_reset_unknown", context)
    subject = "Tranche password reset: no account uses this address"
    return _message(subject=subject, to=row.recipient, text=text, html=html, headers={})


def account_email(row: OutboxEmail) -> EmailMultiAlternatives | None:
    """The email for an account row (sign-up, new address, password reset), its link made
    now; None when it is no longer wanted (verified already, account gone or moved)."""
    user = row.user
    if row.kind == OutboxEmail.Kind.SIGN_UP:
        # No account yet (older rows name the unverified one): the link names the address.
        if user is not None and (user.is_active or user.last_login is not None):
            return None
        subject = "Verify your address to finish signing up to Tranche"
        link = absolute(reverse("sign_up_verify", args=[sign_up_token(email=row.recipient)]))
        context: dict[str, Any] = {"recipient": row.recipient, "link": link}
        text, html = _render("account_sign_up", context)
        return _message(subject=subject, to=row.recipient, text=text, html=html, headers={})
    if user is None and row.kind == OutboxEmail.Kind.PASSWORD_RESET:
        return _reset_to_an_address_without_account(row)
    assert user is not None  # a database constraint
    uid = urlsafe_base64_encode(force_bytes(user.pk))
    if row.kind == OutboxEmail.Kind.NEW_ADDRESS:
        if not user.is_active:
            return None
        subject = "Verify your new address for Tranche reminders"
        token = new_address_token(user=user, email=row.recipient)
        link = absolute(reverse("account_address_verify", args=[token]))
    elif row.kind == OutboxEmail.Kind.ADDRESS_NOTICE:
        asked = (
            OutboxEmail.objects.filter(
                user=user, kind=OutboxEmail.Kind.NEW_ADDRESS, created_at__lte=row.created_at
            )
            .order_by("-created_at", "-pk")
            .first()
        )
        if asked is None:
            return None
        subject = "Someone asked to move your Tranche reminders to another address"
        link = absolute(reverse("password_reset"))
        context = {"user": user, "recipient": row.recipient, "link": link, "new": asked.recipient}
        text, html = _render("account_address_note", context)
        return _message(subject=subject, to=row.recipient, text=text, html=html, headers={})
    else:
        wanted = user.is_active and user.has_usable_password()
        if not wanted or user.email.strip().lower() != row.recipient.lower():
            return None
        subject = "Reset your Tranche password"
        token = default_token_generator.make_token(user)
        link = absolute(reverse("password_reset_confirm", args=[uid, token]))
    context = {"user": user, "recipient": row.recipient, "link": link, "current": user.email}
    text, html = _render(f"account_{row.kind}", context)
    return _message(subject=subject, to=row.recipient, text=text, html=html, headers={})


def webhook_failing_email(
    endpoint: WebhookEndpoint, *, to: str, admin_url: str, ends: dt.datetime
) -> EmailMultiAlternatives:
    """To the owner of an endpoint failing for a while: since when, and when it will be
    disabled unless a delivery succeeds."""
    context = {"endpoint": endpoint, "admin_url": admin_url, "ends": ends}
    text, html = _render("webhook_failing", context)
    return _message(
        subject=f"Webhook failing, will be disabled on {ends:%Y-%m-%d}: {endpoint.url}"[:200],
        to=to,
        text=text,
        html=html,
        headers={},
    )


def webhook_disabled_email(
    endpoint: WebhookEndpoint, *, to: str, admin_url: str
) -> EmailMultiAlternatives:
    """To the owner of an endpoint that kept failing: why, since when, and where to enable it."""
    context = {"endpoint": endpoint, "admin_url": admin_url}
    text, html = _render("webhook_disabled", context)
    return _message(
        subject=f"Webhook disabled: {endpoint.url}"[:200], to=to, text=text, html=html, headers={}
    )
