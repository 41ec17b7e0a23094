"""Reads worth a name: querysets shaped so that a list costs the same queries for 10 or 100 rows."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from django.db.models import Count, F, OuterRef, Prefetch, Q, QuerySet, Subquery, Value, Window
from django.db.models.functions import Coalesce, RowNumber

from tracker.deadlines import DEFAULT_FISCAL_YEAR_START
from tracker.models import (
    NO_DEADLINE,
    Article,
    CalendarFeedToken,
    Change,
    DeadlineRevision,
    Discrepancy,
    Milestone,
    Negotiation,
    Observation,
    Party,
    Proposal,
    Reminder,
    Series,
    Source,
    Subscription,
    Target,
    Track,
)
from tracker.reading import Candidate
from tracker.services.deadlines import fiscal_year_start_of
from tracker.status import MilestoneState


def parties_list() -> QuerySet[Party]:
    return Party.objects.order_by("code")


def series_list() -> QuerySet[Series]:
    return Series.objects.order_by("name")


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


# Keyset pagination needs a value on every row: an unscheduled milestone sorts after every
# date, and one no source dates before every confirmation (the "Needs review" order).
NEVER_CONFIRMED = dt.date(1, 1, 1)

API_COLUMNS = (
    "id", "track_id", "slug", "title", "aliases", "kind", "deadline_text", "deadline_earliest",
    "deadline_latest", "deadline_precision", "deadline_said_on", "fiscal_year_start", "state",
    "completed_on",
    "completed_precision", "weight", "consequence", "status", "completed_late",
    "status_reason", "last_confirmed_on", "last_confirmed_inferred", "stale",
    "created_at", "updated_at",
)  # fmt: skip


def _negotiation_slug() -> Subquery:
    return Subquery(Negotiation.objects.filter(tracks=OuterRef("track_id")).values("slug")[:1])


def milestone_rows(milestones: QuerySet[Milestone]) -> QuerySet[Milestone, dict[str, Any]]:
    """The milestones as plain rows for the list: their columns, their negotiation's slug and
    the sort keys `due` and `confirmed` (never null); relations come from milestone_relations."""
    rows: QuerySet[Milestone, dict[str, Any]] = (
        milestones.prefetch_related(None)
        .annotate(
            due=Coalesce("deadline_latest", Value(NO_DEADLINE)),
            confirmed=Coalesce("last_confirmed_on", Value(NEVER_CONFIRMED)),
        )
        # A subquery, not a join: PostgreSQL runs it for the page's rows only, after the sort.
        .values(*API_COLUMNS, "due", "confirmed", negotiation_slug=_negotiation_slug())
    )
    return rows


@dataclass
class MilestoneRelations:
    """What a page of milestones links to, as plain rows by milestone id, each list in the
    order the detail endpoint gives it."""

    revisions: dict[int, list[dict[str, Any]]] = field(default_factory=lambda: defaultdict(list))
    depends_on: dict[int, list[int]] = field(default_factory=lambda: defaultdict(list))
    sources: dict[int, list[str]] = field(default_factory=lambda: defaultdict(list))
    # Per milestone, per discrepancy id: its summary and its sources' slugs.
    discrepancies: dict[int, dict[int, tuple[str, list[str]]]] = field(
        default_factory=lambda: defaultdict(dict)
    )


REVISION_COLUMNS = (
    "id", "milestone_id", "previous_text", "previous_earliest", "previous_latest",
    "previous_precision", "previous_said_on", "new_text", "new_earliest", "new_latest",
    "new_precision", "new_said_on", "changed_at", "reason",
    "source__slug", "source__published_on", "source__published_by",
)  # fmt: skip


def milestone_relations(ids: Iterable[int]) -> MilestoneRelations:
    """Four queries whatever the number of milestones: revisions, dependencies, sources and
    where sources differ."""
    ids = list(ids)
    found = MilestoneRelations()
    if not ids:
        return found
    revisions = DeadlineRevision.objects.filter(milestone_id__in=ids).order_by("changed_at", "id")
    for revision in revisions.values(*REVISION_COLUMNS):
        found.revisions[revision["milestone_id"]].append(revision)
    dependencies = (
        Milestone.depends_on.through.objects.filter(from_milestone_id__in=ids)
        # Milestone's own order, nulls where the database puts them, as the detail has it.
        .order_by("to_milestone__deadline_latest", "to_milestone__title", "to_milestone_id")
        .values_list("from_milestone_id", "to_milestone_id")
    )
    for milestone_id, dependency_id in dependencies:
        found.depends_on[milestone_id].append(dependency_id)
    cited = (
        Milestone.sources.through.objects.filter(milestone_id__in=ids)
        .order_by("source__title", "source__slug")
        .values_list("milestone_id", "source__slug")
    )
    for milestone_id, slug in cited:
        found.sources[milestone_id].append(slug)
    differing = (
        Discrepancy.objects.filter(milestone_id__in=ids)
        .order_by("id", "sources__title", "sources__slug")
        .values_list("milestone_id", "id", "summary", "sources__slug")
    )
    for milestone_id, discrepancy_id, summary, slug in differing:
        _, slugs = found.discrepancies[milestone_id].setdefault(discrepancy_id, (summary, []))
        if slug is not None:
            slugs.append(slug)
    return found


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
    """Scheduled, not cancelled milestones with how many times their deadline was revised.
    `since` windows the closed ones only: an open milestone is in every feed however old
    its deadline (an overdue deal is news, not history); a completed one is in when its
    deadline or completion falls on or after `since`."""
    milestones = (
        Milestone.objects.filter(deadline_latest__isnull=False)
        .exclude(state="cancelled")
        .annotate(revision_count=Count("revisions"))
        .order_by("deadline_latest", "title", "id")
    )
    if since is not None:
        milestones = milestones.filter(
            Q(state__in=(MilestoneState.PLANNED, MilestoneState.IN_PROGRESS))
            | Q(deadline_latest__gte=since)
            | Q(completed_on__gte=since)
        )
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


# The dashboard's milestone lists: plain columns, no model instances (tracker.dashboard.rows).

ROW_COLUMNS = (
    "pk",
    "track_id",
    "title",
    "status",
    "state",
    "deadline_text",
    "deadline_earliest",
    "deadline_latest",
    "deadline_precision",
    "deadline_said_on",
    "completed_on",
    "completed_precision",
    "stale",
    "last_confirmed_on",
    "last_confirmed_inferred",
    "weight",
)


def milestone_columns(
    milestones: QuerySet[Milestone], *, with_names: bool = False
) -> QuerySet[Milestone, dict[str, Any]]:
    """The columns a list row and a timeline marker show, one dict per milestone; with the
    track's and negotiation's names when the list mixes negotiations."""
    names = (
        {"track_name": F("track__name"), "negotiation_name": F("track__negotiation__name")}
        if with_names
        else {}
    )
    columns: QuerySet[Milestone, dict[str, Any]] = milestones.values(*ROW_COLUMNS, **names)
    return columns


def most_overdue(negotiation_ids: list[int], today: dt.date, *, limit: int) -> list[dict[str, Any]]:
    """Up to `limit` open milestones past their deadline in each negotiation, most overdue
    first, as milestone_columns with a `negotiation_id`: one query, however many are overdue."""
    order = (F("deadline_latest").asc(), F("track__position").asc(), F("title").asc(), "id")
    overdue = (
        Milestone.objects.filter(
            state__in=("planned", "in_progress"),
            deadline_latest__lt=today,
            track__negotiation_id__in=negotiation_ids,
        )
        .annotate(rank=Window(RowNumber(), partition_by=F("track__negotiation_id"), order_by=order))
        .filter(rank__lte=limit)
        .order_by(*order)
    )
    return list(overdue.values(*ROW_COLUMNS, negotiation_id=F("track__negotiation_id")))


class DeadlineMove(NamedTuple):
    """A revision of a milestone's deadline, as much as a list row needs."""

    previous_latest: dt.date | None
    new_latest: dt.date | None
    # The source that reported it: the deadline links to its quote.
    source_slug: str | None


