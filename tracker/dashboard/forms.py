"""Dashboard forms: a subscription (what to follow, when to hear), and the account forms."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from django import forms
from django.contrib.auth import password_validation
from django.contrib.auth.forms import PasswordResetForm
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from tracker.models import Negotiation, Subscription, Track
from tracker.reminders.recurrence import DAILY_DAY, schedule_of, schedule_rule
from tracker.services.accounts import password_reset_queue
from tracker.subscription_input import offsets_from_text, validate_timezone

T = TypeVar("T")

COMMON_TIMEZONES = (
    "UTC",
    "Asia/Kolkata",
    "America/New_York",
    "America/Chicago",
    "America/Los_Angeles",
    "Europe/London",
    "Europe/Brussels",
    "Asia/Singapore",
    "Asia/Tokyo",
    "Australia/Sydney",
)


CUSTOM_DAY = "custom"
DEFAULT_DIGEST_HOUR = 8
DIGEST_DAYS = [
    ("", "No digest"),
    (DAILY_DAY, "Every day"),
    ("MO", "Mondays"),
    ("TU", "Tuesdays"),
    ("WE", "Wednesdays"),
    ("TH", "Thursdays"),
    ("FR", "Fridays"),
    ("SA", "Saturdays"),
    ("SU", "Sundays"),
]


def subscription_initial(subscription: Subscription) -> dict[str, Any]:
    """The edit form's values for a subscription."""
    schedule = schedule_of(subscription.digest_rule)
    day, hour = schedule if schedule is not None else (CUSTOM_DAY, DEFAULT_DIGEST_HOUR)
    subject = subscription.subject
    kind = "track" if isinstance(subject, Track) else "negotiation"
    return {
        "subject": f"{kind}:{subject.pk}",
        "timezone": subscription.timezone,
        "reminders_on": subscription.reminders_on,
        "offsets": ", ".join(str(o) for o in subscription.offsets),
        "digest_day": day,
        "digest_hour": hour,
    }


class SubscriptionForm(forms.Form):
    subject = forms.ChoiceField(
        label=_("Follow"),
        help_text=_("A whole negotiation, or one of its tracks."),
    )
    timezone = forms.CharField(
        label=_("Time zone"),
        initial="UTC",
        max_length=64,
        help_text=_("Reminders go out at 08:00 in this time zone, e.g. Asia/Kolkata."),
        widget=forms.TextInput(attrs={"list": "timezones", "autocomplete": "off"}),
    )
    reminders_on = forms.BooleanField(
        label=_("Send reminders before deadlines"),
        required=False,
        initial=True,
        help_text=_("Off: only the digest."),
    )
    offsets = forms.CharField(
        label=_("Remind me this many days before"),
        initial="30, 7, 1, 0",
        max_length=100,
        help_text=_("Whole days, separated by commas; 0 is the day itself."),
    )
    digest_day = forms.ChoiceField(
        label=_("Digest of what changed"),
        initial="MO",
        required=False,
        choices=DIGEST_DAYS,
        help_text=_("In your time zone."),
    )
    digest_hour = forms.TypedChoiceField(
        label=_("Digest at"),
        initial=8,
        coerce=int,
        required=False,
        empty_value=None,
        choices=[(h, f"{h:02d}:00") for h in range(24)],
    )

    def __init__(
        self,
        *args: Any,
        negotiations: list[tuple[Negotiation, list[Track]]],
        custom_rule: str = "",
        browser_zone: bool = False,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.custom_rule = custom_rule
        if custom_rule:
            # A rule set elsewhere (the API, an administrator) is kept unless changed.
            day = self.fields["digest_day"]
            assert isinstance(day, forms.ChoiceField)
            day.choices = [(CUSTOM_DAY, f"As set: {custom_rule}"), *DIGEST_DAYS]
        if browser_zone:
            # tracker/static/tracker/timezone.js puts the browser's zone in its place.
            self.fields["timezone"].widget.attrs["data-browser-zone"] = ""
        choices: list[Any] = []
        for negotiation, tracks in negotiations:
            options = [(f"negotiation:{negotiation.pk}", f"{negotiation.name} (whole negotiation)")]
            options += [(f"track:{t.pk}", f"{negotiation.name} — {t.name}") for t in tracks]
            choices.append((negotiation.name, options))
        subject = self.fields["subject"]
        assert isinstance(subject, forms.ChoiceField)
        subject.choices = choices
        self._negotiations = {n.pk: n for n, _ in negotiations}
        self._tracks = {t.pk: t for _, tracks in negotiations for t in tracks}

    def clean_subject(self) -> dict[str, Negotiation | Track]:
        kind, _, pk = self.cleaned_data["subject"].partition(":")
        table: dict[int, Any] = self._negotiations if kind == "negotiation" else self._tracks
        subject = table.get(int(pk)) if pk.isascii() and pk.isdigit() else None
        if subject is None:
            raise forms.ValidationError("Choose a negotiation or a track from the list.")
        return {kind: subject}

    def clean_timezone(self) -> str:
        return _by_the_rule(validate_timezone, self.cleaned_data["timezone"].strip())

    def clean_offsets(self) -> list[int]:
        return _by_the_rule(offsets_from_text, self.cleaned_data["offsets"])


def _by_the_rule(rule: Callable[[str], T], value: str) -> T:
    """The subscription rule's answer, or its message as this field's error."""
    try:
        return rule(value)
    except ValidationError as error:
        raise forms.ValidationError(error.messages) from None


# Accounts


class SignUpForm(forms.Form):
    """Only the address: the password is chosen by whoever follows the emailed link."""

    email = forms.EmailField(
        label=_("Email address"),
        max_length=150,
        help_text=_(
            "Reminders go here. We send a link to verify it; you choose your password there."
        ),
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )


class ChoosePasswordForm(forms.Form):
    """The password of an account being verified, checked as Django's validators say."""

    password1 = forms.CharField(
        label=_("Password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text=password_validation.password_validators_help_text_html(),
    )
    password2 = forms.CharField(
        label=_("Password again"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.user = user

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        first, second = data.get("password1"), data.get("password2")
        if first and second and first != second:
            self.add_error("password2", "The two passwords differ.")
        elif first:
            try:
                password_validation.validate_password(first, self.user)
            except forms.ValidationError as error:
                self.add_error("password1", error)
        return data


class NewAddressForm(forms.Form):
    email = forms.EmailField(
        label=_("New address"),
        max_length=150,
        help_text=_("We send a link there; reminders move once you follow it."),
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )
    password = forms.CharField(
        label=_("Current password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
        help_text=_("We also tell your current address that a change was asked for."),
    )


class QueuedPasswordResetForm(PasswordResetForm):
    """Django's reset form, sending through the outbox (tracker.services.accounts)."""

    def save(self, *args: Any, **kwargs: Any) -> None:
        password_reset_queue(email=self.cleaned_data["email"])


def digest_rule_of(form: SubscriptionForm) -> str:
    """The digest rule the form's day and hour stand for (a custom rule kept as it is)."""
    day = form.cleaned_data["digest_day"]
    if day == CUSTOM_DAY:
        return form.custom_rule
    hour = form.cleaned_data["digest_hour"]
    return schedule_rule(day, DEFAULT_DIGEST_HOUR if hour is None else hour)
