"""The admin as an editor uses it."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
import time_machine
from django.contrib.auth.models import Group, User
from django.test import Client

from tests.conftest import committed, figure, make_series
from tracker.management.commands.load_record import INDIA_US_RECORD as RECORD
from tracker.models import Milestone, Reminder, Target
from tracker.record import load_record

pytestmark = pytest.mark.django_db


@pytest.fixture
def editor_client() -> Client:
    with time_machine.travel(dt.datetime(2026, 11, 21, 12, tzinfo=dt.UTC), tick=False), committed():
        load_record(RECORD)
    user = User.objects.create_user("editor", "editor@example.org", "pw", is_staff=True)
    user.groups.add(Group.objects.get(name="editors"))
    client = Client()
    client.force_login(user)
    return client


def change_form(milestone: Milestone, **changes: str) -> dict[str, object]:
    data: dict[str, object] = {
        "track": milestone.track_id,
        "slug": milestone.slug,
        "title": milestone.title,
        "kind": milestone.kind,
        "deadline": milestone.deadline_text,
        "state": milestone.state,
        "completed_on": milestone.completed_on or "",
        "weight": str(milestone.weight),
        "consequence": milestone.consequence,
        "sources": [s.id for s in milestone.sources.all()],
        "depends_on": [m.id for m in milestone.depends_on.all()],
        "revision_reason": "",
        "revisions-TOTAL_FORMS": "0",
        "revisions-INITIAL_FORMS": "0",
    }
    data.update(changes)
    return data


def test_the_milestone_list_shows_the_interim_deal_overdue_in_words(editor_client: Client) -> None:
    page = editor_client.get("/admin/tracker/milestone/?q=interim").content.decode()
    assert "Interim trade deal concluded" in page
    assert "July 8, 2025 → 2025-07-08 (day)" in page
    assert ">overdue<" in page


def test_the_milestone_page_shows_the_parsed_window_of_the_autumn_deadline(
    editor_client: Client,
) -> None:
    deal = Milestone.objects.get(slug="comprehensive-agreement-concluded")
    page = editor_client.get(f"/admin/tracker/milestone/{deal.id}/change/").content.decode()
    assert "2025-09-01 – 2025-11-30 (season)" in page
    assert 'value="autumn 2025"' in page  # the deadline as it was said, ready to edit


def test_an_unreadable_deadline_is_shown_as_a_form_error_and_nothing_changes(
    editor_client: Client,
) -> None:
    deal = Milestone.objects.get(slug="comprehensive-agreement-concluded")
    response = editor_client.post(
        f"/admin/tracker/milestone/{deal.id}/change/",
        change_form(deal, deadline="sometime soonish"),
    )
    assert response.status_code == 200
    page = response.content.decode()
    assert "Cannot read" in page and "sometime soonish" in page
    assert Milestone.objects.get(id=deal.id).deadline_text == "autumn 2025"


def test_a_deadline_typed_as_text_is_saved_with_its_window_and_a_revision(
    editor_client: Client,
) -> None:
    deal = Milestone.objects.get(slug="comprehensive-agreement-concluded")
    response = editor_client.post(
        f"/admin/tracker/milestone/{deal.id}/change/",
        change_form(deal, deadline="by Q1 2027", revision_reason="Talks extended"),
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    deal.refresh_from_db()
    assert (deal.deadline_earliest, deal.deadline_latest) == (
        dt.date(2027, 1, 1),
        dt.date(2027, 3, 31),
    )
    revision = deal.revisions.last()
    assert revision is not None and revision.reason == "Talks extended"
    assert revision.changed_by is not None and revision.changed_by.username == "editor"


def test_marking_completed_from_the_list_completes_and_refreshes(editor_client: Client) -> None:
    interim = Milestone.objects.get(slug="interim-deal-concluded")
    with committed():
        editor_client.post(
            "/admin/tracker/milestone/",
            {"action": "mark_completed", "_selected_action": [interim.id]},
        )
    interim.refresh_from_db()
    assert interim.state == "completed"
    assert interim.status == "completed"
    assert interim.completed_late is True


def test_the_target_list_shows_190_to_500_by_2030_and_no_data(editor_client: Client) -> None:
    page = editor_client.get("/admin/tracker/target/").content.decode()
    assert "190 → 500 USD billion by 2030" in page
    assert ">no data<" in page
    assert Target.objects.get().status == "no_data"


@pytest.mark.parametrize(
    "path",
    [
        "/admin/tracker/party/",
        "/admin/tracker/source/",
        "/admin/tracker/negotiation/",
        "/admin/tracker/track/",
        "/admin/tracker/milestone/",
        "/admin/tracker/target/",
        "/admin/tracker/observation/",
        "/admin/tracker/deadlinerevision/",
        "/admin/tracker/statuschange/",
        "/admin/tracker/subscription/",
        "/admin/tracker/reminder/",
        "/admin/tracker/milestone/?due=overdue",
        "/admin/tracker/track/?health__exact=off_track",
    ],
)
def test_every_admin_list_opens_for_an_editor(editor_client: Client, path: str) -> None:
    assert editor_client.get(path).status_code == 200


def test_editors_may_change_milestones_but_not_the_outbox() -> None:
    editors = Group.objects.get(name="editors")
    codenames = set(editors.permissions.values_list("codename", flat=True))
    assert {"change_milestone", "add_target", "delete_observation"} <= codenames
    assert "change_reminder" not in codenames
    assert Reminder._meta.model_name == "reminder"


def test_a_duplicate_slug_says_which_slug_to_change_and_where(editor_client: Client) -> None:
    deal = Milestone.objects.get(slug="comprehensive-agreement-concluded")
    interim = Milestone.objects.get(slug="interim-deal-concluded")
    response = editor_client.post(
        f"/admin/tracker/milestone/{deal.id}/change/",
        change_form(deal, track=str(interim.track_id), slug="interim-deal-concluded"),
    )
    assert response.status_code == 200
    page = response.content.decode()
    assert (
        "Another milestone in this track already uses the slug “interim-deal-concluded”. "
        "Choose a different slug."
    ) in page
    assert "must make a unique set" not in page
    assert Milestone.objects.get(id=deal.id).slug == "comprehensive-agreement-concluded"


def test_a_second_figure_for_one_series_and_period_names_them(editor_client: Client) -> None:
    target = Target.objects.get()
    series = make_series("US Census Bureau — goods and services")
    figure = {
        "target": target.id,
        "series": series.id,
        "period_start": "2025-01-01",
        "period_end": "2025-12-31",
        "value": "210",
        "note": "",
    }
    assert editor_client.post("/admin/tracker/observation/add/", figure).status_code == 302
    page = editor_client.post("/admin/tracker/observation/add/", figure).content.decode()
    assert (
        "This target already has a figure from “US Census Bureau — goods and services” for 2025."
    ) in page


def source_choices(client: Client, term: str) -> list[str]:
    response = client.get(
        "/admin/autocomplete/",
        {"app_label": "tracker", "model_name": "milestone", "field_name": "sources", "term": term},
    )
    return [r["text"] for r in response.json()["results"]]


def test_source_choices_show_the_publisher_the_date_and_the_start_of_the_quote(
    editor_client: Client,
) -> None:
    nationpress = source_choices(editor_client, "NationPress")
    assert any(label.startswith("NationPress, 26 May 2025: “") for label in nationpress)
    # Without a publisher, the start of the title stands in for it.
    untitled = source_choices(editor_client, "Misri U.S. Visit Part")
    assert any(
        label.startswith("Misri U.S. Visit Part Of India Bid To S…, on or before 26 May 2025")
        for label in untitled
    )
    # Quotes from one article can be told apart.
    for labels in (nationpress, untitled):
        assert len(set(labels)) == len(labels)


def test_dependencies_are_picked_by_searching_milestones(editor_client: Client) -> None:
    response = editor_client.get(
        "/admin/autocomplete/",
        {
            "app_label": "tracker",
            "model_name": "milestone",
            "field_name": "depends_on",
            "term": "interim",
        },
    )
    assert [r["text"] for r in response.json()["results"]] == ["Interim trade deal concluded"]


@pytest.mark.parametrize(
    "path", ["milestone", "target", "observation", "change"], ids=lambda path: path
)
def test_the_admin_lists_download_the_selected_rows_as_csv_and_xlsx(
    editor_client: Client, path: str
) -> None:
    import csv
    import io

    from openpyxl import load_workbook

    from tracker.models import Change, Observation

    models: dict[str, Any] = {"milestone": Milestone, "target": Target, "observation": Observation}
    model = models.get(path, Change)
    if not Observation.objects.exists():
        from decimal import Decimal

        from tracker import services

        with committed():
            services.observation_save(
                observation=figure(Target.objects.get(), dt.date(2025, 12, 31), Decimal("212"))
            )
    chosen = list(model.objects.order_by("pk").values_list("pk", flat=True)[:2])
    url = f"/admin/tracker/{path}/"
    assert b"Download selected as CSV" in editor_client.get(url).content
    as_csv = editor_client.post(url, {"action": "download_csv", "_selected_action": chosen})
    as_xlsx = editor_client.post(url, {"action": "download_xlsx", "_selected_action": chosen})
    assert as_csv.status_code == as_xlsx.status_code == 200
    rows = list(csv.reader(io.StringIO(b"".join(as_csv.streaming_content).decode("utf-8-sig"))))  # type: ignore[attr-defined]
    sheet = load_workbook(io.BytesIO(b"".join(as_xlsx.streaming_content)), read_only=True).active  # type: ignore[attr-defined]
    assert len(list(sheet.iter_rows(values_only=True))) == len(rows) >= 2
    # The first column is the id of what was selected (a target's row per observation).
    column = "target_id" if path in {"target", "observation"} else "id"
    assert rows[0][0] == column
    if path != "observation":
        assert {int(row[0]) for row in rows[1:]} == set(chosen)
