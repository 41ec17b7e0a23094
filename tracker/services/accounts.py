"""Accounts: self sign-up verified by email, a changed address verified again, and the
password-reset email, each queued in the outbox like every other email.

The emails carry links whose tokens are the only credential:
- sign-up: `django.core.signing` naming the address (a salt of its own, so no other link
  verifies it); it dies once an account with the address is verified;
- a new address: `django.core.signing`, naming the user, the new address and the old one,
  so a link sent before another change no longer works;
- password reset: Django's `default_token_generator`, read by its PasswordResetConfirmView.

Nothing here says whether an address has an account, neither in the answer nor in the
work done (issue 22: the difference in time told which addresses had accounts). Sign-up
and reset each read the accounts once and queue one email in the outbox, whatever they
find: signing up a new address queues its verification link, and writes no account until
the link is followed; signing up a known address queues a password-reset email to it
instead; a reset asked for an address no account uses queues an email telling it so.
Neither hashes a password.

Who proves the address chooses the password: sign-up takes no password and makes no
account, and the account is made, with the password chosen there, by the step that
follows the emailed link. Someone who signs up another person's address first (or again,
later) leaves nothing behind that could log in.
The messages are written when sent (tracker.reminders.outbox), so a link is fresh.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core import signing
from django.core.exceptions import ObjectDoesNotExist, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Count, Max, Q
from django.utils import timezone

from tracker.mail_limits import one_more_mail_allowed
from tracker.models import AccountLanguage, OutboxEmail, Subscription
from tracker.services.subscriptions import RESEND_AFTER, RESENDS_PER_DAY, subscriptions_replan

NEW_ADDRESS_SALT = "tranche.account.new_address"
NEW_ADDRESS_MAX_AGE = 3 * 24 * 3600
SIGN_UP_SALT = "tranche.account.sign_up"


def same_address(email: str) -> dict[str, str]:
    """A filter for users with this address, whatever its case."""
    return {"email__iexact": email.strip()}


def _named_after(email: str) -> Q:
    """Accounts with this address, or named after it (sign-up names accounts so)."""
    return Q(email__iexact=email) | Q(username__iexact=email)


def _address(email: str) -> str:
    return str(get_user_model().objects.normalize_email(email.strip())).lower()


def _unverified(user: Any) -> bool:
    """An account an earlier sign-up made before it was verified (before issue 22's last
    round sign-up made none): never active, never logged in, no password."""
    return not user.is_active and user.last_login is None and not user.has_usable_password()


def account_email_queue(*, user: Any | None, kind: str, recipient: str) -> OutboxEmail | None:
    """Queue an account email, unless the same one waits to go or went out too recently;
    at most RESENDS_PER_DAY of a kind a day, so nobody can flood an address.

    One read and at most one write, however many emails went before: what this costs
    must not tell an address with a history from one without."""
    now = timezone.now()
    earlier = OutboxEmail.objects.filter(user=user, kind=kind)
    if user is None:  # no account named: counted per address
        earlier = earlier.filter(recipient=recipient)
    same = Q(recipient=recipient)
    facts = earlier.aggregate(
        latest=Max("sequence"),
        waiting=Count(
            "pk", filter=same & Q(state__in=[OutboxEmail.State.PENDING, OutboxEmail.State.SENDING])
        ),
        recent=Count("pk", filter=same & Q(created_at__gt=now - RESEND_AFTER)),
        today=Count("pk", filter=Q(created_at__gt=now - dt.timedelta(days=1))),
    )
    if facts["waiting"] or facts["recent"] or facts["today"] >= RESENDS_PER_DAY:
        return None
    latest = facts["latest"]
    return OutboxEmail.objects.create(
        kind=kind,
        user=user,
        recipient=recipient,
        sequence=0 if latest is None else latest + 1,
        due_at=now,
    )


@transaction.atomic
def account_sign_up(*, email: str) -> None:
    """Queue the verification link for a new address, or a password-reset email for a
    known one (its owner may have forgotten signing up); no account is written here.

    The same work either way: one read of the accounts, one email queued, no password
    hashed. A reset email to an account that cannot use it (switched off, or only named
    after the address) is dropped when the outbox sends, not here.
    """
    email = _address(email)
    # Counted for every address, known or not, before anything tells them apart.
    if not one_more_mail_allowed(kind="sign_up", recipient=email):
        return
    known = get_user_model().objects.filter(_named_after(email)).order_by("pk").first()
    if known is None or _unverified(known):
        account_email_queue(user=None, kind=OutboxEmail.Kind.SIGN_UP, recipient=email)
    else:
        account_email_queue(user=known, kind=OutboxEmail.Kind.PASSWORD_RESET, recipient=email)


def sign_up_token(*, email: str) -> str:
    return signing.dumps({"email": email}, salt=SIGN_UP_SALT)


def sign_up_address(token: str) -> str | None:
    """The address a sign-up link verifies; None when the link is bad or expired, or an
    account already uses the address (so each link works once)."""
    try:
        data = signing.loads(token, salt=SIGN_UP_SALT, max_age=settings.PASSWORD_RESET_TIMEOUT)
        email = _address(data["email"])
    except (signing.BadSignature, KeyError, TypeError, AttributeError):
        return None
    known = get_user_model().objects.filter(_named_after(email)).order_by("pk").first()
    if known is not None and not _unverified(known):
        return None
    return email


@transaction.atomic
def account_verify(*, token: str, password: str) -> Any | None:
    """Make the account of a sign-up link, active, with the password chosen there; None
    when the link is bad or used. The password is validated by the caller's form
    (`password_validation`), as Django's own set-password form does."""
    email = sign_up_address(token)
    if email is None:
        return None
    user_model = get_user_model()
    user = user_model.objects.select_for_update().filter(_named_after(email)).first()
    if user is None:
        user = user_model(username=email, email=email)
    elif not _unverified(user):
        return None
    user.set_password(password)
    user.is_active = True
    try:
        with transaction.atomic():  # the same link followed twice at once: one account
            user.full_clean(validate_unique=False)
            user.save()
    except (IntegrityError, ValidationError):
        return None
    return user


