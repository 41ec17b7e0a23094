from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from tracker.reminders.digests import send_digests
from tracker.reminders.outbox import DeliveryUnavailable


class Command(BaseCommand):
    help = "Send the digests that are due. Safe to run at any time: each goes out once."

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            result = send_digests()
        except DeliveryUnavailable as error:
            raise CommandError(f"The mail server could not be reached: {error}") from error
        self.stdout.write(
            f"Sent {result.sent} digests; {result.nothing_to_say} had nothing to say."
        )
