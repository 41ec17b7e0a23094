from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from tracker.reminders.escalation import send_unconfirmed_lists


class Command(BaseCommand):
    help = (
        "Send this week's “still unconfirmed” lists to the editors following stale open "
        "items. Safe to run at any time: each goes out once a week."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        result = send_unconfirmed_lists()
        self.stdout.write(f"Queued {result.queued} lists; sent {result.emails} emails.")
