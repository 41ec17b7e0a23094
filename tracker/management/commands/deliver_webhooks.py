from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from tracker.webhooks.delivery import deliver_due_webhooks


class Command(BaseCommand):
    help = (
        "POST the webhook deliveries that are due, as the Celery job does. Safe to run at "
        "any time, beside the worker too: rows are claimed under a lease. Each run stops "
        "claiming after --max-seconds and says whether some are still due."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--max-seconds",
            type=float,
            default=120.0,
            help="Stop claiming after this many seconds (default 120: fits a 2-minute cron).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        run = deliver_due_webhooks(budget=options["max_seconds"])
        self.stdout.write(
            f"Delivered {run.delivered}; {run.retrying} to retry, {run.failed} failed, "
            f"{run.released} released from a stopped sender, {run.disabled} endpoint(s) disabled."
        )
        if run.more:
            self.stdout.write("Some deliveries are still due: they go out with the next run.")
