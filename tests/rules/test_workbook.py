"""The streamed XLSX writer (tracker.exports.workbook), read back by openpyxl: a reader
someone else wrote, the one Tranche's imports use."""

from __future__ import annotations

import datetime as dt
import io
import itertools
import zipfile
from collections.abc import Iterator
from decimal import Decimal

from openpyxl import load_workbook

from tracker.exports.cells import Cell
from tracker.exports.workbook import column_letter, xlsx_chunks


def _workbook(headers, rows, title="milestones"):
    return load_workbook(io.BytesIO(b"".join(xlsx_chunks(headers, rows, title=title))))


def test_column_letters_run_past_z_as_spreadsheets_count_them():
    assert [column_letter(n) for n in (1, 26, 27, 52, 53, 702, 703)] == [
        "A", "Z", "AA", "AZ", "BA", "ZZ", "AAA",
    ]  # fmt: skip


def test_each_kind_of_value_comes_back_as_itself():
    sheet = _workbook(
        ["text", "int", "decimal", "day", "moment", "flag", "none"],
        [
            [
                "India–US",
                -52,
                Decimal("500.50"),
                dt.date(2025, 7, 8),
                dt.datetime(2025, 5, 26, 14, 30, 5, tzinfo=dt.UTC),
                True,
                None,
            ]
        ],
    ).active
    assert [cell.value for cell in sheet[2]] == [
        "India–US",
        -52,
        500.5,
        dt.datetime(2025, 7, 8),
        dt.datetime(2025, 5, 26, 14, 30, 5),
        True,
        None,
    ]
    assert sheet["D2"].number_format == "yyyy-mm-dd"
    assert sheet["E2"].number_format == "yyyy-mm-dd hh:mm:ss"


def test_text_that_looks_like_a_formula_stays_text_and_markup_stays_characters():
    sheet = _workbook(["title"], [['=HYPERLINK("http://evil.example")'], ["<b>&amp;</b>"]]).active
    assert sheet["A2"].value == '\'=HYPERLINK("http://evil.example")'
    assert sheet["A2"].data_type == "s"
    assert sheet["A3"].value == "<b>&amp;</b>"


def test_characters_xml_cannot_carry_are_dropped_and_the_file_still_opens():
    sheet = _workbook(["title"], [["Round\x00 5\x0b of talks\ttoday"]]).active
    assert sheet["A2"].value == "Round 5 of talks\ttoday"


def test_the_sheet_is_named_after_the_export_cut_to_excels_31_characters():
    book = _workbook(["a"], [], title="a very long name for one sheet of milestones")
    assert book.sheetnames == ["a very long name for one sheet "]


def test_an_export_with_no_rows_still_has_its_frozen_header_and_filter():
    sheet = _workbook(["id", "title"], []).active
    assert [cell.value for cell in sheet[1]] == ["id", "title"]
    assert sheet.freeze_panes == "A2"
    assert sheet.auto_filter.ref == "A1:B1"


def test_bytes_leave_before_the_last_row_is_read():
    """The first pieces are sent while rows are still being read: a download of 100,000
    milestones starts at once and never waits for the whole file."""
    read = 0

    def rows() -> Iterator[list[Cell]]:
        nonlocal read
        for n in itertools.count():
            if n == 20_000:
                return
            read = n
            yield [n, f"Milestone {n} of a long negotiation", dt.date(2025, 7, 8)]

    chunks = xlsx_chunks(["id", "title", "deadline"], rows(), title="m")
    first = next(chunks)
    assert first.startswith(b"PK")
    assert read < 19_999
    rest = b"".join(chunks)
    assert read == 19_999
    with zipfile.ZipFile(io.BytesIO(first + rest)) as z:
        assert z.testzip() is None
