from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

import tracker
from tracker.record import load_record

# Shipped inside the package, so it is found from a checkout and from an installed wheel alike.
INDIA_US_RECORD = Path(tracker.__file__).resolve().parent / "fixtures" / "india_us.json"


class Command(BaseCommand):
    help = "Load a negotiation record (default: the India–US record). Safe to run again."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("path", nargs="?", default=str(INDIA_US_RECORD))

    def handle(self, *args: Any, **options: Any) -> None:
        result = load_record(Path(options["path"]))
        self.stdout.write(f"Loaded {options['path']}: {result}.")
