from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from tracker.refresh import refresh_statuses
from tracker.reminders.alerts import send_health_alerts


class Command(BaseCommand):
    help = "Recompute every stored status for today (or --date). Writes only what changes."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--date", type=dt.date.fromisoformat, help="As of YYYY-MM-DD.")
        parser.add_argument(
            "--everything",
            action="store_true",
            help="Judge every row, not only those the day can have changed (after an "
            "upgrade that rewords reasons, or data loaded around the write services).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        result = refresh_statuses(today=options["date"], everything=options["everything"])
        self.stdout.write(
            f"Status refreshed: {result.milestones} milestones, {result.targets} targets, "
            f"{result.tracks} tracks, {result.negotiations} negotiations changed; "
            f"{len(result.changes)} transitions recorded."
        )
        alerts = send_health_alerts()
        self.stdout.write(f"Health alerts: {alerts.alerts} ({alerts.emails} emails).")
