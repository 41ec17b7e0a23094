"""Observations imported in bulk from CSV or XLSX (django-import-export, in the admin).

One row per figure: negotiation, target, series, period_start, period_end, value,
approximate, source, note. A row names its target by slug within its negotiation, its
series by name and its source by slug; all three must exist already, so a typo is a row
error rather than a new series. A row is identified by target, series and period (the
database's uniqueness too), so importing the same file again finds every row unchanged
and writes nothing.

Every row is written through services.observation_save, as the editor, so the rules,
the audit log and the status refresh after commit are those of any other write. The
admin previews the file in a transaction it rolls back, and imports only a file without
errors, in one transaction that is rolled back whole if any row fails.

Limits (docs/design.md "Imports"): CSV and XLSX only, files up to MAX_IMPORT_BYTES and
MAX_IMPORT_ROWS rows, so a preview stays well inside a web worker's timeout. The file of a
preview waits in a folder of its own under var/, named in a signed token that only its
uploader may confirm within PREVIEW_KEPT_SECONDS; older previews are deleted.

A confirmed file of more than LARGE_IMPORT_ROWS rows is not imported in the request: the
confirmation queues an ImportJob and moves the file aside under the job's id, and a Celery
worker imports it in chunks of CHUNK_ROWS rows, each in a transaction of its own, counting
the rows done for the admin's job page. A chunk that fails is rolled back and stops the
job, which keeps its row and says which row failed and why; the chunks before it stay
imported, and importing the same file again finishes the job (imported rows are skipped
as unchanged).
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import tempfile
import time
from pathlib import Path
from typing import Any

import tablib
from django.conf import settings
from django.core import signing
from django.db import models
from import_export import fields, resources, widgets
from import_export.formats import base_formats
from import_export.results import Error, Result
from import_export.tmp_storages import TempFolderStorage

from tracker import services
from tracker.models import ImportJob, Observation, Series, Source, Target
from tracker.owner_only import make_private_folder
from tracker.services import import_jobs

log = logging.getLogger(__name__)

MAX_IMPORT_BYTES = 1024 * 1024
MAX_IMPORT_ROWS = 5000
PREVIEW_KEPT_SECONDS = 60 * 60
# Above this many rows a confirmed import runs as a job on a worker, in chunks.
LARGE_IMPORT_ROWS = 500
CHUNK_ROWS = 100
FORMATS: dict[str, type[base_formats.Format]] = {
    "csv": base_formats.CSV,
    "xlsx": base_formats.XLSX,
}
_PREVIEW_SALT = "tracker.imports.preview"


def previews_folder() -> Path:
    folder = Path(settings.VAR_DIR) / "import-previews"
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    return folder


class PreviewStorage(TempFolderStorage):
    """Preview files in their own folder, named by us only (never a path from a form)."""

    name: str | None

    def get_full_path(self) -> str:
        return str(previews_folder() / os.path.basename(str(self.name)))

    def _open(self, mode: str = "r") -> Any:
        if not self.name:
            made = tempfile.NamedTemporaryFile(  # noqa: SIM115 (returned open, as the base does)
                delete=False, dir=previews_folder(), prefix="preview-"
            )
            self.name = os.path.basename(made.name)
            return made
        return open(self.get_full_path(), mode, encoding=self.encoding)


def preview_token(*, name: str, user: Any) -> str:
    """What the confirmation form carries instead of the file's name."""
    return signing.dumps({"file": name, "user": user.pk}, salt=_PREVIEW_SALT)


def preview_from_token(token: str, *, user: Any) -> str | None:
    """The preview file `user` may confirm, or None when the token is bad, old or another's."""
    try:
        data = signing.loads(token, salt=_PREVIEW_SALT, max_age=PREVIEW_KEPT_SECONDS)
    except signing.BadSignature:
        return None
    if not isinstance(data, dict) or data.get("user") != user.pk:
        return None
    name = os.path.basename(str(data.get("file", "")))
    return name if (previews_folder() / name).is_file() else None


