"""One write path: the admin, the API, the loader and the shell change the record the same way.

Deletes work everywhere, the rules say the same thing everywhere, statuses are refreshed
once per transaction, and every write lands in the audit log with who and how.
"""

from __future__ import annotations

import datetime as dt
import sqlite3
from typing import Any

import pytest
from django.contrib.auth.models import Group, User
from django.db import IntegrityError, connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from knox.models import AuthToken
from rest_framework.test import APIClient

from tests.conftest import NOW, committed, make_milestone, make_negotiation, make_target, make_track
from tests.dashboard.test_admin import change_form
from tracker import services
from tracker.api.errors import is_unique_violation
from tracker.management.commands.load_record import INDIA_US_RECORD
from tracker.models import (
    Change,
    DeadlineRevision,
    Milestone,
    Negotiation,
    Reminder,
    StatusChange,
    Target,
    Track,
)
from tracker.record import load_record

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("frozen")]

FUTURE_MESSAGE = "A milestone cannot be completed in the future."


@pytest.fixture
def editor() -> User:
    user = User.objects.create_user("editor", "editor@example.org", "pw-editor-1", is_staff=True)
    user.groups.add(Group.objects.get(name="editors"))
    return user


@pytest.fixture
def api(editor: User) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {AuthToken.objects.create(user=editor)[1]}")
    return client


@pytest.fixture
def desk(editor: User) -> Client:
    """The admin, as an editor sees it."""
    client = Client()
    client.force_login(editor)
    return client


@pytest.fixture
def india_us() -> Negotiation:
    with committed():
        load_record(INDIA_US_RECORD)
    return Negotiation.objects.get(slug="india-us-bta")


def interim() -> Milestone:
    return Milestone.objects.get(slug="interim-deal-concluded")


# Deleting


def test_deleting_a_negotiation_with_milestones_through_the_api_answers_204(api, india_us):
    assert Milestone.objects.filter(track__negotiation=india_us).exists()
    with committed():
        response = api.delete(f"/api/v1/negotiations/{india_us.slug}/")
    assert response.status_code == 204
    assert not Negotiation.objects.exists()
    assert not Milestone.objects.exists()
    assert not StatusChange.objects.exists()


def test_deleting_a_track_with_milestones_through_the_api_refreshes_what_remains(api, india_us):
    interim_track = interim().track
    assert Negotiation.objects.get().health == "off_track"  # the interim deal is overdue
    with committed():
        response = api.delete(f"/api/v1/tracks/{interim_track.pk}/")
    assert response.status_code == 204
    assert not Track.objects.filter(pk=interim_track.pk).exists()
    negotiation = Negotiation.objects.get()
    assert "Interim" not in negotiation.health_reason


def test_deleting_a_negotiation_in_the_admin_takes_its_tracks_and_milestones(desk, india_us):
    url = f"/admin/tracker/negotiation/{india_us.pk}/delete/"
    confirm = desk.get(url)
    assert confirm.status_code == 200
    assert b"Are you sure" in confirm.content
    with committed():
        response = desk.post(url, {"post": "yes"})
    assert response.status_code == 302
    assert not Negotiation.objects.exists() and not Milestone.objects.exists()


def test_deleting_a_track_in_the_admin_succeeds_with_its_milestones_and_their_outbox(
    desk, india_us
):
    track = interim().track
    Reminder.objects.create(
        milestone=interim(),
        recipient="r@example.org",
        kind="overdue",
        offset=-1,
        deadline=dt.date(2025, 7, 8),
        due_at=NOW,
    )
    with committed():
        response = desk.post(f"/admin/tracker/track/{track.pk}/delete/", {"post": "yes"})
    assert response.status_code == 302
    assert not Track.objects.filter(pk=track.pk).exists()
    # Deleting archives the track (issue 20): its unsent reminders are voided, never sent.
    assert not Reminder.objects.exclude(state="void").exists()


