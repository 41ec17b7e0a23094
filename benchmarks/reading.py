"""Benchmark: proposals for a 20,000-character article against a realistic record.

    python benchmarks/reading.py

The article is the three source articles (docs/sources/) repeated with their dates and
figures varied until it holds 20,000 characters; the candidates are the India–US record's
milestones and targets plus 200 generated milestones. Prints the median of 7 runs after a
warm-up (the first run loads dateparser's language data), beside the machine's load
average and CPU time. Pure: no database. It prints; it asserts nothing.
"""

from __future__ import annotations

import os
import random
import sys
import time
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

from measure import median_ms, report  # noqa: E402 (siblings: the script's folder is on sys.path)

from tracker.deadlines import parse_deadline  # noqa: E402
from tracker.reading import ArticleFacts, Candidate, propose  # noqa: E402
from tracker.reading.phrases import _search_dates  # noqa: E402

ARTICLE_CHARS = 20_000
GENERATED = 200
SAID_ON = date(2025, 5, 26)
_MONTHS = ("January", "March", "June", "September", "November")
_STATES = ("signed", "concluded", "in force")
_SUBJECTS = (
    "customs cooperation", "digital trade chapter", "pharmaceutical standards", "steel safeguard",
    "dairy market access", "semiconductor supply chain", "critical minerals", "visa facilitation",
    "services mutual recognition", "investment protection", "textile rules of origin",
)  # fmt: skip


def article() -> str:
    sources = sorted((ROOT / "docs" / "sources").glob("*.txt"))
    texts = [path.read_text(encoding="utf-8") for path in sources]
    chunks: list[str] = []
    year = 2025
    while sum(len(chunk) for chunk in chunks) < ARTICLE_CHARS:
        for text in texts:
            varied = text.replace("July 8", f"July {8 + year % 20}").replace("2030", str(year + 5))
            chunks.append(varied.replace("$190 billion", f"${190 + year % 50} billion"))
            year += 1
    return "\n".join(chunks)[:ARTICLE_CHARS]


def candidates() -> list[Candidate]:
    from test_reading_sources import record_candidates

    found: list[Candidate] = record_candidates()
    chance = random.Random(19)
    for number in range(GENERATED):
        subject = chance.choice(_SUBJECTS)
        when = f"{chance.choice(_MONTHS)} {chance.randint(2025, 2030)}"
        found.append(
            Candidate(
                kind="milestone",
                id=5000 + number,
                negotiation=f"negotiation-{number % 12}",
                title=f"Agreement on {subject} {chance.choice(_STATES)}",
                aliases=(f"{subject} deal",),
                deadline=parse_deadline(when),
                last_confirmed_on=SAID_ON,
            )
        )
    return found


def main() -> None:
    text, pool = article(), candidates()
    facts = ArticleFacts(text=text, published_on=SAID_ON)
    proposals = propose(facts, pool)
    print(
        f"article {len(text):,} characters, {len(pool)} candidates, {len(proposals)} proposals; "
        f"load average {' '.join(f'{load:.2f}' for load in os.getloadavg())} "
        f"on {os.cpu_count()} cores",
        flush=True,
    )

    def run() -> None:
        # Every run reads the article afresh: no dateparser answer is kept from the last one.
        _search_dates.cache_clear()
        propose(facts, pool)

    cpu_before = time.process_time()
    figure = median_ms(run, repeat=7)
    cpu_per_run = (time.process_time() - cpu_before) / 8 * 1000
    report("proposals for a 20,000-character article", figure, goal="< 2000 ms")
    report("  CPU time per run (mean, incl. warm-up)", cpu_per_run)
    print(f"load average after: {' '.join(f'{load:.2f}' for load in os.getloadavg())}", flush=True)


if __name__ == "__main__":
    main()
