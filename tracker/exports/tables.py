"""The rows of each export, defined once: the dashboard, the API and the admin use these.

A Table names its columns and says how to read its items from a queryset: it adds the
joins its columns need and reads the rows in chunks through one cursor (`.iterator`),
so an export of 100,000 milestones holds one chunk in memory, never the whole list.
"""

from __future__ import annotations

import datetime as dt
import json
from collections import defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from django.db.models import QuerySet
from django.utils import timezone

from tracker import deadline_record
from tracker.exports.cells import Cell
from tracker.figures import slip_days
from tracker.models import DeadlineRevision, Milestone, Observation, Target
from tracker.people import public_name

CHUNK = 1000


@dataclass(frozen=True)
class Column:
    header: str
    read: Callable[[Any, dt.date], Cell]


@dataclass(frozen=True)
class Table:
    """One kind of export: a name (file and sheet), its columns, and how to read its items
    (one a row) from a queryset, a chunk at a time."""

    name: str
    columns: tuple[Column, ...]
    items: Callable[[QuerySet[Any]], Iterator[Any]]

    @property
    def headers(self) -> list[str]:
        return [column.header for column in self.columns]

    def rows(self, queryset: QuerySet[Any], today: dt.date) -> Iterator[list[Cell]]:
        for item in self.items(queryset):
            yield [column.read(item, today) for column in self.columns]


def chunks(queryset: QuerySet[Any]) -> Iterator[list[Any]]:
    """The queryset in lists of CHUNK rows, read through one cursor (never all at once).

    What a chunk's rows need besides their own columns is looked up once per chunk, in
    a query or two of plain values: Django's prefetch would build a model and a manager
    per related row, several times slower for 100,000 rows.
    """
    chunk: list[Any] = []
    for obj in queryset.prefetch_related(None).iterator(chunk_size=CHUNK):
        chunk.append(obj)
        if len(chunk) == CHUNK:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def _columns(*pairs: tuple[str, Callable[[Any, dt.date], Cell]]) -> tuple[Column, ...]:
    return tuple(Column(header, read) for header, read in pairs)


def _field(name: str) -> Callable[[Any, dt.date], Cell]:
    """A (dotted) attribute; None when a link on the way is None. Split once, not per cell."""
    parts = name.split(".")
    if len(parts) == 1:
        return lambda obj, today: getattr(obj, name, None)

    def read(obj: Any, today: dt.date) -> Cell:
        value: Any = obj
        for part in parts:
            value = getattr(value, part, None)
            if value is None:
                return None
        return value  # type: ignore[no-any-return]

    return read


def _person(name: str) -> Callable[[Any, dt.date], Cell]:
    """A person by the name anyone may read (tracker.people): exports leave the site."""

    def read(obj: Any, today: dt.date) -> Cell:
        person = getattr(obj, name, None)
        return None if person is None else public_name(person)

    return read


# --- milestones (also the upcoming deadlines) ------------------------------------------------


@dataclass(frozen=True)
class MilestoneItem:
    milestone: Milestone
    slip_days: int
    sources: str
    # "stated 3 times; slipped twice, by 5 months in all"
    track_record: str = ""
    # An open deadline's outlook (tracker.deadline_record); None when it is not open.
    outlook: deadline_record.OutlookView | None = None


# What the milestone columns read, and nothing more: each row builds three models from 19
# columns instead of from every column of three tables (most of an export's time).
MILESTONE_FIELDS = (
    "id", "track__name", "track__negotiation__name", "title", "kind", "state", "status",
    "status_reason", "deadline_text", "deadline_earliest", "deadline_latest",
    "deadline_precision", "completed_on", "completed_late", "last_confirmed_on",
    "last_confirmed_inferred", "stale", "consequence",
)  # fmt: skip


def _milestone_items(queryset: QuerySet[Milestone]) -> Iterator[MilestoneItem]:
    book = deadline_record.book()  # the resolved deadlines the outlooks resample: 3 queries
    today = timezone.localdate()
    for chunk in chunks(queryset.select_related("track__negotiation").only(*MILESTONE_FIELDS)):
        ids = [m.pk for m in chunk]
        revisions: dict[int, list[tuple[dt.date | None, dt.date | None]]] = defaultdict(list)
        for milestone_id, new, previous in (
            DeadlineRevision.objects.filter(milestone_id__in=ids)
            .order_by("milestone_id", "changed_at", "id")
            .values_list("milestone_id", "new_latest", "previous_latest")
        ):
            revisions[milestone_id].append((new, previous))
        titles: dict[int, list[str]] = defaultdict(list)
        for milestone_id, title in (
            Milestone.sources.through.objects.filter(milestone_id__in=ids)
            .order_by("source__title", "source_id")
            .values_list("milestone_id", "source__title")
        ):
            titles[milestone_id].append(title)
        for m in chunk:
            yield MilestoneItem(
                m,
                slip_days(m.deadline_latest, revisions[m.pk]),
                "; ".join(dict.fromkeys(titles[m.pk])),  # an article once, however many quotes
                deadline_record.held_of(
                    m.deadline_latest, [(old, new) for new, old in revisions[m.pk]]
                ),
                book.outlook(m.track.negotiation_id, m.deadline_latest, m.state, today),
            )


def _milestone(name: str) -> Callable[[MilestoneItem, dt.date], Cell]:
    read = _field(name)
    return lambda item, today: read(item.milestone, today)


def _outlook(item: MilestoneItem, key: str) -> Cell:
    value = item.outlook.as_json()[key] if item.outlook else None
    return dt.date.fromisoformat(value) if key == "likely_by" and value else value