def test_deleting_milestones_from_the_admin_list_succeeds(desk, india_us):
    ids = list(Milestone.objects.values_list("pk", flat=True)[:3])
    with committed():
        response = desk.post(
            "/admin/tracker/milestone/",
            {"action": "delete_selected", "_selected_action": ids, "post": "yes"},
        )
    assert response.status_code == 302
    assert not Milestone.objects.filter(pk__in=ids).exists()


def test_deleting_from_a_shell_goes_through_the_service_and_refreshes_once(india_us):
    track = interim().track
    with CaptureQueriesContext(connection) as queries, committed():
        services.record_delete(record=track)
    assert refreshes(queries.captured_queries) == 1
    assert not Track.objects.filter(pk=track.pk).exists()


# The same rules everywhere


def test_the_admin_refuses_a_future_completion_with_the_apis_message(desk, api, india_us):
    tomorrow = "2026-11-22"
    page = desk.post(
        f"/admin/tracker/milestone/{interim().pk}/change/",
        change_form(interim(), state="completed", completed_on=tomorrow),
    )
    assert page.status_code == 200
    assert FUTURE_MESSAGE in page.content.decode()
    answer = api.patch(
        f"/api/v1/milestones/{interim().pk}/",
        {"state": "completed", "completed_on": tomorrow},
        format="json",
    )
    assert answer.status_code == 400
    assert answer.json() == {"completed_on": [FUTURE_MESSAGE]}
    assert interim().state == "in_progress"


def test_the_admin_completes_a_milestone_today_when_no_date_is_given(desk, india_us):
    with committed():
        response = desk.post(
            f"/admin/tracker/milestone/{interim().pk}/change/",
            change_form(interim(), state="completed", completed_on=""),
        )
    assert response.status_code == 302
    assert (interim().state, interim().completed_on) == ("completed", dt.date(2026, 11, 21))
    assert interim().status == "completed"


def test_the_admin_refuses_a_target_on_a_track_of_another_negotiation(desk, api, india_us):
    other = make_track(make_negotiation("eu-india"), "goods")
    target = Target.objects.get()
    form = {
        "negotiation": target.negotiation_id,
        "track": other.pk,
        "slug": target.slug,
        "name": target.name,
        "unit": target.unit,
        "baseline_value": "190",
        "baseline_date": "2025-05-26",
        "target_value": "500",
        "deadline": "2030",
        "growth": "compound",
        "observations-TOTAL_FORMS": "0",
        "observations-INITIAL_FORMS": "0",
    }
    page = desk.post(f"/admin/tracker/target/{target.pk}/change/", form)
    assert page.status_code == 200
    assert "The track belongs to another negotiation." in page.content.decode()
    answer = api.patch(f"/api/v1/targets/{target.pk}/", {"track": other.pk}, format="json")
    assert answer.json() == {"track": ["The track belongs to another negotiation."]}
    assert Target.objects.get().track_id != other.pk


def test_a_milestone_reopened_in_the_admin_drops_its_completion_date(desk):
    track = make_track(make_negotiation())
    milestone = make_milestone(track, "Done", "July 8, 2025")
    with committed():
        services.milestone_complete(milestone=milestone, completed_on=dt.date(2025, 7, 1))
    milestone.refresh_from_db()
    with committed():
        response = desk.post(
            f"/admin/tracker/milestone/{milestone.pk}/change/",
            change_form(milestone, state="planned"),  # the old date is still in the form
        )
    assert response.status_code == 302
    milestone.refresh_from_db()
    assert (milestone.state, milestone.completed_on, milestone.status) == (
        "planned",
        None,
        "overdue",
    )


# One refresh per transaction


def refreshes(queries: list[dict[str, str]]) -> int:
    """How many status refreshes ran: each reads its negotiations' tracks once, this way."""
    marker = 'FROM "tracker_track" WHERE "tracker_track"."negotiation_id" IN'
    return sum(marker in q["sql"] for q in queries)


