"""Exports (issue 14): the same rows in CSV and XLSX, from the API, the dashboard and the
admin, with formula-looking text neutralised and dates in ISO format."""

from __future__ import annotations

import csv
import datetime as dt
import io
from decimal import Decimal

import pytest
import time_machine
from django.test import Client
from openpyxl import load_workbook
from rest_framework.test import APIClient

from tests.conftest import (
    committed,
    figure,
    make_milestone,
    make_negotiation,
    make_target,
    make_track,
)
from tracker import services
from tracker.dashboard import pages
from tracker.models import Milestone, Source

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def frozen_today():
    with time_machine.travel(dt.datetime(2026, 11, 21, 12, 0, tzinfo=dt.UTC), tick=False):
        yield


@pytest.fixture
def record() -> Milestone:
    track = make_track(make_negotiation(name="India–US BTA"), name="Interim agreement")
    source = Source.objects.create(slug="reuters", title="Reuters, 26 May 2025", excerpt="…")
    interim = make_milestone(track, title="Interim agreement", consequence="Tariffs rise")
    interim.sources.add(source)
    make_milestone(track, title='=HYPERLINK("http://evil.example","click")', slug="evil")
    make_milestone(track, title="Second tranche", deadline="December 2026")
    return interim


def _body(response) -> bytes:
    return b"".join(response.streaming_content)


def csv_rows(response) -> list[list[str]]:
    """The rows as Excel reads them: the byte-order mark says UTF-8 and is not a character."""
    return list(csv.reader(io.StringIO(_body(response).decode("utf-8-sig"))))


def xlsx_rows(response) -> list[list[str]]:
    """The workbook's cells as the CSV writes them: ISO dates, plain numbers, empty for none."""
    sheet = load_workbook(io.BytesIO(_body(response)), read_only=True).active
    rows = []
    for row in sheet.iter_rows(values_only=True):
        rows.append([_as_csv(value) for value in row])
    return rows


