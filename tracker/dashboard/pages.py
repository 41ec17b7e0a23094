"""The dashboard's pages as view-models: one function builds what one page shows.

Views render these and nothing else; each page costs a fixed number of queries
whatever the row count.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.core.paginator import InvalidPage, Page, Paginator
from django.db.models import Count, F, OuterRef, Prefetch, Q, QuerySet, Subquery
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.safestring import SafeString
from django.utils.translation import gettext

from tracker import deadline_record, figures, freshness, selectors
from tracker.dashboard import drawing, rows, wording
from tracker.dashboard.chart import Figure, SeriesFigures, TargetChart, build_chart
from tracker.dashboard.rows import MilestoneRow
from tracker.dashboard.timeline import (
    Timeline,
    TimelineMilestone,
    TimelineTrack,
    build_timeline,
)
from tracker.deadlines import Deadline, Precision
from tracker.models import (
    DeadlineRevision,
    Discrepancy,
    Milestone,
    Negotiation,
    Observation,
    Source,
    StatusChange,
    Subscription,
    Target,
    Track,
)
from tracker.people import public_name
from tracker.status import ProgressCount, SourceDate, count_steps, day_text, newest_source_date

OPEN_STATES = ("planned", "in_progress")
RECENT_LIMIT = 8
UPCOMING_DAYS = 90
# The overview names this many overdue milestones of a negotiation; the rest are counted
# and linked to the upcoming list, which pages through them.
OVERVIEW_OVERDUE = 5
# Rows on one page of the upcoming list's overdue and coming sections.
PAGE_SIZE = 50


def milestone_url(milestone: Milestone) -> str:
    return reverse("milestone", args=[milestone.pk])


def quote_anchor(source: Source | None) -> str:
    """The fragment of a source's quote on a page that lists it ("Who said so")."""
    return f"#source-{source.slug}" if source is not None else "#sources"


def deadline_source(milestone: Milestone) -> Source | None:
    """The source that reported the deadline as it stands: the latest revision's."""
    revisions = list(milestone.revisions.all())
    return revisions[-1].source if revisions else None


# Overview


@dataclass(frozen=True)
class NextDeadline:
    """The nearest open deadline still ahead, as the overview shows it."""

    pk: int
    title: str
    deadline_text: str
    status: str


@dataclass(frozen=True)
class NegotiationSummary:
    negotiation: Negotiation
    next_milestone: NextDeadline | None
    countdown: str
    # Open milestones past their deadline, most overdue first: counted apart from "next",
    # and named up to OVERVIEW_OVERDUE; the upcoming list pages through all of them.
    overdue: list[MilestoneRow]
    overdue_count: int
    open_count: int
    track_count: int
    freshness: str
    progress: ProgressCount

    @property
    def more_overdue(self) -> int:
        return self.overdue_count - len(self.overdue)

    @property
    def overdue_url(self) -> str:
        query = urlencode({"negotiation": self.negotiation.slug})
        return f"{reverse('upcoming')}?{query}#overdue-heading"


@dataclass(frozen=True)
class Overview:
    summaries: list[NegotiationSummary]
    # The newest source date behind any negotiation: how current the whole record can be.
    newest_source: str


@dataclass(frozen=True)
class Change:
    when: dt.datetime
    negotiation: Negotiation
    text: str
    url: str
    kind: str


def _next(field: str) -> Subquery:
    """One field of a negotiation's next milestone: the open one due on its next_deadline."""
    return Subquery(
        Milestone.objects.filter(
            track__negotiation_id=OuterRef("pk"),
            state__in=OPEN_STATES,
            deadline_latest=OuterRef("next_deadline"),
        )
        .order_by("track__position", "title", "id")
        .values(field)[:1]
    )


