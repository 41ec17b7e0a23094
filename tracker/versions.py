"""The data version: a counter that moves whenever the record changes.

Every write service (tracker.services.writing) and every refresh that writes a row
bumps it inside its own transaction (tracker.services.versions). Readers key cached
bodies on it and derive ETag and Last-Modified from it, so a cached calendar, list or
page fragment is reused until the next write and never outlives one. Statuses and
"days remaining" also turn with the date, so keys name the day as well (see `key`).
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass

from django.utils import timezone

from tracker.models import DataVersion

ROW = 1
EPOCH = dt.datetime(2025, 1, 1, tzinfo=dt.UTC)


@dataclass(frozen=True)
class Version:
    counter: int
    changed_at: dt.datetime

    def key(self, *parts: object, today: dt.date | None = None) -> str:
        """A cache key / ETag for what `parts` name, as of this version and day."""
        day = (today or timezone.localdate()).isoformat()
        # The time of the write too: a database restored from a backup counts again from an
        # older counter, and must not meet the bodies cached for the newer one.
        text = "|".join([str(self.counter), self.changed_at.isoformat(), day, *map(str, parts)])
        return hashlib.blake2b(text.encode(), digest_size=12).hexdigest()

    def last_modified(self, today: dt.date | None = None) -> dt.datetime:
        """The later of the last write and the start of today (statuses turn at midnight)."""
        day = today or timezone.localdate()
        midnight = timezone.make_aware(dt.datetime.combine(day, dt.time.min))
        return max(self.changed_at, midnight)


def current() -> Version:
    """The version now: one primary-key read."""
    row = DataVersion.objects.filter(pk=ROW).values_list("counter", "changed_at").first()
    if row is None:
        return Version(0, EPOCH)
    return Version(int(row[0]), row[1])
