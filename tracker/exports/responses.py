"""An export as an HTTP response: streamed, with a file name, whichever interface asks."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import QuerySet
from django.http import FileResponse, StreamingHttpResponse

from tracker.exports.formats import FORMATS, csv_lines, xlsx_file
from tracker.exports.tables import Table


def export_response(
    table: Table,
    queryset: QuerySet[Any],
    *,
    file_format: str,
    today: dt.date,
    filename: str | None = None,
) -> StreamingHttpResponse | FileResponse:
    """The rows of `queryset` as `table` defines them, in `file_format` (csv or xlsx)."""
    name = f"{filename or table.name}-{today.isoformat()}.{file_format}"
    rows = table.rows(queryset, today)
    response: StreamingHttpResponse | FileResponse
    if file_format == "csv":
        response = StreamingHttpResponse(
            csv_lines(table.headers, rows), content_type=FORMATS["csv"]
        )
    elif file_format == "xlsx":
        response = FileResponse(
            xlsx_file(table.headers, rows, title=table.name), content_type=FORMATS["xlsx"]
        )
    else:
        raise ValueError(f"Unknown export format {file_format!r}")
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response
