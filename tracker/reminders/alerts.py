"""Health alerts: when a track gets worse, its owner and subscribers hear once.

Only worsening (`status.is_worsening`) alerts; an improvement is news for the digest.

Each alert is an outbox row per recipient (`OutboxEmail`, unique per transition and
recipient), sent by the outbox like a reminder: an alert that cannot be built or sent
ends failed with its error and never blocks the others. A transition's `notified_at`
is set when its alert has actually gone out, or when it needs none.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.utils import timezone

from tracker import services
from tracker.models import StatusChange
from tracker.reminders import outbox
from tracker.reminders.planning import recipients_by_track
from tracker.status import Health, is_worsening

# A transition older than this when first seen (e.g. recorded while alerts were
# not running) is history for the digest, not news for an alert.
FRESH_FOR = dt.timedelta(days=1)


@dataclass
class AlertResult:
    alerts: int = 0  # transitions whose alert was queued in this run
    emails: int = 0  # outbox emails (alerts, confirmations) sent in this run


def plan_health_alerts(*, now: dt.datetime | None = None) -> int:
    """Queue one alert email per recipient for each track that got worse; returns how
    many transitions were queued. Safe to run at once from several processes."""
    now = now or timezone.now()
    queued = 0
    unseen = (
        StatusChange.objects.filter(subject=StatusChange.Subject.TRACK, notified_at__isnull=True)
        .filter(alert_emails__isnull=True)
        .select_related("track", "track__owner")
        .order_by("changed_at", "id")
    )
    for change in unseen:
        worse = is_worsening(old=Health(change.previous), new=Health(change.new))
        recipients = []
        if worse and change.track is not None and change.changed_at >= now - FRESH_FOR:
            recipients = recipients_by_track([change.track])[change.track.pk]
        if not recipients:
            # Nothing to say: better, stale, or nobody listening.
            services.status_change_mark_quiet(change_id=change.id, now=now)
            continue
        services.health_alert_queue(
            change_id=change.id,
            recipients=[(r.subscription_id, r.email) for r in recipients],
            now=now,
        )
        queued += 1
    return queued


def send_health_alerts(*, now: dt.datetime | None = None) -> AlertResult:
    """Queue the alerts of tracks that got worse, then send what the email outbox holds."""
    queued = plan_health_alerts(now=now)
    sent = outbox.send_due_reminders(now=now, lanes=[outbox.EMAILS])
    return AlertResult(alerts=queued, emails=sent.sent)
