# ruff: noqa: F811  (pytest fixtures imported from tests.dashboard.test_import)
"""Issue 22: a large confirmed import runs as a Celery job with a progress page; a job that
fails keeps its row and says why. The job runs in this process, as a worker would run the
task, after the confirmation has committed."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from django.contrib.auth.models import Group, User
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import timezone

from tests.conftest import committed
from tests.dashboard.test_import import (
    CONFIRM,
    GOOD,
    IMPORT,
    INDIA_COMMERCE,
    editor,  # noqa: F401  (a fixture)
    figures,
    preview,
)
from tracker import imports, tasks
from tracker.models import Change, ImportJob, Observation, Series
from tracker.services import import_jobs

pytestmark = pytest.mark.django_db


@pytest.fixture
def large_from_two_rows(monkeypatch: Any) -> None:
    """Two rows count as large, one row a chunk: the rules without a slow file."""
    monkeypatch.setattr(imports, "LARGE_IMPORT_ROWS", 1)
    monkeypatch.setattr(imports, "CHUNK_ROWS", 1)


def confirm_large(client: Client, rows: list[list[Any]]) -> Any:
    previewed = preview(client, rows)
    with committed():
        return client.post(
            "/admin/tracker/observation/process_import/",
            previewed.context["confirm_form"].initial,
            follow=True,
        )


def test_a_large_confirmed_import_becomes_a_job_and_its_page_shows_it_waiting(
    editor: Client, large_from_two_rows: None
) -> None:
    page = confirm_large(editor, GOOD)
    job = ImportJob.objects.get()
    assert page.redirect_chain == [(f"/admin/tracker/observation/import-jobs/{job.pk}/", 302)]
    text = page.content.decode()
    assert "Waiting for a worker: 2 rows to import. This page reloads itself." in text
    assert '<meta http-equiv="refresh" content="3">' in text
    assert (job.state, job.rows_done, job.rows_total, job.file_format) == ("queued", 0, 2, "xlsx")
    assert Observation.objects.count() == 0
    # The file waits under the job's name, where the preview cleaning does not look.
    assert imports.job_file(job).is_file()


def test_the_worker_imports_the_job_and_the_page_shows_the_result(
    editor: Client, large_from_two_rows: None
) -> None:
    confirm_large(editor, GOOD)
    with committed():
        assert tasks.run_import_jobs() == 1
    job = ImportJob.objects.get()
    assert (job.state, job.rows_done, job.new, job.updated, job.skipped) == ("done", 2, 2, 0, 0)
    assert [value for *_, value in figures()] == [Decimal("212.3"), Decimal("131.8")]
    # Through the write service, as the editor who confirmed it.
    logged = Change.objects.filter(content_type__model="observation")
    assert {c.actor.username for c in logged if c.actor} == {"editor"}
    page = editor.get(f"/admin/tracker/observation/import-jobs/{job.pk}/").content.decode()
    assert "Import finished: 2 new, 0 updated and 0 skipped, of 2 rows." in page
    assert "http-equiv" not in page
    assert not imports.job_file(job).exists()
    # Nothing left waiting: another run finds no job.
    assert tasks.run_import_jobs() == 0


def test_a_job_that_fails_keeps_its_row_and_says_which_row_and_why(
    editor: Client, large_from_two_rows: None
) -> None:
    confirm_large(editor, GOOD)
    Series.objects.filter(name=INDIA_COMMERCE).delete()  # row 2's series, gone since the preview
    with committed():
        tasks.run_import_jobs()
    job = ImportJob.objects.get()
    assert (job.state, job.rows_done) == ("failed", 1)
    assert f"Row 2: No series named “{INDIA_COMMERCE}”; add it under Series first." in job.error
    assert "Rows 1 to 1 were imported; import the same file again" in job.error
    assert Observation.objects.count() == 1
    page = editor.get(f"/admin/tracker/observation/import-jobs/{job.pk}/").content.decode()
    assert "The import failed after 1 of 2 rows. Row 2: No series named" in page


def test_a_small_confirmed_import_still_runs_in_the_request(editor: Client) -> None:
    page = confirm_large(editor, GOOD)
    assert "Import finished: 2 new, 0 updated, 0 deleted and 0 skipped" in page.content.decode()
    assert ImportJob.objects.count() == 0
    assert Observation.objects.count() == 2


def test_only_one_worker_claims_a_job_and_a_stalled_one_is_taken_up_again(
    editor: Client, large_from_two_rows: None
) -> None:
    confirm_large(editor, GOOD)
    first = import_jobs.import_job_claim()
    assert first is not None and first.state == "running"
    assert import_jobs.import_job_claim() is None
    ImportJob.objects.filter(pk=first.pk).update(
        progressed_at=timezone.now() - import_jobs.STALLED_AFTER - dt.timedelta(seconds=1)
    )
    again = import_jobs.import_job_claim()
    assert again is not None and again.pk == first.pk


def test_another_editor_cannot_see_someone_elses_import_job(
    editor: Client, large_from_two_rows: None
) -> None:
    confirm_large(editor, GOOD)
    job = ImportJob.objects.get()
    other = User.objects.create_user("other", "other@example.org", "pw", is_staff=True)
    other.groups.add(Group.objects.get(name="editors"))
    client = Client()
    client.force_login(other)
    assert client.get(f"/admin/tracker/observation/import-jobs/{job.pk}/").status_code == 404


def test_a_job_whose_file_is_gone_fails_saying_so(
    editor: Client, large_from_two_rows: None
) -> None:
    confirm_large(editor, GOOD)
    job = ImportJob.objects.get()
    imports.job_file(job).unlink()
    tasks.run_import_jobs()
    job.refresh_from_db()
    assert (job.state, job.error) == ("failed", "The uploaded file is gone; upload it again.")


def test_a_large_csv_file_runs_as_a_job_too(editor: Client, large_from_two_rows: None) -> None:
    rows = "\n".join(
        [
            "negotiation,target,series,period_start,period_end,value,source",
            "india-us-bta,bilateral-trade,US Census Bureau — goods and services,"
            "2025-01-01,2025-12-31,212.3,",
            f"india-us-bta,bilateral-trade,{INDIA_COMMERCE},2025-04-01,2026-03-31,131.8,",
        ]
    )
    upload = SimpleUploadedFile("figures.csv", ("\ufeff" + rows).encode(), "text/csv")
    form = editor.get(IMPORT).context["form"]
    csv = next(value for value, label in form.fields["format"].choices if label == "csv")
    previewed = editor.post(IMPORT, {"format": csv, "import_file": upload, "resource": "0"})
    with committed():
        editor.post(CONFIRM, previewed.context["confirm_form"].initial)
    job = ImportJob.objects.get()
    assert (job.file_format, job.rows_total) == ("csv", 2)
    with committed():
        tasks.run_import_jobs()
    job.refresh_from_db()
    assert (job.state, job.new) == ("done", 2)
    assert [value for *_, value in figures()] == [Decimal("212.3"), Decimal("131.8")]
