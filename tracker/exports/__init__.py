"""Exports of the record as CSV and XLSX: the rows are defined once (tables.py) and
written by one writer per format (formats.py, workbook.py); the dashboard, the API and the admin
only choose a table and a queryset (responses.py)."""

from tracker.exports.formats import FORMATS, csv_lines
from tracker.exports.responses import export_response
from tracker.exports.tables import (
    CHANGES,
    MILESTONES,
    NEGOTIATIONS,
    OBSERVATIONS,
    PARTIES,
    SOURCES,
    TARGETS,
    TRACKS,
    Table,
)

__all__ = [
    "CHANGES",
    "FORMATS",
    "MILESTONES",
    "NEGOTIATIONS",
    "OBSERVATIONS",
    "PARTIES",
    "SOURCES",
    "TARGETS",
    "TRACKS",
    "Table",
    "csv_lines",
    "export_response",
]
