"""The API's own field: a deadline written as words or a window, read as a window."""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from drf_spectacular.extensions import OpenApiSerializerFieldExtension
from rest_framework import serializers

from tracker import services
from tracker.deadlines import (
    MAX_TEXT_LENGTH,
    MAX_YEAR,
    MIN_YEAR,
    Deadline,
    DeadlineError,
    Precision,
    describe,
    in_words,
)
from tracker.models import Milestone, Negotiation, Party, Target, Track
from tracker.people import name_for


def enum_choices(enum: Any) -> list[str]:
    return [member.value for member in enum]


class DeadlineSerializer(serializers.Serializer[Deadline]):
    """How a deadline reads: its words and the window of dates they mean."""

    text = serializers.CharField(help_text="The deadline in words, e.g. “Q3 2026”.")
    earliest = serializers.DateField()
    latest = serializers.DateField(help_text="The date reminders and statuses use.")
    precision = serializers.ChoiceField(choices=enum_choices(Precision))
    said_on = serializers.DateField(
        allow_null=True,
        help_text="For a relative deadline (“within 90 days”), the day it was said: the "
        "window counts from it. Null when the text names its dates.",
    )
    in_words = serializers.CharField(
        help_text="The deadline as pages and emails show it, e.g. "
        "“by 20 Feb 2027 (within 90 days of 22 Nov 2026)”."
    )


class DeadlineWordsSerializer(serializers.Serializer[dict[str, Any]]):
    """A deadline given as words and the day they were said; what the API reads back
    (the window, `in_words`) may be sent along and must then agree with the words."""

    text = serializers.CharField(max_length=MAX_TEXT_LENGTH)
    said_on = serializers.DateField(required=False, allow_null=True)
    earliest = serializers.DateField(required=False)
    latest = serializers.DateField(required=False)
    precision = serializers.ChoiceField(choices=enum_choices(Precision), required=False)
    in_words = serializers.CharField(required=False)


class DeadlineBoundsSerializer(serializers.Serializer[dict[str, Any]]):
    """A deadline given as a window of dates; its text is derived from them."""

    earliest = serializers.DateField()
    latest = serializers.DateField()
    precision = serializers.ChoiceField(choices=enum_choices(Precision))

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if attrs["earliest"] > attrs["latest"]:
            raise serializers.ValidationError(
                {"earliest": "The earliest date must be on or before the latest date."}
            )
        for name in ("earliest", "latest"):
            if not MIN_YEAR <= attrs[name].year <= MAX_YEAR:
                raise serializers.ValidationError(
                    {name: f"Give a date between the years {MIN_YEAR} and {MAX_YEAR}."}
                )
        return attrs


@dataclass(frozen=True)
class TypedDeadline:
    """Deadline words as written to the API, still to be read for their negotiation
    (ReadsTypedDeadline does it once the other fields are known)."""

    text: str
    said_on: dt.date | None = None
    # The window a client sent along with the words; it must be what they mean.
    window: tuple[dt.date | None, dt.date | None, str | None] | None = None


# Pure, and lists repeat the same few thousand deadlines: worth remembering.
_in_words = functools.lru_cache(maxsize=8192)(in_words)


def deadline_representation(deadline: Deadline) -> dict[str, Any]:
    return {
        "text": deadline.text,
        "earliest": deadline.earliest.isoformat(),
        "latest": deadline.latest.isoformat(),
        "precision": deadline.precision.value,
        "said_on": deadline.said_on.isoformat() if deadline.said_on else None,
        "in_words": _in_words(deadline),
    }


class DeadlineField(serializers.Field):  # type: ignore[type-arg]
    """Written as text ("by Q3 2026") or as {earliest, latest, precision}; read as a window.

    Text is checked here (so a bad deadline is reported with the other fields) and read
    for its negotiation's fiscal year by the serializer's ReadsTypedDeadline.
    """

    default_error_messages = {
        "invalid": (
            'Give the deadline as text such as "by Q3 2026", as words and the day they were '
            'said {{"text": "within 90 days", "said_on": "2026-11-01"}}, or as a window '
            '{{"earliest": "2026-07-01", "latest": "2026-09-30", "precision": "quarter"}}.'
        ),
    }

    def to_internal_value(self, data: Any) -> Deadline | TypedDeadline:
        if isinstance(data, str):
            if len(data) > MAX_TEXT_LENGTH:
                raise serializers.ValidationError(
                    f"Keep the deadline to {MAX_TEXT_LENGTH} characters, e.g. “by Q3 2026”."
                )
            try:
                services.read_deadline(data)
            except DeadlineError as error:
                raise serializers.ValidationError(str(error)) from None
            return TypedDeadline(data)
        if isinstance(data, Mapping) and "text" in data:
            return self._words(data)
        if isinstance(data, Mapping):
            if data.get("said_on") is not None:
                raise serializers.ValidationError(
                    {"said_on": "said_on goes with a deadline in words (text)."}
                )
            bounds = DeadlineBoundsSerializer(data=data)
            if not bounds.is_valid():
                raise serializers.ValidationError(bounds.errors)
            earliest, latest = bounds.validated_data["earliest"], bounds.validated_data["latest"]
            precision = Precision(bounds.validated_data["precision"])
            try:
                text = describe(earliest, latest, precision)
            except DeadlineError as error:
                raise serializers.ValidationError(str(error)) from None
            return Deadline(text=text, earliest=earliest, latest=latest, precision=precision)
        self.fail("invalid")
        raise AssertionError("unreachable")  # self.fail always raises

    def _words(self, data: Mapping[str, Any]) -> TypedDeadline:
        words = DeadlineWordsSerializer(data=data)
        if not words.is_valid():
            raise serializers.ValidationError(words.errors)
        given = words.validated_data
        try:
            services.read_deadline(given["text"], said_on=given.get("said_on"))
        except DeadlineError as error:
            raise serializers.ValidationError(str(error)) from None
        sent = (given.get("earliest"), given.get("latest"), given.get("precision"))
        return TypedDeadline(
            given["text"], given.get("said_on"), sent if any(v is not None for v in sent) else None
        )

    def to_representation(self, value: Deadline) -> dict[str, Any]:
        return deadline_representation(value)