def overview(today: dt.date, chosen: QuerySet[Negotiation] | None = None) -> Overview:
    """Every negotiation, or those chosen (filtered and ordered: dashboard/filtering.py)."""
    open_milestone = Q(tracks__milestones__state__in=OPEN_STATES)
    # A step advances the deal: weight above zero, not cancelled (tracker.status.count_steps).
    step = Q(tracks__milestones__weight__gt=0) & ~Q(tracks__milestones__state="cancelled")
    negotiations = list(
        (Negotiation.objects.all() if chosen is None else chosen)
        .prefetch_related("parties")
        .annotate(
            open_count=Count("tracks__milestones", filter=open_milestone, distinct=True),
            overdue_count=Count(
                "tracks__milestones",
                filter=open_milestone & Q(tracks__milestones__deadline_latest__lt=today),
                distinct=True,
            ),
            track_count=Count("tracks", distinct=True),
            steps=Count("tracks__milestones", filter=step, distinct=True),
            steps_done=Count(
                "tracks__milestones",
                filter=step & Q(tracks__milestones__state="completed"),
                distinct=True,
            ),
            next_pk=_next("pk"),
            next_title=_next("title"),
            next_text=_next("deadline_text"),
            next_earliest=_next("deadline_earliest"),
            next_precision=_next("deadline_precision"),
            next_said_on=_next("deadline_said_on"),
            next_status=_next("status"),
        )
    )
    overdue: dict[int, list[MilestoneRow]] = {n.pk: [] for n in negotiations}
    urls = rows.milestone_urls()
    for columns in selectors.most_overdue(
        [n.pk for n in negotiations], today, limit=OVERVIEW_OVERDUE
    ):
        negotiation_id = columns.pop("negotiation_id")
        row = rows.milestone_row(columns, (), today, quote=False, urls=urls)
        overdue[negotiation_id].append(row)
    summaries = []
    for n in negotiations:
        next_milestone = (
            NextDeadline(n.next_pk, n.next_title, _next_in_words(n), n.next_status)
            if n.next_pk is not None
            else None
        )
        summaries.append(
            NegotiationSummary(
                negotiation=n,
                next_milestone=next_milestone,
                countdown=figures.countdown_to(
                    n.next_deadline, today, n.next_precision or Precision.DAY
                ),
                overdue=overdue[n.pk],
                overdue_count=n.overdue_count,
                open_count=n.open_count,
                track_count=n.track_count,
                freshness=freshness.confirmation(n, today),
                progress=ProgressCount(n.steps_done, n.steps, n.progress),
            )
        )
    newest = newest_source_date(n.last_confirmed for n in negotiations)
    return Overview(summaries, _newest_source_text(newest, today))


def _next_in_words(n: Any) -> str:
    """The next milestone's deadline, from the fields overview() annotates on `n`."""
    return figures.next_deadline_words(
        Deadline(
            text=n.next_text,
            earliest=n.next_earliest,
            latest=n.next_deadline,
            precision=Precision(n.next_precision),
            said_on=n.next_said_on,
        ),
        n.next_deadline,
    )


def _newest_source_text(newest: SourceDate | None, today: dt.date) -> str:
    if newest is None:
        return "No source in the record is dated"
    age = freshness.ago((today - newest.on).days)
    if newest.inferred:
        return (
            f"The newest source in the record was published on or before "
            f"{day_text(newest.on)} (inferred; at least {age})"
        )
    return f"The newest source in the record is dated {day_text(newest.on)} ({age})"


def recent_changes(limit: int = RECENT_LIMIT) -> list[Change]:
    """Health transitions and deadline moves, newest first, merged from both logs."""
    changes: list[Change] = []
    for change in StatusChange.objects.filter(subject__in=["negotiation", "track"]).select_related(
        "negotiation", "track"
    )[:limit]:
        subject = change.track.name if change.track else change.negotiation.name
        url = (
            reverse("track", args=[change.negotiation.slug, change.track.slug])
            if change.track
            else reverse("negotiation", args=[change.negotiation.slug])
        )
        text = f"{subject}: {wording.label(change.previous)} → {wording.label(change.new)}" + (
            f" — {change.reason}" if change.reason else ""
        )
        changes.append(Change(change.changed_at, change.negotiation, text, url, "status"))
    revisions = (
        DeadlineRevision.objects.filter(previous_latest__isnull=False)
        .select_related("milestone__track__negotiation")
        .order_by("-changed_at", "-id")[:limit]
    )
    for revision in revisions:
        milestone = revision.milestone
        text = (
            f"{milestone.title}: deadline moved from "
            f"{revision.previous_in_words or revision.previous_latest}"
            f" to {revision.new_in_words or revision.new_latest or 'no date'}"
            f" ({figures.slip(revision.slip_days)})"
        )
        changes.append(
            Change(
                revision.changed_at,
                milestone.track.negotiation,
                text,
                milestone_url(milestone),
                "deadline",
            )
        )
    changes.sort(key=lambda c: c.when, reverse=True)
    return changes[:limit]


