"""Moving the data version (tracker.versions) on, inside the transaction of a write."""

from __future__ import annotations

from django.db.models import F
from django.utils import timezone

from tracker.models import DataVersion
from tracker.versions import ROW


def data_version_bump() -> None:
    """Move the version on. Call it inside the transaction that writes the change."""
    now = timezone.now()
    moved = DataVersion.objects.filter(pk=ROW).update(counter=F("counter") + 1, changed_at=now)
    if not moved:
        DataVersion.objects.bulk_create(
            [DataVersion(pk=ROW, counter=1, changed_at=now)], ignore_conflicts=True
        )
