"""An XLSX workbook of one sheet, written as a stream: the first bytes leave at once.

An XLSX file is a zip of a few XML parts (ECMA-376, "Office Open XML"). openpyxl, whose
reader the imports use, builds each cell as an object: on this machine its write-only
mode took 35 times as long as csv.writer for the same rows, so 100,000 milestones ran
into gunicorn's 30 s worker timeout. Here each row becomes one string of SpreadsheetML,
compressed by the standard library's zipfile into a buffer that is handed on as it fills:
memory holds one row and the compressor's window, whatever the number of rows.

The sheet keeps what the openpyxl version had: the header row frozen, a filter over every
column and row, dates and times as real dates in ISO format, booleans and numbers as
themselves, and text as inline strings (a leading "=" is text here, never a formula; the
cells module still neutralises it, for whoever copies the cell into a formula bar).
"""

from __future__ import annotations

import datetime as dt
import re
import zipfile
from collections.abc import Iterable, Iterator
from decimal import Decimal
from xml.sax.saxutils import escape, quoteattr

from tracker.exports.cells import Cell, plain

# XML 1.0 refuses these characters even escaped; a spreadsheet could not open the file.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
_EPOCH = dt.datetime(1899, 12, 30)  # day 0 of the 1900 date system, as Excel counts
_DATE_STYLE = 1  # cellXfs index: yyyy-mm-dd
_TIME_STYLE = 2  # cellXfs index: yyyy-mm-dd hh:mm:ss
_FLUSH_BYTES = 64 * 1024

_CONTENT_TYPES = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" '
    'ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/xl/workbook.xml" ContentType="application/'
    'vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
    '<Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/'
    'vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
    '<Override PartName="/xl/styles.xml" ContentType="application/'
    'vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/>'
    "</Types>"
)
_PACKAGE_RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Target="xl/workbook.xml" Type="http://schemas.openxmlformats.org/'
    'officeDocument/2006/relationships/officeDocument"/>'
    "</Relationships>"
)
_WORKBOOK_RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Target="worksheets/sheet1.xml" Type="http://schemas.'
    'openxmlformats.org/officeDocument/2006/relationships/worksheet"/>'
    '<Relationship Id="rId2" Target="styles.xml" Type="http://schemas.openxmlformats.org/'
    'officeDocument/2006/relationships/styles"/>'
    "</Relationships>"
)
_STYLES = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<styleSheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
    '<numFmts count="2"><numFmt numFmtId="164" formatCode="yyyy-mm-dd"/>'
    '<numFmt numFmtId="165" formatCode="yyyy-mm-dd hh:mm:ss"/></numFmts>'
    '<fonts count="2"><font><sz val="11"/><name val="Calibri"/></font>'
    '<font><b/><sz val="11"/><name val="Calibri"/></font></fonts>'
    '<fills count="2"><fill><patternFill patternType="none"/></fill>'
    '<fill><patternFill patternType="gray125"/></fill></fills>'
    '<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>'
    '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>'
    '<cellXfs count="4"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>'
    '<xf numFmtId="164" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>'
    '<xf numFmtId="165" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>'
    '<xf numFmtId="0" fontId="1" fillId="0" borderId="0" xfId="0" applyFont="1"/></cellXfs>'
    '<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles>'
    "</styleSheet>"
)
_HEADER_STYLE = 3  # bold
_SHEET_START = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
    '<sheetViews><sheetView workbookViewId="0">'
    '<pane ySplit="1" topLeftCell="A2" activePane="bottomLeft" state="frozen"/>'
    '<selection pane="bottomLeft" activeCell="A2" sqref="A2"/>'
    "</sheetView></sheetViews><sheetData>"
)


def column_letter(index: int) -> str:
    """1 → A, 27 → AA."""
    letters = ""
    while index:
        index, remainder = divmod(index - 1, 26)
        letters = chr(65 + remainder) + letters
    return letters


