"""No lost writes: a write changes only what it names, on the row as it stands, and a writer
who says which version they read (If-Match, a form's hidden version) is refused when another
write came between (docs/design.md "Concurrent writes")."""

from __future__ import annotations

import datetime as dt
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
import time_machine
from bs4 import BeautifulSoup
from django.conf import settings
from django.contrib.auth.models import Group, User
from django.db import connection
from django.test import Client
from knox.models import AuthToken
from rest_framework.test import APIClient

from tests.conftest import (
    committed,
    make_milestone,
    make_negotiation,
    make_series,
    make_target,
    make_track,
)
from tests.processes import free_port, process_env, wait_until
from tracker import services
from tracker.api.serializers import MilestoneSerializer
from tracker.models import Milestone, Negotiation, Target, Track

NOW = dt.datetime(2026, 11, 21, 12, 0, tzinfo=dt.UTC)
POSTGRESQL_ONLY = pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="Row locks and concurrent writers need PostgreSQL; SQLite takes one writer at a time.",
)


@pytest.fixture(autouse=True)
def frozen_now(request: pytest.FixtureRequest) -> Any:
    if "web" in request.fixturenames:
        # The web processes keep the real time: a token made in a frozen past has expired.
        yield
        return
    with time_machine.travel(NOW, tick=False):
        yield


def an_editor(name: str, **fields: Any) -> User:
    user = User.objects.create_user(name, f"{name}@example.org", f"pw-{name}-1", **fields)
    user.groups.add(Group.objects.get(name="editors"))
    return user


def api_as(user: User) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {AuthToken.objects.create(user=user)[1]}")
    return client


@pytest.fixture
def milestone(db: None) -> Milestone:
    track = make_track(make_negotiation())
    return make_milestone(track, consequence="US reciprocal tariffs take full effect")


@pytest.fixture
def alice(db: None) -> User:
    return an_editor("alice", first_name="Alice", last_name="Rao")


@pytest.fixture
def bob(db: None) -> User:
    return an_editor("bob", first_name="Bob", last_name="Hale")


def patch(client: APIClient, url: str, body: dict[str, Any], **headers: str) -> Any:
    with committed():
        return client.patch(url, body, format="json", headers=headers)


# --- the API: ETag and If-Match -------------------------------------------------------------


def test_a_milestone_answers_its_version_as_a_strong_etag_that_moves_on_each_write(
    milestone: Milestone, alice: User
) -> None:
    client = api_as(alice)
    url = f"/api/v1/milestones/{milestone.pk}/"
    assert client.get(url)["ETag"] == '"1"'
    written = patch(client, url, {"title": "Interim agreement (first tranche)"})
    assert written.status_code == 200
    assert written["ETag"] == '"2"'
    assert client.get(url)["ETag"] == '"2"'


def test_a_patch_naming_a_stale_version_is_refused_with_412_and_the_current_etag(
    milestone: Milestone, alice: User, bob: User
) -> None:
    url = f"/api/v1/milestones/{milestone.pk}/"
    read = api_as(alice).get(url)["ETag"]
    assert patch(api_as(bob), url, {"consequence": "Tariffs of 26%"}).status_code == 200

    refused = patch(api_as(alice), url, {"title": "Alice's title"}, **{"If-Match": read})

    assert refused.status_code == 412
    assert refused.json() == {
        "detail": "The record changed after the version you name in If-Match. GET it again, "
        "apply your change to what it holds now, and send that with the new ETag.",
        "current": '"2"',
    }
    stored = Milestone.objects.get(pk=milestone.pk)
    assert (stored.title, stored.consequence) == ("Interim agreement", "Tariffs of 26%")


def test_a_patch_naming_the_current_version_or_any_is_written(
    milestone: Milestone, alice: User
) -> None:
    client = api_as(alice)
    url = f"/api/v1/milestones/{milestone.pk}/"
    fresh = patch(client, url, {"title": "First"}, **{"If-Match": '"1"'})
    assert (fresh.status_code, fresh.json()["title"], fresh["ETag"]) == (200, "First", '"2"')
    anything = patch(client, url, {"title": "Second"}, **{"If-Match": "*"})
    assert (anything.status_code, anything.json()["title"], anything["ETag"]) == (
        200,
        "Second",
        '"3"',
    )
    # If-Match compares strongly: a weak tag never matches.
    weak = patch(client, url, {"title": "Third"}, **{"If-Match": 'W/"3"'})
    assert weak.status_code == 412
    assert Milestone.objects.get(pk=milestone.pk).title == "Second"