class ReadsTypedDeadline(serializers.Serializer[Any]):
    """Reads a deadline written as words for the row: its negotiation, the party whose
    fiscal year it follows (the track's) or the month chosen, and the day it was said."""

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        attrs = super().validate(attrs)
        typed = attrs.get("deadline")
        if isinstance(typed, TypedDeadline):
            try:
                deadline = services.read_deadline(
                    typed.text,
                    negotiation=self._deadline_negotiation(attrs),
                    party=self._deadline_party(attrs),
                    said_on=typed.said_on,
                    fiscal_year_start=self._value(attrs, "fiscal_year_start"),
                )
            except DeadlineError as error:
                raise serializers.ValidationError({"deadline": [str(error)]}) from None
            if typed.window is not None and typed.window != (
                deadline.earliest,
                deadline.latest,
                deadline.precision.value,
            ):
                raise serializers.ValidationError(
                    {
                        "deadline": [
                            f"“{typed.text}” means {describe_window_of(deadline)}, not the "
                            "earliest, latest and precision sent with it: send the words or "
                            "the window."
                        ]
                    }
                )
            attrs["deadline"] = deadline
        return attrs

    def _value(self, attrs: dict[str, Any], name: str) -> Any:
        # A partial update keeps the row's value for a field it leaves out.
        if name in attrs:
            return attrs[name]
        return getattr(self.instance, name, None)

    def _deadline_party(self, attrs: dict[str, Any]) -> Party | None:
        # A track follows its own party; a milestone or target, its track's.
        if isinstance(self.instance, Track) or "party" in attrs:
            party: Party | None = self._value(attrs, "party")
            return party
        track: Track | None = self._value(attrs, "track")
        return None if track is None else track.party

    def _deadline_negotiation(self, attrs: dict[str, Any]) -> Negotiation | None:
        # A track and a target name their negotiation; a milestone's is its track's.
        if attrs.get("negotiation") is not None:
            negotiation: Negotiation = attrs["negotiation"]
            return negotiation
        if attrs.get("track") is not None:
            track: Track = attrs["track"]
            return track.negotiation
        if isinstance(self.instance, Milestone):
            return self.instance.track.negotiation
        if isinstance(self.instance, Track | Target):
            return self.instance.negotiation
        return None


def describe_window_of(deadline: Deadline) -> str:
    if deadline.earliest == deadline.latest:
        return f"{deadline.latest}"
    return f"{deadline.earliest} to {deadline.latest} ({deadline.precision})"


class DeadlineFieldSchema(OpenApiSerializerFieldExtension):  # type: ignore[no-untyped-call]
    """Requests accept text or bounds; responses always carry the full window."""

    target_class = DeadlineField

    def map_serializer_field(self, auto_schema: Any, direction: str) -> dict[str, Any]:
        if direction == "request":
            bounds = auto_schema.resolve_serializer(DeadlineBoundsSerializer, direction).ref
            text = {
                "type": "string",
                "minLength": 1,
                "maxLength": MAX_TEXT_LENGTH,
                "description": "A deadline in words, read relative to today.",
                "example": "by Q3 2026",
            }
            words = auto_schema.resolve_serializer(DeadlineWordsSerializer, direction).ref
            # anyOf: words may carry the window they stand for, so an object can fit both.
            return {"anyOf": [text, words, bounds]}
        return dict(auto_schema.resolve_serializer(DeadlineSerializer, direction).ref)


class PersonField(serializers.SlugRelatedField):  # type: ignore[type-arg]
    """A user, written by username; read by name as tracker.people says (signed-up users'
    usernames are their email addresses, which only staff may read)."""

    def to_representation(self, obj: Any) -> str:
        request = self.context.get("request")
        return name_for(obj, reader=getattr(request, "user", None))
