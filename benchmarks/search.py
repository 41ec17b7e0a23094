"""Benchmark: the site search over 10,000 milestones and 50,000 quotes, beside a plain index
lookup of the same rows.

    DATABASE_URL=postgres://… python benchmarks/search.py [--milestones 10000]
        [--quotes 50000] [--repeat 25]

Builds the portfolio (benchmarks/portfolio.py: revisions, dependencies, refreshed
statuses), one target per negotiation, and `--quotes` quotes of ordinary trade words linked
to milestones, in a throwaway database. For each query (a rare word, a common word, two
words, a phrase, a word and a negation) it times `search()` (tracker.dashboard.search: the
index read, ranking of the first matches, the rows and their hits) alternated run by run
with the baseline: for each of the four tables, the ids of the first 21 rows that match,
read straight from the stored document's GIN index by one SQL statement, with no ranking
and no rows built. Each figure is the median (and p95) of --repeat alternated runs. The
machine is shared: the ratio is the figure to trust.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import portfolio  # siblings: the script's own folder is on sys.path
from measure import report
from throwaway import in_throwaway_database

WORDS = [
    *("tariff", "quota", "ministers", "agreed", "tranche", "customs", "steel", "aluminium"),
    *("dairy", "services", "procurement", "investment", "digital", "labour", "origin"),
    *("sanitary", "textiles", "pharmaceuticals", "negotiators", "schedule", "review", "market"),
    *("access", "automobiles", "wine", "spirits", "fisheries", "subsidies", "visa", "data"),
]
QUERIES = {
    "a rare word": "ratification",
    "a common word": "tariff",
    "two words": "steel quota",
    "a phrase": '"market access"',
    "a word, not another": "dairy -subsidies",
}
TABLES = ("tracker_negotiation", "tracker_track", "tracker_milestone", "tracker_source")


def phrase(n: int, length: int) -> str:
    return " ".join(WORDS[(n * 7 + i * (n % 11 + 1)) % len(WORDS)] for i in range(length))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--milestones", type=int, default=10_000)
    parser.add_argument("--quotes", type=int, default=50_000)
    parser.add_argument("--repeat", type=int, default=25)
    args = parser.parse_args()
    in_throwaway_database(lambda: run(args))


def build(milestones: int, quotes: int) -> None:
    from decimal import Decimal

    from django.db import connection

    from tracker.models import Milestone, Negotiation, Source, Target

    print(portfolio.build(milestones=milestones, revisions=milestones * 6 // 5), flush=True)
    Target.objects.bulk_create(
        Target(
            negotiation=n,
            slug="bilateral-trade",
            name=f"Bilateral trade of {n.name}",
            unit="USD billion",
            baseline_value=Decimal(190),
            baseline_date=dt.date(2025, 5, 26),
            target_value=Decimal(500),
            deadline_text="2030",
            deadline_earliest=dt.date(2030, 1, 1),
            deadline_latest=dt.date(2030, 12, 31),
            deadline_precision="year",
        )
        for n in Negotiation.objects.all()
    )
    ids = list(Milestone.objects.values_list("id", flat=True))
    with connection.cursor() as cursor:
        # Titles and consequences in trade words, not "Milestone 12 of negotiation 3".
        cursor.execute(
            "UPDATE tracker_milestone SET consequence = %s || ' ' || id",
            [phrase(3, 12)],
        )
    Milestone.objects.filter(id=ids[len(ids) // 2]).update(title="Ratification of the treaty")
    began = time.perf_counter()
    made = Source.objects.bulk_create(
        (
            Source(
                slug=f"quote-{n}",
                title=f"{phrase(n, 4).capitalize()} statement",
                publisher=("Ministry of Commerce", "USTR", "Reuters", "PIB")[n % 4],
                excerpt=phrase(n, 40),
                published_on=dt.date(2024, 1, 1) + dt.timedelta(days=n % 1000),
            )
            for n in range(quotes)
        ),
        batch_size=5000,
    )
    Source.objects.create(
        slug="ratified", title="Parliament", excerpt="Ratification is due in the spring."
    )
    Milestone.sources.through.objects.bulk_create(
        (
            Milestone.sources.through(milestone_id=ids[i % len(ids)], source_id=s.pk)
            for i, s in enumerate(made)
        ),
        batch_size=5000,
    )
    with connection.cursor() as cursor:
        for table in (*TABLES, "tracker_milestone_sources"):
            cursor.execute(f"VACUUM ANALYZE {table}")
    print(f"{quotes:,} quotes built in {time.perf_counter() - began:.1f} s", flush=True)


def baseline(query: str) -> None:
    """The first 21 matching ids of each table, straight from its GIN index."""
    from django.db import connection

    with connection.cursor() as cursor:
        for table in TABLES:
            cursor.execute(
                f"SELECT id FROM {table} WHERE search_document @@ "
                "websearch_to_tsquery('english', %s) LIMIT 21",
                [query],
            )
            cursor.fetchall()


def run(args: argparse.Namespace) -> None:
    from django.db import connection

    from tracker.dashboard.search import search

    if connection.vendor != "postgresql":
        sys.exit("The search benchmark measures PostgreSQL's full-text index: set DATABASE_URL.")
    connection.ensure_connection()
    # The throwaway database is created without autocommit quirks; VACUUM needs autocommit.
    build(args.milestones, args.quotes)
    print(
        f"{dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC, load {os.getloadavg()[0]:.1f} "
        f"on {os.cpu_count()} cores; median (p95) of {args.repeat} alternated runs",
        flush=True,
    )
    every: list[float] = []
    for label, query in QUERIES.items():
        page = search(query)
        found = ", ".join(f"{g.kind} {len(g.hits)}{'+' if g.more else ''}" for g in page.groups)
        subject, plain = [], []
        for _ in range(args.repeat):
            began = time.perf_counter()
            search(query)
            subject.append((time.perf_counter() - began) * 1000)
            began = time.perf_counter()
            baseline(query)
            plain.append((time.perf_counter() - began) * 1000)
        every += subject
        p95 = statistics.quantiles(subject, n=20)[-1]
        report(
            f"search {label} ({found or 'nothing'})",
            statistics.median(subject),
            baseline=statistics.median(plain),
            goal=f"p95 {p95:.1f} ms ≤ 100 ms",
        )
    print(f"every query: p95 {statistics.quantiles(every, n=20)[-1]:.1f} ms (goal ≤ 100 ms)")


if __name__ == "__main__":
    main()