def xlsx_chunks(headers: list[str], rows: Iterable[list[Cell]], *, title: str) -> Iterator[bytes]:
    """The workbook's bytes, a piece at a time, as the rows are read."""
    buffer = _Buffer()
    letters = [column_letter(n) for n in range(1, max(len(headers), 1) + 1)]
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=1) as z:
        z.writestr("[Content_Types].xml", _CONTENT_TYPES)
        z.writestr("_rels/.rels", _PACKAGE_RELS)
        z.writestr("xl/_rels/workbook.xml.rels", _WORKBOOK_RELS)
        z.writestr("xl/styles.xml", _STYLES)
        last_row = 1
        # force_zip64: the sheet's size is not known before it is written.
        with z.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as sheet:
            sheet.write(_SHEET_START.encode())
            sheet.write(_row(letters, 1, headers, style=_HEADER_STYLE).encode())
            for number, row in enumerate(rows, start=2):
                sheet.write(_row(letters, number, row).encode())
                last_row = number
                if buffer.size >= _FLUSH_BYTES:
                    yield buffer.take()
            span = f"A1:{letters[-1]}{last_row}"
            sheet.write(f'</sheetData><autoFilter ref="{span}"/></worksheet>'.encode())
        z.writestr("xl/workbook.xml", _workbook(title, letters[-1], last_row))
    yield buffer.take()


def _workbook(title: str, last_column: str, last_row: int) -> str:
    name = _text(title)[:31] or "Sheet1"
    # The hidden name Excel keeps for a sheet's filter; without it Excel drops the filter.
    quoted = "'" + name.replace("'", "''") + "'"
    filtered = f"{quoted}!$A$1:${last_column}${last_row}"
    return (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        '<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
        'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
        f'<sheets><sheet name={quoteattr(name)} sheetId="1" r:id="rId1"/></sheets>'
        '<definedNames><definedName name="_xlnm._FilterDatabase" localSheetId="0" hidden="1">'
        f"{escape(filtered)}</definedName></definedNames>"
        "</workbook>"
    )


def _row(letters: list[str], number: int, values: Iterable[Cell], *, style: int = 0) -> str:
    cells = "".join(
        _cell(f"{letter}{number}", plain(value), style)
        for letter, value in zip(letters, values, strict=False)
    )
    return f'<row r="{number}">{cells}</row>'


def _cell(ref: str, value: Cell, style: int) -> str:
    styled = f' s="{style}"' if style else ""
    if value is None or value == "":
        return f'<c r="{ref}"{styled}/>'  # kept, so that every row spans every column
    if isinstance(value, bool):
        return f'<c r="{ref}"{styled} t="b"><v>{int(value)}</v></c>'
    if isinstance(value, int | float):
        return f'<c r="{ref}"{styled}><v>{value!r}</v></c>'
    if isinstance(value, Decimal):
        return f'<c r="{ref}"{styled}><v>{value.normalize():f}</v></c>'
    if isinstance(value, dt.datetime):
        serial = (value - _EPOCH) / dt.timedelta(days=1)
        return f'<c r="{ref}" s="{_TIME_STYLE}"><v>{serial!r}</v></c>'
    if isinstance(value, dt.date):
        serial = (value - _EPOCH.date()).days
        return f'<c r="{ref}" s="{_DATE_STYLE}"><v>{serial}</v></c>'
    text = escape(_text(str(value)))
    return f'<c r="{ref}"{styled} t="inlineStr"><is><t xml:space="preserve">{text}</t></is></c>'


def _text(value: str) -> str:
    return _NOT_XML.sub("", value)


class _Buffer:
    """Where zipfile writes: collects bytes until they are taken. It has no seek, so
    zipfile writes each part's sizes after its data (a data descriptor), as streams do."""

    def __init__(self) -> None:
        self._pieces: list[bytes] = []
        self.size = 0
        self._written = 0

    def write(self, data: bytes, /) -> int:
        self._pieces.append(bytes(data))
        self.size += len(data)
        self._written += len(data)
        return len(data)

    def tell(self) -> int:
        return self._written

    def flush(self) -> None:
        pass

    def close(self) -> None:
        pass

    def take(self) -> bytes:
        data = b"".join(self._pieces)
        self._pieces.clear()
        self.size = 0
        return data
