"""An export as an HTTP response: streamed, with a file name, whichever interface asks."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

from django.db.models import QuerySet
from django.http import StreamingHttpResponse

from tracker.exports.formats import FORMATS, csv_lines
from tracker.exports.tables import Table
from tracker.exports.workbook import xlsx_chunks


def export_response(
    table: Table,
    queryset: QuerySet[Any],
    *,
    file_format: str,
    today: dt.date,
    filename: str | None = None,
) -> StreamingHttpResponse:
    """The rows of `queryset` as `table` defines them, in `file_format` (csv or xlsx)."""
    name = f"{filename or table.name}-{today.isoformat()}.{file_format}"
    rows = table.rows(queryset, today)
    content: Iterator[str] | Iterator[bytes]
    if file_format == "csv":
        content = csv_lines(table.headers, rows)
    elif file_format == "xlsx":
        content = xlsx_chunks(table.headers, rows, title=table.name)
    else:
        raise ValueError(f"Unknown export format {file_format!r}")
    response = StreamingHttpResponse(content, content_type=FORMATS[file_format])
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response
