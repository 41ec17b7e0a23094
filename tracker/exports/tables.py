"""The rows of each export, defined once: the dashboard, the API and the admin use these.

A Table names its columns and says how to read a row from each item of a queryset. It
shapes the queryset itself (`prepare`: the joins and prefetches its columns need, and
nothing else) and reads it in chunks (`.iterator`), so an export of 100,000 milestones
holds one chunk in memory, never the whole list.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from django.db.models import Model, Prefetch, QuerySet

from tracker.exports.cells import Cell
from tracker.models import DeadlineRevision, Milestone, Observation, Source, Target

CHUNK = 1000


@dataclass(frozen=True)
class Column:
    header: str
    read: Callable[[Any, dt.date], Cell]


@dataclass(frozen=True)
class Table:
    """One kind of export: a name (file and sheet), its columns, and how to read rows."""

    name: str
    columns: tuple[Column, ...]
    prepare: Callable[[QuerySet[Any]], QuerySet[Any]]
    # The items of one row each; most tables have one item per object of the queryset.
    items: Callable[[Any], Iterable[Any]] = lambda obj: (obj,)

    @property
    def headers(self) -> list[str]:
        return [column.header for column in self.columns]

    def rows(self, queryset: QuerySet[Any], today: dt.date) -> Iterator[list[Cell]]:
        for obj in self.prepare(queryset).iterator(chunk_size=CHUNK):
            for item in self.items(obj):
                yield [column.read(item, today) for column in self.columns]


def _columns(*pairs: tuple[str, Callable[[Any, dt.date], Cell]]) -> tuple[Column, ...]:
    return tuple(Column(header, read) for header, read in pairs)


def _field(name: str) -> Callable[[Any, dt.date], Cell]:
    def read(obj: Any, today: dt.date) -> Cell:
        value: Cell = obj
        for part in name.split("."):
            value = getattr(value, part, None) if value is not None else None
        return value

    return read


def _titles(objects: Iterable[Model]) -> str:
    return "; ".join(str(getattr(o, "title", o)) for o in objects)


# --- milestones (also the upcoming deadlines) ------------------------------------------------


def _prepare_milestones(queryset: QuerySet[Milestone]) -> QuerySet[Milestone]:
    return (
        queryset.select_related("track__negotiation")
        .prefetch_related(None)
        .prefetch_related(
            Prefetch(
                "revisions",
                queryset=DeadlineRevision.objects.only(
                    "milestone_id", "previous_latest", "new_latest", "changed_at"
                ).order_by("changed_at", "id"),
            ),
            Prefetch("sources", queryset=Source.objects.only("id", "title").order_by("title")),
        )
    )


MILESTONES = Table(
    name="milestones",
    columns=_columns(
        ("id", _field("pk")),
        ("negotiation", _field("track.negotiation.name")),
        ("track", _field("track.name")),
        ("title", _field("title")),
        ("kind", _field("kind")),
        ("state", _field("state")),
        ("status", _field("status")),
        ("status_reason", _field("status_reason")),
        ("deadline_text", _field("deadline_text")),
        ("deadline_earliest", _field("deadline_earliest")),
        ("deadline_latest", _field("deadline_latest")),
        ("deadline_precision", _field("deadline_precision")),
        ("days_remaining", lambda m, today: m.days_remaining(today)),
        ("slip_days", lambda m, today: m.slip_days),
        ("completed_on", _field("completed_on")),
        ("completed_late", _field("completed_late")),
        ("last_confirmed_on", _field("last_confirmed_on")),
        ("last_confirmed_inferred", _field("last_confirmed_inferred")),
        ("stale", _field("stale")),
        ("consequence", _field("consequence")),
        ("sources", lambda m, today: _titles(m.sources.all())),
    ),
    prepare=_prepare_milestones,
)


# --- targets with their observations ---------------------------------------------------------

# A row is a (target, observation) pair: a target with no observation has one row with
# the observation's columns empty.
Pair = tuple[Target, Observation | None]


def _target(read: Callable[[Target], Cell]) -> Callable[[Pair, dt.date], Cell]:
    return lambda pair, today: read(pair[0])


def _observation(read: Callable[[Observation], Cell]) -> Callable[[Pair, dt.date], Cell]:
    return lambda pair, today: read(pair[1]) if pair[1] is not None else None


TARGET_COLUMNS = _columns(
    ("target_id", _target(lambda t: t.pk)),
    ("negotiation", _target(lambda t: t.negotiation.name)),
    ("track", _target(lambda t: t.track.name if t.track else None)),
    ("target", _target(lambda t: t.name)),
    ("unit", _target(lambda t: t.unit)),
    ("baseline_value", _target(lambda t: t.baseline_value)),
    ("baseline_date", _target(lambda t: t.baseline_date)),
    ("target_value", _target(lambda t: t.target_value)),
    ("deadline_text", _target(lambda t: t.deadline_text)),
    ("deadline_earliest", _target(lambda t: t.deadline_earliest)),
    ("deadline_latest", _target(lambda t: t.deadline_latest)),
    ("deadline_precision", _target(lambda t: t.deadline_precision)),
    ("growth", _target(lambda t: t.growth)),
    ("status", _target(lambda t: t.status)),
    ("status_reason", _target(lambda t: t.status_reason)),
    ("attainment", _target(lambda t: t.attainment)),
    ("required_growth_rate", _target(lambda t: t.required_growth_rate)),
    ("last_confirmed_on", _target(lambda t: t.last_confirmed_on)),
    ("stale", _target(lambda t: t.stale)),
    ("observation_date", _observation(lambda o: o.date)),
    ("observation_value", _observation(lambda o: o.value)),
    ("observation_source", _observation(lambda o: o.source.title if o.source else None)),
    ("observation_note", _observation(lambda o: o.note)),
    ("observation_recorded_at", _observation(lambda o: o.recorded_at)),
)


def _prepare_targets(queryset: QuerySet[Target]) -> QuerySet[Target]:
    return (
        queryset.select_related("negotiation", "track")
        .prefetch_related(None)
        .prefetch_related(
            Prefetch(
                "observations",
                queryset=Observation.objects.select_related("source").order_by("date", "id"),
            )
        )
    )


def _with_observations(target: Target) -> Iterable[Pair]:
    observations = list(target.observations.all())
    return [(target, o) for o in observations] or [(target, None)]


TARGETS = Table(
    name="targets",
    columns=TARGET_COLUMNS,
    prepare=_prepare_targets,
    items=_with_observations,
)

# The same rows read from observations (the API's observation list).
OBSERVATIONS = Table(
    name="observations",
    columns=TARGET_COLUMNS,
    prepare=lambda queryset: queryset.select_related(
        "target__negotiation", "target__track", "source"
    ).prefetch_related(None),
    items=lambda observation: ((observation.target, observation),),
)


# --- the change log --------------------------------------------------------------------------

ACTIONS = {0: "create", 1: "update", 2: "delete", 3: "access"}

CHANGES = Table(
    name="changes",
    columns=_columns(
        ("id", _field("pk")),
        ("timestamp_utc", _field("timestamp")),
        ("action", lambda c, today: ACTIONS.get(c.action, str(c.action))),
        ("object_type", _field("content_type.model")),
        ("object_id", _field("object_id")),
        ("object", _field("object_repr")),
        ("actor", _field("actor.username")),
        ("interface", _field("interface")),
        (
            "changes",
            lambda c, today: (
                json.dumps(c.changes, ensure_ascii=False, sort_keys=True) if c.changes else ""
            ),
        ),
    ),
    prepare=lambda queryset: queryset.select_related("content_type", "actor").prefetch_related(
        None
    ),
)
