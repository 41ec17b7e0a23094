"""Signs of life of the worker and beat processes, read by /health/ and /metrics.

Each process writes its own row every few seconds. A heartbeat that cannot be written
(the database is down) is logged and skipped: it must never stop a worker or beat.
"""

from __future__ import annotations

import datetime as dt
import logging

from django.db import DatabaseError
from django.db.models import Max
from django.utils import timezone

from tracker.models import Heartbeat

log = logging.getLogger(__name__)

WORKER = Heartbeat.Role.WORKER.value
BEAT = Heartbeat.Role.BEAT.value
# Rows of processes gone this long are deleted, so the table stays a handful of rows.
FORGET_AFTER = dt.timedelta(days=1)


def record(role: str, process: str) -> None:
    now = timezone.now()
    try:
        Heartbeat.objects.update_or_create(
            role=role, process=process[:200], defaults={"seen_at": now}
        )
        Heartbeat.objects.filter(seen_at__lt=now - FORGET_AFTER).delete()
    except DatabaseError:
        log.warning("Could not write the %s heartbeat.", role, exc_info=True)


def last_seen(role: str) -> dt.datetime | None:
    """The newest heartbeat of any process in this role."""
    latest: dt.datetime | None = Heartbeat.objects.filter(role=role).aggregate(
        latest=Max("seen_at")
    )["latest"]
    return latest