# Negotiation and track


def _timeline_track(
    track: Track, negotiation_slug: str, lines: list[MilestoneRow]
) -> TimelineTrack:
    return TimelineTrack(
        name=track.name,
        url=reverse("track", args=[negotiation_slug, track.slug]),
        health=track.health,
        health_label=wording.label(track.health),
        milestones=tuple(
            TimelineMilestone(
                title=row.milestone.title,
                url=row.url,
                status=row.milestone.status,
                status_label=row.status_label,
                earliest=row.milestone.deadline_earliest,
                latest=row.milestone.deadline_latest,
                deadline_text=row.deadline_in_words,
                earlier_deadlines=row.earlier_deadlines,
                stale=row.milestone.stale,
            )
            for row in lines
            if row.milestone.deadline_earliest is not None
            and row.milestone.deadline_latest is not None
        ),
    )


def countdown(milestone: Milestone, today: dt.date) -> str:
    """Days left or overdue, as a list row says it (tracker.dashboard.rows.countdown)."""
    return rows.countdown(
        milestone, milestone.days_remaining(today), today, milestone.deadline_precision
    )


@dataclass(frozen=True)
class TrackSection:
    track: Track
    milestones: list[MilestoneRow]
    targets: list[Target]
    freshness: str

    @property
    def items(self) -> SafeString:
        return drawing.milestone_items(self.milestones)


@dataclass(frozen=True)
class NegotiationPage:
    negotiation: Negotiation
    sections: list[TrackSection]
    timeline: Timeline
    targets: list[Target]
    countdown: str
    overdue_count: int
    freshness: str
    # Every article behind the negotiation, its tracks, milestones and targets, newest first:
    # the list a printed briefing ends with.
    sources: list[Source] = field(default_factory=list)
    # The status of the milestone due next: its countdown is red only when that one is late
    # or at risk, whatever the negotiation's health.
    next_status: str = ""
    progress: ProgressCount | None = None
    # "As reported on 26 May 2025": what heads the summary, written in the sources' tense.
    summary_reported: str = ""
    # "of 12 deadlines that have passed, 4 were met on time, median slip 4 months"
    record: str = ""


def negotiation_milestones(negotiation: Negotiation) -> QuerySet[Milestone]:
    """The milestones a negotiation's page lists, and its milestone export."""
    return Milestone.objects.filter(track__negotiation=negotiation).order_by(
        "deadline_latest", "title", "id"
    )


def portfolio_milestones(negotiations: QuerySet[Negotiation]) -> QuerySet[Milestone]:
    """The milestones of the roadmap's negotiations, and its export."""
    return Milestone.objects.filter(track__negotiation__in=negotiations.order_by()).order_by(
        "track__negotiation__name", "deadline_latest", "title", "id"
    )


def negotiation_targets(negotiation: Negotiation) -> QuerySet[Target]:
    """The targets a negotiation's page lists, and its target export."""
    return Target.objects.filter(negotiation=negotiation).order_by("name", "id")


