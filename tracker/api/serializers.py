"""Translate between JSON and the record; every write is handed to tracker.services."""

from __future__ import annotations

import datetime as dt
from typing import Any, ClassVar

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import models
from django.utils import timezone
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from tracker import deadline_record, figures, freshness, services
from tracker.api.fields import (
    DeadlineBoundsSerializer,
    DeadlineField,
    DeadlineFieldSchema,
    DeadlineSerializer,
    PersonField,
    ReadsTypedDeadline,
    enum_choices,
)
from tracker.api.preconditions import PreconditionFailed, etag
from tracker.lifecycle import TEMPLATES
from tracker.models import (
    MAX_FIGURE,
    Change,
    DeadlineRevision,
    Discrepancy,
    Milestone,
    Negotiation,
    Observation,
    Party,
    Reminder,
    Series,
    Source,
    Subscription,
    Target,
    Track,
)
from tracker.services.subscriptions import (
    subscription_create,
    subscription_update,
    validate_digest_rule,
)
from tracker.status import Health, MilestoneState, MilestoneStatus, TargetStatus
from tracker.subscription_input import (
    MAX_OFFSET,
    OFFSETS_RULE,
    validate_offsets,
    validate_timezone,
)

__all__ = ["DeadlineBoundsSerializer", "DeadlineField", "DeadlineFieldSchema", "DeadlineSerializer"]


def as_drf_error(error: DjangoValidationError) -> serializers.ValidationError:
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


def acting_user(serializer: serializers.BaseSerializer[Any]) -> Any:
    request = serializer.context.get("request")
    return request.user if request is not None else None


class RecordSerializer(serializers.ModelSerializer[Any]):
    """Creates and edits go through tracker.services.record_save, which holds the rules.

    The serializer copies the plain fields onto the row and passes the relations (and,
    for milestones, why the deadline moved) as the service's arguments.
    """

    # Validated fields handed to the service as keyword arguments: {field: argument}.
    service_arguments: ClassVar[dict[str, str]] = {}

    def get_extra_kwargs(self) -> dict[str, Any]:
        extra: dict[str, Any] = super().get_extra_kwargs()
        if "slug" in self.Meta.fields:
            # Left out, the service derives it from the title or name (services.slugs).
            extra["slug"] = {"required": False, **extra.get("slug", {})}
        return extra

    def get_unique_together_validators(self) -> list[Any]:
        # Uniqueness is the write service's check, made after it derives a missing slug (DRF's
        # validator would make the slug required) and worded by the model to say what to
        # change ("Another milestone in this track already uses the slug …"), not DRF's "The
        # fields track, slug must make a unique set."
        return []

    def create(self, validated_data: dict[str, Any]) -> Any:
        model: type[models.Model] = self.Meta.model
        arguments = self._arguments(validated_data)
        record = model()
        for name, value in validated_data.items():
            setattr(record, name, value)
        try:
            return services.record_save(record=record, by=acting_user(self), **arguments)
        except DjangoValidationError as error:
            raise as_drf_error(error) from None

    def update(self, instance: Any, validated_data: dict[str, Any]) -> Any:
        """Only the fields sent change, on the row as it stands when the write takes its
        lock, and at the version If-Match named (context "version", from the view)."""
        arguments = self._arguments(validated_data)
        try:
            return services.record_update(
                model=type(instance),
                pk=instance.pk,
                changes=validated_data,
                version=self.context.get("version"),
                by=acting_user(self),
                **arguments,
            )
        except services.StaleVersion as stale:
            raise PreconditionFailed(etag(stale.record)) from None
        except DjangoValidationError as error:
            raise as_drf_error(error) from None

    def _arguments(self, data: dict[str, Any]) -> dict[str, Any]:
        """Pop the validated fields that the service takes as arguments, not as changes."""
        return {
            argument: data.pop(name)
            for name, argument in self.service_arguments.items()
            if name in data
        }


# --- reference data -------------------------------------------------------------------------


class PartySerializer(RecordSerializer):
    class Meta:
        model = Party
        fields = ["id", "code", "name", "fiscal_year_start"]


