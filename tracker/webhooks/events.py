"""The events other systems hear about, and their JSON (README "Webhooks", stable).

Every event is one `WebhookEvent` row, written in the same transaction as the change
that caused it, with one `WebhookDelivery` outbox row per endpoint that wants
it. A rolled-back change leaves no event; a committed one cannot lose its deliveries.

The body is Standard Webhooks' shape::

    {"type": "milestone.deadline_moved", "timestamp": "2026-12-02T06:00:00Z",
     "data": {"milestone": {...}, "track": {...}, "negotiation": {...},
              "before": {...}, "after": {...}}}
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db.models import Model
from django.urls import reverse
from django.utils import timezone

from tracker import figures, freshness
from tracker.deadlines import Deadline
from tracker.models import (
    Confirmed,
    Milestone,
    Negotiation,
    Observation,
    StatusChange,
    Target,
    Track,
    WebhookDelivery,
    WebhookEndpoint,
    WebhookEvent,
)
from tracker.single_line import one_line

MILESTONE_CREATED = "milestone.created"
MILESTONE_DEADLINE_MOVED = "milestone.deadline_moved"
MILESTONE_COMPLETED = "milestone.completed"
MILESTONE_STATUS_CHANGED = "milestone.status_changed"
TRACK_HEALTH_CHANGED = "track.health_changed"
OBSERVATION_CREATED = "observation.created"
RECORD_STALE = "record.stale"

EVENT_TYPES = (
    MILESTONE_CREATED,
    MILESTONE_DEADLINE_MOVED,
    MILESTONE_COMPLETED,
    MILESTONE_STATUS_CHANGED,
    TRACK_HEALTH_CHANGED,
    OBSERVATION_CREATED,
    RECORD_STALE,
)
# What the change feeds list: completions, deadline moves, health changes, new figures.
FEED_TYPES = (
    MILESTONE_COMPLETED,
    MILESTONE_DEADLINE_MOVED,
    TRACK_HEALTH_CHANGED,
    OBSERVATION_CREATED,
)


def _absolute(path: str) -> str:
    return f"{settings.SITE_URL}{path}"


def timestamp(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).isoformat().replace("+00:00", "Z")


def _freshness(item: Confirmed) -> dict[str, Any]:
    """How recently a source confirmed `item` when the event happened: the date, and the
    sentence the pages say (tracker.freshness), so a receiver never states a status as
    fresher than it is."""
    confirmed = item.last_confirmed_on
    return {
        "last_confirmed_on": confirmed.isoformat() if confirmed else None,
        "freshness": freshness.confirmation(item, timezone.localdate()),
    }


def _negotiation(negotiation: Negotiation) -> dict[str, Any]:
    return {
        "id": negotiation.pk,
        "slug": negotiation.slug,
        "name": negotiation.name,
        "url": _absolute(reverse("negotiation", args=[negotiation.slug])),
        "api_url": _absolute(reverse("api:negotiation-detail", args=[negotiation.pk])),
        **_freshness(negotiation),
    }


def _track(track: Track) -> dict[str, Any]:
    return {
        "id": track.pk,
        "slug": track.slug,
        "name": track.name,
        "url": _absolute(reverse("track", args=[track.negotiation.slug, track.slug])),
        "api_url": _absolute(reverse("api:track-detail", args=[track.pk])),
        **_freshness(track),
    }


def _milestone(milestone: Milestone) -> dict[str, Any]:
    return {
        "id": milestone.pk,
        "title": milestone.title,
        "url": _absolute(reverse("milestone", args=[milestone.pk])),
        "api_url": _absolute(reverse("api:milestone-detail", args=[milestone.pk])),
        **_freshness(milestone),
    }


def _target(target: Target) -> dict[str, Any]:
    return {
        "id": target.pk,
        "slug": target.slug,
        "name": target.name,
        "unit": target.unit,
        "url": _absolute(reverse("target", args=[target.pk])),
        "api_url": _absolute(reverse("api:target-detail", args=[target.pk])),
        **_freshness(target),
    }


def deadline_json(deadline: Deadline | None) -> dict[str, Any] | None:
    if deadline is None:
        return None
    return {
        "text": deadline.text,
        "earliest": deadline.earliest.isoformat(),
        "latest": deadline.latest.isoformat(),
        "precision": str(deadline.precision),
    }


def _about_milestone(milestone: Milestone) -> dict[str, Any]:
    track = milestone.track
    return {
        "milestone": _milestone(milestone),
        "track": _track(track),
        "negotiation": _negotiation(track.negotiation),
    }


@dataclass(frozen=True)
class Happened:
    """An event about to be recorded."""

    type: str
    negotiation: Negotiation | None
    title: str
    data: dict[str, Any]


def emit(
    event_type: str, *, negotiation: Negotiation | None, title: str, data: dict[str, Any]
) -> None:
    """Record one event and queue it for every endpoint that wants it.

    Call it inside the transaction of the change (the services and the refresh do).
    """
    record([Happened(event_type, negotiation, title, data)])


def record(happenings: Sequence[Happened]) -> list[WebhookEvent]:
    """Record events and their deliveries in a fixed number of statements."""
    if not happenings:
        return []
    unknown = {happened.type for happened in happenings} - set(EVENT_TYPES)
    assert not unknown, f"unknown event types {unknown}"
    at = timezone.now()
    events = WebhookEvent.objects.bulk_create(
        WebhookEvent(
            public_id=f"msg_{uuid.uuid4().hex}",
            type=happened.type,
            negotiation=happened.negotiation,
            title=one_line(happened.title)[:500],
            payload={"type": happened.type, "timestamp": timestamp(at), "data": happened.data},
            occurred_at=at,
        )
        for happened in happenings
    )
    # Disabled endpoints too: their deliveries wait, and go out once they are enabled.
    endpoints = list(WebhookEndpoint.objects.all())
    WebhookDelivery.objects.bulk_create(
        WebhookDelivery(event=event, endpoint=endpoint, due_at=at)
        for event in events
        for endpoint in endpoints
        if endpoint.wants(event.type, event.negotiation_id)
    )
    return events


# --- from the write services ------------------------------------------------------------


def milestone_written(
    milestone: Milestone,
    *,
    created: bool,
    state_before: str | None,
    deadline_before: Deadline | None,
    reason: str = "",
) -> None:
    """The events of one milestone write (tracker.services.milestones)."""
    if (
        not created
        and deadline_before == milestone.deadline
        and (milestone.state != "completed" or state_before == "completed")
    ):
        return
    # The track and its negotiation in one query: a bulk completion pays it per milestone.
    milestone.track = Track.objects.select_related("negotiation").get(pk=milestone.track_id)
    negotiation = milestone.track.negotiation
    about = _about_milestone(milestone)
    if created:
        emit(
            MILESTONE_CREATED,
            negotiation=negotiation,
            title=f"New milestone: {milestone.title}",
            data={
                **about,
                # `before` names what `after` names, null for a new milestone (README).
                "before": {"state": None, "deadline": None},
                "after": {"state": milestone.state, "deadline": deadline_json(milestone.deadline)},
            },
        )
        return
    if deadline_before != milestone.deadline:
        after = milestone.deadline
        emit(
            MILESTONE_DEADLINE_MOVED,
            negotiation=negotiation,
            title=(
                f"Deadline moved: {milestone.title}, "
                f"{deadline_before.text if deadline_before else 'no date'} → "
                f"{after.text if after else 'no date'}"
            ),
            data={
                **about,
                "reason": reason,
                "before": {"deadline": deadline_json(deadline_before)},
                "after": {"deadline": deadline_json(after)},
            },
        )
    if milestone.state == "completed" and state_before != "completed":
        assert milestone.completed_on is not None
        emit(
            MILESTONE_COMPLETED,
            negotiation=negotiation,
            title=f"Completed: {milestone.title}",
            data={
                **about,
                "before": {"state": state_before},
                "after": {
                    "state": milestone.state,
                    "completed_on": milestone.completed_on.isoformat(),
                    "completed_precision": milestone.completed_precision or "day",
                },
            },
        )


def observation_created(observation: Observation) -> None:
    target = Target.objects.select_related("negotiation").get(pk=observation.target_id)
    series = observation.series
    value = figures.amount(
        float(observation.value), target.unit, approximate=observation.approximate
    )
    emit(
        OBSERVATION_CREATED,
        negotiation=target.negotiation,
        title=f"New figure: {target.name}, {value} for {observation.period} ({series})",
        data={
            "observation": {
                "id": observation.pk,
                # The day the figure stands for: the period's last (the v1 shape's `date`).
                "date": observation.period_end.isoformat(),
                "series": {"id": series.pk, "name": series.name},
                "period_start": observation.period_start.isoformat(),
                "period_end": observation.period_end.isoformat(),
                "approximate": observation.approximate,
                "value": f"{observation.value.normalize():f}",
                "note": observation.note,
            },
            "target": _target(target),
            "negotiation": _negotiation(target.negotiation),
            "before": {"value": None},
            "after": {"value": f"{observation.value.normalize():f}"},
        },
    )


# --- from the status refresh ------------------------------------------------------------


def refreshed(changes: Sequence[StatusChange], went_stale: Iterable[tuple[str, Model]]) -> None:
    """The events of one status refresh: milestone status, track health, newly stale rows."""
    milestone_ids = {c.milestone_id for c in changes if c.subject == "milestone"}
    track_ids = {c.track_id for c in changes if c.subject == "track"}
    stale = list(went_stale)
    milestone_ids |= {row.pk for subject, row in stale if subject == "milestone"}
    track_ids |= {row.pk for subject, row in stale if subject == "track"}
    milestones = Milestone.objects.select_related("track__negotiation").in_bulk(milestone_ids)
    tracks = Track.objects.select_related("negotiation").in_bulk(track_ids)
    targets = Target.objects.select_related("negotiation").in_bulk(
        [row.pk for subject, row in stale if subject == "target"]
    )
    negotiations = Negotiation.objects.in_bulk(
        [row.pk for subject, row in stale if subject == "negotiation"]
    )
    happenings: list[Happened] = []
    for change in changes:
        if change.subject == "milestone" and change.milestone_id in milestones:
            milestone = milestones[change.milestone_id]
            happenings.append(
                Happened(
                    MILESTONE_STATUS_CHANGED,
                    milestone.track.negotiation,
                    f"{milestone.title}: {_words(change.previous)} → {_words(change.new)}",
                    {
                        **_about_milestone(milestone),
                        "reason": change.reason,
                        "before": {"status": change.previous},
                        "after": {"status": change.new},
                    },
                )
            )
        elif change.subject == "track" and change.track_id in tracks:
            track = tracks[change.track_id]
            happenings.append(
                Happened(
                    TRACK_HEALTH_CHANGED,
                    track.negotiation,
                    f"{track.name}: health {_words(change.previous)} → {_words(change.new)}",
                    {
                        "track": _track(track),
                        "negotiation": _negotiation(track.negotiation),
                        "reason": change.reason,
                        "before": {"health": change.previous},
                        "after": {"health": change.new},
                    },
                )
            )
    rows: dict[str, dict[Any, Any]] = {
        "milestone": milestones,
        "track": tracks,
        "target": targets,
        "negotiation": negotiations,
    }
    happenings += [_stale(subject, rows[subject][row.pk], row) for subject, row in stale]
    record(happenings)


def _stale(subject: str, subject_row: Any, row: Model) -> Happened:
    """`subject_row` is `row` read again with its track and negotiation."""
    data: dict[str, Any]
    if subject == "milestone":
        negotiation, name = subject_row.track.negotiation, subject_row.title
        data = _about_milestone(subject_row)
    elif subject == "track":
        negotiation, name = subject_row.negotiation, subject_row.name
        data = {"track": _track(subject_row), "negotiation": _negotiation(negotiation)}
    elif subject == "target":
        negotiation, name = subject_row.negotiation, subject_row.name
        data = {"target": _target(subject_row), "negotiation": _negotiation(negotiation)}
    else:
        negotiation, name = subject_row, subject_row.name
        data = {"negotiation": _negotiation(negotiation)}
    last = getattr(row, "last_confirmed_on", None)
    return Happened(
        RECORD_STALE,
        negotiation,
        f"May be out of date: {name}",
        {
            "subject": subject,
            **data,
            "last_confirmed_on": last.isoformat() if last else None,
            "before": {"stale": False},
            "after": {"stale": True},
        },
    )


def _words(status: str) -> str:
    return status.replace("_", " ")
