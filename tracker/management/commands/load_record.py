from __future__ import annotations

from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser

from tracker.record import load_record

DEFAULT_RECORD = Path(settings.BASE_DIR) / "fixtures" / "india_us.json"


class Command(BaseCommand):
    help = "Load a negotiation record (default: the India–US record). Safe to run again."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("path", nargs="?", default=str(DEFAULT_RECORD))

    def handle(self, *args: Any, **options: Any) -> None:
        result = load_record(Path(options["path"]))
        self.stdout.write(f"Loaded {options['path']}: {result}.")
