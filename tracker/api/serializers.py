"""Translate between JSON and the record; state changes are handed to tracker.services."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import transaction
from django.utils import timezone
from drf_spectacular.extensions import OpenApiSerializerFieldExtension
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from tracker import status as rules
from tracker.deadlines import (
    MAX_TEXT_LENGTH,
    MAX_YEAR,
    MIN_YEAR,
    Deadline,
    DeadlineError,
    Precision,
    describe,
    parse_deadline,
)
from tracker.models import (
    MAX_FIGURE,
    DeadlineRevision,
    Milestone,
    Negotiation,
    Observation,
    Party,
    Reminder,
    Source,
    Subscription,
    Target,
    Track,
)
from tracker.services import (
    milestone_cancel,
    milestone_complete,
    milestone_reopen,
    milestone_set_deadline,
    milestone_set_dependencies,
    validate_dependencies,
)
from tracker.signals import deferred_refresh
from tracker.status import Health, MilestoneState, MilestoneStatus, TargetStatus
from tracker.subscriptions import (
    subscription_create,
    validate_digest_rule,
    validate_offsets,
    validate_timezone,
)


def _enum_choices(enum: Any) -> list[str]:
    return [member.value for member in enum]


def _as_drf_error(error: DjangoValidationError) -> serializers.ValidationError:
    return serializers.ValidationError(serializers.as_serializer_error(error))


def _money(**kwargs: Any) -> serializers.DecimalField:
    # Numbers, not strings, so that clients can compute with them directly.
    return serializers.DecimalField(
        max_digits=20,
        decimal_places=4,
        max_value=MAX_FIGURE,
        coerce_to_string=False,
        **kwargs,
    )


# --- deadlines ------------------------------------------------------------------------------


class DeadlineSerializer(serializers.Serializer[Deadline]):
    """How a deadline reads: its words and the window of dates they mean."""

    text = serializers.CharField(help_text="The deadline in words, e.g. “Q3 2026”.")
    earliest = serializers.DateField()
    latest = serializers.DateField(help_text="The date reminders and statuses use.")
    precision = serializers.ChoiceField(choices=_enum_choices(Precision))


class DeadlineBoundsSerializer(serializers.Serializer[dict[str, Any]]):
    """A deadline given as a window of dates; its text is derived from them."""

    earliest = serializers.DateField()
    latest = serializers.DateField()
    precision = serializers.ChoiceField(choices=_enum_choices(Precision))

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


class DeadlineField(serializers.Field):  # type: ignore[type-arg]
    """Written as text ("by Q3 2026") or as {earliest, latest, precision}; read as a window."""

    default_error_messages = {
        "invalid": (
            'Give the deadline as text such as "by Q3 2026", or as an object '
            '{{"earliest": "2026-07-01", "latest": "2026-09-30", "precision": "quarter"}}.'
        ),
    }

    def to_internal_value(self, data: Any) -> Deadline:
        if isinstance(data, str):
            if len(data) > MAX_TEXT_LENGTH:
                raise serializers.ValidationError(
                    f"Keep the deadline to {MAX_TEXT_LENGTH} characters, e.g. “by Q3 2026”."
                )
            try:
                return parse_deadline(data, reference=timezone.localdate())
            except DeadlineError as error:
                raise serializers.ValidationError(str(error)) from None
        if isinstance(data, Mapping):
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

    def to_representation(self, value: Deadline) -> dict[str, Any]:
        return {
            "text": value.text,
            "earliest": value.earliest.isoformat(),
            "latest": value.latest.isoformat(),
            "precision": value.precision.value,
        }


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
            return {"oneOf": [text, bounds]}
        return dict(auto_schema.resolve_serializer(DeadlineSerializer, direction).ref)


# --- reference data -------------------------------------------------------------------------


class PartySerializer(serializers.ModelSerializer[Party]):
    class Meta:
        model = Party
        fields = ["id", "code", "name"]


class SourceSerializer(serializers.ModelSerializer[Source]):
    class Meta:
        model = Source
        fields = ["id", "slug", "title", "publisher", "url", "published_on", "excerpt"]


def _source_slugs(**kwargs: Any) -> serializers.SlugRelatedField[Source]:
    return serializers.SlugRelatedField(
        slug_field="slug", queryset=Source.objects.all(), help_text="Source slugs.", **kwargs
    )


# --- negotiations and tracks ----------------------------------------------------------------


class HealthFieldsMixin(serializers.Serializer[Any]):
    health = serializers.ChoiceField(choices=_enum_choices(Health), read_only=True)
    health_reason = serializers.CharField(read_only=True)
    progress = serializers.FloatField(
        read_only=True, allow_null=True, help_text="Completed weight ÷ non-cancelled weight."
    )
    next_deadline = serializers.DateField(read_only=True, allow_null=True)


class NegotiationSerializer(HealthFieldsMixin, serializers.ModelSerializer[Negotiation]):
    parties = serializers.SlugRelatedField(
        many=True,
        slug_field="code",
        queryset=Party.objects.all(),
        required=False,
        help_text="Party codes, e.g. IN, US.",
    )
    sources = _source_slugs(many=True, required=False)

    class Meta:
        model = Negotiation
        fields = [
            "id", "slug", "name", "parties", "stage", "summary", "sources",
            "health", "health_reason", "progress", "next_deadline", "created_at", "updated_at",
        ]  # fmt: skip


class TrackSerializer(HealthFieldsMixin, serializers.ModelSerializer[Track]):
    negotiation = serializers.SlugRelatedField(
        slug_field="slug", queryset=Negotiation.objects.all(), help_text="The negotiation's slug."
    )
    owner = serializers.SlugRelatedField(
        slug_field="username",
        queryset=get_user_model().objects.all(),
        allow_null=True,
        required=False,
        help_text="Username of the person answerable for the track.",
    )
    deadline = DeadlineField(allow_null=True, required=False)
    sources = _source_slugs(many=True, required=False)

    class Meta:
        model = Track
        fields = [
            "id", "negotiation", "slug", "name", "summary", "owner", "position", "deadline",
            "sources", "health", "health_reason", "progress", "next_deadline",
            "created_at", "updated_at",
        ]  # fmt: skip


# --- milestones -----------------------------------------------------------------------------


class DeadlineRevisionSerializer(serializers.ModelSerializer[DeadlineRevision]):
    # The stubs mistake a declared field called `source` for Field.source.
    source: serializers.SlugRelatedField[Source] = serializers.SlugRelatedField(  # type: ignore[assignment]
        slug_field="slug", read_only=True, allow_null=True
    )
    slip_days = serializers.IntegerField(read_only=True, allow_null=True)

    class Meta:
        model = DeadlineRevision
        fields = [
            "id", "previous_text", "previous_earliest", "previous_latest", "previous_precision",
            "new_text", "new_earliest", "new_latest", "new_precision",
            "changed_at", "reason", "source", "slip_days",
        ]  # fmt: skip
        read_only_fields = fields


class MilestoneSerializer(serializers.ModelSerializer[Milestone]):
    negotiation: serializers.SlugRelatedField[Negotiation] = serializers.SlugRelatedField(
        source="track.negotiation", slug_field="slug", read_only=True
    )
    deadline = DeadlineField(allow_null=True, required=False)
    state = serializers.ChoiceField(
        choices=_enum_choices(MilestoneState),
        required=False,
        help_text="Setting completed or cancelled does what the complete and cancel actions do.",
    )
    completed_on = serializers.DateField(
        required=False, allow_null=True, help_text="With state=completed; default today."
    )
    weight = serializers.DecimalField(
        max_digits=7, decimal_places=2, coerce_to_string=False, required=False
    )
    depends_on = serializers.PrimaryKeyRelatedField(
        many=True, queryset=Milestone.objects.all(), required=False
    )
    sources = _source_slugs(many=True, required=False)
    revision_reason = serializers.CharField(
        write_only=True,
        required=False,
        allow_blank=True,
        max_length=300,
        help_text="Why the deadline changed (kept in its revision).",
    )
    revision_source = serializers.SlugRelatedField(
        slug_field="slug",
        queryset=Source.objects.all(),
        write_only=True,
        required=False,
        allow_null=True,
        help_text="Slug of the source that reported the deadline change.",
    )
    status = serializers.ChoiceField(choices=_enum_choices(MilestoneStatus), read_only=True)
    completed_late = serializers.BooleanField(read_only=True)
    status_reason = serializers.CharField(read_only=True)
    days_remaining = serializers.SerializerMethodField(
        help_text="Days from today to the deadline's latest date; null when done or unscheduled."
    )
    slip_days = serializers.IntegerField(
        read_only=True, help_text="Days the deadline moved since first announced."
    )
    revisions = DeadlineRevisionSerializer(many=True, read_only=True)

    class Meta:
        model = Milestone
        fields = [
            "id", "track", "negotiation", "slug", "title", "kind", "deadline", "state",
            "completed_on", "weight", "depends_on", "consequence", "sources",
            "revision_reason", "revision_source",
            "status", "completed_late", "status_reason", "days_remaining", "slip_days",
            "revisions", "created_at", "updated_at",
        ]  # fmt: skip

    def get_days_remaining(self, milestone: Milestone) -> int | None:
        return milestone.days_remaining(timezone.localdate())

    def validate_weight(self, value: Decimal) -> Decimal:
        if value <= 0:
            raise serializers.ValidationError("The weight must be greater than zero.")
        return value

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if "depends_on" in attrs and self.instance is not None:
            try:
                validate_dependencies(self.instance, attrs["depends_on"])
            except DjangoValidationError as error:
                raise _as_drf_error(error) from None
        state = attrs.get("state")
        if attrs.get("completed_on") is not None and state != MilestoneState.COMPLETED:
            raise serializers.ValidationError(
                {"completed_on": "Give completed_on together with state=completed."}
            )
        if state == MilestoneState.COMPLETED:
            completed_on = attrs.get("completed_on") or timezone.localdate()
            if completed_on > timezone.localdate():
                raise serializers.ValidationError(
                    {"completed_on": "A milestone cannot be completed in the future."}
                )
        return attrs

    def _by(self) -> Any:
        request = self.context.get("request")
        return request.user if request is not None else None

    def create(self, validated_data: dict[str, Any]) -> Milestone:
        deadline = validated_data.pop("deadline", None)
        changes = _MilestoneChanges.take(validated_data)
        try:
            with transaction.atomic(), deferred_refresh():
                milestone = Milestone(**validated_data)
                milestone.deadline = deadline
                milestone.revision_reason = changes.reason
                milestone.revision_source = changes.source
                by = self._by()
                milestone.revision_by = by if getattr(by, "is_authenticated", False) else None
                milestone.save()
                changes.apply(milestone, by=by)
        except DjangoValidationError as error:
            raise _as_drf_error(error) from None
        return milestone

    def update(self, instance: Milestone, validated_data: dict[str, Any]) -> Milestone:
        has_deadline = "deadline" in validated_data
        deadline = validated_data.pop("deadline", None)
        changes = _MilestoneChanges.take(validated_data)
        try:
            with transaction.atomic(), deferred_refresh():
                for name, value in validated_data.items():
                    setattr(instance, name, value)
                if has_deadline:
                    milestone_set_deadline(
                        milestone=instance,
                        deadline=deadline,
                        reason=changes.reason,
                        source=changes.source,
                        by=self._by(),
                    )
                else:
                    instance.save()
                changes.apply(instance, by=self._by())
        except DjangoValidationError as error:
            raise _as_drf_error(error) from None
        return instance


class _MilestoneChanges:
    """The parts of a milestone write that go through services rather than plain fields."""

    def __init__(self, data: dict[str, Any]) -> None:
        self.reason: str = data.pop("revision_reason", "")
        self.source: Source | None = data.pop("revision_source", None)
        self.state: str | None = data.pop("state", None)
        self.completed_on: dt.date | None = data.pop("completed_on", None)
        self.depends_on: list[Milestone] | None = data.pop("depends_on", None)
        self.sources: list[Source] | None = data.pop("sources", None)

    @classmethod
    def take(cls, data: dict[str, Any]) -> _MilestoneChanges:
        return cls(data)

    def apply(self, milestone: Milestone, *, by: Any) -> None:
        if self.depends_on is not None:
            milestone_set_dependencies(milestone=milestone, depends_on=self.depends_on)
        if self.sources is not None:
            milestone.sources.set(self.sources)
        if self.state is None or self.state == milestone.state:
            return
        if self.state == MilestoneState.COMPLETED:
            milestone_complete(milestone=milestone, completed_on=self.completed_on, by=by)
        elif self.state == MilestoneState.CANCELLED:
            milestone_cancel(milestone=milestone, by=by)
        else:
            if milestone.state in {MilestoneState.COMPLETED, MilestoneState.CANCELLED}:
                milestone_reopen(milestone=milestone, by=by)
            if milestone.state != self.state:
                milestone.state = self.state
                milestone.save()


class MilestoneCompleteSerializer(serializers.Serializer[Any]):
    completed_on = serializers.DateField(
        required=False, help_text="The day it was completed; default today, never in the future."
    )

    def validate_completed_on(self, value: dt.date) -> dt.date:
        if value > timezone.localdate():
            raise serializers.ValidationError("A milestone cannot be completed in the future.")
        return value


class DeadlineParseQuerySerializer(serializers.Serializer[Any]):
    text = serializers.CharField(help_text="The deadline in words, e.g. “by Q3 2026”.")
    reference = serializers.DateField(
        required=False, help_text="Read forms without a year from this date; default today."
    )


# --- targets --------------------------------------------------------------------------------


class ObservationPointSerializer(serializers.Serializer[rules.Observation]):
    date = serializers.DateField(source="on")
    value = serializers.FloatField()


class TargetSerializer(serializers.ModelSerializer[Target]):
    negotiation = serializers.SlugRelatedField(
        slug_field="slug", queryset=Negotiation.objects.all(), help_text="The negotiation's slug."
    )
    track = serializers.PrimaryKeyRelatedField(
        queryset=Track.objects.all(), allow_null=True, required=False
    )
    deadline = DeadlineField()
    baseline_value = _money()
    target_value = _money()
    sources = _source_slugs(many=True, required=False)
    status = serializers.SerializerMethodField()
    status_reason = serializers.SerializerMethodField()
    latest_observation = serializers.SerializerMethodField()
    expected_value = serializers.SerializerMethodField(
        help_text="Where the value should have been on the latest observation's date."
    )
    attainment = serializers.SerializerMethodField(
        help_text="Latest value ÷ expected value (1.0 is exactly on the path)."
    )
    required_growth_rate = serializers.SerializerMethodField(
        help_text="Yearly growth needed from the latest value to reach the target in time."
    )

    class Meta:
        model = Target
        fields = [
            "id", "negotiation", "track", "slug", "name", "unit", "baseline_value",
            "baseline_date", "target_value", "deadline", "growth", "sources",
            "status", "status_reason", "latest_observation", "expected_value", "attainment",
            "required_growth_rate", "created_at", "updated_at",
        ]  # fmt: skip

    def _assessment(self, target: Target) -> rules.TargetAssessment:
        cached: rules.TargetAssessment | None = getattr(target, "_api_assessment", None)
        if cached is not None:
            return cached
        facts = target.facts((o.date, o.value) for o in target.observations.all())
        assessment = rules.assess_target(facts, timezone.localdate())
        target._api_assessment = assessment  # type: ignore[attr-defined]
        return assessment

    @extend_schema_field(serializers.ChoiceField(choices=_enum_choices(TargetStatus)))
    def get_status(self, target: Target) -> str:
        return self._assessment(target).status.value

    def get_status_reason(self, target: Target) -> str:
        return self._assessment(target).reason

    @extend_schema_field(ObservationPointSerializer(allow_null=True))
    def get_latest_observation(self, target: Target) -> dict[str, Any] | None:
        point = self._assessment(target).latest_observation
        return None if point is None else {"date": point.on.isoformat(), "value": point.value}

    def get_expected_value(self, target: Target) -> float | None:
        return self._assessment(target).expected_value

    def get_attainment(self, target: Target) -> float | None:
        return self._assessment(target).attainment

    def get_required_growth_rate(self, target: Target) -> float | None:
        return self._assessment(target).required_growth_rate

    def validate_baseline_value(self, value: Decimal) -> Decimal:
        if value <= 0:
            raise serializers.ValidationError("The baseline value must be greater than zero.")
        return value

    def validate_target_value(self, value: Decimal) -> Decimal:
        if value <= 0:
            raise serializers.ValidationError("The target value must be greater than zero.")
        return value

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        def current(name: str) -> Any:
            return attrs[name] if name in attrs else getattr(self.instance, name, None)

        deadline: Deadline | None = current("deadline")
        baseline_date: dt.date | None = current("baseline_date")
        if deadline is not None and baseline_date is not None and deadline.latest <= baseline_date:
            raise serializers.ValidationError(
                {"deadline": "The deadline must end after the baseline date."}
            )
        track: Track | None = current("track")
        negotiation: Negotiation | None = current("negotiation")
        if track is not None and negotiation is not None and track.negotiation_id != negotiation.id:
            raise serializers.ValidationError(
                {"track": "The track belongs to another negotiation."}
            )
        return attrs


class ObservationSerializer(serializers.ModelSerializer[Observation]):
    value = _money()
    # The stubs mistake a declared field called `source` for Field.source.
    source: serializers.SlugRelatedField[Source] = serializers.SlugRelatedField(  # type: ignore[assignment]
        slug_field="slug", queryset=Source.objects.all(), allow_null=True, required=False
    )

    class Meta:
        model = Observation
        fields = ["id", "target", "date", "value", "source", "note"]

    def validate_value(self, value: Decimal) -> Decimal:
        if value < 0:
            raise serializers.ValidationError("An observed value cannot be negative.")
        return value


# --- the caller's subscriptions, reminders, calendar feed -----------------------------------


class SubscriptionSerializer(serializers.ModelSerializer[Subscription]):
    negotiation = serializers.SlugRelatedField(
        slug_field="slug", queryset=Negotiation.objects.all(), allow_null=True, required=False
    )
    track = serializers.PrimaryKeyRelatedField(
        queryset=Track.objects.all(), allow_null=True, required=False
    )
    timezone = serializers.CharField(max_length=64, required=False, default="UTC")
    offsets = serializers.ListField(
        child=serializers.IntegerField(min_value=0, max_value=365),
        required=False,
        min_length=1,
        max_length=20,
        help_text="Days before the deadline to send a reminder; default [30, 7, 1, 0].",
    )
    digest_rule = serializers.CharField(
        max_length=200,
        required=False,
        allow_blank=True,
        help_text="An RFC 5545 RRULE for the digest; empty for none.",
    )
    is_active = serializers.BooleanField(read_only=True)

    class Meta:
        model = Subscription
        fields = [
            "id", "negotiation", "track", "timezone", "offsets", "digest_rule",
            "is_active", "confirmed_at", "unsubscribed_at", "created_at",
        ]  # fmt: skip
        read_only_fields = ["confirmed_at", "unsubscribed_at", "created_at"]

    def validate_timezone(self, value: str) -> str:
        try:
            return validate_timezone(value)
        except DjangoValidationError as error:
            raise serializers.ValidationError(error.messages) from None

    def validate_offsets(self, value: list[int]) -> list[int]:
        try:
            return validate_offsets(value)
        except DjangoValidationError as error:
            raise serializers.ValidationError(error.messages) from None

    def validate_digest_rule(self, value: str) -> str:
        try:
            return validate_digest_rule(value)
        except DjangoValidationError as error:
            raise serializers.ValidationError(error.messages) from None

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if (attrs.get("negotiation") is None) == (attrs.get("track") is None):
            raise serializers.ValidationError(
                {"negotiation": "Subscribe to either a negotiation (slug) or a track (id)."}
            )
        return attrs

    def create(self, validated_data: dict[str, Any]) -> Subscription:
        try:
            return subscription_create(
                negotiation=validated_data.get("negotiation"),
                track=validated_data.get("track"),
                user=self.context["request"].user,
                timezone_name=validated_data.get("timezone", "UTC"),
                offsets=validated_data.get("offsets"),
                digest_rule=validated_data.get("digest_rule"),
            )
        except DjangoValidationError as error:
            raise _as_drf_error(error) from None


class ReminderSerializer(serializers.ModelSerializer[Reminder]):
    class Meta:
        model = Reminder
        fields = [
            "id", "milestone", "subscription", "recipient", "kind", "offset", "deadline",
            "due_at", "state", "attempts", "last_error", "claimed_at", "sent_at", "created_at",
        ]  # fmt: skip
        read_only_fields = fields


class CalendarFeedSerializer(serializers.Serializer[Any]):
    url = serializers.URLField(help_text="The private feed of every negotiation.")
    negotiation_url_template = serializers.CharField(
        help_text="The private feed of one negotiation; replace {slug}."
    )
    created_at = serializers.DateTimeField()