def _mark_completed(desk: Client, count: int) -> list[dict[str, str]]:
    negotiation = make_negotiation(f"deal-{count}")
    track = make_track(negotiation, "work")
    ids = [make_milestone(track, f"Step {i}", "December 31, 2026").pk for i in range(count)]
    with CaptureQueriesContext(connection) as queries, committed():
        desk.post(
            "/admin/tracker/milestone/",
            {"action": "mark_completed", "_selected_action": ids},
        )
    assert Milestone.objects.filter(pk__in=ids, status="completed").count() == count
    return queries.captured_queries


def test_marking_20_milestones_completed_in_the_admin_refreshes_once(desk):
    two, twenty = _mark_completed(desk, 2), _mark_completed(desk, 20)
    assert refreshes(two) == refreshes(twenty) == 1
    per_milestone = (len(twenty) - len(two)) / 18
    assert per_milestone == int(per_milestone)  # the same cost for each further milestone
    # A few statements each: lock, save, log, and the milestone.completed webhook event
    # (read its track and negotiation, write it, find the endpoints); no refresh.
    assert per_milestone <= 11
    assert len(twenty) < 280


# The audit log


def _changes_of(api: APIClient, milestone: Milestone) -> list[dict[str, Any]]:
    query = f"/api/v1/changes/?object_type=milestone&object_id={milestone.pk}"
    results: list[dict[str, Any]] = api.get(query).json()["results"]
    return results


def test_the_audit_log_shows_loader_admin_and_api_edits_with_who_made_them(desk, api, india_us):
    milestone = interim()
    response = desk.post(
        f"/admin/tracker/milestone/{milestone.pk}/change/",
        change_form(milestone, title="Interim deal concluded (first tranche)"),
    )
    assert response.status_code == 302
    response = api.patch(
        f"/api/v1/milestones/{milestone.pk}/",
        {"consequence": "Reciprocal tariffs take full effect"},
        format="json",
    )
    assert response.status_code == 200
    api_edit, admin_edit, *loaded = _changes_of(api, milestone)
    assert {(c["interface"], c["actor"]) for c in loaded} == {("loader", None)}
    assert loaded[-1]["action"] == "create"
    assert (admin_edit["action"], admin_edit["interface"], admin_edit["actor"]) == (
        "update",
        "admin",
        "editor",
    )
    assert admin_edit["changes"]["title"] == [
        "Interim trade deal concluded",
        "Interim deal concluded (first tranche)",
    ]
    assert (api_edit["interface"], api_edit["actor"]) == ("api", "editor")
    assert api_edit["changes"]["consequence"][1] == "Reciprocal tariffs take full effect"


def test_the_audit_log_keeps_a_delete_and_filters_by_date(api, india_us):
    track = interim().track
    track_id = track.pk
    # Deleting archives (issue 20); the hard delete is the purge.
    with committed():
        services.records_purge(records=[track])
    deleted = api.get(
        "/api/v1/changes/", {"object_type": "track", "object_id": track_id, "action": 2}
    ).json()["results"]
    assert [c["object_repr"] for c in deleted] == [track.name]
    # What the track held when it went; not its related rows or derived statuses.
    assert deleted[0]["changes"]["name"] == [track.name, None]
    assert (
        not {"milestones", "subscriptions", "health", "updated_at"} & deleted[0]["changes"].keys()
    )
    # A day is midnight to midnight UTC; the count comes only when asked for.
    that_day = api.get("/api/v1/changes/", {"date": "2026-11-21", "count": "true"}).json()
    assert that_day["count"] >= len(that_day["results"]) > 0
    assert {c["timestamp"][:10] for c in that_day["results"]} == {"2026-11-21"}
    assert api.get("/api/v1/changes/", {"date": "2026-11-20"}).json()["results"] == []
    assert api.get("/api/v1/changes/", {"date": "yesterday"}).status_code == 400
    # Any offset Python reads is compared in UTC; years outside the record's range are refused.
    late = api.get("/api/v1/changes/", {"since": "2026-11-21T23:59:00+21:29"})
    assert late.status_code == 200 and late.json()["results"]
    assert api.get("/api/v1/changes/", {"until": "0158-08-01T12:00:00+21:29"}).status_code == 400