def test_a_delete_naming_a_stale_version_keeps_the_milestone(
    milestone: Milestone, alice: User
) -> None:
    client = api_as(alice)
    url = f"/api/v1/milestones/{milestone.pk}/"
    patch(client, url, {"title": "Renamed"})
    with committed():
        refused = client.delete(url, headers={"If-Match": '"1"'})
    assert refused.status_code == 412
    assert refused.json()["current"] == '"2"'
    assert Milestone.objects.filter(pk=milestone.pk).exists()
    with committed():
        assert client.delete(url, headers={"If-Match": '"2"'}).status_code == 204
    assert not Milestone.objects.filter(pk=milestone.pk).exists()


@pytest.mark.parametrize(
    ("kind", "path", "change"),
    [
        (Negotiation, "negotiations", {"summary": "Talks resumed"}),
        (Track, "tracks", {"summary": "First tranche"}),
        (Target, "targets", {"unit": "USD bn"}),
    ],
)
def test_tracks_negotiations_and_targets_honour_if_match_too(
    alice: User, kind: type[Any], path: str, change: dict[str, Any]
) -> None:
    negotiation = make_negotiation()
    rows: dict[type[Any], Any] = {
        Negotiation: negotiation,
        Track: make_track(negotiation),
        Target: make_target(negotiation),
    }
    row = rows[kind]
    key = row.slug if kind is Negotiation else row.pk
    client = api_as(alice)
    url = f"/api/v1/{path}/{key}/"
    read = client.get(url)["ETag"]
    assert patch(client, url, change).status_code == 200
    assert patch(client, url, {"name": "Mine"}, **{"If-Match": read}).status_code == 412
    current = client.get(url)
    assert current.json()["name"] != "Mine"
    assert patch(client, url, {"name": "Mine"}, **{"If-Match": current["ETag"]}).status_code == 200


def test_a_patch_writes_only_its_fields_over_the_row_as_it_stands(
    milestone: Milestone, bob: User
) -> None:
    # Alice's request read the milestone before bob's change landed; her write names only
    # the title, so bob's consequence stands.
    read_for_alice = Milestone.objects.get(pk=milestone.pk)
    with committed():
        services.record_update(
            model=Milestone, pk=milestone.pk, changes={"consequence": "Tariffs of 26%"}, by=bob
        )
    serializer = MilestoneSerializer(
        read_for_alice,
        data={"title": "Interim agreement (tranche 1)"},
        partial=True,
        context={"request": None},
    )
    assert serializer.is_valid(), serializer.errors
    with committed():
        serializer.save()
    stored = Milestone.objects.get(pk=milestone.pk)
    assert (stored.title, stored.consequence, stored.version) == (
        "Interim agreement (tranche 1)",
        "Tariffs of 26%",
        3,
    )


def test_the_schema_documents_the_etag_if_match_and_the_412_answer(alice: User) -> None:
    schema = api_as(alice).get("/api/schema/", {"format": "json"}).json()
    detail = schema["paths"]["/api/v1/milestones/{id}/"]
    for method in ("patch", "put", "delete"):
        names = [p["name"] for p in detail[method]["parameters"]]
        assert "If-Match" in names, method
        assert "412" in detail[method]["responses"], method
    assert "ETag" in detail["get"]["responses"]["200"]["headers"]
    assert "200" in detail["patch"]["responses"]


# --- the admin ------------------------------------------------------------------------------


def admin_form(milestone: Milestone, version: int, **changes: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "track": milestone.track_id,
        "slug": milestone.slug,
        "title": milestone.title,
        "kind": milestone.kind,
        "deadline": milestone.deadline_text,
        "state": milestone.state,
        "completed_on": "",
        "weight": str(milestone.weight),
        "consequence": milestone.consequence,
        "aliases": "[]",
        "sources": [],
        "depends_on": [],
        "revision_reason": "",
        "revisions-TOTAL_FORMS": "0",
        "revisions-INITIAL_FORMS": "0",
        "version": str(version),
    }
    data.update(changes)
    return data


