# ruff: noqa: F811  (pytest fixtures imported from tests.dashboard.test_import)
"""Issue 22, finding 5 (imports and uploads): a confirmation imports and deletes only the
file its own preview made; unconfirmed previews are cleaned up; only CSV and XLSX are
read; files and rows over the documented limits, and records nested absurdly deep, are
refused with a clear message instead of a 500 or a stalled worker."""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth.models import Group, User
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from tests.dashboard.test_import import CONFIRM, GOOD, IMPORT, editor, preview  # noqa: F401  (fixtures)
from tracker import imports
from tracker.admin_record import MAX_RECORD_BYTES

pytestmark = pytest.mark.django_db


def other_editor() -> Client:
    user = User.objects.create_user("other", "other@example.org", "pw", is_staff=True)
    user.groups.add(Group.objects.get(name="editors"))
    client = Client()
    client.force_login(user)
    return client


def test_a_confirmation_naming_any_other_file_imports_and_deletes_nothing(
    editor: Client, tmp_path: Path
) -> None:
    bystander = tmp_path / "not-an-import.csv"
    bystander.write_text("negotiation,target\n")
    previewed = preview(editor, GOOD)
    form = dict(previewed.context["confirm_form"].initial)
    for name in (str(bystander), "../" + bystander.name, "import-guess"):
        answer = editor.post(CONFIRM, {**form, "import_file_name": name})
        assert answer.status_code == 200
        assert "upload the file again" in answer.content.decode()
    assert bystander.exists()
    # Nor may another editor confirm someone else's preview.
    answer = other_editor().post(CONFIRM, form)
    assert "upload the file again" in answer.content.decode()


def test_previews_left_unconfirmed_are_cleaned_up(editor: Client) -> None:
    folder = imports.previews_folder()
    before = set(folder.iterdir())
    preview(editor, GOOD)
    (left,) = set(folder.iterdir()) - before
    old = time.time() - imports.PREVIEW_KEPT_SECONDS - 60
    os.utime(left, (old, old))
    preview(editor, GOOD)
    assert not left.exists()
    assert len(set(folder.iterdir()) - before) == 1


def test_only_csv_and_xlsx_are_offered_and_read(editor: Client) -> None:
    form = editor.get(IMPORT).context["form"]
    labels = {label for _, label in form.fields["format"].choices if label != "---"}
    assert labels == {"csv", "xlsx"}


def test_a_file_over_the_size_limit_is_refused_with_a_clear_message(editor: Client) -> None:
    big = SimpleUploadedFile("figures.csv", b"x" * (imports.MAX_IMPORT_BYTES + 1), "text/csv")
    form = editor.get(IMPORT).context["form"]
    csv = next(value for value, label in form.fields["format"].choices if label == "csv")
    answer = editor.post(IMPORT, {"format": csv, "import_file": big, "resource": "0"})
    assert answer.status_code == 200
    assert "larger than" in answer.content.decode()


def test_a_file_over_the_row_limit_is_refused_with_a_clear_message(
    editor: Client, monkeypatch: Any
) -> None:
    monkeypatch.setattr(imports, "MAX_IMPORT_ROWS", 1)  # the rule, without a slow file
    answer = preview(editor, GOOD)
    assert "an import takes at most 1 rows" in answer.content.decode()


def test_a_record_nested_fifty_thousand_deep_is_refused_not_a_500() -> None:
    user = User.objects.create_superuser("root", "root@example.org", "pw")
    client = Client(raise_request_exception=False)
    client.force_login(user)
    deep = b"[" * 50_000 + b"]" * 50_000
    upload = SimpleUploadedFile("record.json", deep, "application/json")
    answer = client.post("/admin/tracker/negotiation/upload-record/", {"file": upload})
    assert answer.status_code in {200, 400}
    assert "Nested more than" in answer.content.decode()


def test_a_record_file_over_the_size_limit_is_refused_before_it_is_read() -> None:
    user = User.objects.create_superuser("root", "root@example.org", "pw")
    client = Client(raise_request_exception=False)
    client.force_login(user)
    big = b'{"negotiations": [' + b" " * MAX_RECORD_BYTES + b"]}"
    upload = SimpleUploadedFile("record.json", big, "application/json")
    answer = client.post("/admin/tracker/negotiation/upload-record/", {"file": upload})
    assert answer.status_code in {200, 400}
    assert "The file is larger than 2 MiB" in answer.content.decode()
