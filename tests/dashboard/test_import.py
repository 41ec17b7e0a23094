"""Editors import figures in bulk from a spreadsheet, through the admin (issue 10)."""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal
from typing import Any

import pytest
from django.contrib.auth.models import Group, Permission, User
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from openpyxl import Workbook

from tests.conftest import committed, make_negotiation, make_series, make_target
from tracker.models import Change, Observation, Target

INDIA_COMMERCE = "India Ministry of Commerce — goods"
HEADER = ["negotiation", "target", "series", "period_start", "period_end", "value", "source"]
IMPORT = reverse("admin:tracker_observation_import")
CONFIRM = reverse("admin:tracker_observation_process_import")


def workbook(rows: list[list[Any]]) -> SimpleUploadedFile:
    sheet_book = Workbook()
    sheet = sheet_book.active
    assert sheet is not None
    for row in [HEADER, *rows]:
        sheet.append(row)
    data = io.BytesIO()
    sheet_book.save(data)
    return SimpleUploadedFile(
        "figures.xlsx",
        data.getvalue(),
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )


GOOD = [
    ["india-us-bta", "bilateral-trade", "US Census Bureau — goods and services",
     dt.date(2025, 1, 1), dt.date(2025, 12, 31), 212.3, None],
    ["india-us-bta", "bilateral-trade", INDIA_COMMERCE,
     dt.date(2025, 4, 1), dt.date(2026, 3, 31), 131.8, None],
]  # fmt: skip


def xlsx_format(client: Client) -> str:
    form = client.get(IMPORT).context["form"]
    return next(value for value, label in form.fields["format"].choices if label == "xlsx")


@pytest.fixture
def editor(frozen: Any, parties: Any) -> Client:
    make_target(make_negotiation())
    make_series()
    make_series(INDIA_COMMERCE)
    user = User.objects.create_user("editor", "editor@example.org", "pw", is_staff=True)
    user.groups.add(Group.objects.get(name="editors"))
    client = Client()
    client.force_login(user)
    return client


def preview(client: Client, rows: list[list[Any]]) -> Any:
    return client.post(
        IMPORT, {"format": xlsx_format(client), "import_file": workbook(rows), "resource": "0"}
    )


def confirm(client: Client, previewed: Any) -> Any:
    with committed():
        return client.post(CONFIRM, previewed.context["confirm_form"].initial)


def figures() -> list[tuple[str, dt.date, dt.date, Decimal]]:
    return list(
        Observation.objects.order_by("period_end").values_list(
            "series__name", "period_start", "period_end", "value"
        )
    )


def test_an_xlsx_import_is_previewed_refused_with_a_row_error_then_imported_once(
    editor: Client,
) -> None:
    changes = Change.objects.count()

    # A file with one bad row: shown with its error, and nothing can be confirmed.
    bad: list[list[Any]] = [*GOOD, ["india-us-bta", "bilateral-trade", "IMF — goods",
                   dt.date(2025, 1, 1), dt.date(2025, 12, 31), 200, None]]  # fmt: skip
    refused = preview(editor, bad)
    page = refused.content.decode()
    assert "No series named “IMF — goods”; add it under Series first." in page
    assert "confirm_form" not in refused.context or refused.context["confirm_form"] is None
    assert (Observation.objects.count(), Change.objects.count()) == (0, changes)

    # A period that ends before it starts is the write service's own row error.
    backwards = [[*GOOD[0][:3], dt.date(2025, 12, 31), dt.date(2025, 1, 1), 212.3, None]]
    page = preview(editor, backwards).content.decode()
    assert "The period must end on or after the day it starts." in page
    assert Observation.objects.count() == 0

    # The good file: a preview of two new rows, written only on confirmation.
    previewed = preview(editor, GOOD)
    assert previewed.context["confirm_form"] is not None
    assert [row.import_type for row in previewed.context["result"].rows] == ["new", "new"]
    assert Observation.objects.count() == 0
    assert confirm(editor, previewed).status_code == 302
    assert figures() == [
        ("US Census Bureau — goods and services", dt.date(2025, 1, 1), dt.date(2025, 12, 31),
         Decimal("212.3")),
        (INDIA_COMMERCE, dt.date(2025, 4, 1), dt.date(2026, 3, 31), Decimal("131.8")),
    ]  # fmt: skip
    # Through the write service: audited as the editor, and the target refreshed after commit.
    logged = Change.objects.filter(content_type__model="observation")
    assert {c.actor.username for c in logged if c.actor} == {"editor"}
    assert logged.count() == 2
    target = Target.objects.get()
    assert target.primary_series is not None
    assert target.primary_series.name == "US Census Bureau — goods and services"
    assert target.observed_value == 212.3

    # The same file again: every row unchanged, nothing written.
    recorded = list(Observation.objects.values_list("recorded_at", flat=True))
    changes = Change.objects.count()
    again = preview(editor, GOOD)
    assert [row.import_type for row in again.context["result"].rows] == ["skip", "skip"]
    confirm(editor, again)
    assert list(Observation.objects.values_list("recorded_at", flat=True)) == recorded
    assert Change.objects.count() == changes
    assert len(figures()) == 2


def test_only_editors_who_may_add_and_change_figures_can_import(editor: Client) -> None:
    viewer = User.objects.create_user("viewer", "viewer@example.org", "pw", is_staff=True)
    viewer.user_permissions.add(
        Permission.objects.get(codename="view_observation"),
        Permission.objects.get(codename="add_observation"),
    )
    client = Client()
    client.force_login(viewer)
    assert client.get(IMPORT).status_code == 403
    assert client.post(IMPORT, {"import_file": workbook(GOOD)}).status_code == 403
    assert Observation.objects.count() == 0
    assert editor.get(IMPORT).status_code == 200