def test_a_stale_admin_form_is_refused_with_what_changed_and_keeps_the_editors_input(
    milestone: Milestone, alice: User, bob: User
) -> None:
    alice.is_staff = True
    alice.save()
    client = Client()
    client.force_login(alice)
    url = f"/admin/tracker/milestone/{milestone.pk}/change/"
    opened = BeautifulSoup(client.get(url).content, "lxml")
    hidden = opened.select_one('input[type="hidden"][name="version"]')
    assert hidden is not None and hidden["value"] == "1"
    seen = Milestone.objects.get(pk=milestone.pk)

    with time_machine.travel(NOW + dt.timedelta(minutes=5), tick=False), committed():
        services.record_update(
            model=Milestone, pk=milestone.pk, changes={"title": "Interim deal"}, by=bob
        )
    with committed():
        response = client.post(url, admin_form(seen, 1, consequence="Tariffs of 26% return"))

    assert response.status_code == 200
    html = BeautifulSoup(response.content, "lxml")
    shown = html.select_one(".errorlist.nonfield")
    assert shown is not None
    errors = " ".join(shown.get_text(" ").split())
    assert "Someone saved this milestone after you opened it, so nothing was saved." in errors
    assert "title: “Interim agreement” → “Interim deal” (Bob Hale, 21 Nov 2026 12:05 UTC)" in (
        errors
    )
    kept = html.select_one("#id_consequence")
    assert kept is not None and kept.get_text().strip() == "Tariffs of 26% return"
    stored = Milestone.objects.get(pk=milestone.pk)
    assert (stored.title, stored.consequence) == (
        "Interim deal",
        "US reciprocal tariffs take full effect",
    )
    # Having looked, the editor saves again: the form now carries the current version.
    again = html.select_one('input[type="hidden"][name="version"]')
    assert again is not None and again["value"] == "2"
    with committed():
        saved = client.post(
            url, admin_form(stored, 2, consequence="Tariffs of 26% return", title="Interim deal")
        )
    assert saved.status_code == 302
    stored = Milestone.objects.get(pk=milestone.pk)
    assert (stored.title, stored.consequence, stored.version) == (
        "Interim deal",
        "Tariffs of 26% return",
        3,
    )


def form_as_a_browser_sends_it(html: BeautifulSoup) -> dict[str, Any]:
    """The change form's fields with the values the page shows."""
    form = html.select_one("form#track_form")
    assert form is not None
    data: dict[str, Any] = {}
    for field in form.select("input[name], select[name], textarea[name]"):
        name = str(field["name"])
        if field.name == "select":
            chosen = field.select("option[selected]")
            data[name] = (
                [str(o.get("value", "")) for o in chosen]
                if field.has_attr("multiple")
                else (str(chosen[0].get("value", "")) if chosen else "")
            )
        elif field.name == "textarea":
            data[name] = field.get_text()
        elif field.get("type") in ("checkbox", "radio"):
            if field.has_attr("checked"):
                data[name] = str(field.get("value", "on"))
        elif field.get("type") not in ("submit", "button"):
            data[name] = str(field.get("value", ""))
    return data


def test_a_stale_milestone_row_in_the_track_admin_is_refused_with_what_changed(
    milestone: Milestone, alice: User, bob: User
) -> None:
    alice.is_staff = alice.is_superuser = True
    alice.save()
    client = Client()
    client.force_login(alice)
    url = f"/admin/tracker/track/{milestone.track_id}/change/"
    opened = BeautifulSoup(client.get(url).content, "lxml")
    data = form_as_a_browser_sends_it(opened)
    [row] = [
        name.removesuffix("-version")
        for name in data
        if name.endswith("-version") and "__prefix__" not in name
    ]
    assert data[f"{row}-version"] == "1"

    with time_machine.travel(NOW + dt.timedelta(minutes=5), tick=False), committed():
        services.record_update(
            model=Milestone, pk=milestone.pk, changes={"title": "Interim deal"}, by=bob
        )
    data[f"{row}-state"] = "completed"
    with committed():
        response = client.post(url, data)

    assert response.status_code == 200
    html = BeautifulSoup(response.content, "lxml")
    errors = " ".join(" ".join(e.get_text(" ").split()) for e in html.select(".errorlist"))
    assert "Someone saved this milestone after you opened it, so nothing was saved." in errors
    assert "title: “Interim agreement” → “Interim deal” (Bob Hale, 21 Nov 2026 12:05 UTC)" in (
        errors
    )
    stored = Milestone.objects.get(pk=milestone.pk)
    assert (stored.title, stored.state, stored.version) == ("Interim deal", "planned", 2)
    # Having looked, the editor saves again: the row now carries the current version.
    again = form_as_a_browser_sends_it(html)
    assert again[f"{row}-version"] == "2" and again[f"{row}-state"] == "completed"
    again[f"{row}-title"] = "Interim deal"  # as in the change form: what the page shows is sent
    with committed():
        saved = client.post(url, again)
    assert saved.status_code == 302
    stored = Milestone.objects.get(pk=milestone.pk)
    assert (stored.title, stored.state, stored.version) == ("Interim deal", "completed", 3)