def deadline_moves(
    *, negotiation: Negotiation | None = None, milestone_ids: Iterable[int] = ()
) -> dict[int, list[DeadlineMove]]:
    """The deadline revisions of a negotiation's milestones, or of those milestones, oldest
    first, by milestone id: one query."""
    revisions = DeadlineRevision.objects.all()
    if negotiation is not None:
        revisions = revisions.filter(milestone__track__negotiation=negotiation)
    else:
        revisions = revisions.filter(milestone_id__in=list(milestone_ids))
    moves: dict[int, list[DeadlineMove]] = {}
    for milestone_id, previous, new, source in revisions.order_by(
        "milestone_id", "changed_at", "id"
    ).values_list("milestone_id", "previous_latest", "new_latest", "source__slug"):
        moves.setdefault(milestone_id, []).append(DeadlineMove(previous, new, source))
    return moves


def unconfirmed_milestones(subscription: Subscription) -> QuerySet[Milestone]:
    """The stale open milestones a subscription follows (its track, or every track of its
    negotiation), none archived, oldest confirmation first (none at all first)."""
    scope = (
        Q(track_id=subscription.track_id)
        if subscription.track_id is not None
        else Q(track__negotiation_id=subscription.negotiation_id)
    )
    return (
        Milestone.objects.filter(
            scope,
            state__in=[MilestoneState.PLANNED.value, MilestoneState.IN_PROGRESS.value],
            stale=True,
            track__archived_at__isnull=True,
            track__negotiation__archived_at__isnull=True,
        )
        .select_related("track", "track__negotiation")
        .order_by(F("last_confirmed_on").asc(nulls_first=True), "deadline_latest", "id")
    )