def negotiation_page(slug: str, today: dt.date) -> NegotiationPage:
    """Seven queries whatever the number of milestones: the milestones as plain columns
    and their deadline moves as another, not model instances with prefetches."""
    negotiation = get_object_or_404(Negotiation.objects.prefetch_related("parties"), slug=slug)
    tracks = list(Track.objects.filter(negotiation=negotiation))  # archived ones left out
    milestones = rows.milestone_rows(
        list(selectors.milestone_columns(negotiation_milestones(negotiation))),
        selectors.deadline_moves(negotiation=negotiation),
        today,
    )
    targets = list(negotiation_targets(negotiation))
    by_track: dict[int, list[MilestoneRow]] = {t.pk: [] for t in tracks}
    for row in milestones:
        by_track[row.milestone.track_id].append(row)
    targets_by_track: dict[int | None, list[Target]] = {}
    for target in targets:
        targets_by_track.setdefault(target.track_id, []).append(target)
    timeline = build_timeline(
        [_timeline_track(t, slug, by_track[t.pk]) for t in tracks], today=today
    )
    sections = [
        TrackSection(
            t, by_track[t.pk], targets_by_track.get(t.pk, []), freshness.confirmation(t, today)
        )
        for t in tracks
    ]
    overdue = sum(1 for row in milestones if row.milestone.status == "overdue")
    upcoming = next_open(milestones, negotiation.next_deadline)
    return NegotiationPage(
        negotiation,
        sections,
        timeline,
        targets,
        figures.countdown_to(
            negotiation.next_deadline if upcoming else None,
            today,
            upcoming.milestone.deadline_precision if upcoming else Precision.DAY,
        ),
        overdue,
        freshness.confirmation(negotiation, today),
        _sources_behind(negotiation),
        next_status=upcoming.milestone.status if upcoming else "",
        progress=steps_of(milestones, negotiation.progress),
        summary_reported=reported(negotiation.last_confirmed),
        record=deadline_record.record_in_words(
            deadline_record.book(only=[negotiation.pk]).record([negotiation.pk], today)
        ),
    )


def steps_of(milestones: list[MilestoneRow], share: float | None) -> ProgressCount:
    return count_steps(((r.milestone.state, r.milestone.weight) for r in milestones), share)


def reported(confirmed: SourceDate | None) -> str:
    """What heads a summary, so it reads as of its sources: "As reported on 26 May 2025"."""
    if confirmed is None:
        return "As reported by undated sources"
    if confirmed.inferred:
        return f"As reported on or before {day_text(confirmed.on)}"
    return f"As reported on {day_text(confirmed.on)}"


def next_open(milestones: list[MilestoneRow], on: dt.date | None) -> MilestoneRow | None:
    """The open milestone due on a negotiation's next deadline (`on`), whose countdown and
    status head its page: "in about 4 years", coloured as that milestone, not the health."""
    if on is None:
        return None
    return next(
        (
            row
            for row in milestones
            if row.milestone.state in OPEN_STATES and row.milestone.deadline_latest == on
        ),
        None,
    )


def _sources_behind(negotiation: Negotiation) -> list[Source]:
    # One semi-join per path rather than one join of all four paths, which multiplies rows.
    cited = Source.objects.values("pk")
    behind = (
        Q(pk__in=cited.filter(negotiations=negotiation))
        | Q(pk__in=cited.filter(tracks__negotiation=negotiation))
        | Q(pk__in=cited.filter(milestones__track__negotiation=negotiation))
        | Q(pk__in=cited.filter(targets__negotiation=negotiation))
    )
    quotes = Source.objects.filter(behind).order_by(
        F("published_on").desc(nulls_last=True), F("published_by").desc(nulls_last=True), "title"
    )
    # A record keeps one Source per quoted passage; a briefing names each article once.
    articles: dict[tuple[str, str, str, str], Source] = {}
    for quote in quotes:
        articles.setdefault((quote.title, quote.publisher, quote.url, quote.date_text), quote)
    return list(articles.values())


@dataclass(frozen=True)
class TrackPage:
    track: Track
    milestones: list[MilestoneRow]
    targets: list[Target]
    timeline: Timeline
    freshness: str
    progress: ProgressCount

    @property
    def items(self) -> SafeString:
        return drawing.milestone_items(self.milestones)

    @property
    def owner_name(self) -> str:
        """The owner as anyone may read them (tracker.people), never an email address."""
        return "" if self.track.owner is None else public_name(self.track.owner)


