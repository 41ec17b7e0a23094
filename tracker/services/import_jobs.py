"""The rows of import jobs (tracker.models.ImportJob): queued by a confirmation, claimed by
one worker at a time by compare-and-set, moved on as chunks are imported, and closed as
done or failed with the reason. The import itself is tracker.imports.import_job_run."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import Q
from django.utils import timezone

from tracker.models import ImportJob

# A running job that has not moved for this long lost its worker (killed, or past its
# time limit) and is taken up again; importing rows already imported changes nothing.
STALLED_AFTER = dt.timedelta(minutes=10)


def import_job_queue(*, by: Any, file_name: str, file_format: str, rows_total: int) -> ImportJob:
    return ImportJob.objects.create(
        created_by=by, file_name=file_name, file_format=file_format, rows_total=rows_total
    )


def import_job_claim(*, job_id: int | None = None) -> ImportJob | None:
    """The oldest queued (or stalled) job, now running on this worker; None when there is
    none or another worker took it first."""
    now = timezone.now()
    waiting = ImportJob.objects.filter(
        Q(state=ImportJob.State.QUEUED)
        | Q(state=ImportJob.State.RUNNING, progressed_at__lt=now - STALLED_AFTER)
    )
    if job_id is not None:
        waiting = waiting.filter(pk=job_id)
    for job in waiting.order_by("created_at", "id")[:5]:
        taken = ImportJob.objects.filter(
            pk=job.pk, state=job.state, progressed_at=job.progressed_at
        ).update(state=ImportJob.State.RUNNING, started_at=now, progressed_at=now)
        if taken == 1:
            job.refresh_from_db()
            return job
    return None


def import_job_progress(*, job: ImportJob, rows_done: int, totals: dict[str, int]) -> None:
    """Count the rows imported so far and what they did (new, updated, skipped)."""
    job.rows_done = min(rows_done, job.rows_total)
    job.new, job.updated, job.skipped = totals["new"], totals["update"], totals["skip"]
    job.progressed_at = timezone.now()
    job.save(update_fields=["rows_done", "new", "updated", "skipped", "progressed_at"])


def import_job_finish(*, job: ImportJob, error: str = "") -> None:
    """Done, or failed saying why; the row stays either way."""
    job.state = ImportJob.State.FAILED if error else ImportJob.State.DONE
    job.error = error
    job.finished_at = timezone.now()
    job.save(update_fields=["state", "error", "finished_at"])