def test_a_service_called_from_a_shell_is_logged_as_the_shell(india_us):
    services.milestone_set_deadline(
        milestone=interim(), deadline=None, reason="Talks paused", by=None
    )
    change = Change.objects.filter(object_id=interim().pk).first()
    assert change is not None
    assert (change.interface, change.actor) == ("shell", None)
    assert change.changes["deadline_text"] == ["July 8, 2025", ""]


def test_history_cannot_be_deleted_from_the_admin(india_us):
    superuser = User.objects.create_superuser("root", "root@example.org", "pw-root-1234")
    client = Client()
    client.force_login(superuser)
    revision = DeadlineRevision.objects.first()
    change = Change.objects.first()
    assert revision is not None and change is not None
    for model, row in (("deadlinerevision", revision), ("change", change)):
        listing = client.get(f"/admin/tracker/{model}/").content.decode()
        assert "delete_selected" not in listing
        assert client.get(f"/admin/tracker/{model}/{row.pk}/delete/").status_code == 403
    assert client.get("/admin/tracker/change/").status_code == 200
    assert client.get(f"/admin/tracker/change/{change.pk}/change/").status_code == 200


def test_editors_read_the_audit_log_in_the_admin(desk, india_us):
    page = desk.get("/admin/tracker/change/?interface__exact=loader")
    assert page.status_code == 200
    assert "Interim trade deal concluded" in page.content.decode()


# Errors that are not the client's


def test_only_a_uniqueness_violation_counts_as_the_clients_conflict():
    def failure(message: str) -> IntegrityError:
        error = IntegrityError(message)
        error.__cause__ = sqlite3.IntegrityError(message)
        return error

    assert is_unique_violation(failure("UNIQUE constraint failed: tracker_party.code"))
    assert not is_unique_violation(failure("FOREIGN KEY constraint failed"))
    assert not is_unique_violation(failure("CHECK constraint failed: milestone_weight_positive"))


def test_a_deleted_targets_negotiation_is_refreshed_without_it(api, india_us):
    target = make_target(india_us, slug="services-trade", name="Services trade")
    with committed():
        assert api.delete(f"/api/v1/targets/{target.pk}/").status_code == 204
    assert not Target.objects.filter(pk=target.pk).exists()


def test_sources_differ_needs_two_sources_in_the_service_and_the_admin_alike(desk, india_us):
    from django.core.exceptions import ValidationError

    from tracker.models import Discrepancy, Source

    one = Source.objects.get(slug="interim-deal-by-july-8")
    other = Source.objects.get(slug="bta-first-phase-by-fall-2025")
    with pytest.raises(ValidationError) as refused:
        services.discrepancy_save(
            discrepancy=Discrepancy(milestone=interim(), summary="Dates differ"), sources=[one]
        )
    assert refused.value.message_dict == {"sources": ["Name at least two sources that differ."]}
    form = {"milestone": interim().pk, "summary": "Dates differ", "sources": [one.pk]}
    page = desk.post("/admin/tracker/discrepancy/add/", form)
    assert page.status_code == 200
    assert "Name at least two sources that differ." in page.content.decode()
    assert (
        desk.post(
            "/admin/tracker/discrepancy/add/", {**form, "sources": [one.pk, other.pk]}
        ).status_code
        == 302
    )
    added = Discrepancy.objects.get(summary="Dates differ")
    assert set(added.sources.values_list("slug", flat=True)) == {one.slug, other.slug}
    assert Change.objects.filter(
        object_repr__startswith="Interim trade deal concluded: Dates"
    ).exists()