class SourceSerializer(RecordSerializer):
    class Meta:
        model = Source
        fields = [
            "id", "slug", "title", "publisher", "url", "published_on", "published_by", "excerpt",
        ]  # fmt: skip


def _aliases() -> serializers.ListField:
    return serializers.ListField(
        child=serializers.CharField(max_length=200),
        required=False,
        help_text="Other names articles use for it (“first tranche”): the reader matches them.",
    )


def _source_slugs(**kwargs: Any) -> serializers.SlugRelatedField[Source]:
    return serializers.SlugRelatedField(
        slug_field="slug", queryset=Source.objects.all(), help_text="Source slugs.", **kwargs
    )


# --- negotiations and tracks ----------------------------------------------------------------


class FreshnessMixin(serializers.Serializer[Any]):
    """When a source last confirmed the row's current facts (docs/design.md "Freshness")."""

    last_confirmed_on = serializers.DateField(
        read_only=True,
        allow_null=True,
        help_text="The newest source date behind the current facts; null when none is dated.",
    )
    last_confirmed_inferred = serializers.BooleanField(
        read_only=True,
        help_text="That date is an “on or before” date inferred from an undated text.",
    )
    stale = serializers.BooleanField(
        read_only=True,
        help_text="Open, and no dated source within TRACKER_STALE_AFTER_DAYS days.",
    )
    freshness = serializers.SerializerMethodField(
        help_text="The same in words, e.g. “Last confirmed by a source on 26 May 2025 "
        "(18 months ago) — may be out of date”."
    )

    def get_freshness(self, row: Any) -> str:
        return freshness.confirmation(row, timezone.localdate())


class HealthFieldsMixin(FreshnessMixin):
    health = serializers.ChoiceField(choices=enum_choices(Health), read_only=True)
    health_reason = serializers.CharField(read_only=True)
    progress = serializers.FloatField(
        read_only=True, allow_null=True, help_text="Completed weight ÷ non-cancelled weight."
    )
    next_deadline = serializers.DateField(read_only=True, allow_null=True)


class NegotiationSerializer(HealthFieldsMixin, RecordSerializer):
    service_arguments = {"parties": "parties", "sources": "sources", "template": "template"}

    template = serializers.ChoiceField(
        choices=sorted(TEMPLATES),
        write_only=True,
        required=False,
        help_text="On create: start from this lifecycle template, a track of undated "
        "milestones from terms of reference to entry into force.",
    )
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
            "id", "slug", "name", "parties", "stage", "summary", "sources", "template",
            "health", "health_reason", "progress", "next_deadline",
            "last_confirmed_on", "last_confirmed_inferred", "stale", "freshness",
            "created_at", "updated_at",
        ]  # fmt: skip


class TrackSerializer(ReadsTypedDeadline, HealthFieldsMixin, RecordSerializer):
    service_arguments = {"sources": "sources"}

    negotiation = serializers.SlugRelatedField(
        slug_field="slug", queryset=Negotiation.objects.all(), help_text="The negotiation's slug."
    )
    owner = PersonField(
        slug_field="username",
        queryset=get_user_model().objects.all(),
        allow_null=True,
        required=False,
        help_text="The person answerable for the track: written as a username; read as "
        "the username by staff and as the display name by everyone else.",
    )
    party = serializers.SlugRelatedField(
        slug_field="code",
        queryset=Party.objects.all(),
        allow_null=True,
        required=False,
        help_text="Code of the party whose fiscal year “FY2026-27” means in its deadlines.",
    )
    deadline = DeadlineField(allow_null=True, required=False)
    sources = _source_slugs(many=True, required=False)

    class Meta:
        model = Track
        fields = [
            "id", "negotiation", "slug", "name", "summary", "owner", "party", "position", "ongoing",
            "deadline", "sources", "health", "health_reason", "progress", "next_deadline",
            "last_confirmed_on", "last_confirmed_inferred", "stale", "freshness",
            "created_at", "updated_at",
        ]  # fmt: skip


# --- milestones -----------------------------------------------------------------------------