def previews_clean(*, now: float | None = None) -> int:
    """Delete previews never confirmed within PREVIEW_KEPT_SECONDS; how many went."""
    cutoff = (time.time() if now is None else now) - PREVIEW_KEPT_SECONDS
    gone = 0
    for path in previews_folder().iterdir():
        if path.is_file() and path.stat().st_mtime < cutoff:
            path.unlink(missing_ok=True)
            gone += 1
    return gone


class _Named(widgets.ForeignKeyWidget):
    """A related row looked up by a natural field; a miss is a row error that says so."""

    def __init__(self, model: type[models.Model], field: str, missing: str) -> None:
        super().__init__(model, field=field)
        self.missing = missing

    def clean(self, value: Any, row: Any = None, **kwargs: Any) -> Any:
        try:
            return super().clean(value, row, **kwargs)
        except self.model.DoesNotExist:
            negotiation = (row or {}).get("negotiation")
            raise ValueError(self.missing.format(value=value, negotiation=negotiation)) from None


class _TargetOfNegotiation(_Named):
    def get_lookup_kwargs(self, value: Any, row: Any, **kwargs: Any) -> dict[str, Any]:
        return {"slug": value, "negotiation__slug": (row or {}).get("negotiation")}


class _Day(widgets.DateWidget):
    """A date, also from a spreadsheet cell, which openpyxl reads as a datetime at midnight:
    compared as a datetime, an unchanged row would look changed on every import."""

    def clean(self, value: Any, row: Any = None, **kwargs: Any) -> dt.date | None:
        day = super().clean(value, row, **kwargs)
        return day.date() if isinstance(day, dt.datetime) else day


class ObservationResource(resources.ModelResource):
    negotiation = fields.Field(
        column_name="negotiation", attribute="target__negotiation__slug", readonly=True
    )
    target = fields.Field(
        column_name="target",
        attribute="target",
        widget=_TargetOfNegotiation(
            Target, "slug", "No target “{value}” in the negotiation “{negotiation}”."
        ),
    )
    series = fields.Field(
        column_name="series",
        attribute="series",
        widget=_Named(Series, "name", "No series named “{value}”; add it under Series first."),
    )
    period_start = fields.Field(column_name="period_start", attribute="period_start", widget=_Day())
    period_end = fields.Field(column_name="period_end", attribute="period_end", widget=_Day())
    value = fields.Field(column_name="value", attribute="value", widget=widgets.DecimalWidget())
    approximate = fields.Field(
        column_name="approximate", attribute="approximate", widget=widgets.BooleanWidget()
    )
    source = fields.Field(
        column_name="source",
        attribute="source",
        widget=_Named(Source, "slug", "No source with the slug “{value}”."),
    )
    note = fields.Field(column_name="note", attribute="note")

    class Meta:
        model = Observation
        fields = (
            "negotiation",
            "target",
            "series",
            "period_start",
            "period_end",
            "value",
            "approximate",
            "source",
            "note",
        )
        import_id_fields = ("target", "series", "period_start", "period_end")
        skip_unchanged = True
        report_skipped = True
        use_transactions = True

    def import_data(self, dataset: Any, *args: Any, **kwargs: Any) -> Result:
        """Refuse a file over MAX_IMPORT_ROWS before reading any row (preview and confirm)."""
        if dataset.height > MAX_IMPORT_ROWS:
            refused = Result()
            refused.append_base_error(
                Error(
                    ValueError(
                        f"The file has {dataset.height:,} rows; an import takes at most "
                        f"{MAX_IMPORT_ROWS:,} rows. Split it into several files."
                    )
                )
            )
            return refused
        return super().import_data(dataset, *args, **kwargs)

    def import_field(self, field: fields.Field, instance: Any, row: Any, **kwargs: Any) -> None:
        if field.attribute == "approximate" and row.get("approximate") in (None, ""):
            instance.approximate = False  # an empty cell is "not approximate", not null
            return
        super().import_field(field, instance, row, **kwargs)

    def save_instance(
        self, instance: Observation, is_create: bool, row: Any, **kwargs: Any
    ) -> None:
        # The write service, not Model.save: its rules become row errors, and the audit log
        # names the editor who imported the file.
        self.before_save_instance(instance, row, **kwargs)
        services.observation_save(observation=instance, by=kwargs.get("user"))
        self.after_save_instance(instance, row, **kwargs)


