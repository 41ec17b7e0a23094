"""The published schema is valid and every operation keeps to it under generated input."""

from __future__ import annotations

import re

import pytest
import schemathesis
from django.contrib.auth.models import Group, User
from django.core.management import call_command
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from hypothesis import HealthCheck, Phase, settings
from knox.models import AuthToken
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance

from config.wsgi import application
from tests.conftest import make_milestone, make_negotiation, make_target, make_track


@pytest.fixture
def api_schema(db):
    # As Django's test client does: the real WSGI handler would otherwise close the
    # connection after each request, and with it the test's transaction.
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        yield schemathesis.from_wsgi("/api/schema/?format=json", application)
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


schema = schemathesis.from_pytest_fixture("api_schema")

CHECKS = (not_a_server_error, response_schema_conformance)
BOUNDS = settings(
    max_examples=15,
    deadline=None,
    derandomize=True,
    database=None,
    phases=[Phase.explicit, Phase.generate],
    suppress_health_check=list(HealthCheck),
)


@pytest.fixture
def record(db):
    negotiation = make_negotiation()
    track = make_track(negotiation)
    first = make_milestone(track, title="Interim agreement")
    second = make_milestone(track, title="Second tranche", deadline="Q3 2026")
    second.depends_on.add(first)
    make_target(negotiation, track=track)


@pytest.fixture
def token(db) -> str:
    user = User.objects.create_user("editor", is_staff=True)
    user.groups.add(Group.objects.get(name="editors"))
    return AuthToken.objects.create(user=user)[1]


def test_the_schema_validates_without_warnings(tmp_path):
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(tmp_path / "s.yml"))
    assert "/api/v1/milestones/{id}/complete/" in (tmp_path / "s.yml").read_text()


def test_the_docs_page_is_swagger_ui_from_our_own_static_files_without_inline_scripts(client):
    response = client.get("/api/docs/")
    assert response.status_code == 200
    page = response.content.decode()
    assert "<main>" in page
    scripts = re.findall(r"<script([^>]*)>(.*?)</script>", page, flags=re.S)
    assert len(scripts) == 4
    assert all(body.strip() == "" for _, body in scripts)  # the CSP allows no inline script
    sources = [re.findall(r'src="([^"]+)"', attributes)[0] for attributes, _ in scripts]
    assert all(src.startswith("/") and not src.startswith("//") for src in sources)
    assert "swagger-ui-bundle" in sources[0]
    script = client.get(sources[2].replace("&amp;", "&"))
    assert script.status_code == 200
    assert script["Content-Type"].startswith("application/javascript")
    assert b'"/api/schema/"' in script.content


@pytest.mark.slow  # generated requests to every operation: minutes
@schema.parametrize()
@BOUNDS
def test_anonymous_requests_never_fail_or_break_the_schema(case, record):
    response = case.call()
    case.validate_response(response, checks=CHECKS)


@pytest.mark.slow  # generated requests to every operation: minutes
@schema.parametrize()
@BOUNDS
def test_editor_requests_never_fail_or_break_the_schema(case, record, token):
    response = case.call(headers={"Authorization": f"Token {token}"})
    case.validate_response(response, checks=CHECKS)
