"""The subscription form: what to follow, in which time zone, and how many days ahead."""

from __future__ import annotations

import zoneinfo
from typing import Any

from django import forms

from tracker.models import Negotiation, Track

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


class SubscriptionForm(forms.Form):
    subject = forms.ChoiceField(
        label="Follow",
        help_text="A whole negotiation, or one of its tracks.",
    )
    timezone = forms.CharField(
        label="Time zone",
        initial="UTC",
        max_length=64,
        help_text="Reminders go out at 08:00 in this time zone, e.g. Asia/Kolkata.",
        widget=forms.TextInput(attrs={"list": "timezones", "autocomplete": "off"}),
    )
    offsets = forms.CharField(
        label="Remind me this many days before",
        initial="30, 7, 1, 0",
        max_length=100,
        help_text="Whole days, separated by commas; 0 is the day itself.",
    )

    def __init__(
        self, *args: Any, negotiations: list[tuple[Negotiation, list[Track]]], **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
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
        name: str = self.cleaned_data["timezone"].strip()
        try:
            zoneinfo.ZoneInfo(name)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            raise forms.ValidationError(
                f"“{name}” is not a known time zone, e.g. Asia/Kolkata."
            ) from None
        return name

    def clean_offsets(self) -> list[int]:
        parts = [
            p.strip()
            for p in self.cleaned_data["offsets"].replace(";", ",").split(",")
            if p.strip()
        ]
        if not parts or not all(p.isascii() and p.isdigit() and int(p) <= 365 for p in parts):
            raise forms.ValidationError(
                "Give whole days from 0 to 365, separated by commas, e.g. 30, 7, 1, 0."
            )
        return sorted({int(p) for p in parts}, reverse=True)
