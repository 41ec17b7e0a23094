"""Milestone list rows as JSON, composed from plain rows instead of serialized field by field.

The shape is MilestoneSerializer's read shape, key for key and value for value (a test holds
the two together); the serializer remains the schema and the detail answer. Each function
takes plain values and returns plain JSON values, with dates and times already as text.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.utils import timezone

from tracker import deadline_record, freshness
from tracker.api.fields import deadline_representation
from tracker.deadlines import Deadline, Precision
from tracker.figures import revision_slip, slip_days
from tracker.models import days_remaining, revision_words, source_date
from tracker.selectors import MilestoneRelations
from tracker.status import SourceDate

# Pure, and a list repeats the same deadlines in its revisions: worth remembering.
_revision_words = functools.lru_cache(maxsize=8192)(revision_words)


def day(value: dt.date | None) -> str | None:
    return value.isoformat() if value is not None else None


def moment(value: dt.datetime | None, zone: dt.tzinfo) -> str | None:
    """As DRF's DateTimeField writes it: in the current time zone, ISO 8601, "Z" for UTC."""
    if value is None:
        return None
    text = value.astimezone(zone).isoformat()
    return text[:-6] + "Z" if text.endswith("+00:00") else text


def deadline(row: dict[str, Any]) -> dict[str, Any] | None:
    if row["deadline_latest"] is None or row["deadline_earliest"] is None:
        return None
    return deadline_representation(
        Deadline(
            text=row["deadline_text"],
            earliest=row["deadline_earliest"],
            latest=row["deadline_latest"],
            precision=Precision(row["deadline_precision"]),
            said_on=row["deadline_said_on"],
        )
    )


@dataclass
class Confirmation:
    """What freshness.confirmation reads, taken from a plain row."""

    last_confirmed: SourceDate | None
    stale: bool


def confirmation(row: dict[str, Any], today: dt.date) -> str:
    confirmed = row["last_confirmed_on"]
    date = None
    if confirmed is not None:
        date = SourceDate(confirmed, inferred=row["last_confirmed_inferred"])
    return freshness.confirmation(Confirmation(date, row["stale"]), today)


def revision(row: dict[str, Any], zone: dt.tzinfo) -> dict[str, Any]:
    reported = source_date(row["source__published_on"], row["source__published_by"])
    previous, new = row["previous_latest"], row["new_latest"]
    return {
        "id": row["id"],
        "previous_text": row["previous_text"],
        "previous_earliest": day(row["previous_earliest"]),
        "previous_latest": day(previous),
        "previous_precision": row["previous_precision"],
        "previous_said_on": day(row["previous_said_on"]),
        "previous_in_words": _revision_words(
            row["previous_text"],
            row["previous_earliest"],
            previous,
            row["previous_precision"],
            row["previous_said_on"],
        ),
        "new_text": row["new_text"],
        "new_earliest": day(row["new_earliest"]),
        "new_latest": day(new),
        "new_precision": row["new_precision"],
        "new_said_on": day(row["new_said_on"]),
        "new_in_words": _revision_words(
            row["new_text"], row["new_earliest"], new, row["new_precision"], row["new_said_on"]
        ),
        "changed_at": moment(row["changed_at"], zone),
        "reason": row["reason"],
        "source": row["source__slug"],
        "reported_on": day(reported.on) if reported else None,
        "reported_on_inferred": bool(reported and reported.inferred),
        "slip_days": revision_slip(previous, new),
    }


def milestone(
    row: dict[str, Any],
    relations: MilestoneRelations,
    today: dt.date,
    zone: dt.tzinfo,
    book: deadline_record.Book | None = None,
) -> dict[str, Any]:
    key = row["id"]
    revisions = relations.revisions.get(key, [])
    latest = row["deadline_latest"]
    return {
        "id": key,
        "track": row["track_id"],
        "negotiation": row["negotiation_slug"],
        "slug": row["slug"],
        "title": row["title"],
        "aliases": row["aliases"],
        "kind": row["kind"],
        "deadline": deadline(row),
        "fiscal_year_start": row["fiscal_year_start"],
        "state": row["state"],
        "completed_on": day(row["completed_on"]),
        "completed_precision": row["completed_precision"],
        "weight": float(row["weight"]),
        "depends_on": relations.depends_on.get(key, []),
        "consequence": row["consequence"],
        "sources": relations.sources.get(key, []),
        "status": row["status"],
        "completed_late": row["completed_late"],
        "status_reason": row["status_reason"],
        "days_remaining": days_remaining(latest, row["state"], today),
        "slip_days": slip_days(
            latest, [(r["new_latest"], r["previous_latest"]) for r in revisions]
        ),
        "last_confirmed_on": day(row["last_confirmed_on"]),
        "last_confirmed_inferred": row["last_confirmed_inferred"],
        "stale": row["stale"],
        "freshness": confirmation(row, today),
        "revisions": [revision(r, zone) for r in revisions],
        "sources_differ": [
            {"summary": summary, "sources": slugs}
            for summary, slugs in relations.discrepancies.get(key, {}).values()
        ],
        "track_record": deadline_record.held_of(
            latest, [(r["previous_latest"], r["new_latest"]) for r in revisions]
        ),
        "outlook": _outlook(row, today, book),
        "created_at": moment(row["created_at"], zone),
        "updated_at": moment(row["updated_at"], zone),
    }


def _outlook(
    row: dict[str, Any], today: dt.date, book: deadline_record.Book | None
) -> dict[str, Any] | None:
    book = book or deadline_record.book()
    view = book.outlook_of(row["id"], row["deadline_latest"], row["state"], today)
    return view.as_json() if view is not None else None


def milestones(
    rows: Iterable[dict[str, Any]], relations: MilestoneRelations, today: dt.date
) -> list[dict[str, Any]]:
    zone = timezone.get_current_timezone()
    book = deadline_record.book()  # the record the outlooks resample: 3 queries a page
    return [milestone(row, relations, today, zone, book) for row in rows]
