"""Write derived columns of many rows in a few statements."""

from __future__ import annotations

import sqlite3
from collections.abc import Mapping, Sequence
from typing import Any

import orjson
from django.db import connections, models

# One UPDATE … FROM json_to_recordset(…) per this many rows: each statement joins the
# whole table, so few and large, while the JSON stays some tens of megabytes.
POSTGRESQL_BATCH = 100_000
# SQLite binds each value separately and allows 32,766 of them per statement.
SQLITE_BATCH = 500


def write_derived(
    model: type[models.Model], changes: Sequence[tuple[int, Mapping[str, Any]]]
) -> None:
    """Write the DERIVED_FIELDS of the rows (id, values) of `model`.

    Django's bulk_update builds a CASE per row and field, which takes seconds for a few
    thousand rows. PostgreSQL gets one UPDATE … FROM json_to_recordset(one JSON text) per
    POSTGRESQL_BATCH rows (orjson writes it in C; arrays of parameters are dumped value by
    value in Python, several times slower); SQLite (3.33+) an UPDATE … FROM a VALUES list per
    500 rows; other databases bulk_update.
    """
    if not changes:
        return
    fields = sorted(model.DERIVED_FIELDS)  # type: ignore[attr-defined]
    connection = connections[model._default_manager.db]
    if connection.vendor == "postgresql":
        _write_with_json(model, fields, changes)
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


def _write_with_json(
    model: type[models.Model], fields: list[str], changes: Sequence[tuple[int, Mapping[str, Any]]]
) -> None:
    meta = model._meta
    connection = connections[model._default_manager.db]
    quote = connection.ops.quote_name
    columns: list[Any] = [meta.pk, *(meta.get_field(name) for name in fields)]
    # json_to_recordset types each column as declared here; keys are the column names.
    declared = ", ".join(f"{quote(f.column)} {f.db_type(connection)}" for f in columns)
    assignments = ", ".join(f"{quote(f.column)} = v.{quote(f.column)}" for f in columns[1:])
    table, pk = quote(meta.db_table), quote(columns[0].column)
    sql = (
        f"UPDATE {table} SET {assignments} FROM json_to_recordset(%s::json) AS v({declared}) "
        f"WHERE {table}.{pk} = v.{pk}"
    )
    key = columns[0].column
    with connection.cursor() as cursor:
        for start in range(0, len(changes), POSTGRESQL_BATCH):
            batch = changes[start : start + POSTGRESQL_BATCH]
            rows = [{key: row_pk, **values} for row_pk, values in batch]
            # Decimals as their text, which PostgreSQL reads back exactly.
            cursor.execute(sql, [orjson.dumps(rows, default=str).decode()])


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
