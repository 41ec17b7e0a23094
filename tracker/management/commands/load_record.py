from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

import tracker
from tracker.record import RecordRefused, load_record_data, read_record

# Shipped inside the package, so it is found from a checkout and from an installed wheel alike.
INDIA_US_RECORD = Path(tracker.__file__).resolve().parent / "fixtures" / "india_us.json"


class Command(BaseCommand):
    help = (
        "Load a negotiation record (default: the India–US record). Safe to run again. "
        "A file with problems is refused whole, each problem at its JSON path."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("path", nargs="?", default=str(INDIA_US_RECORD))
        parser.add_argument(
            "--dry-run",
            action="store_true",
            help="Say what loading would create and update, and write nothing.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            result = load_record_data(
                read_record(Path(options["path"])), dry_run=options["dry_run"]
            )
        except RecordRefused as refused:
            lines = [f"  {problem}" for problem in refused.problems]
            raise CommandError(
                f"Refused {options['path']}, nothing was written:\n" + "\n".join(lines)
            ) from None
        if options["dry_run"]:
            for touched in result.touched:
                self.stdout.write(f"  would have {touched}")
            self.stdout.write(f"Dry run of {options['path']}: {result}; nothing was written.")
        else:
            self.stdout.write(f"Loaded {options['path']}: {result}.")