def track_page(slug: str, track_slug: str, today: dt.date) -> TrackPage:
    track = get_object_or_404(
        Track.objects.select_related("negotiation", "owner").prefetch_related("sources"),
        negotiation__slug=slug,
        slug=track_slug,
    )
    columns = list(
        selectors.milestone_columns(track.milestones.order_by("deadline_latest", "title", "id"))
    )
    milestones = rows.milestone_rows(
        columns, selectors.deadline_moves(milestone_ids=[c["pk"] for c in columns]), today
    )
    timeline = build_timeline([_timeline_track(track, slug, milestones)], today=today)
    return TrackPage(
        track,
        milestones,
        list(track.targets.all()),
        timeline,
        freshness.confirmation(track, today),
        steps_of(milestones, track.progress),
    )


# Milestone


@dataclass(frozen=True)
class RevisionRow:
    revision: DeadlineRevision
    slip: str
    slip_days: int | None


@dataclass(frozen=True)
class Differ:
    """Where the sources disagree: what about, and each side's quote."""

    summary: str
    sources: list[Source]


@dataclass(frozen=True)
class MilestonePage:
    milestone: Milestone
    countdown: str
    days_remaining: int | None
    slip_days: int
    slip_text: str
    revisions: list[RevisionRow]
    # Every quote behind the page: citations, then the deadline revisions' sources.
    sources: list[Source]
    deadline_href: str
    differ: list[Differ]
    depends_on: list[Milestone]
    dependents: list[Milestone]
    freshness: str
    # For an overdue milestone with a stale record: what is known, instead of a countdown.
    known: str
    # "stated 3 times; slipped twice, by 5 months in all"
    track_record: str = ""
    # An open deadline's outlook and the back-test's score beside it; None when not open.
    outlook: deadline_record.OutlookView | None = None


def milestone_page(pk: int, today: dt.date) -> MilestonePage:
    milestone = get_object_or_404(
        Milestone.objects.select_related("track__negotiation").prefetch_related(
            Prefetch(
                "revisions",
                queryset=DeadlineRevision.objects.select_related("source", "changed_by").order_by(
                    "changed_at", "id"
                ),
            ),
            "sources",
            Prefetch("depends_on", queryset=Milestone.objects.select_related("track")),
            Prefetch("dependents", queryset=Milestone.objects.select_related("track")),
            Prefetch("discrepancies", queryset=Discrepancy.objects.prefetch_related("sources")),
        ),
        pk=pk,
    )
    cited = list(milestone.sources.all())
    reported = [r.source for r in milestone.revisions.all() if r.source is not None]
    differ = [Differ(d.summary, list(d.sources.all())) for d in milestone.discrepancies.all()]
    quoted = [s for d in differ for s in d.sources]
    sources = list({s.pk: s for s in [*cited, *reported, *quoted]}.values())
    remaining = milestone.days_remaining(today)
    revisions = [
        RevisionRow(r, figures.slip(r.slip_days), r.slip_days) for r in milestone.revisions.all()
    ]
    return MilestonePage(
        milestone=milestone,
        countdown=countdown(milestone, today),
        days_remaining=remaining,
        slip_days=milestone.slip_days,
        slip_text=figures.slip(milestone.slip_days),
        revisions=list(reversed(revisions)),
        sources=sources,
        deadline_href=quote_anchor(deadline_source(milestone)),
        differ=differ,
        depends_on=list(milestone.depends_on.all()),
        dependents=list(milestone.dependents.all()),
        freshness=freshness.confirmation(milestone, today),
        known=freshness.overdue_known(milestone, today),
        track_record=deadline_record.held_of(
            milestone.deadline_latest,
            [(r.previous_latest, r.new_latest) for r in milestone.revisions.all()],
        ),
        outlook=deadline_record.book().outlook_of(
            milestone.pk, milestone.deadline_latest, milestone.state, today
        ),
    )


# Target


