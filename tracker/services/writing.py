"""What every write service does around its rules: one transaction, one actor, one check,
and a row read under its lock and stored with a new version (docs/design.md "Concurrent
writes")."""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any, TypeVar

from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import FieldDoesNotExist, ValidationError
from django.db import models, transaction

from tracker import audit
from tracker.models import Change, Versioned
from tracker.services.versions import data_version_bump
from tracker.single_line import REFUSED, has_control_characters

Row = TypeVar("Row", bound=models.Model)


@contextlib.contextmanager
def writing(by: Any) -> Iterator[None]:
    """A write by `by`: atomic, its audit-log rows name them, and it moves the data
    version (tracker.versions) so cached feeds and pages are read afresh."""
    with transaction.atomic(), audit.acting(by):
        yield
        data_version_bump()


def check(record: models.Model, *, exclude: list[str] | None = None) -> None:
    """The model's own field, uniqueness and constraint checks, as field messages.

    Every short text field (names, titles, slugs, units, codes, deadline texts, notes)
    is also single-line: see tracker.single_line for why.
    """
    errors: dict[str, list[str]] = {}
    try:
        record.full_clean(exclude=exclude)
    except ValidationError as error:
        errors = error.message_dict
    for name in multiline_fields(record, exclude=exclude or []):
        errors.setdefault(name, [REFUSED])
    if errors:
        raise ValidationError(errors)


def multiline_fields(record: models.Model, *, exclude: list[str]) -> list[str]:
    """The short text fields of `record` that hold control characters (not the derived
    ones, which tracker.refresh writes)."""
    derived: frozenset[str] = getattr(record, "DERIVED_FIELDS", frozenset())
    return [
        field.name
        for field in record._meta.concrete_fields
        if isinstance(field, models.CharField)
        and field.name not in derived
        and field.name not in exclude
        and has_control_characters(str(getattr(record, field.attname) or ""))
    ]


def single_line(value: str, *, field: str) -> str:
    """A single-line argument of a service (not a model field), refused like one."""
    if has_control_characters(value):
        raise ValidationError({field: REFUSED})
    return value


# --- versions: a write never lands on a row it did not read -----------------------------


class StaleVersion(Exception):
    """The row was written after the version the writer read; nothing was saved.

    `record` is the row as it stands (locked, read in the refused write's transaction).
    """

    def __init__(self, record: Versioned, expected: int) -> None:
        super().__init__(
            f"This {record._meta.verbose_name} is at version {record.version}, "
            f"not {expected}: it was changed after you read it."
        )
        self.record = record
        self.expected = expected

    def changes(self) -> list[FieldChange]:
        return changes_since(self.record, self.expected)


def locked(model: type[Row], pk: Any, *, version: int | None = None) -> Row:
    """The row as committed now, locked until the transaction ends; StaleVersion when
    `version` is given and the row is at another one. Call it inside `writing`."""
    row = model._default_manager.select_for_update(of=("self",)).get(pk=pk)
    if version is not None and isinstance(row, Versioned) and row.version != version:
        raise StaleVersion(row, version)
    return row


def columns(record: models.Model) -> dict[str, Any]:
    """The row's column values (by attname), to compare a later state with."""
    return {f.attname: getattr(record, f.attname) for f in record._meta.concrete_fields}


def store(record: models.Model, *, read: Mapping[str, Any] | None = None) -> None:
    """Save `record`, moving its version.

    `read` is what its columns held when it was read under the row lock (`locked`, then
    `columns`): then only the columns that differ from it are written, with the version
    and the update time. Without it (a new row, or a caller's instance saved whole) the
    version is read under the lock here, and the row is saved as Django saves it.
    """
    versioned = isinstance(record, Versioned)
    if record._state.adding or record.pk is None:
        record.save()
        return
    if read is None:
        if versioned:
            current = (
                type(record)
                ._default_manager.select_for_update(of=("self",))
                .filter(pk=record.pk)
                .values_list("version", flat=True)
                .first()
            )
            record.version = (current or 0) + 1  # type: ignore[attr-defined]
        record.save()
        return
    changed = [
        f.name
        for f in record._meta.concrete_fields
        if not f.primary_key and getattr(record, f.attname) != read[f.attname]
    ]
    if versioned:
        record.version = read["version"] + 1  # type: ignore[attr-defined]
        changed.append("version")
    if any(f.name == "updated_at" for f in record._meta.concrete_fields):
        changed.append("updated_at")
    if changed:
        record.save(update_fields=sorted(set(changed)))


# --- what changed since a version: the audit log says -----------------------------------


@dataclass(frozen=True)
class FieldChange:
    """One field that other writes changed: what it held at the version read, what it holds
    now, and the last write that changed it (who may be None: a job, a shell)."""

    field: str
    label: str
    before: str
    after: str
    by: str | None
    at: dt.datetime

    def __str__(self) -> str:
        who = f"{self.by}, " if self.by else ""
        at = f"{self.at:%-d %b %Y %H:%M} UTC"
        return f"{self.label}: {_shown(self.before)} → {_shown(self.after)} ({who}{at})"


def _shown(value: str) -> str:
    return "(empty)" if value in ("", "None", "[]") else f"“{value}”"


def changes_since(record: Versioned, version: int) -> list[FieldChange]:
    """The fields written after `version` of `record`, oldest first, from the audit log
    (each Change keeps the version it made in additional_data)."""
    entries = (
        Change.objects.filter(
            content_type=ContentType.objects.get_for_model(type(record)),
            object_id=record.pk,
            additional_data__version__gt=version,
        )
        .select_related("actor")
        .order_by("timestamp", "id")
    )
    found: dict[str, FieldChange] = {}
    for entry in entries:
        actor = entry.actor
        by = (actor.get_full_name() or actor.get_username()) if actor is not None else None
        for name, values in (entry.changes_dict or {}).items():
            if isinstance(values, Mapping):  # a many-to-many add or delete
                before = found[name].before if name in found else ""
                after = f"{values.get('operation', 'changed')}: " + ", ".join(
                    str(v) for v in values.get("objects", [])
                )
            else:
                before = found[name].before if name in found else str(values[0])
                after = str(values[1])
            found[name] = FieldChange(
                name, _label(record, name), before, after, by, entry.timestamp
            )
    return list(found.values())


def _label(record: models.Model, name: str) -> str:
    try:
        field = record._meta.get_field(name)
    except FieldDoesNotExist:
        return name.replace("_", " ")
    return str(getattr(field, "verbose_name", name.replace("_", " ")))


def stale_message(error: StaleVersion) -> str:
    """What a form says when its version is stale: who changed what since it was opened."""
    noun = error.record._meta.verbose_name
    changes = error.changes()
    said = "; ".join(str(change) for change in changes) if changes else "(not in the audit log)"
    return (
        f"Someone saved this {noun} after you opened it, so nothing was saved. "
        f"Changed since: {said}. Your input is kept below: check it and save again "
        f"to write it over theirs."
    )
