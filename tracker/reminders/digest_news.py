"""What a digest says: the net news of one subscription's window, read when it is sent.

A digest reports what was recorded between two instants (`since`, `until`), by when it
was entered, net of what was undone inside the window: completions, deadline moves,
health transitions, new figures, what falls due in the next UPCOMING_DAYS days, and the
stale open items the subscriber follows. The same window read twice says the same thing,
so a digest sent again after a crash is the same message.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from dataclasses import dataclass, field
from decimal import Decimal

from django.conf import settings
from django.db.models import F, Q, QuerySet
from django.urls import reverse

from tracker import deadline_record, figures, freshness, selectors
from tracker.models import (
    DeadlineRevision,
    Milestone,
    Observation,
    StatusChange,
    Subscription,
    Target,
)
from tracker.reminders.planning import OPEN_STATES
from tracker.reminders.unsubscribe import absolute

UPCOMING_DAYS = 30


@dataclass(frozen=True)
class Completion:
    title: str
    completed_text: str
    url: str


@dataclass(frozen=True)
class Move:
    """A deadline's net move over the window: from before its first change to after its last."""

    title: str
    previous_text: str
    new_text: str
    slip_days: int | None
    reason: str
    url: str


@dataclass(frozen=True)
class Figure:
    name: str
    date: dt.date  # the end of the period the figure covers
    value: Decimal
    unit: str
    url: str
    series: str = ""
    period: str = ""  # "2025", "Apr 2025 – Mar 2026"
    approximate: bool = False

    @property
    def amount(self) -> str:
        """ "USD 212.3 billion", as the target page says it."""
        return figures.amount(float(self.value), self.unit)


@dataclass(frozen=True)
class StaleItem:
    title: str
    freshness: str
    url: str


@dataclass
class DigestNews:
    """What was recorded in the window, by when it was entered, net of what was undone."""

    completions: list[Completion] = field(default_factory=list)
    slips: list[Move] = field(default_factory=list)
    transitions: list[dict[str, str]] = field(default_factory=list)
    observations: list[Figure] = field(default_factory=list)
    upcoming: list[Milestone] = field(default_factory=list)
    # Open items the subscriber follows that no recent source confirms, oldest first.
    stale: list[StaleItem] = field(default_factory=list)
    # Whether one of them went stale inside the window: news in itself.
    newly_stale: bool = False
    # How fresh the followed negotiation or track is, in words.
    freshness: str = ""

    def __bool__(self) -> bool:
        return any(
            (
                self.completions,
                self.slips,
                self.transitions,
                self.observations,
                self.upcoming,
                self.newly_stale,
            )
        )


def _scope(subscription: Subscription, prefix: str) -> Q:
    if subscription.track_id is not None:
        return Q(**{f"{prefix}track_id": subscription.track_id})
    return Q(**{f"{prefix}track__negotiation_id": subscription.negotiation_id})


def _negotiation_id(subscription: Subscription) -> int:
    assert subscription.negotiation_id is not None  # a subscription names one or the other
    return subscription.negotiation_id


def digest_news(
    subscription: Subscription, *, since: dt.datetime, until: dt.datetime
) -> DigestNews:
    zone = zoneinfo.ZoneInfo(subscription.timezone)
    today = until.astimezone(zone).date()
    news = DigestNews()
    changes: QuerySet[StatusChange] = StatusChange.objects.filter(
        changed_at__gte=since, changed_at__lt=until
    ).select_related("milestone", "track__negotiation", "negotiation")
    if subscription.track_id is not None:
        changes = changes.filter(track_id=subscription.track_id)
    else:
        changes = changes.filter(negotiation_id=_negotiation_id(subscription))
    # Net effects: per subject, from its status before the first change in the window to
    # its status after the last. A completion reverted inside the window is no completion,
    # and a health that went and came back did not change.
    first: dict[tuple[str, int], StatusChange] = {}
    last: dict[tuple[str, int], StatusChange] = {}
    for change in changes.order_by("changed_at", "id"):
        key = (change.subject, change.milestone_id or change.track_id or change.negotiation_id)
        first.setdefault(key, change)
        last[key] = change
    for key, change in last.items():
        before = first[key].previous
        if change.subject == StatusChange.Subject.MILESTONE and change.milestone is not None:
            if change.new == "completed" and before != "completed":
                milestone = change.milestone
                news.completions.append(
                    Completion(milestone.title, milestone.completed_text, _milestone_url(milestone))
                )
        elif change.subject in (StatusChange.Subject.TRACK, StatusChange.Subject.NEGOTIATION):
            if change.new == before:
                continue
            news.transitions.append(
                {
                    "name": change.track.name if change.track else change.negotiation.name,
                    "previous": before.replace("_", " "),
                    "new": change.new.replace("_", " "),
                    "reason": change.reason,
                    "url": _subject_url(change),
                }
            )
    news.slips = _net_moves(subscription, since=since, until=until)
    # Figures by when they were entered, whatever period they describe: statistics
    # published late appear when they arrive.
    observations = Observation.objects.filter(
        recorded_at__gte=since, recorded_at__lt=until
    ).select_related("target", "series")
    if subscription.track_id is not None:
        observations = observations.filter(target__track_id=subscription.track_id)
    else:
        observations = observations.filter(target__negotiation_id=_negotiation_id(subscription))
    news.observations = [
        Figure(
            o.target.name,
            o.period_end,
            o.value,
            o.target.unit,
            absolute(reverse("target", args=[o.target_id])),
            series=o.series.name,
            period=o.period,
            approximate=o.approximate,
        )
        for o in observations.order_by("recorded_at", "id")
    ]
    news.upcoming = list(
        Milestone.objects.filter(
            _scope(subscription, ""),
            state__in=OPEN_STATES,
            deadline_latest__gte=today,
            deadline_latest__lte=today + dt.timedelta(days=UPCOMING_DAYS),
        ).order_by("deadline_latest", "title")
    )
    if news.upcoming:
        _add_track_records(news.upcoming, today)
    _add_stale(news, subscription, since=since.astimezone(zone).date(), today=today)
    return news


