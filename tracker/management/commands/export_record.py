from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from tracker.models import Negotiation
from tracker.record_export import export_record


class Command(BaseCommand):
    help = (
        "Write a negotiation as a record file (docs/record-format.md) that load_record "
        "reads back: to standard output, or to the file given with -o."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("negotiation", help="The negotiation's slug, e.g. india-us-bta.")
        parser.add_argument("-o", "--output", help="Write to this file instead.")

    def handle(self, *args: Any, **options: Any) -> None:
        negotiation = Negotiation.objects.filter(slug=options["negotiation"]).first()
        if negotiation is None:
            raise CommandError(f"No negotiation with the slug {options['negotiation']!r}.")
        text = json.dumps(export_record(negotiation), indent=2, ensure_ascii=False) + "\n"
        if options["output"]:
            Path(options["output"]).write_text(text, encoding="utf-8")
            self.stderr.write(f"Wrote {negotiation.slug} to {options['output']}.")
        else:
            self.stdout.write(text, ending="")
