"""Write a negotiation as a record file: what tracker.record loads back into the same rows.

The format is docs/record-format.md. Every stored field of the record's models is either
carried (CARRIED), recomputed after loading (each model's DERIVED_FIELDS), or deliberately
left out for a stated reason (NOT_CARRIED); tests/services/test_record_round_trip.py fails when a
model grows a field that is in none of them.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from decimal import Decimal
from typing import Any

from django.db import models
from django.utils.text import slugify

from tracker.models import (
    Article,
    DeadlineRevision,
    Discrepancy,
    Milestone,
    Negotiation,
    Observation,
    Party,
    Scheduled,
    Series,
    Source,
    Target,
    Track,
)
from tracker.record import FORMAT, VERSION, RecordRefused, check_record

WINDOW = ("text", "earliest", "latest", "precision", "said_on")
DEADLINE = frozenset(f"deadline_{part}" for part in WINDOW)
REVISION_SIDES = frozenset(f"{side}_{part}" for side in ("previous", "new") for part in WINDOW)

# The stored fields a record file carries, per model.
CARRIED: dict[type[models.Model], frozenset[str]] = {
    Party: frozenset({"code", "name", "fiscal_year_start"}),
    Article: frozenset(
        {"title", "publisher", "url", "published_on", "published_by", "language", "text"}
    ),
    Source: frozenset(
        {
            "slug",
            "article",
            "start",
            "end",
            "title",
            "publisher",
            "url",
            "published_on",
            "published_by",
            "excerpt",
        }
    ),
    Negotiation: frozenset({"slug", "name", "parties", "stage", "summary", "sources"}),
    Track: frozenset(
        {"negotiation", "slug", "name", "summary", "party", "position", "ongoing", "sources"}
    )
    | DEADLINE,
    Milestone: frozenset(
        {
            "track",
            "slug",
            "title",
            "aliases",
            "kind",
            "state",
            "completed_on",
            "completed_precision",
            "weight",
            "fiscal_year_start",
            "depends_on",
            "consequence",
            "sources",
        }
    )
    | DEADLINE,
    Discrepancy: frozenset({"milestone", "summary", "sources"}),
    DeadlineRevision: frozenset({"milestone", "changed_at", "reason", "source"}) | REVISION_SIDES,
    Target: frozenset(
        {
            "negotiation",
            "track",
            "slug",
            "name",
            "aliases",
            "unit",
            "baseline_value",
            "baseline_date",
            "baseline_period_start",
            "baseline_period_end",
            "baseline_approximate",
            "target_value",
            "growth",
            "primary_series",
            "sources",
        }
    )
    | DEADLINE,
    Series: frozenset({"name"}),
    Observation: frozenset(
        {"target", "series", "period_start", "period_end", "value", "approximate", "source", "note"}
    ),
}

_TIMESTAMP = "when the row was written in this installation"
_ACCOUNT = "a user account of this installation, which another need not have"
_VERSION = "how many writes the row has had in this installation (ETag, If-Match)"

# The stored fields a record file leaves out, and why (derived fields are recomputed).
_ARCHIVED = "archived items are left out of a record; one that is exported is live"
NOT_CARRIED: dict[type[models.Model], dict[str, str]] = {
    Party: {"version": _VERSION},
    Article: {
        "created_at": _TIMESTAMP,
        "created_by": _ACCOUNT,
        "translation": "a reader's aid typed on this site, not a source: a record file "
        "carries what each article said, in its own language (a later format may carry it)",
    },
    Source: {"version": _VERSION},
    Negotiation: {
        "version": _VERSION,
        "created_at": _TIMESTAMP,
        "updated_at": _TIMESTAMP,
        "archived_at": _ARCHIVED,
        "archived_by": _ARCHIVED,
    },
    Track: {
        "version": _VERSION,
        "owner": _ACCOUNT,
        "created_at": _TIMESTAMP,
        "updated_at": _TIMESTAMP,
        "archived_at": _ARCHIVED,
        "archived_by": _ARCHIVED,
    },
    Milestone: {"created_at": _TIMESTAMP, "updated_at": _TIMESTAMP, "version": _VERSION},
    Discrepancy: {},
    DeadlineRevision: {"changed_by": _ACCOUNT},
    Target: {"created_at": _TIMESTAMP, "updated_at": _TIMESTAMP, "version": _VERSION},
    Series: {},
    Observation: {
        "version": _VERSION,
        "recorded_at": "when the figure was entered here: a loaded figure is news when loaded",
    },
}


def _day(value: Any) -> str | None:
    return value.isoformat() if value is not None else None


def figure(value: Decimal) -> int | float | str:
    """A decimal as a JSON number where one holds it exactly, else as a string."""
    normal = Decimal(value).normalize()
    if normal == normal.to_integral_value():
        return int(normal)
    as_float = float(normal)
    return as_float if Decimal(repr(as_float)) == normal else f"{normal:f}"


def _window(row: models.Model, prefix: str) -> dict[str, Any]:
    """A deadline as stored, from the fields `prefix`text, `prefix`earliest, …"""
    values = {part: getattr(row, f"{prefix}{part}") for part in WINDOW}
    return {part: _day(v) if isinstance(v, date) else v for part, v in values.items()}


def _deadline(row: Scheduled) -> dict[str, Any] | None:
    return _window(row, "deadline_") if row.deadline_latest is not None else None


def _side(revision: DeadlineRevision, side: str) -> dict[str, Any] | None:
    values = _window(revision, f"{side}_")
    return values if any(values.values()) else None


def _series(series: Series | None) -> str | None:
    return series.name if series is not None else None


def _slugs(rows: Iterable[Source]) -> list[str]:
    return sorted(s.slug for s in rows)


class _Exporter:
    def __init__(self, negotiation: Negotiation) -> None:
        self.negotiation = negotiation
        self.cited: dict[int, Source] = {}

    def cite(self, rows: Iterable[Source]) -> list[str]:
        rows = list(rows)
        self.cited.update((s.pk, s) for s in rows)
        return _slugs(rows)

    def cite_one(self, source: Source | None) -> str | None:
        return self.cite([source])[0] if source is not None else None

    def record(self) -> dict[str, Any]:
        n = self.negotiation
        self.parties = [
            link.party
            for link in Negotiation.parties.through.objects.filter(negotiation=n)
            .select_related("party")
            .order_by("pk")
        ]
        milestones = list(
            Milestone.objects.filter(track__negotiation=n)
            .select_related("track")
            .prefetch_related("sources", "depends_on__track", "discrepancies__sources")
            .prefetch_related("revisions__source")
            .order_by("deadline_latest", "title", "slug", "pk")
        )
        slug_count: dict[str, int] = {}
        for m in milestones:
            slug_count[m.slug] = slug_count.get(m.slug, 0) + 1
        self.names = {
            m.pk: m.slug if slug_count[m.slug] == 1 else f"{m.track.slug}/{m.slug}"
            for m in milestones
        }
        targets = list(
            # Archived tracks (and their targets) are left out of the record.
            n.targets.exclude(track__archived_at__isnull=False)
            .select_related("primary_series")
            .prefetch_related("sources", "observations__source", "observations__series")
            .order_by("slug")
        )
        tracks = []
        live_tracks = n.tracks.filter(archived_at__isnull=True)
        tracks_in_order = live_tracks.select_related("party").prefetch_related("sources")
        for track in tracks_in_order.order_by("position", "name", "slug"):
            tracks.append(
                {
                    "slug": track.slug,
                    "name": track.name,
                    "summary": track.summary,
                    "position": track.position,
                    "ongoing": track.ongoing,
                    "deadline": _deadline(track),
                    # Only when chosen: a file without it stays readable by older loaders.
                    **({"party": track.party.code} if track.party else {}),
                    "sources": self.cite(track.sources.all()),
                    "milestones": [self.milestone(m) for m in milestones if m.track_id == track.pk],
                    "targets": [self.target(g) for g in targets if g.track_id == track.pk],
                }
            )
        negotiation = {
            "slug": n.slug,
            "name": n.name,
            # In the order they were linked (it decides no fiscal year: tracks' parties do).
            "parties": [p.code for p in self.parties],
            "stage": n.stage,
            "summary": n.summary,
            "sources": self.cite(n.sources.all()),
            "tracks": tracks,
            "targets": [self.target(g) for g in targets if g.track_id is None],
        }
        articles, sources = self.articles_and_sources()
        return {
            "format": FORMAT,
            "version": VERSION,
            "parties": [
                {"code": p.code, "name": p.name, "fiscal_year_start": p.fiscal_year_start}
                for p in sorted(self.parties, key=lambda p: p.code)
            ],
            "articles": articles,
            "sources": sources,
            "negotiations": [negotiation],
        }

    def milestone(self, m: Milestone) -> dict[str, Any]:
        revisions = list(m.revisions.all())  # ordered by changed_at, id
        first = revisions[0] if revisions else None
        row: dict[str, Any] = {
            "slug": m.slug,
            "title": m.title,
            "aliases": list(m.aliases or []),
            "kind": m.kind,
            "deadline": _deadline(m),
            "state": m.state,
            "completed_on": _day(m.completed_on),
            "completed_precision": m.completed_precision,
            "weight": figure(m.weight),
            "consequence": m.consequence,
            # Dependencies on milestones of other negotiations cannot be named in this file.
            "depends_on": sorted(
                self.names[d.pk] for d in m.depends_on.all() if d.pk in self.names
            ),
            "sources": self.cite(m.sources.all()),
        }
        if m.fiscal_year_start is not None:
            row["fiscal_year_start"] = m.fiscal_year_start
        if first is not None and first.previous_latest is None and first.source is not None:
            row["deadline_source"] = self.cite_one(first.source)
        row["sources_differ"] = [
            {"summary": d.summary, "sources": self.cite(d.sources.all())}
            for d in m.discrepancies.all()
        ]
        row["revisions"] = [
            {
                "changed_at": r.changed_at.isoformat(),
                "previous": _side(r, "previous"),
                "new": _side(r, "new"),
                "reason": r.reason,
                "source": self.cite_one(r.source),
            }
            for r in revisions
        ]
        return row

    def target(self, g: Target) -> dict[str, Any]:
        return {
            "slug": g.slug,
            "name": g.name,
            "aliases": list(g.aliases or []),
            "unit": g.unit,
            "baseline_value": figure(g.baseline_value),
            "baseline_date": _day(g.baseline_date),
            "baseline_period_start": _day(g.baseline_period_start),
            "baseline_period_end": _day(g.baseline_period_end),
            "baseline_approximate": g.baseline_approximate,
            "target_value": figure(g.target_value),
            "deadline": _deadline(g),
            "growth": g.growth,
            "primary_series": _series(g.primary_series),
            "sources": self.cite(g.sources.all()),
            "observations": [
                {
                    "series": o.series.name,
                    "period_start": _day(o.period_start),
                    "period_end": _day(o.period_end),
                    "value": figure(o.value),
                    "approximate": o.approximate,
                    "source": self.cite_one(o.source),
                    "note": o.note,
                }
                for o in sorted(
                    g.observations.all(),
                    key=lambda o: (o.period_end, o.period_start, o.series.name),
                )
            ],
        }

    def articles_and_sources(self) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
        """Quotes of one article share it (with its text and their spans); older sources
        with no article share one made of what they repeat (title, publisher, URL, dates)."""
        stored = Article.objects.in_bulk(
            {s.article_id for s in self.cited.values() if s.article_id is not None}
        )
        by_article: dict[tuple[Any, ...], list[Source]] = {}
        for source in sorted(self.cited.values(), key=lambda s: s.slug):
            about = (
                source.title,
                source.publisher,
                source.url,
                _day(source.published_on),
                _day(source.published_by),
                source.article_id or 0,
            )
            by_article.setdefault(about, []).append(source)
        articles, sources, keys = [], [], set()
        for about in sorted(by_article, key=lambda a: (*(v or "" for v in a[:5]), a[5])):
            title, publisher, url, published_on, published_by, article_id = about
            key = base = slugify(title)[:80] or "article"
            number = 1
            while key in keys:
                number += 1
                key = f"{base}-{number}"
            keys.add(key)
            article: dict[str, Any] = {
                "key": key,
                "title": title,
                "publisher": publisher,
                "url": url,
                "published_on": published_on,
                "published_by": published_by,
            }
            row = stored.get(article_id)
            if row is not None:
                article["language"] = row.language
                if row.text:
                    article["text"] = row.text
            articles.append(article)
            for s in by_article[about]:
                quote: dict[str, Any] = {"key": s.slug, "article": key, "excerpt": s.excerpt}
                if row is not None and row.text and s.start is not None and s.end is not None:
                    quote |= {"start": s.start, "end": s.end}
                sources.append(quote)
        sources.sort(key=lambda s: s["key"])
        return articles, sources


def export_record(negotiation: Negotiation) -> dict[str, Any]:
    """The record file of `negotiation`, checked against the schema it promises."""
    data = _Exporter(negotiation).record()
    problems = check_record(data)
    if problems:  # a defect of this module, never of the data
        raise RecordRefused(problems)
    return data
