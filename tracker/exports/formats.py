"""The two file formats, each written a row at a time.

CSV goes out line by line as it is written, after a UTF-8 byte-order mark so that Excel
reads it as UTF-8 ("India–US", not "Indiaâ€“US"). XLSX goes out as it is zipped
(tracker.exports.workbook): both stream, and memory stays flat whatever the row count.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Iterator

from tracker.exports.cells import Cell, as_text

FORMATS = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


BYTE_ORDER_MARK = "\ufeff"


class _Line:
    """A file-like object whose write returns the line: csv.writer then yields lines."""

    def write(self, value: str) -> str:
        return value


def csv_lines(headers: list[str], rows: Iterable[list[Cell]]) -> Iterator[str]:
    writer = csv.writer(_Line())
    yield BYTE_ORDER_MARK + writer.writerow(headers)
    for row in rows:
        yield writer.writerow([as_text(value) for value in row])