def test_an_admin_save_writes_only_the_fields_the_editor_changed(
    milestone: Milestone, alice: User
) -> None:
    alice.is_staff = True
    alice.save()
    client = Client()
    client.force_login(alice)
    url = f"/admin/tracker/milestone/{milestone.pk}/change/"
    with committed():
        response = client.post(url, admin_form(milestone, 1, title="Interim deal"))
    assert response.status_code == 302
    change = services.changes_since(Milestone.objects.get(pk=milestone.pk), 1)
    assert [(c.field, c.before, c.after) for c in change] == [
        ("title", "Interim agreement", "Interim deal")
    ]


# --- two writers at once, over real HTTP (PostgreSQL) ---------------------------------------


def http(method: str, url: str, token: str, body: dict[str, Any], **headers: str) -> int:
    request = urllib.request.Request(
        url,
        data=json.dumps(body).encode(),
        method=method,
        headers={
            "Authorization": f"Token {token}",
            "Content-Type": "application/json",
            **headers,
        },
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as answer:
            return int(answer.status)
    except urllib.error.HTTPError as error:
        return error.code


@pytest.fixture
def web(transactional_db: None, tmp_path: Path) -> Iterator[str]:
    """gunicorn with two workers on the test database: two processes that really write at
    the same time (the live_server's threads would take turns on one interpreter)."""
    port = free_port()
    with open(tmp_path / "gunicorn.log", "ab") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "config.wsgi", "--workers", "2",
             "--bind", f"127.0.0.1:{port}"],
            cwd=settings.BASE_DIR,
            env=process_env(),
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )  # fmt: skip
    try:
        wait_until(lambda: _answers(port), timeout=60)
        yield f"http://127.0.0.1:{port}"
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=30)


def _answers(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1):
            return True
    except OSError:
        return False


@pytest.fixture
def two_editors_over_http(web: str) -> dict[str, Any]:
    track = make_track(make_negotiation())
    milestone = make_milestone(track, consequence="US reciprocal tariffs take full effect")
    # Superusers: between committing tests the database is flushed, and with it the editors
    # group (a data migration).
    tokens = [
        AuthToken.objects.create(user=User.objects.create_superuser(name, f"{name}@example.org"))[1]
        for name in ("alice", "bob")
    ]
    return {"url": f"{web}/api/v1/milestones/{milestone.pk}/", "pk": milestone.pk, "tokens": tokens}


@POSTGRESQL_ONLY
@pytest.mark.integration
def test_200_rounds_of_two_editors_patching_different_fields_at_once_lose_nothing(
    two_editors_over_http: dict[str, Any], capsys: Any
) -> None:
    url, pk = two_editors_over_http["url"], two_editors_over_http["pk"]
    alice, bob = two_editors_over_http["tokens"]
    rounds, lost, answers = 200, 0, []
    started = time.monotonic()
    with ThreadPoolExecutor(max_workers=2) as pool:
        for n in range(rounds):
            gate = threading.Barrier(2)

            def send(token: str, body: dict[str, Any], gate: threading.Barrier = gate) -> int:
                gate.wait()
                return http("PATCH", url, token, body)

            title = pool.submit(send, alice, {"title": f"Interim agreement, round {n}"})
            consequence = pool.submit(send, bob, {"consequence": f"Tariffs, round {n}"})
            answers += [title.result(), consequence.result()]
            stored = Milestone.objects.get(pk=pk)
            if (stored.title, stored.consequence) != (
                f"Interim agreement, round {n}",
                f"Tariffs, round {n}",
            ):
                lost += 1
    elapsed = time.monotonic() - started
    with capsys.disabled():
        print(f"\n{rounds} rounds of two concurrent PATCHes: {lost} lost, {elapsed:.1f} s")
    assert answers == [200] * (2 * rounds)
    assert lost == 0
    assert Milestone.objects.get(pk=pk).version == 1 + 2 * rounds


