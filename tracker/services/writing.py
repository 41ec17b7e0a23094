"""What every write service does around its rules: one transaction, one actor, one check."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

from django.core.exceptions import ValidationError
from django.db import models, transaction

from tracker import audit, versions
from tracker.single_line import REFUSED, has_control_characters


@contextlib.contextmanager
def writing(by: Any) -> Iterator[None]:
    """A write by `by`: atomic, its audit-log rows name them, and it moves the data
    version (tracker.versions) so cached feeds and pages are read afresh."""
    with transaction.atomic(), audit.acting(by):
        yield
        versions.bump()


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
