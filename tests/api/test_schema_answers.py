"""The schema says every answer a client can get, and the API takes only what it says (JSON)."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth.models import Group, User
from drf_spectacular.generators import SchemaGenerator
from rest_framework.test import APIClient

from tests.conftest import make_milestone, make_negotiation, make_track


@pytest.fixture
def editor(db) -> APIClient:
    user = User.objects.create_user("editor")
    user.groups.add(Group.objects.get(name="editors"))
    api = APIClient()
    api.force_authenticate(user)
    return api


@pytest.fixture
def schema(db) -> dict[str, Any]:
    return SchemaGenerator().get_schema(request=None, public=True)


def operations(schema: dict[str, Any]):
    for path, item in schema["paths"].items():
        for method, operation in item.items():
            if method in ("get", "put", "post", "patch", "delete"):
                yield path, method, operation


def test_every_operation_documents_at_least_one_4xx_answer_with_a_json_body(schema):
    for path, method, operation in operations(schema):
        failures = {code: r for code, r in operation["responses"].items() if code[0] == "4"}
        assert failures, f"{method} {path}"
        for code, answer in failures.items():
            assert "application/json" in answer.get("content", {}), f"{method} {path} {code}"


def test_writes_document_400_with_field_messages_401_403_and_415(schema):
    milestones = schema["paths"]["/api/v1/milestones/{id}/"]["patch"]["responses"]
    assert {"400", "401", "403", "404", "415"} <= set(milestones)
    field_errors = milestones["400"]["content"]["application/json"]["schema"]["$ref"]
    assert field_errors == "#/components/schemas/FieldErrors"
    assert schema["paths"]["/api/v1/proposals/{id}/accept/"]["post"]["responses"]["409"]


def test_bodies_are_json_only_except_an_article_upload(schema):
    for path, method, operation in operations(schema):
        media = set(operation.get("requestBody", {}).get("content", {}))
        if path == "/api/v1/articles/" and method == "post":
            assert media == {"application/json", "multipart/form-data"}
        elif media:
            assert media == {"application/json"}, f"{method} {path}"


def test_the_stale_filter_is_typed_as_the_words_it_takes(schema):
    parameters = schema["paths"]["/api/v1/milestones/"]["get"]["parameters"]
    stale = next(p for p in parameters if p["name"] == "stale")
    assert stale["schema"] == {"type": "string", "enum": ["false", "true"]}


def test_every_nullable_schema_has_a_type_beside_it(schema):
    def walk(node, where):
        if isinstance(node, dict):
            if node.get("nullable"):
                assert "type" in node, where
            for key, value in node.items():
                walk(value, f"{where}/{key}")
        elif isinstance(node, list):
            for index, value in enumerate(node):
                walk(value, f"{where}/{index}")

    walk(schema, "#")


def test_a_multipart_write_is_a_415_and_changes_nothing(editor):
    milestone = make_milestone(make_track(make_negotiation()), title="Interim agreement")
    before = milestone.deadline_latest
    response = editor.patch(
        f"/api/v1/milestones/{milestone.id}/",
        {"deadline.earliest": "2027-01-01", "deadline.latest": "2027-03-31"},
        format="multipart",
    )
    assert response.status_code == 415
    assert "multipart/form-data" in response.json()["detail"]
    milestone.refresh_from_db()
    assert milestone.deadline_latest == before


def test_a_form_encoded_create_is_a_415(editor):
    track = make_track(make_negotiation())
    response = editor.post(
        "/api/v1/milestones/",
        f"track={track.id}&title=Interim",
        content_type="application/x-www-form-urlencoded",
    )
    assert response.status_code == 415


def test_a_nul_in_the_search_box_is_a_400_object_saying_so(editor):
    response = editor.get("/api/v1/negotiations/", {"search": "India\x00"})
    assert response.status_code == 400
    assert response.json() == {"detail": "Null characters are not allowed."}