@POSTGRESQL_ONLY
@pytest.mark.integration
def test_two_editors_patching_with_the_same_if_match_get_one_200_and_one_412(
    two_editors_over_http: dict[str, Any],
) -> None:
    url, pk = two_editors_over_http["url"], two_editors_over_http["pk"]
    alice, bob = two_editors_over_http["tokens"]
    for n in range(10):
        version = Milestone.objects.get(pk=pk).version
        gate = threading.Barrier(2)

        def send(
            token: str, body: dict[str, Any], gate: threading.Barrier = gate, read: int = version
        ) -> int:
            gate.wait()
            return http("PATCH", url, token, body, **{"If-Match": f'"{read}"'})

        with ThreadPoolExecutor(max_workers=2) as pool:
            first = pool.submit(send, alice, {"title": f"Alice {n}"})
            second = pool.submit(send, bob, {"title": f"Bob {n}"})
            answers = sorted([first.result(), second.result()])
        assert answers == [200, 412], f"round {n}"
        assert Milestone.objects.get(pk=pk).version == version + 1


def test_completing_with_a_stale_if_match_is_refused_with_412_and_writes_nothing(
    milestone: Milestone, alice: User, bob: User
) -> None:
    url = f"/api/v1/milestones/{milestone.pk}/"
    assert patch(api_as(alice), url, {"title": "Interim deal"})["ETag"] == '"2"'
    with committed():
        refused = api_as(bob).post(f"{url}complete/", headers={"If-Match": '"1"'})
    assert refused.status_code == 412
    assert refused.json()["current"] == '"2"'
    assert Milestone.objects.get(pk=milestone.pk).state == "planned"
    with committed():
        done = api_as(bob).post(f"{url}complete/", headers={"If-Match": '"2"'})
    assert done.status_code == 200, done.content
    assert (done["ETag"], done.json()["state"]) == ('"3"', "completed")


def test_cancelling_with_a_stale_if_match_is_refused_and_without_one_goes_ahead(
    milestone: Milestone, alice: User, bob: User
) -> None:
    url = f"/api/v1/milestones/{milestone.pk}/"
    patch(api_as(alice), url, {"consequence": "Tariffs of 26% return"})
    with committed():
        refused = api_as(bob).post(f"{url}cancel/", headers={"If-Match": '"1"'})
    assert refused.status_code == 412
    assert Milestone.objects.get(pk=milestone.pk).state == "planned"
    with committed():
        done = api_as(bob).post(f"{url}cancel/")
    assert (done.status_code, done.json()["state"], done["ETag"]) == (200, "cancelled", '"3"')


def test_the_schema_documents_if_match_and_412_on_complete_and_cancel(alice: User) -> None:
    paths = api_as(alice).get("/api/schema/", {"format": "json"}).json()["paths"]
    for action in ("complete", "cancel"):
        post = paths[f"/api/v1/milestones/{{id}}/{action}/"]["post"]
        assert "If-Match" in [p["name"] for p in post.get("parameters", [])], action
        assert "412" in post["responses"], action


@POSTGRESQL_ONLY
@pytest.mark.integration
def test_two_editors_completing_and_cancelling_with_the_same_if_match_get_one_200_and_one_412(
    two_editors_over_http: dict[str, Any],
) -> None:
    url, pk = two_editors_over_http["url"], two_editors_over_http["pk"]
    alice, bob = two_editors_over_http["tokens"]
    for n in range(5):
        version = Milestone.objects.get(pk=pk).version
        gate = threading.Barrier(2)

        def send(
            token: str, action: str, gate: threading.Barrier = gate, read: int = version
        ) -> int:
            gate.wait()
            return http("POST", f"{url}{action}/", token, {}, **{"If-Match": f'"{read}"'})

        with ThreadPoolExecutor(max_workers=2) as pool:
            first = pool.submit(send, alice, "complete")
            second = pool.submit(send, bob, "cancel")
            answers = sorted([first.result(), second.result()])
        assert answers == [200, 412], f"round {n}"
        stored = Milestone.objects.get(pk=pk)
        assert (stored.version, stored.state in ("completed", "cancelled")) == (version + 1, True)
        services.milestone_reopen(milestone=stored)


def test_a_series_answers_without_an_etag_as_it_has_no_version(alice: User) -> None:
    series = make_series()
    answer = api_as(alice).get(f"/api/v1/series/{series.pk}/")
    assert answer.status_code == 200
    assert "ETag" not in answer
