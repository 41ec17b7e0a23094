"""Issue 22, finding 5 (public addresses): signed-up users' usernames are their email
addresses, so people appear by display name to anyone but staff: a track's owner in the
API, pages and exports, and the actor of a change in /api/v1/changes/."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User
from django.test import Client

from tests.conftest import make_negotiation
from tracker import services
from tracker.models import Track

pytestmark = pytest.mark.django_db
ADDRESS = "reader.name@newsroom.example"


@pytest.fixture
def owned_track() -> Track:
    person = User.objects.create_user(ADDRESS, ADDRESS)
    negotiation = make_negotiation()
    return services.track_save(
        track=Track(negotiation=negotiation, slug="interim", name="Interim", owner=person),
        by=person,
    )


def anonymous_pages(track: Track) -> dict[str, str]:
    client = Client()
    return {
        path: b"".join(client.get(path)).decode()
        for path in (
            "/api/v1/tracks/",
            f"/api/v1/tracks/{track.pk}/",
            "/api/v1/tracks/?format=csv",
            "/api/v1/changes/",
            "/api/v1/changes/?format=csv",
            f"/negotiations/{track.negotiation.slug}/tracks/{track.slug}/",
        )
    }


def test_nobody_but_staff_sees_a_signed_up_person_s_address(owned_track: Track) -> None:
    for path, body in anonymous_pages(owned_track).items():
        assert "newsroom.example" not in body, path


def test_a_signed_in_reader_who_is_not_staff_sees_no_address_either(owned_track: Track) -> None:
    reader = Client()
    reader.force_login(User.objects.create_user("reader", "reader@example.org", "pw"))
    for path in ("/api/v1/tracks/", "/api/v1/changes/", "/api/v1/changes/?format=csv"):
        assert "newsroom.example" not in b"".join(reader.get(path)).decode(), path


def test_a_person_with_a_name_appears_by_it(owned_track: Track) -> None:
    User.objects.filter(email=ADDRESS).update(first_name="Ana", last_name="Reyes")
    track = Client().get(f"/api/v1/tracks/{owned_track.pk}/").json()
    assert track["owner"] == "Ana Reyes"
    (change, *_) = Client().get("/api/v1/changes/").json()["results"]
    assert change["actor"] == "Ana Reyes"


def test_staff_still_see_the_username(owned_track: Track) -> None:
    staff = Client()
    staff.force_login(User.objects.create_superuser("root", "root@example.org", "pw"))
    assert staff.get(f"/api/v1/tracks/{owned_track.pk}/").json()["owner"] == ADDRESS