# --- large imports, run as a job -----------------------------------------------------------


def jobs_folder() -> Path:
    folder = Path(settings.VAR_DIR) / "import-jobs"
    make_private_folder(folder)
    return folder


def preview_dataset(name: str, file_format: str) -> tablib.Dataset:
    """The rows of a preview file (named by preview_from_token, never by a form)."""
    return _dataset(previews_folder() / os.path.basename(name), file_format)


def _dataset(path: Path, file_format: str) -> tablib.Dataset:
    """Read as the admin reads a preview (django-import-export's default encoding)."""
    reader = FORMATS[file_format](encoding="utf-8-sig")
    encoding = None if reader.is_binary() else "utf-8-sig"
    with open(path, reader.get_read_mode(), encoding=encoding) as file:
        return reader.create_dataset(file.read())


def import_job_start(*, preview_name: str, file_format: str, rows: int, by: Any) -> ImportJob:
    """Queue the import of a confirmed preview; its file moves to the job's own name, out
    of reach of the preview cleaning and of any later confirmation."""
    job = import_jobs.import_job_queue(
        by=by, file_name=preview_name, file_format=file_format, rows_total=rows
    )
    os.replace(previews_folder() / os.path.basename(preview_name), job_file(job))
    return job


def job_file(job: ImportJob) -> Path:
    return jobs_folder() / f"job-{job.pk}"


def import_jobs_run() -> int:
    """Run every waiting job, one at a time; how many ran (the Celery task's body)."""
    ran = 0
    while (job := import_jobs.import_job_claim()) is not None:
        import_job_run(job)
        ran += 1
    return ran


def import_job_run(job: ImportJob) -> None:
    """Import a claimed job's file chunk by chunk, counting progress; close the job."""
    try:
        error = _import_in_chunks(job)
    except Exception as problem:  # the row says why; the log keeps the traceback
        log.exception("Import job %s failed", job.pk)
        error = f"The import stopped on an unexpected error ({type(problem).__name__}: {problem})."
    import_jobs.import_job_finish(job=job, error=error)
    # Done or failed, the file is not read again: a corrected file is uploaded anew.
    job_file(job).unlink(missing_ok=True)


def _import_in_chunks(job: ImportJob) -> str:
    path = job_file(job)
    if not path.is_file():
        return "The uploaded file is gone; upload it again."
    dataset = _dataset(path, job.file_format)
    totals = {"new": 0, "update": 0, "skip": 0}
    for start in range(0, dataset.height, CHUNK_ROWS):
        chunk = tablib.Dataset(*dataset[start : start + CHUNK_ROWS], headers=dataset.headers)
        result = ObservationResource().import_data(
            chunk,
            dry_run=False,
            user=job.created_by,
            use_transactions=True,
            rollback_on_validation_errors=True,
        )
        if result.has_errors() or result.has_validation_errors():
            return _failure(result, offset=start, imported=start)
        for kind in totals:
            totals[kind] += result.totals[kind]
        import_jobs.import_job_progress(job=job, rows_done=start + chunk.height, totals=totals)
    return ""


def _failure(result: Result, *, offset: int, imported: int) -> str:
    """Which row failed and why, and what stayed imported."""
    problems = [str(error.error) for error in result.base_errors]
    for number, errors in result.row_errors():
        problems += [f"Row {offset + number}: {error.error}" for error in errors]
    for invalid in result.invalid_rows:
        for field, messages in invalid.error_dict.items():
            where = "" if field == "__all__" else f"{field}: "
            problems += [f"Row {offset + invalid.number}: {where}{m}" for m in messages]
    done = (
        f"Rows 1 to {imported} were imported; import the same file again once it is "
        "corrected (rows already imported are skipped)."
        if imported
        else "No row was imported."
    )
    return " ".join([*problems[:10], done])
