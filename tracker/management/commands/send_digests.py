from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from tracker.reminders.digests import send_digests


class Command(BaseCommand):
    help = (
        "Queue the digests that are due in the email outbox, then send what it holds. "
        "Safe to run at any time: each digest goes out once."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        result = send_digests()
        self.stdout.write(
            f"Queued {result.queued} digests; {result.nothing_to_say} had nothing to say. "
            f"Sent {result.sent} emails."
        )
        if result.waiting:
            # The mail server refused, or the run's time ran out: nothing is lost.
            self.stdout.write("Some emails wait in the outbox; send_reminders sends them.")
