"""Write derived columns of many rows in a few statements."""

from __future__ import annotations

import sqlite3
from collections.abc import Mapping, Sequence
from typing import Any

from django.db import connections, models

# Column types psycopg sends as they are: no field needs to prepare these values.
_PLAIN = (models.CharField, models.BooleanField, models.DateField, models.FloatField)
# One UPDATE … FROM unnest(…) per this many rows: large enough that the statement, not the
# round trip, is the cost; small enough that the parameters stay a few megabytes.
POSTGRESQL_BATCH = 20_000
# SQLite binds each value separately and allows 32,766 of them per statement.
SQLITE_BATCH = 500


def write_derived(
    model: type[models.Model], changes: Sequence[tuple[int, Mapping[str, Any]]]
) -> None:
    """Write the DERIVED_FIELDS of the rows (id, values) of `model`.

    Django's bulk_update builds a CASE per row and field, which takes seconds for a few
    thousand rows. PostgreSQL gets one UPDATE … FROM unnest(arrays) per POSTGRESQL_BATCH
    rows, an array per column; SQLite (3.33+) an UPDATE … FROM a VALUES list per 500 rows;
    other databases bulk_update.
    """
    if not changes:
        return
    fields = sorted(model.DERIVED_FIELDS)  # type: ignore[attr-defined]
    connection = connections[model._default_manager.db]
    if connection.vendor == "postgresql":
        _write_with_arrays(model, fields, changes)
    elif connection.vendor == "sqlite" and sqlite3.sqlite_version_info >= (3, 33):
        _write_with_values(model, fields, changes)
    else:
        rows = []
        for pk, values in changes:
            row = model(pk=pk)
            for name in fields:
                setattr(row, name, values[name])
            rows.append(row)
        model._default_manager.bulk_update(rows, fields, batch_size=200)


def _write_with_arrays(
    model: type[models.Model], fields: list[str], changes: Sequence[tuple[int, Mapping[str, Any]]]
) -> None:
    meta = model._meta
    connection = connections[model._default_manager.db]
    quote = connection.ops.quote_name
    columns: list[Any] = [meta.pk, *(meta.get_field(name) for name in fields)]
    arrays = ", ".join(f"%s::{f.db_type(connection)}[]" for f in columns)
    names = [f"c{i}" for i in range(len(columns))]
    assignments = ", ".join(
        f"{quote(f.column)} = v.{name}" for f, name in zip(columns[1:], names[1:], strict=True)
    )
    table, pk = quote(meta.db_table), quote(columns[0].column)
    sql = (
        f"UPDATE {table} SET {assignments} FROM unnest({arrays}) AS v({', '.join(names)}) "
        f"WHERE {table}.{pk} = v.c0"
    )
    with connection.cursor() as cursor:
        for start in range(0, len(changes), POSTGRESQL_BATCH):
            batch = changes[start : start + POSTGRESQL_BATCH]
            params: list[list[Any]] = [[pk for pk, _ in batch]]
            for f in columns[1:]:
                column = [values[f.name] for _, values in batch]
                if not isinstance(f, _PLAIN):
                    column = [f.get_db_prep_value(v, connection, prepared=False) for v in column]
                params.append(column)
            cursor.execute(sql, params)


def _write_with_values(
    model: type[models.Model], fields: list[str], changes: Sequence[tuple[int, Mapping[str, Any]]]
) -> None:
    meta = model._meta
    connection = connections[model._default_manager.db]
    quote = connection.ops.quote_name
    columns: list[Any] = [meta.pk, *(meta.get_field(name) for name in fields)]
    placeholder = "(" + ", ".join(["%s"] * len(columns)) + ")"
    names = [f"c{i}" for i in range(len(columns))]
    assignments = ", ".join(
        f"{quote(f.column)} = v.{name}" for f, name in zip(columns[1:], names[1:], strict=True)
    )
    table, pk = quote(meta.db_table), quote(columns[0].column)
    with connection.cursor() as cursor:
        for start in range(0, len(changes), SQLITE_BATCH):
            batch = changes[start : start + SQLITE_BATCH]
            params: list[Any] = []
            for row_pk, values in batch:
                params.append(row_pk)
                for f in columns[1:]:
                    params.append(f.get_db_prep_value(values[f.name], connection, prepared=False))
            cursor.execute(
                f"WITH v({', '.join(names)}) AS (VALUES {', '.join([placeholder] * len(batch))}) "
                f"UPDATE {table} SET {assignments} FROM v WHERE {table}.{pk} = v.c0",
                params,
            )