@dataclass(frozen=True)
class TargetPage:
    """A target as the last status refresh assessed it (the stored figures), with its chart."""

    target: Target
    chart: TargetChart
    observations: list[Observation]
    years_left: float
    # Its citations, then the sources of its observations.
    sources: list[Source]
    freshness: str
    # The quote that states the baseline, the target and its deadline.
    figures_href: str

    @property
    def status_label(self) -> str:
        return wording.label(self.target.status)

    @property
    def attainment_text(self) -> str:
        return figures.percent(self.target.attainment)

    @property
    def pace_text(self) -> str:
        """The required pace as the path is read: units a year (linear) or %/year."""
        t = self.target
        return figures.required_pace(
            t.growth, rate=t.required_growth_rate, per_year=t.required_pace, unit=t.unit
        )

    def amount(self, value: float | Decimal | None) -> str:
        return "—" if value is None else figures.amount(float(value), self.target.unit)

    @property
    def baseline_text(self) -> str:
        return self.amount(self.target.baseline_value)

    @property
    def target_value_text(self) -> str:
        return self.amount(self.target.target_value)

    @property
    def target_text(self) -> str:
        return f"{self.amount(self.target.target_value)} {self.deadline_text}"

    @property
    def deadline_text(self) -> str:
        return self.target.deadline_by

    @property
    def observed_text(self) -> str:
        return self.amount(self.target.observed_value)

    @property
    def expected_text(self) -> str:
        return self.amount(self.target.expected_value)

    @property
    def baseline_period_text(self) -> str:
        t = self.target
        if t.baseline_period_start is None or t.baseline_period_end is None:
            return ""
        return figures.period_text(t.baseline_period_start, t.baseline_period_end)


def target_page(pk: int, today: dt.date) -> TargetPage:
    target = get_object_or_404(
        Target.objects.select_related("negotiation", "track", "primary_series").prefetch_related(
            "sources"
        ),
        pk=pk,
    )
    observations = list(
        target.observations.select_related("source", "series").order_by(
            "period_end", "series__name", "id"
        )
    )
    cited = list(target.sources.all())
    observed = [o.source for o in observations if o.source is not None]
    primary = [o for o in observations if o.series_id == target.primary_series_id]
    facts = target.facts((o.period_end, o.value) for o in primary)
    return TargetPage(
        target=target,
        chart=build_chart(facts, today=today, series=series_figures(target, observations)),
        observations=observations,
        years_left=max(figures.years_left(facts.latest, today), 0),
        sources=list({s.pk: s for s in [*cited, *observed]}.values()),
        freshness=freshness.confirmation(target, today),
        figures_href=quote_anchor(cited[0] if cited else None),
    )


def series_figures(target: Target, observations: list[Observation]) -> list[SeriesFigures]:
    """Each series of the target as one line, the primary one first."""
    by_series: dict[int, list[Observation]] = {}
    for o in observations:
        by_series.setdefault(o.series_id, []).append(o)
    ordered = sorted(
        by_series.values(),
        key=lambda rows: (rows[0].series_id != target.primary_series_id, rows[0].series.name),
    )
    return [
        SeriesFigures(
            name=rows[0].series.name,
            primary=rows[0].series_id == target.primary_series_id,
            figures=tuple(
                Figure(o.period_end, float(o.value), o.period, o.approximate) for o in rows
            ),
        )
        for rows in ordered
    ]


# Upcoming and subscriptions


OVERDUE_PAGE = "overdue_page"
UPCOMING_PAGE = "upcoming_page"


@dataclass(frozen=True)
class ListPage:
    """One page of a list of milestones: its rows, where it is, and links to its neighbours."""

    rows: list[MilestoneRow]
    # What the list is, for its page links ("Pages of the overdue list").
    label: str
    number: int
    pages: int
    count: int
    first: int
    previous_url: str = ""
    next_url: str = ""

    @property
    def last(self) -> int:
        return self.first + len(self.rows) - 1

    @property
    def items(self) -> SafeString:
        """The rows, each naming its negotiation and track: the list mixes them."""
        return drawing.milestone_items(self.rows, show_track=True)


@dataclass(frozen=True)
class UpcomingPage:
    overdue: ListPage
    upcoming: ListPage
    until: dt.date
    days: int = UPCOMING_DAYS


