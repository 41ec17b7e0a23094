"""Query-string filters for the list endpoints."""

from __future__ import annotations

import datetime as dt
from typing import Any

import django_filters
from django.db.models import F, QuerySet
from drf_spectacular.utils import extend_schema_field

from tracker.models import (
    Change,
    Milestone,
    Negotiation,
    Observation,
    Reminder,
    Target,
    Track,
    sensible_date,
)
from tracker.status import Health, MilestoneStatus, TargetStatus


def _choices(
    enum: type[Health] | type[MilestoneStatus] | type[TargetStatus],
) -> list[tuple[str, str]]:
    return [(member.value, member.value) for member in enum]


# The words "true" and "false", not a JSON boolean: the schema would otherwise read the
# model's BooleanField and type these string choices boolean.
@extend_schema_field({"type": "string", "enum": ["true", "false"]})
class StaleFilter(django_filters.ChoiceFilter):
    """`stale=true`: the "Needs review" list, the oldest confirmation first (none first of all).

    `stale=false` keeps the list's usual order; anything else is a 400 that says what is
    accepted, not a silently unfiltered list.
    """

    def __init__(self, **kwargs: object) -> None:
        super().__init__(
            choices=[("true", "true"), ("false", "false")],
            help_text="true: open items no dated source confirmed within "
            "TRACKER_STALE_AFTER_DAYS, oldest confirmation first (Needs review).",
            **kwargs,
        )

    def filter(self, qs: QuerySet[Any], value: str) -> QuerySet[Any]:
        if value == "false":
            return qs.filter(stale=False)
        if value == "true":
            return qs.filter(stale=True).order_by(
                F("last_confirmed_on").asc(nulls_first=True), "id"
            )
        return qs


class NegotiationSlugFilter(django_filters.ModelChoiceFilter):
    """An unknown slug is a 400 that names it, not an empty list that hides the typo."""

    def __init__(self, field_name: str, **kwargs: object) -> None:
        super().__init__(
            field_name=field_name,
            queryset=Negotiation.objects.all(),
            to_field_name="slug",
            help_text="A negotiation's slug.",
            **kwargs,
        )


class NegotiationFilter(django_filters.FilterSet):
    health = django_filters.MultipleChoiceFilter(choices=_choices(Health))
    stale = StaleFilter()
    party = django_filters.CharFilter(
        field_name="parties__code", help_text="A party code, e.g. IN.", distinct=True
    )

    class Meta:
        model = Negotiation
        fields = ["stage", "health", "party", "stale"]


class TrackFilter(django_filters.FilterSet):
    negotiation = NegotiationSlugFilter("negotiation")
    health = django_filters.MultipleChoiceFilter(choices=_choices(Health))
    stale = StaleFilter()

    class Meta:
        model = Track
        fields = ["negotiation", "health", "ongoing", "stale"]


class MilestoneFilter(django_filters.FilterSet):
    negotiation = NegotiationSlugFilter("track__negotiation")
    status = django_filters.MultipleChoiceFilter(
        choices=_choices(MilestoneStatus), help_text="Repeat for several statuses."
    )
    due_before = django_filters.DateFilter(
        field_name="deadline_latest", lookup_expr="lte", help_text="Latest date on or before."
    )
    due_after = django_filters.DateFilter(
        field_name="deadline_latest", lookup_expr="gte", help_text="Latest date on or after."
    )
    stale = StaleFilter()

    class Meta:
        model = Milestone
        fields = [
            "track", "negotiation", "status", "state", "kind", "due_before", "due_after", "stale",
        ]  # fmt: skip


class TargetFilter(django_filters.FilterSet):
    negotiation = NegotiationSlugFilter("negotiation")
    stale = StaleFilter()

    class Meta:
        model = Target
        fields = ["negotiation", "track", "stale"]


class ObservationFilter(django_filters.FilterSet):
    # Dates are those of the period's end, the day a figure is compared with the path.
    date_after = django_filters.DateFilter(field_name="period_end", lookup_expr="gte")
    date_before = django_filters.DateFilter(field_name="period_end", lookup_expr="lte")
    series = django_filters.CharFilter(field_name="series__name")

    class Meta:
        model = Observation
        fields = ["target", "series", "date_after", "date_before"]


class ReminderFilter(django_filters.FilterSet):
    class Meta:
        model = Reminder
        fields = ["milestone", "state", "kind"]


def sensible_moment(value: dt.datetime) -> None:
    sensible_date(value.date())


class MomentFilter(django_filters.IsoDateTimeFilter):
    """A time with any UTC offset Python accepts, compared in UTC (PostgreSQL takes ±15:59)."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(validators=[sensible_moment], **kwargs)

    def filter(self, qs: Any, value: dt.datetime | None) -> Any:
        return super().filter(qs, value.astimezone(dt.UTC) if value is not None else None)


class UTCDayFilter(django_filters.DateFilter):
    """A day in UTC, asked as a range of the timestamp (midnight to midnight), which its
    index answers; a cast of every row's timestamp to a date would not use it."""

    def filter(self, qs: Any, value: dt.date | None) -> Any:
        if value is None:
            return qs
        start = dt.datetime.combine(value, dt.time(), tzinfo=dt.UTC)
        return qs.filter(
            **{
                f"{self.field_name}__gte": start,
                f"{self.field_name}__lt": start + dt.timedelta(days=1),
            }
        )


AUDITED = ["negotiation", "track", "milestone", "target", "observation", "source", "party"]


class ChangeFilter(django_filters.FilterSet):
    """The audit log of one object (object_type and object_id), a period, a person, a way in."""

    object_type = django_filters.ChoiceFilter(
        field_name="content_type__model",
        choices=[(name, name) for name in AUDITED],
        help_text="The kind of object changed, e.g. milestone.",
    )
    object_id = django_filters.NumberFilter(help_text="With object_type: that object's id.")
    since = MomentFilter(
        field_name="timestamp", lookup_expr="gte", help_text="Changes at or after this time."
    )
    until = MomentFilter(
        field_name="timestamp", lookup_expr="lt", help_text="Changes before this time."
    )
    date = UTCDayFilter(
        field_name="timestamp", validators=[sensible_date], help_text="Changes on this day (UTC)."
    )
    actor = django_filters.CharFilter(
        field_name="actor__username", help_text="The username of who made the change."
    )

    class Meta:
        model = Change
        fields = ["object_type", "object_id", "interface", "action", "since", "until", "date"]
