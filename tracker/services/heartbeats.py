"""Signs of life: each worker and beat process writes its own row every few seconds.

A heartbeat that cannot be written (the database is down) is logged and skipped: it must
never stop a worker or beat. /health/ and /metrics read them (tracker.heartbeats).
"""

from __future__ import annotations

import datetime as dt
import logging

from django.db import DatabaseError
from django.utils import timezone

from tracker.models import Heartbeat

log = logging.getLogger(__name__)

# Rows of processes gone this long are deleted, so the table stays a handful of rows.
FORGET_AFTER = dt.timedelta(days=1)


def heartbeat_record(*, role: str, process: str) -> None:
    now = timezone.now()
    try:
        Heartbeat.objects.update_or_create(
            role=role, process=process[:200], defaults={"seen_at": now}
        )
        Heartbeat.objects.filter(seen_at__lt=now - FORGET_AFTER).delete()
    except DatabaseError:
        log.warning("Could not write the %s heartbeat.", role, exc_info=True)
