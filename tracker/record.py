"""Load a negotiation record (such as fixtures/india_us.json) idempotently.

The record is plain JSON written from the sources; loading it twice changes nothing
the second time. Writes go through tracker.services, as they would from the admin or
the API, and the audit log names the loader as their interface.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.db import models, transaction

from tracker import audit, services
from tracker.models import (
    Discrepancy,
    Milestone,
    Negotiation,
    Observation,
    Party,
    Series,
    Source,
    Target,
    Track,
)


@dataclass
class LoadResult:
    created: int = 0
    updated: int = 0
    unchanged: int = 0

    def __str__(self) -> str:
        return f"{self.created} created, {self.updated} updated, {self.unchanged} unchanged"


def _date(value: str | None) -> dt.date | None:
    return dt.date.fromisoformat(value) if value else None


class _Loader:
    def __init__(self, reference: dt.date) -> None:
        self.reference = reference
        self.result = LoadResult()
        self.sources: dict[str, Source] = {}

    def upsert(
        self,
        model: type[models.Model],
        lookup: dict[str, Any],
        values: dict[str, Any],
        relations: dict[str, list[Any]] | None = None,
    ) -> Any:
        relations = relations or {}
        instance = model._default_manager.filter(**lookup).first()
        if instance is None:
            instance = model(**lookup, **values)
            self.result.created += 1
            return services.record_save(record=instance, **relations)
        changed = [name for name, value in values.items() if getattr(instance, name) != value]
        for name in changed:
            setattr(instance, name, values[name])
        moved = {
            name: related
            for name, related in relations.items()
            if set(getattr(instance, name).values_list("pk", flat=True)) != {r.pk for r in related}
        }
        if changed or moved:
            self.result.updated += 1
            return services.record_save(record=instance, **moved)
        self.result.unchanged += 1
        return instance

    def deadline_fields(self, text: str | None, negotiation: Negotiation) -> dict[str, Any]:
        if not text:
            return {
                "deadline_text": "",
                "deadline_earliest": None,
                "deadline_latest": None,
                "deadline_precision": "",
                "deadline_said_on": None,
            }
        deadline = services.read_deadline(text, negotiation=negotiation, reference=self.reference)
        return {
            "deadline_text": deadline.text,
            "deadline_earliest": deadline.earliest,
            "deadline_latest": deadline.latest,
            "deadline_precision": deadline.precision.value,
            "deadline_said_on": deadline.said_on,
        }

    def cite(self, keys: list[str]) -> list[Source]:
        return [self.sources[key] for key in keys]

    def load(self, data: dict[str, Any]) -> LoadResult:
        parties = {
            p["code"]: self.upsert(
                Party,
                {"code": p["code"]},
                {"name": p["name"], "fiscal_year_start": p.get("fiscal_year_start")},
            )
            for p in data.get("parties", [])
        }
        articles = {a["key"]: a for a in data.get("articles", [])}
        for s in data.get("sources", []):
            article = articles[s["article"]]
            self.sources[s["key"]] = self.upsert(
                Source,
                {"slug": s["key"]},
                {
                    "title": article["title"],
                    "publisher": article.get("publisher", ""),
                    "url": article.get("url", ""),
                    "published_on": _date(article.get("published_on")),
                    "published_by": _date(article.get("published_by")),
                    "excerpt": s["excerpt"],
                },
            )
        for n in data.get("negotiations", []):
            self.load_negotiation(n, parties)
        return self.result

    def load_negotiation(self, n: dict[str, Any], parties: dict[str, Party]) -> None:
        negotiation = self.upsert(
            Negotiation,
            {"slug": n["slug"]},
            {
                "name": n["name"],
                "stage": n.get("stage", "negotiating"),
                "summary": n.get("summary", ""),
            },
            {
                "parties": [parties[code] for code in n.get("parties", [])],
                "sources": self.cite(n.get("sources", [])),
            },
        )
        milestones: dict[str, Milestone] = {}
        wanted_dependencies: list[tuple[Milestone, list[str]]] = []
        for position, t in enumerate(n.get("tracks", [])):
            track = self.upsert(
                Track,
                {"negotiation": negotiation, "slug": t["slug"]},
                {
                    "name": t["name"],
                    "summary": t.get("summary", ""),
                    "position": position,
                    "ongoing": t.get("ongoing", False),
                    **self.deadline_fields(t.get("deadline"), negotiation),
                },
                {"sources": self.cite(t.get("sources", []))},
            )
            for m in t.get("milestones", []):
                milestone = self.load_milestone(m, track)
                milestones[m["slug"]] = milestone
                wanted_dependencies.append((milestone, m.get("depends_on", [])))
            for g in t.get("targets", []):
                self.load_target(g, negotiation, track)
        for g in n.get("targets", []):
            self.load_target(g, negotiation, None)
        for milestone, slugs in wanted_dependencies:
            wanted = [milestones[s] for s in slugs]
            current = set(milestone.depends_on.values_list("pk", flat=True))
            if current != {m.pk for m in wanted}:
                services.milestone_set_dependencies(milestone=milestone, depends_on=wanted)

    def load_milestone(self, m: dict[str, Any], track: Track) -> Milestone:
        # The citation that announced the deadline: the first revision carries it, so the
        # deadline's history starts on the day a source said it, not the day it was loaded.
        announced_by = self.sources.get(m.get("deadline_source", ""))
        lookup = {"track": track, "slug": m["slug"]}
        values = {
            "title": m["title"],
            "kind": m.get("kind", "deadline"),
            "state": m.get("state", "planned"),
            "completed_on": _date(m.get("completed_on")),
            "completed_precision": m.get("completed_precision", ""),
            "weight": m.get("weight", 1),
            "consequence": m.get("consequence", ""),
            **self.deadline_fields(m.get("deadline"), track.negotiation),
        }
        sources = self.cite(m.get("sources", []))
        if not Milestone.objects.filter(**lookup).exists():
            self.result.created += 1
            milestone: Milestone = services.milestone_save(
                milestone=Milestone(**lookup, **values), source=announced_by, sources=sources
            )
            self.load_discrepancies(m.get("sources_differ", []), milestone)
            return milestone
        milestone = self.upsert(Milestone, lookup, values, {"sources": sources})
        if announced_by is not None and services.milestone_cite_announcement(
            milestone=milestone, source=announced_by
        ):
            self.result.updated += 1
        self.load_discrepancies(m.get("sources_differ", []), milestone)
        return milestone

    def load_discrepancies(self, wanted: list[dict[str, Any]], milestone: Milestone) -> None:
        """Where the sources disagree, as the record says; others of this milestone go."""
        summaries = [d["summary"] for d in wanted]
        stale = [d for d in milestone.discrepancies.all() if d.summary not in summaries]
        if stale:
            services.records_delete(records=stale)
            self.result.updated += len(stale)
        for d in wanted:
            self.upsert(
                Discrepancy,
                {"milestone": milestone, "summary": d["summary"]},
                {},
                {"sources": self.cite(d["sources"])},
            )

    def load_target(self, g: dict[str, Any], negotiation: Negotiation, track: Track | None) -> None:
        target = self.upsert(
            Target,
            {"negotiation": negotiation, "slug": g["slug"]},
            {
                "track": track,
                "name": g["name"],
                "unit": g["unit"],
                "baseline_value": _decimal(g["baseline_value"]),
                "baseline_date": _date(g["baseline_date"]),
                "target_value": _decimal(g["target_value"]),
                "growth": g.get("growth", "compound"),
                "baseline_period_start": _date(g.get("baseline_period_start")),
                "baseline_period_end": _date(g.get("baseline_period_end")),
                "baseline_approximate": g.get("baseline_approximate", False),
                "primary_series": self.series(g.get("primary_series")),
                **self.deadline_fields(g["deadline"], negotiation),
            },
            {"sources": self.cite(g.get("sources", []))},
        )
        for o in g.get("observations", []):
            self.upsert(
                Observation,
                {
                    "target": target,
                    "series": self.series(o["series"]),
                    "period_start": _date(o["period_start"]),
                    "period_end": _date(o["period_end"]),
                },
                {
                    "value": _decimal(o["value"]),
                    "approximate": o.get("approximate", False),
                    "source": self.sources.get(o.get("source", "")),
                },
            )

    def series(self, name: str | None) -> Series | None:
        if not name:
            return None
        found: Series | None = Series.objects.filter(name=name).first()
        return found or self.upsert(Series, {"name": name}, {})


def _decimal(value: Any) -> Any:
    from decimal import Decimal

    return Decimal(str(value))


def load_record(path: Path, *, reference: dt.date | None = None) -> LoadResult:
    data = json.loads(Path(path).read_text(encoding="utf-8"))
    reference = reference or _date(data.get("reference_date")) or dt.date(2025, 5, 26)
    # One transaction: statuses are refreshed once, after it commits.
    with transaction.atomic(), audit.through(audit.Interface.LOADER):
        return _Loader(reference).load(data)
