"""The two file formats, each written a row at a time.

CSV goes out line by line as it is written, after a UTF-8 byte-order mark so that Excel
reads it as UTF-8 ("India–US", not "Indiaâ€“US"). XLSX is a zip, which cannot be sent before
it is finished: openpyxl's write-only workbook writes each row to a temporary file as
it comes (memory stays flat) and the finished file is then streamed from disk.
"""

from __future__ import annotations

import csv
import datetime as dt
import tempfile
from collections.abc import Iterable, Iterator
from typing import IO

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.utils import get_column_letter

from tracker.exports.cells import Cell, as_text, plain

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


def xlsx_file(headers: list[str], rows: Iterable[list[Cell]], *, title: str) -> IO[bytes]:
    """The workbook in a temporary file (deleted when closed), positioned at its start.

    The header row stays in view when scrolling (frozen) and carries a filter over every
    column and row.
    """
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title=title[:31])
    sheet.freeze_panes = "A2"  # before the first row: the sheet's view is written first
    sheet.append(headers)
    last_row = 1
    for row in rows:
        sheet.append([_xlsx_cell(sheet, value) for value in row])
        last_row += 1
    sheet.auto_filter.ref = f"A1:{get_column_letter(max(len(headers), 1))}{last_row}"
    # Closed by the response that streams it (FileResponse), which deletes it.
    output = tempfile.TemporaryFile()  # noqa: SIM115
    workbook.save(output)
    output.seek(0)
    return output


def _xlsx_cell(sheet: object, value: Cell) -> object:
    """A value as the sheet's cell; dates as WriteOnlyCell (openpyxl's public API for a
    write-only sheet's formatted cells), to carry their number format."""
    value = plain(value)
    if isinstance(value, dt.datetime):
        cell = WriteOnlyCell(sheet, value=value)
        cell.number_format = "yyyy-mm-dd hh:mm:ss"
        return cell
    if isinstance(value, dt.date):
        cell = WriteOnlyCell(sheet, value=value)
        cell.number_format = "yyyy-mm-dd"
        return cell
    return value
