"""The data set of the performance benchmarks: a ministry's whole portfolio.

50 negotiations with 10,000 milestones (the largest negotiation has 500), 12,000
deadline revisions and 950 dependencies, deadlines from 2024 to 2031 so that some are
overdue, some near and most ahead, then one refresh so stored statuses are real.
Rows are bulk-inserted: this is a fixture for measuring reads, not a test of the write
services. `build(scale=10)` gives 100,000 milestones for the refresh benchmark.
"""

from __future__ import annotations

import datetime as dt
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from tracker.models import DeadlineRevision, Milestone, Source, Track

START = dt.date(2024, 1, 1)
SPAN_DAYS = 8 * 365
TODAY = dt.date(2026, 12, 2)


@dataclass(frozen=True)
class Portfolio:
    negotiations: int
    milestones: int
    revisions: int
    dependencies: int
    largest_slug: str
    seconds: float

    def __str__(self) -> str:
        return (
            f"{self.negotiations} negotiations, {self.milestones:,} milestones, "
            f"{self.revisions:,} revisions, {self.dependencies:,} dependencies "
            f"(largest: {self.largest_slug}), built in {self.seconds:.1f} s"
        )


def build(
    *,
    negotiations: int = 50,
    milestones: int = 10_000,
    revisions: int = 12_000,
    dependencies: int = 950,
    largest: int = 500,
    tracks_per_negotiation: int = 4,
    refresh: bool = True,
) -> Portfolio:
    from tracker.models import (
        DeadlineRevision,
        Milestone,
        Negotiation,
        Party,
        Source,
        Track,
    )
    from tracker.refresh import refresh_statuses

    began = time.perf_counter()
    # The parties may already be there (the India–US record loaded beside the portfolio).
    india = Party.objects.get_or_create(
        code="IN", defaults={"name": "India", "fiscal_year_start": 4}
    )[0]
    usa = Party.objects.get_or_create(
        code="US", defaults={"name": "United States", "fiscal_year_start": 10}
    )[0]
    sources = Source.objects.bulk_create(
        Source(
            slug=f"source-{n}",
            title=f"Statement {n} on the negotiations",
            excerpt="The parties agreed to conclude the first tranche by autumn.",
            published_on=dt.date(2025, 5, 26),
        )
        for n in range(20)
    )
    rest = milestones - largest
    sizes = [largest] + [
        rest // (negotiations - 1) + (1 if n < rest % (negotiations - 1) else 0)
        for n in range(negotiations - 1)
    ]
    created: list[Milestone] = []
    for n, size in enumerate(sizes):
        negotiation = Negotiation.objects.create(
            slug=f"negotiation-{n}", name=f"Negotiation {n}", summary="A trade negotiation."
        )
        negotiation.parties.set([india, usa])
        tracks = Track.objects.bulk_create(
            Track(negotiation=negotiation, slug=f"track-{t}", name=f"Track {t}")
            for t in range(tracks_per_negotiation)
        )
        created += Milestone.objects.bulk_create(
            _milestone(tracks[m % len(tracks)], n, m, size) for m in range(size)
        )
    DeadlineRevision.objects.bulk_create(
        (_revision(created[(r * 7919) % len(created)], r, sources) for r in range(revisions)),
        batch_size=2000,
    )
    Milestone.sources.through.objects.bulk_create(
        (
            Milestone.sources.through(milestone_id=m.pk, source_id=sources[i % len(sources)].pk)
            for i, m in enumerate(created)
        ),
        batch_size=2000,
    )
    links = _dependencies(created, dependencies)
    Milestone.depends_on.through.objects.bulk_create(
        Milestone.depends_on.through(from_milestone_id=a, to_milestone_id=b) for a, b in links
    )
    if refresh:
        refresh_statuses(today=TODAY)
    return Portfolio(
        negotiations=negotiations,
        milestones=len(created),
        revisions=revisions,
        dependencies=len(links),
        largest_slug="negotiation-0",
        seconds=time.perf_counter() - began,
    )


def _milestone(track: Track, n: int, m: int, size: int) -> Milestone:
    from tracker.models import Milestone

    day = START + dt.timedelta(days=(m * SPAN_DAYS) // max(size, 1) + n % 7)
    by_month = m % 5 == 0
    done = day < TODAY - dt.timedelta(days=120) and m % 3 != 0
    return Milestone(
        track=track,
        slug=f"milestone-{m}",
        title=f"Milestone {m} of negotiation {n}",
        deadline_text=day.strftime("%B %Y") if by_month else day.isoformat(),
        deadline_earliest=day.replace(day=1) if by_month else day,
        deadline_latest=_month_end(day) if by_month else day,
        deadline_precision="month" if by_month else "day",
        deadline_said_on=dt.date(2025, 5, 26),
        state="completed" if done else "planned",
        completed_on=day if done else None,
        consequence="Tariffs rise on both sides." if m % 4 == 0 else "",
        last_confirmed_on=dt.date(2025, 5, 26),
    )


def _month_end(day: dt.date) -> dt.date:
    following = (day.replace(day=28) + dt.timedelta(days=4)).replace(day=1)
    return following - dt.timedelta(days=1)


def _revision(milestone: Milestone, r: int, sources: list[Source]) -> DeadlineRevision:
    from tracker.models import DeadlineRevision

    assert milestone.deadline_earliest is not None
    earlier = milestone.deadline_earliest - dt.timedelta(days=30 + r % 60)
    return DeadlineRevision(
        milestone=milestone,
        previous_text=earlier.isoformat(),
        previous_earliest=earlier,
        previous_latest=earlier,
        previous_precision="day",
        new_text=milestone.deadline_text,
        new_earliest=milestone.deadline_earliest,
        new_latest=milestone.deadline_latest,
        new_precision=milestone.deadline_precision,
        reason="Moved at the ministers' meeting.",
        source=sources[r % len(sources)],
    )


def _dependencies(created: list[Milestone], count: int) -> list[tuple[int, int]]:
    """`count` links, each from a milestone to an earlier one of its own track: no cycles."""
    by_track: dict[int, list[int]] = {}
    for m in created:
        by_track.setdefault(m.track_id, []).append(m.pk)
    links: list[tuple[int, int]] = []
    for ids in by_track.values():
        for i in range(1, len(ids), 3):
            if len(links) == count:
                return links
            links.append((ids[i], ids[i - 1]))
    return links
