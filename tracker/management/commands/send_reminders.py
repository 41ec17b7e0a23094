from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from tracker.reminders.outbox import DeliveryUnavailable, send_due_reminders
from tracker.reminders.planning import plan_reminders


class Command(BaseCommand):
    help = (
        "Plan reminders and send those that are due, as the Celery jobs do. "
        "Safe to run at any time and as often as you like: nothing is sent twice."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        planned = plan_reminders()
        self.stdout.write(
            f"Planned: {planned.created} new, {planned.voided} voided, {planned.revived} revived."
        )
        try:
            sent = send_due_reminders()
        except DeliveryUnavailable as error:
            raise CommandError(f"The mail server could not be reached: {error}") from error
        self.stdout.write(
            f"Sent {sent.sent}; {sent.retrying} to retry, {sent.failed} failed, "
            f"{sent.superseded} replaced by a later reminder, {sent.voided} no longer wanted."
        )
        for problem in sent.errors:
            self.stderr.write(problem)