class DeadlineRevisionSerializer(serializers.ModelSerializer[DeadlineRevision]):
    # The stubs mistake a declared field called `source` for Field.source.
    source: serializers.SlugRelatedField[Source] = serializers.SlugRelatedField(  # type: ignore[assignment]
        slug_field="slug", read_only=True, allow_null=True
    )
    slip_days = serializers.IntegerField(read_only=True, allow_null=True)
    reported_on = serializers.SerializerMethodField(
        help_text="When its source was published: its date, or an “on or before” date it "
        "implies (reported_on_inferred); null when there is no source or it is undated. "
        "changed_at is when the change was entered here."
    )
    reported_on_inferred = serializers.SerializerMethodField()
    previous_in_words = serializers.CharField(read_only=True)
    new_in_words = serializers.CharField(read_only=True)

    class Meta:
        model = DeadlineRevision
        fields = [
            "id", "previous_text", "previous_earliest", "previous_latest", "previous_precision",
            "previous_said_on", "previous_in_words",
            "new_text", "new_earliest", "new_latest", "new_precision",
            "new_said_on", "new_in_words",
            "changed_at", "reason", "source", "reported_on", "reported_on_inferred", "slip_days",
        ]  # fmt: skip
        read_only_fields = fields

    def get_reported_on(self, revision: DeadlineRevision) -> dt.date | None:
        date = revision.source.date if revision.source else None
        return date.on if date else None

    def get_reported_on_inferred(self, revision: DeadlineRevision) -> bool:
        date = revision.source.date if revision.source else None
        return bool(date and date.inferred)


class DiscrepancySerializer(serializers.ModelSerializer[Discrepancy]):
    sources: serializers.SlugRelatedField[Source] = serializers.SlugRelatedField(
        many=True, slug_field="slug", read_only=True, help_text="The slugs of the quotes."
    )

    class Meta:
        model = Discrepancy
        fields = ["summary", "sources"]
        read_only_fields = fields


class OutlookSerializer(serializers.Serializer[Any]):
    """The outlook of an open deadline (docs/design.md, "Track record and outlook")."""

    enough_history = serializers.BooleanField(
        help_text="False below 8 resolved deadlines in scope: then every figure is null."
    )
    chance = serializers.FloatField(
        allow_null=True, help_text="Chance (0 to 1) that it is met by the end of its window."
    )
    likely_by = serializers.DateField(
        allow_null=True, help_text="The day by which it is 80% likely to be met."
    )
    scope = serializers.ChoiceField(
        choices=["negotiation", "record"],
        allow_null=True,
        help_text="Whose resolved deadlines were resampled: this negotiation's or the record's.",
    )
    history = serializers.IntegerField(help_text="Resolved deadlines behind it.")
    brier_score = serializers.FloatField(
        allow_null=True,
        help_text="The back-test's Brier score for that scope (0 is perfect); null until "
        "`manage.py outlook_backtest` has scored a forecast.",
    )
    words = serializers.CharField(help_text="As pages say it, or “not enough history”.")


def milestone_track_record(milestone: Milestone) -> str:
    """ "stated 3 times; slipped twice, by 5 months in all", from its revisions."""
    moves = [(r.previous_latest, r.new_latest) for r in milestone.revisions.all()]
    return deadline_record.held_of(milestone.deadline_latest, moves)