def _add_track_records(upcoming: list[Milestone], today: dt.date) -> None:
    moves = selectors.deadline_moves(milestone_ids=[m.pk for m in upcoming])
    book = deadline_record.book()
    for milestone in upcoming:
        milestone.url = _milestone_url(milestone)  # type: ignore[attr-defined]
        # How its deadline has held and its outlook, as its page says them.
        milestone.track_record = deadline_record.held_of(  # type: ignore[attr-defined]
            milestone.deadline_latest,
            [(m.previous_latest, m.new_latest) for m in moves.get(milestone.pk, [])],
        )
        outlook = book.outlook_of(milestone.pk, milestone.deadline_latest, milestone.state, today)
        milestone.outlook_words = outlook.words if outlook else ""  # type: ignore[attr-defined]


def _milestone_url(milestone: Milestone) -> str:
    return absolute(reverse("milestone", args=[milestone.pk]))


def _subject_url(change: StatusChange) -> str:
    if change.track is not None:
        return absolute(reverse("track", args=[change.track.negotiation.slug, change.track.slug]))
    return absolute(reverse("negotiation", args=[change.negotiation.slug]))


def _net_moves(subscription: Subscription, *, since: dt.datetime, until: dt.datetime) -> list[Move]:
    """Each milestone's deadline from before its first move in the window to after its last;
    a deadline moved and moved back did not move."""
    first: dict[int, DeadlineRevision] = {}
    last: dict[int, DeadlineRevision] = {}
    for revision in (
        DeadlineRevision.objects.filter(
            _scope(subscription, "milestone__"), changed_at__gte=since, changed_at__lt=until
        )
        .select_related("milestone")
        .order_by("changed_at", "id")
    ):
        first.setdefault(revision.milestone_id, revision)
        last[revision.milestone_id] = revision
    moves = []
    for milestone_id, revision in last.items():
        start = first[milestone_id]
        if start.previous_latest is None or revision.new_latest == start.previous_latest:
            continue  # first announced, or back where it was
        slip = (
            (revision.new_latest - start.previous_latest).days
            if revision.new_latest is not None
            else None
        )
        moves.append(
            Move(
                revision.milestone.title,
                start.previous_in_words or str(start.previous_latest),
                revision.new_in_words
                or (str(revision.new_latest) if revision.new_latest else "no date"),
                slip,
                revision.reason,
                _milestone_url(revision.milestone),
            )
        )
    return moves


def _add_stale(
    news: DigestNews, subscription: Subscription, *, since: dt.date, today: dt.date
) -> None:
    """The stale open items the subscriber follows, and whether any went stale just now."""
    limit = dt.timedelta(days=settings.TRACKER_STALE_AFTER_DAYS)
    subject = subscription.subject
    news.freshness = freshness.confirmation(subject, today)
    milestones = Milestone.objects.filter(_scope(subscription, ""), stale=True)
    targets = Target.objects.filter(stale=True)
    if subscription.track_id is not None:
        targets = targets.filter(track_id=subscription.track_id)
    else:
        targets = targets.filter(negotiation_id=_negotiation_id(subscription))
    oldest_first = (F("last_confirmed_on").asc(nulls_first=True), "id")
    items: list[tuple[dt.date | None, StaleItem]] = []
    for milestone in milestones.order_by(*oldest_first):
        sentence = freshness.overdue_known(milestone, today) or freshness.confirmation(
            milestone, today
        )
        items.append(
            (
                milestone.last_confirmed_on,
                StaleItem(milestone.title, sentence, _milestone_url(milestone)),
            )
        )
    for target in targets.order_by(*oldest_first):
        items.append(
            (
                target.last_confirmed_on,
                StaleItem(
                    target.name,
                    freshness.confirmation(target, today),
                    absolute(reverse("target", args=[target.pk])),
                ),
            )
        )
    items.sort(key=lambda item: (item[0] is not None, item[0] or today))
    news.stale = [item for _, item in items]
    # Stale from the day after the limit: did that day fall inside this window?
    news.newly_stale = any(
        confirmed is not None and since < confirmed + limit + dt.timedelta(days=1) <= today
        for confirmed, _ in items
    )
