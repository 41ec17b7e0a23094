"""Write derived columns of many rows in a few statements."""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from typing import Any

from django.db import connections, models


def write_derived(rows: Sequence[models.Model]) -> None:
    """Write the DERIVED_FIELDS of `rows` (all of one model): UPDATE … FROM a VALUES list.

    Django's bulk_update builds a CASE per row and field, which takes seconds for a few
    thousand rows; joining a VALUES list is one cheap statement per 500 rows. Both
    PostgreSQL and SQLite (3.33+) accept this form; other databases get bulk_update.
    """
    if not rows:
        return
    model = type(rows[0])
    fields = sorted(model.DERIVED_FIELDS)  # type: ignore[attr-defined]
    connection = connections[model._default_manager.db]
    if connection.vendor not in {"postgresql", "sqlite"} or (
        connection.vendor == "sqlite" and sqlite3.sqlite_version_info < (3, 33)
    ):
        model._default_manager.bulk_update(rows, fields, batch_size=200)
        return
    meta = model._meta
    columns: list[Any] = [meta.pk, *(meta.get_field(name) for name in fields)]
    quote = connection.ops.quote_name
    # PostgreSQL types VALUES columns from their literals, so say what each one is.
    casts = [
        f"::{f.db_type(connection)}" if connection.vendor == "postgresql" else "" for f in columns
    ]
    placeholder = "(" + ", ".join(f"%s{cast}" for cast in casts) + ")"
    names = [f"c{i}" for i in range(len(columns))]
    assignments = ", ".join(
        f"{quote(field.column)} = v.{name}"
        for field, name in zip(columns[1:], names[1:], strict=True)
    )
    table, pk = quote(meta.db_table), quote(columns[0].column)
    with connection.cursor() as cursor:
        for start in range(0, len(rows), 500):
            batch = rows[start : start + 500]
            params: list[Any] = []
            for row in batch:
                for field in columns:
                    value = getattr(row, field.attname)
                    params.append(field.get_db_prep_value(value, connection, prepared=False))
            cursor.execute(
                f"WITH v({', '.join(names)}) AS (VALUES {', '.join([placeholder] * len(batch))}) "
                f"UPDATE {table} SET {assignments} FROM v WHERE {table}.{pk} = v.c0",
                params,
            )
