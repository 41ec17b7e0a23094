"""The audit log of many-to-many edits says what really changed: the items added and the
items removed, by name, and nothing when a relink leaves the set as it was."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group, User
from django.test import Client
from knox.models import AuthToken
from rest_framework.test import APIClient

from tests.conftest import committed
from tracker.models import Change, Negotiation, Party

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
def three_parties() -> dict[str, Party]:
    return {
        code: Party.objects.create(code=code, name=name)
        for code, name in (("EU", "European Union"), ("IN", "India"), ("US", "United States"))
    }


def m2m_changes(api: APIClient, negotiation_id: int) -> list[tuple[str, list[str]]]:
    """The negotiation's "parties" entries as the API shows them, oldest first."""
    results = api.get(
        "/api/v1/changes/", {"object_type": "negotiation", "object_id": str(negotiation_id)}
    ).json()["results"]
    return [
        (entry["changes"]["parties"]["operation"], entry["changes"]["parties"]["objects"])
        for entry in reversed(results)
        if "parties" in entry["changes"]
    ]


def test_creating_a_negotiation_through_the_api_logs_only_the_parties_it_links(
    api: APIClient, three_parties: dict[str, Party]
) -> None:
    with committed():
        response = api.post(
            "/api/v1/negotiations/",
            {"name": "India–EU FTA", "parties": ["IN", "EU"], "stage": "negotiating"},
            format="json",
        )
    assert response.status_code == 201, response.content
    negotiation_id = response.json()["id"]
    assert m2m_changes(api, negotiation_id) == [("add", ["European Union (EU)", "India (IN)"])]


def test_changing_parties_through_the_api_logs_the_one_removed_and_the_one_added(
    api: APIClient, three_parties: dict[str, Party]
) -> None:
    with committed():
        created = api.post(
            "/api/v1/negotiations/",
            {"name": "India–US BTA", "parties": ["IN", "US"], "stage": "negotiating"},
            format="json",
        ).json()
        slug, negotiation_id = created["slug"], created["id"]
        response = api.patch(
            f"/api/v1/negotiations/{slug}/", {"parties": ["US", "EU"]}, format="json"
        )
    assert response.status_code == 200, response.content
    assert m2m_changes(api, negotiation_id) == [
        ("add", ["India (IN)", "United States (US)"]),
        ("delete", ["India (IN)"]),
        ("add", ["European Union (EU)"]),
    ]


def test_reordering_parties_logs_no_change_of_who_takes_part(
    api: APIClient, three_parties: dict[str, Party]
) -> None:
    with committed():
        created = api.post(
            "/api/v1/negotiations/",
            {"name": "India–US BTA", "parties": ["IN", "US"], "stage": "negotiating"},
            format="json",
        ).json()
        api.patch(
            f"/api/v1/negotiations/{created['slug']}/", {"parties": ["US", "IN"]}, format="json"
        )
    negotiation = Negotiation.objects.get(pk=created["id"])
    # The first party leads (its fiscal year): the order changed, the set did not.
    assert list(
        Negotiation.parties.through.objects.filter(negotiation=negotiation)
        .order_by("pk")
        .values_list("party__code", flat=True)
    ) == ["US", "IN"]
    assert m2m_changes(api, created["id"]) == [("add", ["India (IN)", "United States (US)"])]


def test_creating_a_negotiation_in_the_admin_shows_only_its_parties_in_the_history(
    editor: User, api: APIClient, three_parties: dict[str, Party]
) -> None:
    desk = Client()
    desk.force_login(editor)
    with committed():
        response = desk.post(
            "/admin/tracker/negotiation/add/",
            {
                "name": "India–US BTA",
                "slug": "india-us-bta",
                "stage": "negotiating",
                "summary": "",
                "parties": [three_parties["IN"].pk, three_parties["US"].pk],
                "tracks-TOTAL_FORMS": "0",
                "tracks-INITIAL_FORMS": "0",
            },
        )
    assert response.status_code == 302, response.content.decode()[:2000]
    negotiation = Negotiation.objects.get(slug="india-us-bta")
    [logged] = Change.objects.filter(object_id=negotiation.pk, changes__has_key="parties")
    page = desk.get(f"/admin/tracker/change/{logged.pk}/change/").content.decode()
    assert "add: India (IN), United States (US)" in page
    assert "European Union" not in page
    assert "delete" not in page
    assert m2m_changes(api, negotiation.pk) == [("add", ["India (IN)", "United States (US)"])]