def upcoming_page(
    today: dt.date,
    days: int = UPCOMING_DAYS,
    chosen: QuerySet[Milestone] | None = None,
    *,
    overdue_number: int = 1,
    upcoming_number: int = 1,
    filters: dict[str, str] | None = None,
) -> UpcomingPage:
    """Open milestones due by `days` from today, or those chosen (dashboard/filtering.py),
    split into the overdue and the coming, each a page of PAGE_SIZE rows: page
    `overdue_number` and `upcoming_number`. Links to other pages keep `filters` (the query
    parameters that chose the rows). A page that does not exist is a 404."""
    until = today + dt.timedelta(days=days)
    if chosen is None:
        chosen = Milestone.objects.filter(state__in=OPEN_STATES, deadline_latest__lte=until)
    ordered = chosen.order_by("deadline_latest", "title", "id")
    overdue = _page_of(ordered.filter(deadline_latest__lt=today), overdue_number)
    upcoming = _page_of(ordered.filter(deadline_latest__gte=today), upcoming_number)
    columns = [*overdue.object_list, *upcoming.object_list]
    moves = selectors.deadline_moves(milestone_ids=[c["pk"] for c in columns])

    def url(overdue_at: int, upcoming_at: int, anchor: str) -> str:
        pages = {OVERDUE_PAGE: overdue_at, UPCOMING_PAGE: upcoming_at}
        query = {**(filters or {}), **{k: str(v) for k, v in pages.items() if v > 1}}
        search = f"?{urlencode(query)}" if query else ""
        return f"{reverse('upcoming')}{search}#{anchor}"

    return UpcomingPage(
        overdue=_list_page(
            "Pages of the overdue list",
            overdue,
            moves,
            today,
            lambda n: url(n, upcoming.number, "overdue-heading"),
        ),
        upcoming=_list_page(
            f"Pages of the next {days} days",
            upcoming,
            moves,
            today,
            lambda n: url(overdue.number, n, "next-heading"),
        ),
        until=until,
        days=days,
    )


def _page_of(milestones: QuerySet[Milestone], number: int) -> Page[dict[str, Any]]:
    paginator = Paginator(selectors.milestone_columns(milestones, with_names=True), PAGE_SIZE)
    try:
        return paginator.page(number)
    except InvalidPage as error:
        raise Http404(f"There is no page {number} of this list: {error}") from error


def _list_page(
    label: str,
    page: Page[dict[str, Any]],
    moves: dict[int, list[selectors.DeadlineMove]],
    today: dt.date,
    url: Callable[[int], str],
) -> ListPage:
    return ListPage(
        rows=rows.milestone_rows(page.object_list, moves, today),
        label=label,
        number=page.number,
        pages=page.paginator.num_pages,
        count=page.paginator.count,
        first=page.start_index(),
        previous_url=url(page.previous_page_number()) if page.has_previous() else "",
        next_url=url(page.next_page_number()) if page.has_next() else "",
    )


# Needs review


@dataclass(frozen=True)
class ReviewItem:
    """A stale open item: what it is, where it belongs, and how old its newest source is."""

    kind: str
    title: str
    url: str
    context: str
    status: str
    status_label: str
    last_confirmed_on: dt.date | None
    freshness: str
    confirm_url: str = ""  # the editors' desk, told which item to confirm


def needs_review_page(today: dt.date) -> list[ReviewItem]:
    """Stale open items of every kind, oldest confirmation first (none at all first)."""
    oldest_first = (F("last_confirmed_on").asc(nulls_first=True), "id")
    items: list[ReviewItem] = []
    for n in Negotiation.objects.filter(stale=True).order_by(*oldest_first):
        items.append(
            ReviewItem(
                gettext("Negotiation"),
                n.name,
                reverse("negotiation", args=[n.slug]),
                "",
                n.health,
                wording.label(n.health),
                n.last_confirmed_on,
                freshness.confirmation(n, today),
                f"{reverse('desk')}?negotiation={n.slug}",
            )
        )
    for t in Track.objects.filter(stale=True).select_related("negotiation").order_by(*oldest_first):
        items.append(
            ReviewItem(
                gettext("Track"),
                t.name,
                reverse("track", args=[t.negotiation.slug, t.slug]),
                t.negotiation.name,
                t.health,
                wording.label(t.health),
                t.last_confirmed_on,
                freshness.confirmation(t, today),
                f"{reverse('desk')}?track={t.pk}",
            )
        )
    for m in (
        Milestone.objects.filter(stale=True)
        .select_related("track__negotiation")
        .order_by(*oldest_first)
    ):
        items.append(
            ReviewItem(
                gettext("Milestone"),
                m.title,
                milestone_url(m),
                f"{m.track.negotiation.name} — {m.track.name}",
                m.status,
                wording.label(m.status),
                m.last_confirmed_on,
                freshness.overdue_known(m, today) or freshness.confirmation(m, today),
                f"{reverse('desk')}?milestone={m.pk}",
            )
        )
    for g in (
        Target.objects.filter(stale=True).select_related("negotiation").order_by(*oldest_first)
    ):
        items.append(
            ReviewItem(
                gettext("Target"),
                g.name,
                reverse("target", args=[g.pk]),
                g.negotiation.name,
                g.status,
                wording.label(g.status),
                g.last_confirmed_on,
                freshness.confirmation(g, today),
                f"{reverse('desk')}?target={g.pk}",
            )
        )
    # Stable: within one date, negotiations before tracks before milestones before targets.
    items.sort(key=lambda i: (i.last_confirmed_on is not None, i.last_confirmed_on or today))
    return items


