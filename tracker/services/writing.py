"""What every write service does around its rules: one transaction, one actor, one check."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

from django.db import models, transaction

from tracker import audit


@contextlib.contextmanager
def writing(by: Any) -> Iterator[None]:
    """A write by `by`: atomic, and its audit-log rows name them."""
    with transaction.atomic(), audit.acting(by):
        yield


def check(record: models.Model, *, exclude: list[str] | None = None) -> None:
    """The model's own field, uniqueness and constraint checks, as field messages."""
    record.full_clean(exclude=exclude)
