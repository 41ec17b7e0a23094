"""Deleting a track or negotiation archives it: hidden everywhere, restorable, its history
kept, its old addresses answering 410 with that history; a hard delete is a separate,
confirmed admin action for superusers."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth.models import Group, User
from django.test import Client
from knox.models import AuthToken
from rest_framework.test import APIClient

from tests.conftest import committed, make_milestone, make_negotiation, make_track
from tracker import services
from tracker.deadlines import parse_deadline
from tracker.models import Change, DeadlineRevision, Milestone, Negotiation, Track

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("frozen")]


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
def world() -> dict[str, Any]:
    negotiation = make_negotiation()
    interim = make_track(negotiation, "interim", name="Interim agreement")
    other = make_track(negotiation, "trust", name="TRUST technology")
    deal = make_milestone(interim, "Interim deal", "July 8, 2025")
    with committed():
        services.milestone_set_deadline(
            milestone=deal, deadline=parse_deadline("autumn 2025"), reason="Talks slipped"
        )
    make_milestone(other, "TRUST launch", "December 1, 2026")
    return {"negotiation": negotiation, "interim": interim, "deal": deal}


def test_deleting_a_track_through_the_api_archives_it_and_hides_it_from_lists(
    api: APIClient, editor: User, world: dict[str, Any]
) -> None:
    track = world["interim"]
    with committed():
        assert api.delete(f"/api/v1/tracks/{track.pk}/").status_code == 204
    archived = Track.all_objects.get(pk=track.pk)
    assert archived.archived_at is not None and archived.archived_by == editor
    assert DeadlineRevision.objects.filter(milestone=world["deal"]).count() == 2  # kept
    track_names = [t["name"] for t in api.get("/api/v1/tracks/").json()["results"]]
    assert track_names == ["TRUST technology"]
    titles = [m["title"] for m in api.get("/api/v1/milestones/").json()["results"]]
    assert titles == ["TRUST launch"]
    assert api.get(f"/api/v1/tracks/{track.pk}/").status_code == 404
    page = Client().get("/negotiations/india-us-bta/").content.decode()
    assert "Interim agreement" not in page and "TRUST technology" in page
    assert "Interim deal" not in Client().get("/calendar.ics?past=all").content.decode()
    # The audit log says who archived it and when.
    [logged] = Change.objects.filter(object_id=track.pk, changes__has_key="archived_at")
    assert logged.actor == editor and logged.interface == "api"


def test_an_archived_milestones_old_address_answers_410_with_its_history(
    world: dict[str, Any],
) -> None:
    with committed():
        services.track_archive(track=world["interim"], by=None)
    for url in (
        f"/milestones/{world['deal'].pk}/",
        "/negotiations/india-us-bta/tracks/interim/",
    ):
        response = Client().get(url)
        assert response.status_code == 410, url
        page = response.content.decode()
        assert "Archived" in page and "21 November 2026" in page
        assert "Talks slipped" in page  # the deadline history is kept and shown
    assert Client().get("/milestones/999999/").status_code == 404


def test_archiving_a_negotiation_hides_its_tracks_and_restoring_brings_them_back(
    world: dict[str, Any],
) -> None:
    negotiation = world["negotiation"]
    with committed():
        services.negotiation_archive(negotiation=negotiation, by=None)
    assert not Negotiation.objects.exists() and not Milestone.objects.exists()
    assert Client().get("/negotiations/india-us-bta/").status_code == 410
    assert Client().get("/api/v1/negotiations/").json()["count"] == 0
    with committed():
        services.negotiation_restore(negotiation=negotiation, by=None)
    assert Client().get("/negotiations/india-us-bta/").status_code == 200
    assert Milestone.objects.count() == 2


def test_the_admin_restores_an_archived_track_and_only_a_superuser_deletes_for_good(
    editor: User, world: dict[str, Any]
) -> None:
    track = world["interim"]
    desk = Client()
    desk.force_login(editor)
    with committed():
        response = desk.post(f"/admin/tracker/track/{track.pk}/delete/", {"post": "yes"})
    assert response.status_code == 302
    assert Track.all_objects.get(pk=track.pk).archived_at is not None
    with committed():
        desk.post("/admin/tracker/track/", {"action": "restore", "_selected_action": [track.pk]})
    assert Track.objects.filter(pk=track.pk).exists()

    # An editor cannot purge.
    desk.post(
        "/admin/tracker/track/",
        {"action": "delete_permanently", "_selected_action": [track.pk], "confirmed": "yes"},
    )
    assert Track.all_objects.filter(pk=track.pk).exists()

    root = User.objects.create_superuser("root", "root@example.org", "pw-root-1234")
    desk.force_login(root)
    asked = desk.post(
        "/admin/tracker/track/", {"action": "delete_permanently", "_selected_action": [track.pk]}
    )
    assert asked.status_code == 200 and "Delete permanently?" in asked.content.decode()
    assert Track.all_objects.filter(pk=track.pk).exists()  # asking deletes nothing
    with committed():
        desk.post(
            "/admin/tracker/track/",
            {"action": "delete_permanently", "_selected_action": [track.pk], "confirmed": "yes"},
        )
    assert not Track.all_objects.filter(pk=track.pk).exists()
    assert Change.objects.filter(object_id=track.pk, action=2).exists()  # the log keeps it
