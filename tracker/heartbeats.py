"""Signs of life of the worker and beat processes, read by /health/ and /metrics.

Each process writes its own row every few seconds (tracker.services.heartbeats).
"""

from __future__ import annotations

import datetime as dt

from django.db.models import Max

from tracker.models import Heartbeat

WORKER = Heartbeat.Role.WORKER.value
BEAT = Heartbeat.Role.BEAT.value


def last_seen(role: str) -> dt.datetime | None:
    """The newest heartbeat of any process in this role."""
    latest: dt.datetime | None = Heartbeat.objects.filter(role=role).aggregate(
        latest=Max("seen_at")
    )["latest"]
    return latest
