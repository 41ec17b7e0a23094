from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from tracker.reminders.outbox import send_due_reminders
from tracker.reminders.planning import plan_reminders


class Command(BaseCommand):
    help = (
        "Plan reminders and send what the outbox holds that is due (reminders, "
        "confirmations, alerts), as the Celery jobs do. Safe to run at any time and as "
        "often as you like, beside the worker too: nothing is sent twice. Each run stops "
        "claiming after --max-seconds and says what is still due, for the next run."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--max-seconds",
            type=float,
            default=120.0,
            help="Stop claiming after this many seconds (default 120: fits a 2-minute cron).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        planned = plan_reminders()
        self.stdout.write(
            f"Planned: {planned.created} new, {planned.voided} voided, {planned.revived} revived."
        )
        sent = send_due_reminders(budget=options["max_seconds"])
        self.stdout.write(
            f"Sent {sent.sent}; {sent.retrying} to retry, {sent.failed} failed, "
            f"{sent.superseded} replaced by a later reminder, {sent.voided} no longer wanted, "
            f"{sent.released} released from a stopped sender."
        )
        if sent.circuit in ("opened", "held"):
            self.stdout.write(
                "The mail server refuses mail: everything waits for it, and is sent once it "
                "accepts again."
            )
        if sent.more:
            self.stdout.write("Some emails are still due: they go out with the next run.")
        for problem in sent.errors:
            self.stderr.write(problem)