@dataclass(frozen=True)
class NewAddress:
    user: Any
    email: str


def new_address_token(*, user: Any, email: str) -> str:
    data = {"user": user.pk, "email": email, "was": user.email}
    return signing.dumps(data, salt=NEW_ADDRESS_SALT)


def new_address_from_token(token: str) -> NewAddress | None:
    """The change a link asks for, or None when it is bad, expired or already overtaken."""
    try:
        data = signing.loads(token, salt=NEW_ADDRESS_SALT, max_age=NEW_ADDRESS_MAX_AGE)
        user = get_user_model().objects.get(pk=data["user"], is_active=True)
    except (signing.BadSignature, KeyError, TypeError, ObjectDoesNotExist):
        return None
    if user.email != data["was"]:
        return None
    return NewAddress(user=user, email=data["email"])


def address_change_request(*, user: Any, email: str, password: str) -> None:
    """Queue a link to the new address, and a notice to the old one; reminders keep going
    to the old one until the link is followed. It takes the current password, so a session
    left open cannot move the account. A new address another account uses is silently not
    sent to, so the form cannot be used to find out which addresses have accounts."""
    if not user.check_password(password):
        raise ValidationError({"password": "That is not your current password."})
    email = get_user_model().objects.normalize_email(email.strip()).lower()
    if email == user.email.lower():
        raise ValidationError({"email": "That is already the address reminders go to."})
    # Counted first, whether or not another account uses the address: the answer is the
    # same either way.
    if not one_more_mail_allowed(kind="new_address", recipient=email):
        return
    if get_user_model().objects.filter(**same_address(email)).exclude(pk=user.pk).exists():
        return
    link = account_email_queue(user=user, kind=OutboxEmail.Kind.NEW_ADDRESS, recipient=email)
    if link is not None and user.email:
        kind = OutboxEmail.Kind.ADDRESS_NOTICE
        account_email_queue(user=user, kind=kind, recipient=user.email)


@transaction.atomic
def address_change_confirm(*, change: NewAddress) -> Any:
    """Make the verified new address the account's (and its username, when that was the
    old address, as it is for accounts that signed themselves up)."""
    user_model = get_user_model()
    user = user_model.objects.select_for_update().get(pk=change.user.pk)
    if user_model.objects.filter(**same_address(change.email)).exclude(pk=user.pk).exists():
        raise ValidationError("Another account uses that address now.")
    fields = ["email"]
    if user.username.lower() == user.email.lower() and not (
        user_model.objects.filter(username__iexact=change.email).exclude(pk=user.pk).exists()
    ):
        user.username = change.email
        fields.append("username")
    user.email = change.email
    user.save(update_fields=fields)
    subscriptions_replan(user=user)
    return user


def password_reset_queue(*, email: str) -> None:
    """Queue a reset email to each active account with this address, or, when no account
    uses it, one email telling the address so: the request does the same work either way
    (one email queued in the outbox), and the page answers the same."""
    user_model = get_user_model()
    # Counted for every address, known or not, before anything tells them apart.
    if not one_more_mail_allowed(kind="reset", recipient=email):
        return
    kind = OutboxEmail.Kind.PASSWORD_RESET
    users = [
        user
        for user in user_model.objects.filter(**same_address(email), is_active=True)
        if user.has_usable_password()
    ]
    for user in users:
        account_email_queue(user=user, kind=kind, recipient=user.email)
    if not users:
        address = user_model.objects.normalize_email(email.strip()).lower()
        account_email_queue(user=None, kind=kind, recipient=address)


@transaction.atomic
def account_language_choose(*, user: Any, language: str) -> None:
    """The account's interface language; its subscriptions' emails follow it."""
    if language not in dict(settings.LANGUAGES):
        raise ValidationError({"language": f"“{language}” is not one of the languages."})
    AccountLanguage.objects.update_or_create(user=user, defaults={"language": language})
    Subscription.objects.filter(user=user).update(language=language)