class MilestoneSerializer(ReadsTypedDeadline, FreshnessMixin, RecordSerializer):
    service_arguments = {
        "depends_on": "depends_on",
        "sources": "sources",
        "revision_reason": "reason",
        "revision_source": "source",
    }

    negotiation: serializers.SlugRelatedField[Negotiation] = serializers.SlugRelatedField(
        source="track.negotiation", slug_field="slug", read_only=True
    )
    aliases = _aliases()
    deadline = DeadlineField(allow_null=True, required=False)
    state = serializers.ChoiceField(
        choices=enum_choices(MilestoneState),
        required=False,
        help_text="Setting completed or cancelled does what the complete and cancel actions do.",
    )
    completed_on = serializers.DateField(
        required=False, allow_null=True, help_text="With state=completed; default today."
    )
    completed_precision = serializers.ChoiceField(
        choices=[p.value for p in Milestone.COMPLETED_PRECISIONS],
        required=False,
        allow_blank=True,
        help_text="How exactly completed_on is known: day (the default), month or year; "
        "for a month or year, completed_on is its last day.",
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
    status = serializers.ChoiceField(choices=enum_choices(MilestoneStatus), read_only=True)
    completed_late = serializers.BooleanField(read_only=True)
    status_reason = serializers.CharField(read_only=True)
    days_remaining = serializers.SerializerMethodField(
        help_text="Days from today to the deadline's latest date; null when done or unscheduled."
    )
    slip_days = serializers.IntegerField(
        read_only=True, help_text="Days the deadline moved since first announced."
    )
    revisions = DeadlineRevisionSerializer(many=True, read_only=True)
    sources_differ = DiscrepancySerializer(
        source="discrepancies",
        many=True,
        read_only=True,
        help_text="Where the sources behind this milestone disagree, with their slugs.",
    )
    track_record = serializers.SerializerMethodField(
        help_text="How its deadline has held: “stated 3 times; slipped twice, by 5 months in all”."
    )
    outlook = serializers.SerializerMethodField(
        help_text="For an open milestone with a deadline: its outlook; null otherwise."
    )

    class Meta:
        model = Milestone
        fields = [
            "id", "track", "negotiation", "slug", "title", "aliases", "kind", "deadline",
            "fiscal_year_start", "state",
            "completed_on", "completed_precision", "weight", "depends_on", "consequence",
            "sources", "revision_reason", "revision_source",
            "status", "completed_late", "status_reason", "days_remaining", "slip_days",
            "last_confirmed_on", "last_confirmed_inferred", "stale", "freshness",
            "revisions", "sources_differ", "track_record", "outlook", "created_at", "updated_at",
        ]  # fmt: skip

    def get_days_remaining(self, milestone: Milestone) -> int | None:
        return milestone.days_remaining(timezone.localdate())

    def get_track_record(self, milestone: Milestone) -> str:
        return milestone_track_record(milestone)

    @extend_schema_field(OutlookSerializer(allow_null=True))
    def get_outlook(self, milestone: Milestone) -> dict[str, Any] | None:
        # One book for every milestone the serializer writes (3 queries, not 3 a row).
        root: Any = self.root
        book = getattr(root, "_deadline_book", None)
        if book is None:
            book = root._deadline_book = deadline_record.book()
        view = book.outlook_of(
            milestone.pk, milestone.deadline_latest, milestone.state, timezone.localdate()
        )
        return view.as_json() if view is not None else None


class MilestoneCompleteSerializer(serializers.Serializer[Any]):
    completed_on = serializers.DateField(
        required=False, help_text="The day it was completed; default today, never in the future."
    )


class DeadlineParseQuerySerializer(serializers.Serializer[Any]):
    text = serializers.CharField(help_text="The deadline in words, e.g. “by Q3 2026”.")
    reference = serializers.DateField(
        required=False, help_text="Read forms without a year from this date; default today."
    )
    fiscal_year_start = serializers.IntegerField(
        required=False,
        min_value=1,
        max_value=12,
        help_text="The month (1-12) a fiscal year starts in, for “FY2027”; default the month the "
        "negotiation's parties agree on, else TRACKER_FISCAL_YEAR_START.",
    )
    negotiation = serializers.SlugRelatedField(
        slug_field="slug",
        queryset=Negotiation.objects.all(),
        required=False,
        help_text="Read the deadline as typed for this negotiation (its slug).",
    )


# --- targets --------------------------------------------------------------------------------


class ObservationPointSerializer(serializers.Serializer[Any]):
    date = serializers.DateField(help_text="The end of the period the figure covers.")
    value = serializers.FloatField()
    series = serializers.CharField(
        allow_null=True, help_text="The primary series, the only one the status is judged on."
    )


def _series_name(**kwargs: Any) -> serializers.SlugRelatedField[Series]:
    return serializers.SlugRelatedField(slug_field="name", queryset=Series.objects.all(), **kwargs)


class TargetSerializer(ReadsTypedDeadline, FreshnessMixin, RecordSerializer):
    """A target and the figures the last status refresh stored for it (never recomputed here)."""

    service_arguments = {"sources": "sources"}

    negotiation = serializers.SlugRelatedField(
        slug_field="slug", queryset=Negotiation.objects.all(), help_text="The negotiation's slug."
    )
    track = serializers.PrimaryKeyRelatedField(
        queryset=Track.objects.all(), allow_null=True, required=False
    )
    aliases = _aliases()
    deadline = DeadlineField()
    baseline_value = _money()
    target_value = _money()
    sources = _source_slugs(many=True, required=False)
    status = serializers.ChoiceField(choices=enum_choices(TargetStatus), read_only=True)
    status_reason = serializers.CharField(read_only=True)
    latest_observation = serializers.SerializerMethodField()
    expected_value = serializers.FloatField(
        read_only=True,
        allow_null=True,
        help_text="Where the value should have been on the latest observation's date.",
    )
    attainment = serializers.FloatField(
        read_only=True,
        allow_null=True,
        help_text="Latest value ÷ expected value (1.0 is exactly on the path).",
    )
    required_growth_rate = serializers.FloatField(
        read_only=True,
        allow_null=True,
        help_text=(
            "Yearly growth needed from the latest value (or the baseline, before any "
            "observation) to reach the target in time."
        ),
    )
    required_pace = serializers.FloatField(
        read_only=True,
        allow_null=True,
        help_text="Units a year needed from the latest value (or the baseline) to reach the "
        "target in time: how a linear path is read.",
    )
    required_pace_text = serializers.SerializerMethodField(
        help_text="The required pace as the target page says it: “+62 USD billion a year” "
        "(linear) or “+21.4%/year” (compound); empty once the deadline has passed."
    )
    primary_series = _series_name(
        allow_null=True,
        required=False,
        help_text="The series the status is judged on (by name); the first series observed "
        "unless chosen.",
    )

    class Meta:
        model = Target
        fields = [
            "id", "negotiation", "track", "slug", "name", "aliases", "unit", "baseline_value",
            "baseline_date", "baseline_period_start", "baseline_period_end",
            "baseline_approximate", "target_value", "deadline", "growth", "primary_series",
            "sources", "status", "status_reason", "latest_observation", "expected_value",
            "attainment", "required_growth_rate", "required_pace", "required_pace_text",
            "last_confirmed_on", "last_confirmed_inferred", "stale", "freshness",
            "created_at", "updated_at",
        ]  # fmt: skip

    @extend_schema_field(ObservationPointSerializer(allow_null=True))
    def get_latest_observation(self, target: Target) -> dict[str, Any] | None:
        if target.observed_on is None:
            return None
        series = target.primary_series
        return {
            "date": target.observed_on.isoformat(),
            "value": target.observed_value,
            "series": series.name if series is not None else None,
        }

    def get_required_pace_text(self, target: Target) -> str:
        return figures.required_pace(
            target.growth,
            rate=target.required_growth_rate,
            per_year=target.required_pace,
            unit=target.unit,
        )


class ObservationSerializer(RecordSerializer):
    value = _money()
    # The stubs mistake a declared field called `source` for Field.source.
    source: serializers.SlugRelatedField[Source] = serializers.SlugRelatedField(  # type: ignore[assignment]
        slug_field="slug", queryset=Source.objects.all(), allow_null=True, required=False
    )

    recorded_at = serializers.DateTimeField(
        read_only=True, allow_null=True, help_text="When the figure was entered or last changed."
    )
    series = _series_name(
        required=False,
        help_text="Who published the figure and what it counts, by name, e.g. "
        "“US Census Bureau — goods and services”. Left out: the target's primary series.",
    )
    date = serializers.DateField(
        write_only=True,
        required=False,
        help_text="The API v1 shape: a figure for one day (period_start = period_end = date). "
        "Give either date or period_start and period_end.",
    )

    class Meta:
        model = Observation
        fields = [
            "id", "target", "series", "date", "period_start", "period_end", "value",
            "approximate", "source", "note", "recorded_at",
        ]  # fmt: skip
        extra_kwargs = {"period_start": {"required": False}, "period_end": {"required": False}}

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        """Translate the wave-1 shape {target, date, value}: the period is that day."""
        day = attrs.pop("date", None)
        if day is not None:
            if "period_start" in attrs or "period_end" in attrs:
                raise serializers.ValidationError({"date": [DATE_OR_PERIOD]})
            attrs["period_start"] = attrs["period_end"] = day
        elif self.instance is None:
            missing = [name for name in ("period_start", "period_end") if name not in attrs]
            if missing:
                raise serializers.ValidationError(
                    {name: ["This field is required (or give date)."] for name in missing}
                )
        return attrs


DATE_OR_PERIOD = "Give either date (one day) or period_start and period_end, not both."


class SeriesSerializer(RecordSerializer):
    """Who publishes a run of figures and what it counts."""

    class Meta:
        model = Series
        fields = ["id", "name"]


# --- the audit log --------------------------------------------------------------------------


class ChangeSerializer(serializers.ModelSerializer[Change]):
    """One write to the record: who, when, through which interface, before and after."""

    action = serializers.SerializerMethodField()
    object_type = serializers.CharField(source="content_type.model", read_only=True)
    actor = PersonField(
        slug_field="username",
        read_only=True,
        allow_null=True,
        help_text="Who wrote it: the username for staff, the display name for everyone else.",
    )
    changes = serializers.JSONField(
        read_only=True,
        help_text=(
            "Per field, [before, after]; for a many-to-many field, "
            "{type: m2m, operation: add|delete, objects: [...]}."
        ),
    )

    class Meta:
        model = Change
        fields = [
            "id", "timestamp", "action", "object_type", "object_id", "object_repr",
            "actor", "interface", "changes",
        ]  # fmt: skip
        read_only_fields = fields

    @extend_schema_field(serializers.ChoiceField(choices=["create", "update", "delete"]))
    def get_action(self, change: Change) -> str:
        return {0: "create", 1: "update", 2: "delete"}.get(change.action, "access")


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
        # The bounds are in the schema; the one message is the rule's (subscription_input).
        child=serializers.IntegerField(
            min_value=0,
            max_value=MAX_OFFSET,
            error_messages={k: OFFSETS_RULE for k in ("invalid", "min_value", "max_value")},
        ),
        required=False,
        min_length=1,
        max_length=20,
        error_messages={"min_length": OFFSETS_RULE, "not_a_list": OFFSETS_RULE},
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
        if self.instance is not None:
            if "negotiation" in attrs or "track" in attrs:
                raise serializers.ValidationError(
                    {
                        "negotiation": "A subscription keeps its subject; subscribe to the other "
                        "negotiation or track instead."
                    }
                )
            return attrs
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
            raise as_drf_error(error) from None

    def update(self, instance: Subscription, validated_data: dict[str, Any]) -> Subscription:
        try:
            return subscription_update(
                subscription=instance,
                negotiation=instance.negotiation,
                track=instance.track,
                timezone_name=validated_data.get("timezone", instance.timezone),
                offsets=validated_data.get("offsets", instance.offsets),
                digest_rule=validated_data.get("digest_rule", instance.digest_rule),
                reminders_on=instance.reminders_on,
            )
        except DjangoValidationError as error:
            raise as_drf_error(error) from None


class ReminderSerializer(serializers.ModelSerializer[Reminder]):
    class Meta:
        model = Reminder
        fields = [
            "id", "milestone", "subscription", "recipient", "kind", "offset", "deadline",
            "due_at", "state", "attempts", "last_error", "claimed_at", "sent_at", "created_at",
        ]  # fmt: skip
        read_only_fields = fields


class CalendarFeedStateSerializer(serializers.Serializer[Any]):
    created_at = serializers.DateTimeField()
    detail = serializers.CharField()


class CalendarFeedSerializer(serializers.Serializer[Any]):
    url = serializers.URLField(help_text="The private feed of every negotiation.")
    negotiation_url_template = serializers.CharField(
        help_text="The private feed of one negotiation; replace {slug}."
    )
    changes_url = serializers.URLField(
        help_text="The private Atom feed of recent changes (same secret); for one negotiation, "
        "add /negotiations/{slug} before .atom."
    )
    created_at = serializers.DateTimeField()
