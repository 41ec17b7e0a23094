"""Health alerts: when a track gets worse, its owner and subscribers hear once."""

from __future__ import annotations

import contextlib
import datetime as dt
from dataclasses import dataclass

from django.core.mail import get_connection
from django.utils import timezone

from tracker.models import StatusChange, Track
from tracker.reminders.emails import health_alert_email
from tracker.reminders.outbox import DELIVERY_ERRORS, DeliveryUnavailable
from tracker.reminders.planning import recipients_by_track
from tracker.reminders.unsubscribe import owner_unsubscribe_url, subscription_unsubscribe_url
from tracker.status import Health, is_worse

# A transition older than this when first seen (e.g. recorded while alerts were
# not running) is history for the digest, not news for an alert.
FRESH_FOR = dt.timedelta(days=1)


@dataclass
class AlertResult:
    alerts: int = 0
    emails: int = 0


def _recipients(track: Track) -> list[tuple[str, str]]:
    """(address, unsubscribe link) for everyone who hears about this track."""
    from tracker.models import Subscription

    people = []
    for recipient in recipients_by_track([track])[track.pk]:
        if recipient.subscription_id is not None:
            subscription = Subscription.objects.get(pk=recipient.subscription_id)
            link = subscription_unsubscribe_url(subscription)
        else:
            assert track.owner is not None
            link = owner_unsubscribe_url(track_id=track.pk, user_id=track.owner.pk)
        people.append((recipient.email, link))
    return people


def send_health_alerts(*, now: dt.datetime | None = None) -> AlertResult:
    now = now or timezone.now()
    result = AlertResult()
    pending = StatusChange.objects.filter(
        subject=StatusChange.Subject.TRACK, notified_at__isnull=True
    ).order_by("changed_at", "id")
    connection = None
    try:
        for change in pending.select_related("track", "track__owner", "track__negotiation"):
            # Claim first: concurrent runs alert once.
            if not StatusChange.objects.filter(id=change.id, notified_at__isnull=True).update(
                notified_at=now
            ):
                continue
            worse = is_worse(Health(change.new), Health(change.previous))
            if not worse or change.track is None or change.changed_at < now - FRESH_FOR:
                continue
            messages = [
                health_alert_email(change, change.track, to=address, unsubscribe_url=link)
                for address, link in _recipients(change.track)
            ]
            if not messages:
                continue
            try:
                if connection is None:
                    connection = get_connection(fail_silently=False)
                    connection.open()
                connection.send_messages(messages)
            except DELIVERY_ERRORS as error:
                StatusChange.objects.filter(id=change.id).update(notified_at=None)
                raise DeliveryUnavailable(str(error)) from error
            result.alerts += 1
            result.emails += len(messages)
    finally:
        if connection is not None:
            with contextlib.suppress(*DELIVERY_ERRORS):
                connection.close()
    return result