def _as_csv(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time() else value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def test_a_csv_and_an_xlsx_export_of_milestones_read_back_with_the_same_rows(record):
    api = APIClient()
    as_csv = api.get("/api/v1/milestones/?format=csv")
    as_xlsx = api.get("/api/v1/milestones/?format=xlsx")
    assert as_csv.status_code == as_xlsx.status_code == 200
    assert as_csv["Content-Type"].startswith("text/csv")
    assert 'filename="milestones-2026-11-21.xlsx"' in as_xlsx["Content-Disposition"]
    rows = csv_rows(as_csv)
    assert xlsx_rows(as_xlsx) == rows
    header, *milestones = rows
    assert len(milestones) == 3
    by_title = {row[3]: dict(zip(header, row, strict=True)) for row in milestones}
    interim = by_title["Interim agreement"]
    assert interim["deadline_latest"] == "2025-07-08"
    assert interim["deadline_precision"] == "day"
    assert interim["status"] == "overdue"
    assert interim["days_remaining"] == "-501"
    assert interim["slip_days"] == "0"
    assert interim["track_record"] == "stated once; never slipped"
    assert interim["outlook"] == "not enough history"
    assert interim["consequence"] == "Tariffs rise"
    assert interim["sources"] == "Reuters, 26 May 2025"


def test_a_csv_export_begins_with_a_byte_order_mark_so_excel_reads_the_dash_whole(record):
    body = _body(APIClient().get("/api/v1/milestones/?format=csv"))
    assert body.startswith(b"\xef\xbb\xbfid,")
    assert body.count(b"\xef\xbb\xbf") == 1
    assert "India–US BTA" in body.decode("utf-8-sig")
    dashboard = _body(Client().get("/upcoming/export.csv"))
    assert dashboard.startswith(b"\xef\xbb\xbf")


def test_an_xlsx_export_keeps_its_header_row_frozen_and_filters_every_column(record):
    body = _body(APIClient().get("/api/v1/milestones/?format=xlsx"))
    sheet = load_workbook(io.BytesIO(body)).active
    assert sheet.freeze_panes == "A2"
    header = [cell.value for cell in sheet[1]]
    last_column = sheet.cell(row=1, column=len(header)).column_letter
    assert sheet.auto_filter.ref == f"A1:{last_column}4"  # the header and three milestones
    assert sheet.max_row == 4


def test_a_formula_looking_title_is_neutralised_but_negative_days_stay_numbers(record):
    response = APIClient().get("/api/v1/milestones/?format=xlsx")
    sheet = load_workbook(io.BytesIO(_body(response)), read_only=True).active
    header, *rows = list(sheet.iter_rows(values_only=True))
    by_title = {row[header.index("title")]: row for row in rows}
    evil = '\'=HYPERLINK("http://evil.example","click")'
    assert evil in by_title
    assert by_title["Interim agreement"][header.index("days_remaining")] == -501
    assert evil in [row[3] for row in csv_rows(APIClient().get("/api/v1/milestones/?format=csv"))]


def test_the_api_export_applies_the_endpoints_filters_without_pagination(record):
    for n in range(3):
        make_milestone(record.track, title=f"Extra {n}", deadline="2030")
    rows = csv_rows(APIClient().get("/api/v1/milestones/?format=csv&page_size=1&status=upcoming"))
    assert sorted(row[3] for row in rows[1:]) == ["Extra 0", "Extra 1", "Extra 2", "Second tranche"]


def test_a_refused_filter_is_a_json_error_whatever_format_was_asked(record):
    response = APIClient().get("/api/v1/milestones/?format=csv&negotiation=nowhere")
    assert response.status_code == 400
    assert "negotiation" in response.json()


def test_a_private_tracker_exports_nothing_to_anonymous_visitors(record, settings):
    settings.TRACKER_PUBLIC = False
    response = APIClient().get("/api/v1/milestones/?format=csv")
    assert response.status_code in {401, 403}
    assert b"Interim" not in response.content


def test_targets_export_one_row_per_observation(db):
    negotiation = make_negotiation()
    target = make_target(negotiation)
    make_target(negotiation, slug="other", name="Services trade")
    with committed():
        for day, value in ((dt.date(2025, 12, 31), "212.5"), (dt.date(2026, 6, 30), "230")):
            services.observation_save(observation=figure(target, day, Decimal(value)))
    header, *rows = csv_rows(APIClient().get("/api/v1/targets/?format=csv"))
    table = [dict(zip(header, row, strict=True)) for row in rows]
    assert [(r["target"], r["observation_period_end"], r["observation_value"]) for r in table] == [
        ("Bilateral trade", "2025-12-31", "212.5"),
        ("Bilateral trade", "2026-06-30", "230"),
        ("Services trade", "", ""),
    ]
    assert table[0]["baseline_date"] == "2025-05-26"
    observations = csv_rows(APIClient().get(f"/api/v1/observations/?format=csv&target={target.pk}"))
    assert observations[1:] == rows[:2]


def test_the_change_log_exports_who_changed_what(record):
    header, *rows = csv_rows(APIClient().get("/api/v1/changes/?format=csv&object_type=milestone"))
    assert header[:4] == ["id", "timestamp_utc", "action", "object_type"]
    assert {row[5] for row in rows} >= {"Interim agreement", "Second tranche"}
    assert all(row[1].startswith("2026-11-21T12:00:00") for row in rows)


def test_the_upcoming_page_offers_its_rows_as_a_download_with_its_query_string(record):
    page = Client().get("/upcoming/?negotiation=india-us-bta")
    assert b'href="/upcoming/export.csv?negotiation=india-us-bta"' in page.content
    assert b'href="/upcoming/export.xlsx?negotiation=india-us-bta"' in page.content
    response = Client().get("/upcoming/export.csv?negotiation=india-us-bta")
    assert response.status_code == 200
    assert 'filename="upcoming-2026-11-21.csv"' in response["Content-Disposition"]
    rows = csv_rows(response)
    ids = [int(row[0]) for row in rows[1:]]
    # What the page lists, in its order: open milestones overdue or due in the next 90 days.
    listed = pages.upcoming_page(dt.date(2026, 11, 21))
    assert ids == [row.milestone.pk for row in [*listed.overdue.rows, *listed.upcoming.rows]]
    assert len(ids) == 3
    assert xlsx_rows(Client().get("/upcoming/export.xlsx")) == rows


def test_a_negotiation_page_offers_its_milestones_and_targets_as_downloads(record):
    make_target(record.track.negotiation)
    page = Client().get("/negotiations/india-us-bta/")
    assert b'href="/negotiations/india-us-bta/milestones.xlsx"' in page.content
    assert b'href="/negotiations/india-us-bta/targets.csv"' in page.content
    milestones = csv_rows(Client().get("/negotiations/india-us-bta/milestones.csv"))
    assert len(milestones) == 4
    targets = csv_rows(Client().get("/negotiations/india-us-bta/targets.csv"))
    assert [row[3] for row in targets[1:]] == ["Bilateral trade"]
    assert Client().get("/negotiations/nowhere/milestones.csv").status_code == 404
    assert Client().get("/negotiations/india-us-bta/milestones.pdf").status_code == 404


def test_a_private_tracker_sends_anonymous_downloads_to_the_login(record, settings):
    settings.TRACKER_PUBLIC = False
    response = Client().get("/upcoming/export.csv")
    assert response.status_code == 302
    assert response["Location"].startswith("/login/")


def test_every_list_endpoint_of_the_record_answers_csv(record, parties):
    for path, first in (
        ("negotiations", ["id", "slug", "name", "stage", "health"]),
        ("tracks", ["id", "negotiation", "slug", "name"]),
        ("sources", ["id", "slug", "title"]),
        ("parties", ["id", "code", "name"]),
    ):
        rows = csv_rows(APIClient().get(f"/api/v1/{path}/?format=csv"))
        assert rows[0][: len(first)] == first, path
        assert len(rows) >= 2, path
    assert APIClient().get(f"/api/v1/milestones/{record.pk}/?format=csv").status_code == 404


def test_a_milestone_export_reads_each_chunk_in_the_same_few_queries_however_many_rows(
    record, django_assert_num_queries
):
    """The columns read only what was loaded: a deferred field read per row would be a
    query per milestone (100,000 for a large export)."""
    from tracker import exports, selectors

    response = exports.export_response(
        exports.MILESTONES,
        selectors.milestones_list(),
        file_format="csv",
        today=dt.date(2026, 11, 21),
    )
    # The outlooks' book once (3), then a chunk, its revisions and its sources (3).
    with django_assert_num_queries(6):
        lines = list(response.streaming_content)  # type: ignore[arg-type]
    assert len(lines) == 1 + Milestone.objects.count()


def test_an_article_quoted_twice_is_named_once_in_the_sources_column(record):
    second = Source.objects.create(slug="reuters-2", title="Reuters, 26 May 2025", excerpt="…")
    other = Source.objects.create(slug="pib", title="PIB, 27 May 2025", excerpt="…")
    record.sources.add(second, other)
    rows = csv_rows(APIClient().get("/api/v1/milestones/?format=csv"))
    sources = rows[0].index("sources")
    interim = next(row for row in rows[1:] if row[rows[0].index("title")] == "Interim agreement")
    assert interim[sources] == "PIB, 27 May 2025; Reuters, 26 May 2025"
