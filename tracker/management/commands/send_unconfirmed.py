from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from tracker.reminders.escalation import send_unconfirmed_lists
from tracker.reminders.outbox import DeliveryUnavailable


class Command(BaseCommand):
    help = (
        "Send this week's “still unconfirmed” lists to the editors following stale open "
        "items. Safe to run at any time: each goes out once a week."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            result = send_unconfirmed_lists()
        except DeliveryUnavailable as error:
            raise CommandError(f"The mail server could not be reached: {error}") from error
        self.stdout.write(f"Queued {result.queued} lists; sent {result.emails} emails.")