def user_subscriptions(user: Any) -> list[Subscription]:
    return list(
        Subscription.objects.filter(user=user, unsubscribed_at__isnull=True).select_related(
            "negotiation", "track__negotiation"
        )
    )


def subscribable() -> list[tuple[Negotiation, list[Track]]]:
    negotiations = list(
        Negotiation.objects.prefetch_related(Prefetch("tracks", queryset=Track.objects.all()))
    )
    return [(n, list(n.tracks.all())) for n in negotiations]


@dataclass
class ArchivedPage:
    """What an archived item's own address still shows: what it was, when it was archived,
    and its deadline history (feeds and old links lead here, never to a 404)."""

    kind: str  # negotiation, track, milestone or target
    name: str
    within: str
    archived_kind: str  # what was archived: the item, or the track or negotiation holding it
    archived_on: str
    revisions: list[DeadlineRevision]


def archived_page(
    *,
    slug: str | None = None,
    track_slug: str | None = None,
    milestone_pk: int | None = None,
    target_pk: int | None = None,
) -> ArchivedPage | None:
    """The archived item an address names, or None when there is none (a real 404)."""
    negotiation: Negotiation | None = None
    track: Track | None = None
    if milestone_pk is not None:
        milestone = (
            Milestone.all_objects.select_related("track__negotiation")
            .filter(pk=milestone_pk)
            .first()
        )
        if milestone is None:
            return None
        track, negotiation = milestone.track, milestone.track.negotiation
        kind, name, within = "milestone", milestone.title, track.name
        milestones = [milestone.pk]
    elif target_pk is not None:
        target = (
            Target.all_objects.select_related("negotiation", "track").filter(pk=target_pk).first()
        )
        if target is None:
            return None
        track, negotiation = target.track, target.negotiation
        kind, name, within, milestones = "target", target.name, negotiation.name, []
    else:
        negotiation = Negotiation.all_objects.filter(slug=slug).first()
        if negotiation is None:
            return None
        kind, name, within = "negotiation", negotiation.name, ""
        if track_slug is not None:
            track = Track.all_objects.filter(negotiation=negotiation, slug=track_slug).first()
            if track is None:
                return None
            kind, name, within = "track", track.name, negotiation.name
        scope = Q(track=track) if track is not None else Q(track__negotiation=negotiation)
        milestones = list(Milestone.all_objects.filter(scope).values_list("pk", flat=True))
    archived = next(
        (
            (row, label)
            for row, label in ((track, "track"), (negotiation, "negotiation"))
            if row is not None and row.archived_at is not None
        ),
        None,
    )
    if archived is None:
        return None
    row, label = archived
    assert row.archived_at is not None
    return ArchivedPage(
        kind=kind,
        name=name,
        within=within,
        archived_kind=label,
        archived_on=day_text(timezone.localdate(row.archived_at)),
        revisions=list(
            DeadlineRevision.objects.filter(milestone_id__in=milestones)
            .select_related("milestone")
            .order_by("changed_at", "id")
        ),
    )
