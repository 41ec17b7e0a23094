"""Uploading a record file in the admin: a dry-run preview, then a confirmed load."""

from __future__ import annotations

import json
import re

import pytest
from django.contrib.auth.models import Group, Permission, User
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from tests.conftest import committed
from tracker.management.commands.load_record import INDIA_US_RECORD as RECORD
from tracker.models import Change, Milestone, Negotiation, Source

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("frozen")]

UPLOAD = "/admin/tracker/negotiation/upload-record/"


def login(username: str, *, editor: bool = True, csrf: bool = False) -> Client:
    user = User.objects.create_user(username, f"{username}@example.org", "pw", is_staff=True)
    if editor:
        user.groups.add(Group.objects.get(name="editors"))
    client = Client(enforce_csrf_checks=csrf)
    client.force_login(user)
    return client


def record_file(text: str | None = None) -> SimpleUploadedFile:
    content = (text if text is not None else RECORD.read_text(encoding="utf-8")).encode()
    return SimpleUploadedFile("india_us.json", content, content_type="application/json")


def signed_record(page: str) -> str:
    found = re.search(r'name="record" value="([^"]+)"', page)
    assert found, page
    return found.group(1)


def test_the_negotiation_list_links_editors_to_the_upload() -> None:
    page = login("editor").get("/admin/tracker/negotiation/").content.decode()
    assert f'href="{UPLOAD}">Upload a record</a>' in page


def test_an_editor_previews_a_record_then_confirms_and_it_is_loaded() -> None:
    client = login("editor")
    preview = client.post(UPLOAD, {"file": record_file()})
    page = preview.content.decode()

    assert preview.status_code == 200
    assert "Preview: 51 created, 0 updated, 0 unchanged" in page
    assert "created negotiation: India–US Bilateral Trade Agreement" in page
    assert "created milestone: Interim trade deal concluded" in page
    assert not Negotiation.objects.exists() and not Source.objects.exists()
    assert not Change.objects.exists()

    with committed():
        confirmed = client.post(UPLOAD, {"record": signed_record(page), "confirm": "Load it"})

    assert confirmed.status_code == 302
    assert confirmed["Location"] == "/admin/tracker/negotiation/"
    listing = client.get(confirmed["Location"]).content.decode()
    assert "Loaded the record: 51 created, 0 updated, 0 unchanged." in listing
    interim = Milestone.objects.get(slug="interim-deal-concluded")
    assert interim.status == "overdue"  # statuses refreshed after the commit
    change = Change.objects.get(object_repr="India–US Bilateral Trade Agreement", action=0)
    assert (change.actor.username, change.interface) == ("editor", "admin")


def test_previewing_a_record_already_loaded_says_nothing_would_change() -> None:
    client = login("editor")
    client.post(
        UPLOAD,
        {
            "record": signed_record(client.post(UPLOAD, {"file": record_file()}).content.decode()),
            "confirm": "Load it",
        },
    )
    page = client.post(UPLOAD, {"file": record_file()}).content.decode()
    assert "Preview: 0 created, 0 updated, 51 unchanged" in page
    assert "loading it would change nothing" in page
    assert 'name="confirm"' not in page


def test_a_bad_file_is_previewed_as_its_problems_with_paths_and_cannot_be_confirmed() -> None:
    data = json.loads(RECORD.read_text(encoding="utf-8"))
    data["negotiations"][0]["stage"] = "drafting"
    data["negotiations"][0]["tracks"][0]["milestones"][0]["sources"].append("no-such-quote")
    client = login("editor")

    page = client.post(UPLOAD, {"file": record_file(json.dumps(data))}).content.decode()

    assert "The file was refused; nothing would be written" in page
    assert "<code>$.negotiations[0].stage</code>: &#x27;drafting&#x27; is not one of" in page
    assert 'name="confirm"' not in page
    assert not Negotiation.objects.exists()


def test_a_file_that_is_not_json_is_refused_at_its_root() -> None:
    page = login("editor").post(UPLOAD, {"file": record_file("{ nope")}).content.decode()
    assert "<code>$</code>: Not a JSON file" in page


def test_an_altered_confirmation_loads_nothing() -> None:
    client = login("editor")
    page = client.post(UPLOAD, {"file": record_file()}).content.decode()
    altered = signed_record(page)[:-2] + "xx"
    response = client.post(UPLOAD, {"record": altered, "confirm": "Load it"})
    assert response.status_code == 400
    assert "expired or was altered" in response.content.decode()
    assert not Negotiation.objects.exists()


def test_staff_without_the_editors_permissions_may_not_upload() -> None:
    client = login("viewer", editor=False)
    viewer = User.objects.get(username="viewer")
    viewer.user_permissions.add(Permission.objects.get(codename="view_negotiation"))
    assert client.get(UPLOAD).status_code == 403
    assert client.post(UPLOAD, {"file": record_file()}).status_code == 403
    listing = client.get("/admin/tracker/negotiation/")
    assert listing.status_code == 200
    assert "Upload a record" not in listing.content.decode()
    assert not Negotiation.objects.exists()


def test_an_upload_without_the_csrf_token_is_refused() -> None:
    client = login("editor", csrf=True)
    assert client.post(UPLOAD, {"file": record_file()}).status_code == 403
    form = client.get(UPLOAD).content.decode()
    assert 'name="csrfmiddlewaretoken"' in form
