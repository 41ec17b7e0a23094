"""Reads worth a name: querysets shaped so that a list costs the same queries for 10 or 100 rows."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import Count, Prefetch, Q, QuerySet

from tracker.models import (
    CalendarFeedToken,
    Change,
    DeadlineRevision,
    Discrepancy,
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


def parties_list() -> QuerySet[Party]:
    return Party.objects.order_by("code")


def sources_list() -> QuerySet[Source]:
    return Source.objects.order_by("title", "slug")


def negotiations_list() -> QuerySet[Negotiation]:
    return Negotiation.objects.prefetch_related(
        Prefetch("parties", queryset=Party.objects.order_by("code")),
        Prefetch("sources", queryset=Source.objects.only("id", "slug")),
    ).order_by("name")


def tracks_list() -> QuerySet[Track]:
    return (
        Track.objects.select_related("negotiation", "owner")
        .prefetch_related(Prefetch("sources", queryset=Source.objects.only("id", "slug")))
        .order_by("negotiation__name", "position", "name", "id")
    )


def milestones_list() -> QuerySet[Milestone]:
    """Milestones with what their computed fields read: revisions (slip), dependencies, sources."""
    return (
        Milestone.objects.select_related("track__negotiation")
        .prefetch_related(
            Prefetch(
                "revisions",
                queryset=DeadlineRevision.objects.select_related("source").order_by(
                    "changed_at", "id"
                ),
            ),
            Prefetch("depends_on", queryset=Milestone.objects.only("id")),
            Prefetch("sources", queryset=Source.objects.only("id", "slug")),
            Prefetch(
                "discrepancies",
                queryset=Discrepancy.objects.prefetch_related(
                    Prefetch("sources", queryset=Source.objects.only("id", "slug"))
                ),
            ),
        )
        .order_by("deadline_latest", "title", "id")
    )


def targets_list() -> QuerySet[Target]:
    """Targets with their observations in date order, for assessing each without a query."""
    return (
        Target.objects.select_related("negotiation", "primary_series")
        .prefetch_related(
            Prefetch("observations", queryset=Observation.objects.order_by("period_end", "id")),
            Prefetch("sources", queryset=Source.objects.only("id", "slug")),
        )
        .order_by("negotiation__name", "name", "id")
    )


def observations_list() -> QuerySet[Observation]:
    return Observation.objects.select_related("target", "series", "source").order_by(
        "target_id", "period_end", "series_id", "id"
    )


def subscriptions_of(user: Any) -> QuerySet[Subscription]:
    return (
        Subscription.objects.filter(user=user)
        .select_related("negotiation", "track", "user")
        .order_by("-created_at", "-id")
    )


def reminders_list() -> QuerySet[Reminder]:
    return Reminder.objects.select_related("milestone").order_by("due_at", "id")


def milestones_for_calendar(
    negotiation: Negotiation | None = None, *, since: dt.date | None = None
) -> QuerySet[Milestone]:
    """Scheduled, not cancelled milestones with how many times their deadline was revised;
    with `since`, only those whose deadline or completion falls on or after it."""
    milestones = (
        Milestone.objects.filter(deadline_latest__isnull=False)
        .exclude(state="cancelled")
        .annotate(revision_count=Count("revisions"))
        .order_by("deadline_latest", "title", "id")
    )
    if since is not None:
        milestones = milestones.filter(Q(deadline_latest__gte=since) | Q(completed_on__gte=since))
    if negotiation is not None:
        milestones = milestones.filter(track__negotiation=negotiation)
    return milestones


def calendar_token_by_digest(digest: str) -> CalendarFeedToken | None:
    # A deactivated account's feed stops with the account.
    return (
        CalendarFeedToken.objects.select_related("user")
        .filter(digest=digest, user__is_active=True)
        .first()
    )


def changes_list() -> QuerySet[Change]:
    changes: QuerySet[Change] = Change.objects.select_related("content_type", "actor")
    return changes.order_by("-timestamp", "-id")
