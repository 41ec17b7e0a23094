from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.utils import timezone

from tracker import deadline_record
from tracker.services.outlook import outlook_scores_store


class Command(BaseCommand):
    help = (
        "Back-test the deadline outlook on the record's own history and store its Brier "
        "score, for the whole record and for each negotiation (pages show the newest)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--date", type=dt.date.fromisoformat, help="As of YYYY-MM-DD.")

    def handle(self, *args: Any, **options: Any) -> None:
        today = options["date"] or timezone.localdate()
        scores = deadline_record.backtest_scores(today)
        outlook_scores_store(scores=scores, on=today)
        _, brier, count = scores[0]
        said = f"{float(brier):.4f}" if brier is not None else "none (nothing to score)"
        self.stdout.write(
            f"Outlook back-test as of {today}: Brier score {said} over {count} forecasts."
        )