# --- the article reader's view of the record (issue 19) ------------------------------------

# A milestone planned or in progress is open to the reader; its other states are its own.
_READER_STATE = {"planned": "open", "in_progress": "open"}


def reading_candidates(negotiation: Negotiation | None = None) -> list[Candidate]:
    """The milestones and targets an article may speak of (of one negotiation, or all), as
    the pure reader (tracker.reading) takes them: two queries whatever their number."""
    milestones = Milestone.objects.select_related("track__negotiation", "track__party")
    targets = Target.objects.select_related("negotiation", "track__party")
    if negotiation is not None:
        milestones = milestones.filter(track__negotiation=negotiation)
        targets = targets.filter(negotiation=negotiation)
    fiscal: dict[tuple[int, int | None], int] = {}

    def fiscal_year_start(of: Negotiation, party: Party | None) -> int:
        # The track's party, else the month the parties agree on; where they disagree the
        # reader reads fiscal years as the default does (a proposal, checked on accept).
        key = (of.pk, None if party is None else party.pk)
        if key not in fiscal:
            start = fiscal_year_start_of(of, party=party)
            fiscal[key] = DEFAULT_FISCAL_YEAR_START if start is None else start
        return fiscal[key]

    candidates = [
        Candidate(
            kind="milestone",
            id=m.pk,
            negotiation=m.track.negotiation.slug,
            title=m.title,
            aliases=tuple(m.aliases or ()),
            state=_READER_STATE.get(m.state, m.state),
            deadline=m.deadline,
            completed_on=m.completed_on,
            last_confirmed_on=m.last_confirmed_on,
            fiscal_year_start=m.fiscal_year_start
            or fiscal_year_start(m.track.negotiation, m.track.party),
        )
        for m in milestones.order_by("id")
    ]
    candidates += [
        Candidate(
            kind="target",
            id=t.pk,
            negotiation=t.negotiation.slug,
            title=t.name,
            aliases=tuple(t.aliases or ()),
            deadline=t.deadline,
            last_confirmed_on=t.last_confirmed_on,
            unit=t.unit,
            fiscal_year_start=fiscal_year_start(
                t.negotiation, t.track.party if t.track is not None else None
            ),
        )
        for t in targets.order_by("id")
    ]
    return candidates


def proposals_list() -> QuerySet[Proposal]:
    return Proposal.objects.select_related(
        "article", "milestone", "target", "negotiation", "decided_by"
    ).order_by("article_id", "start", "id")


def articles_list() -> QuerySet[Article]:
    return Article.objects.select_related("created_by").order_by("-created_at", "-id")