MILESTONES = Table(
    name="milestones",
    columns=_columns(
        ("id", _milestone("pk")),
        ("negotiation", _milestone("track.negotiation.name")),
        ("track", _milestone("track.name")),
        ("title", _milestone("title")),
        ("kind", _milestone("kind")),
        ("state", _milestone("state")),
        ("status", _milestone("status")),
        ("status_reason", _milestone("status_reason")),
        ("deadline_text", _milestone("deadline_text")),
        ("deadline_earliest", _milestone("deadline_earliest")),
        ("deadline_latest", _milestone("deadline_latest")),
        ("deadline_precision", _milestone("deadline_precision")),
        ("days_remaining", lambda item, today: item.milestone.days_remaining(today)),
        ("slip_days", lambda item, today: item.slip_days),
        ("track_record", lambda item, today: item.track_record),
        ("outlook", lambda item, today: item.outlook.words if item.outlook else ""),
        ("outlook_chance", lambda item, today: _outlook(item, "chance")),
        ("outlook_likely_by", lambda item, today: _outlook(item, "likely_by")),
        ("outlook_brier_score", lambda item, today: _outlook(item, "brier_score")),
        ("completed_on", _milestone("completed_on")),
        ("completed_late", _milestone("completed_late")),
        ("last_confirmed_on", _milestone("last_confirmed_on")),
        ("last_confirmed_inferred", _milestone("last_confirmed_inferred")),
        ("stale", _milestone("stale")),
        ("consequence", _milestone("consequence")),
        ("sources", lambda item, today: item.sources),
    ),
    items=_milestone_items,
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
    ("observation_series", _observation(lambda o: o.series.name)),
    ("observation_period_start", _observation(lambda o: o.period_start)),
    ("observation_period_end", _observation(lambda o: o.period_end)),
    ("observation_value", _observation(lambda o: o.value)),
    ("observation_approximate", _observation(lambda o: o.approximate)),
    ("observation_source", _observation(lambda o: o.source.title if o.source else None)),
    ("observation_note", _observation(lambda o: o.note)),
    ("observation_recorded_at", _observation(lambda o: o.recorded_at)),
)


def _target_items(queryset: QuerySet[Target]) -> Iterator[Pair]:
    for chunk in chunks(queryset.select_related("negotiation", "track")):
        observations: dict[int, list[Observation]] = defaultdict(list)
        for observation in (
            Observation.objects.filter(target__in=chunk)
            .select_related("series", "source")
            .order_by("period_end", "id")
        ):
            observations[observation.target_id].append(observation)
        for target in chunk:
            pairs: list[Pair] = [(target, o) for o in observations[target.pk]]
            yield from pairs or [(target, None)]


def _observation_items(queryset: QuerySet[Observation]) -> Iterator[Pair]:
    for chunk in chunks(
        queryset.select_related("target__negotiation", "target__track", "series", "source")
    ):
        yield from ((observation.target, observation) for observation in chunk)


TARGETS = Table(name="targets", columns=TARGET_COLUMNS, items=_target_items)
# The same rows read from observations (the API's observation list).
OBSERVATIONS = Table(name="observations", columns=TARGET_COLUMNS, items=_observation_items)


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
        ("actor", _person("actor")),
        ("interface", _field("interface")),
        (
            "changes",
            lambda c, today: (
                json.dumps(c.changes, ensure_ascii=False, sort_keys=True) if c.changes else ""
            ),
        ),
    ),
    items=lambda queryset: (
        change
        for chunk in chunks(queryset.select_related("content_type", "actor"))
        for change in chunk
    ),
)


# --- negotiations, tracks, sources and parties (the API's other lists) -----------------------


def _plain_items(*related: str) -> Callable[[QuerySet[Any]], Iterator[Any]]:
    def items(queryset: QuerySet[Any]) -> Iterator[Any]:
        for chunk in chunks(queryset.select_related(*related) if related else queryset):
            yield from chunk

    return items


HEALTH_COLUMNS = _columns(
    ("health", _field("health")),
    ("health_reason", _field("health_reason")),
    ("progress", _field("progress")),
    ("next_deadline", _field("next_deadline")),
    ("last_confirmed_on", _field("last_confirmed_on")),
    ("stale", _field("stale")),
)

NEGOTIATIONS = Table(
    name="negotiations",
    columns=(
        *_columns(("id", _field("pk")), ("slug", _field("slug")), ("name", _field("name"))),
        *_columns(("stage", _field("stage"))),
        *HEALTH_COLUMNS,
    ),
    items=_plain_items(),
)

TRACKS = Table(
    name="tracks",
    columns=(
        *_columns(
            ("id", _field("pk")),
            ("negotiation", _field("negotiation.name")),
            ("slug", _field("slug")),
            ("name", _field("name")),
            ("owner", _person("owner")),
            ("ongoing", _field("ongoing")),
            ("deadline_text", _field("deadline_text")),
            ("deadline_latest", _field("deadline_latest")),
        ),
        *HEALTH_COLUMNS,
    ),
    items=_plain_items("negotiation", "owner"),
)

SOURCES = Table(
    name="sources",
    columns=_columns(
        ("id", _field("pk")),
        ("slug", _field("slug")),
        ("title", _field("title")),
        ("publisher", _field("publisher")),
        ("url", _field("url")),
        ("published_on", _field("published_on")),
        ("published_by", _field("published_by")),
        ("excerpt", _field("excerpt")),
    ),
    items=_plain_items(),
)

PARTIES = Table(
    name="parties",
    columns=_columns(("id", _field("pk")), ("code", _field("code")), ("name", _field("name"))),
    items=_plain_items(),
)
