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

    def handle(self, *args: Any, **options: Any) -> None:
        result = refresh_statuses(today=options["date"])
        self.stdout.write(
            f"Status refreshed: {result.milestones} milestones, {result.targets} targets, "
            f"{result.tracks} tracks, {result.negotiations} negotiations changed; "
            f"{len(result.changes)} transitions recorded."
        )
        alerts = send_health_alerts()
        self.stdout.write(f"Health alerts: {alerts.alerts} ({alerts.emails} emails).")
