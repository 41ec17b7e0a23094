"""Site search over negotiations, tracks, milestones and source excerpts.

On PostgreSQL it is full-text search (stemmed English, ranked, `websearch` syntax: quoted
phrases, `or`, `-word`); elsewhere every word must occur somewhere in the row, ignoring
case. Each kind lists at most PER_KIND rows, so a page costs the same whatever matches.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import reduce
from operator import and_, or_
from typing import Any

from django.contrib.postgres.search import SearchQuery, SearchRank, SearchVector
from django.db import connection
from django.db.models import Prefetch, Q, QuerySet
from django.urls import reverse
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from tracker.models import Milestone, Negotiation, Source, Target, Track

MAX_QUERY_LENGTH = 200
MAX_WORDS = 12
PER_KIND = 20
SNIPPET_CHARS = 180
SEARCH_CONFIG = "english"


@dataclass(frozen=True)
class Hit:
    title: str
    url: str
    # Where it belongs: "India–US Bilateral Trade Agreement — COMPACT defence cooperation".
    context: str
    # Escaped text around the first match, matches wrapped in <mark>.
    snippet: SafeString


@dataclass(frozen=True)
class Group:
    kind: str
    hits: list[Hit]
    # More rows matched than the PER_KIND shown.
    more: bool


@dataclass(frozen=True)
class SearchPage:
    query: str
    groups: list[Group]
    full_text: bool

    @property
    def count(self) -> int:
        return sum(len(g.hits) for g in self.groups)


def words_of(query: str) -> list[str]:
    """The words of a query, without websearch operators, as the fallback matches them."""
    words = [w for w in re.findall(r"\w+", query) if w.lower() != "or"]
    return list(dict.fromkeys(words))[:MAX_WORDS]


def snippet(text: str, words: list[str], width: int = SNIPPET_CHARS) -> SafeString:
    """`width` characters of text around the first word found, each word marked; the text
    is escaped, so only the <mark> tags are markup."""
    text = " ".join(text.split())
    pattern = re.compile("|".join(re.escape(w) for w in words), re.I) if words else None
    first = pattern.search(text) if pattern else None
    start = max(0, first.start() - width // 3) if first else 0
    if start:
        # Start on a word boundary, not inside a word.
        space = text.find(" ", start)
        start = space + 1 if 0 <= space < (first.start() if first else len(text)) else start
    window = text[start : start + width]
    parts: list[str] = ["…" if start else ""]
    cursor = 0
    for match in pattern.finditer(window) if pattern else ():
        parts += [escape(window[cursor : match.start()]), f"<mark>{escape(match.group())}</mark>"]
        cursor = match.end()
    parts.append(escape(window[cursor:]))
    if start + width < len(text):
        parts.append("…")
    return mark_safe("".join(parts))  # every piece of text above is escaped


def _matching(
    queryset: QuerySet[Any], fields: dict[str, str], query: str, words: list[str]
) -> QuerySet[Any]:
    """Rows matching the query on any of `fields` (name → full-text weight), best first."""
    matching: QuerySet[Any]
    if connection.vendor == "postgresql":
        vector: Any = None
        for name, weight in fields.items():
            part = SearchVector(name, weight=weight, config=SEARCH_CONFIG)
            vector = part if vector is None else vector + part
        wanted = SearchQuery(query, search_type="websearch", config=SEARCH_CONFIG)
        matching = (
            queryset.annotate(document=vector, rank=SearchRank(vector, wanted))
            .filter(document=wanted)
            .order_by("-rank", "pk")
        )
        return matching
    each_word = [reduce(or_, (Q(**{f"{f}__icontains": w}) for f in fields)) for w in words]
    matching = queryset.filter(reduce(and_, each_word)).order_by("pk")
    return matching


def _capped(queryset: QuerySet[Any]) -> tuple[list[Any], bool]:
    rows = list(queryset[: PER_KIND + 1])
    return rows[:PER_KIND], len(rows) > PER_KIND


def _source_url(source: Source) -> str:
    """A page that shows the source's quote, at the quote."""
    anchor = f"#source-{source.slug}"
    milestones = list(source.milestones.all()) + [r.milestone for r in source.revisions.all()]
    if milestones:
        return reverse("milestone", args=[milestones[0].pk]) + anchor
    tracks = list(source.tracks.all())
    if tracks:
        return reverse("track", args=[tracks[0].negotiation.slug, tracks[0].slug]) + anchor
    targets = list(source.targets.all())
    if targets:
        return reverse("target", args=[targets[0].pk]) + anchor
    negotiations = list(source.negotiations.all())
    if negotiations:
        return reverse("negotiation", args=[negotiations[0].slug])
    return ""


def search(query: str) -> SearchPage:
    query = " ".join(query.split())[:MAX_QUERY_LENGTH]
    words = words_of(query)
    full_text = connection.vendor == "postgresql"
    if not words:
        return SearchPage(query, [], full_text)
    groups: list[Group] = []

    negotiations, more = _capped(
        _matching(
            Negotiation.objects.prefetch_related("parties"),
            {"name": "A", "summary": "B"},
            query,
            words,
        )
    )
    groups.append(
        Group(
            "Negotiations",
            [
                Hit(
                    n.name,
                    reverse("negotiation", args=[n.slug]),
                    " · ".join(p.name for p in n.parties.all()),
                    snippet(n.summary or n.name, words),
                )
                for n in negotiations
            ],
            more,
        )
    )

    tracks, more = _capped(
        _matching(
            Track.objects.select_related("negotiation"),
            {"name": "A", "summary": "B"},
            query,
            words,
        )
    )
    groups.append(
        Group(
            "Tracks",
            [
                Hit(
                    t.name,
                    reverse("track", args=[t.negotiation.slug, t.slug]),
                    t.negotiation.name,
                    snippet(t.summary or t.name, words),
                )
                for t in tracks
            ],
            more,
        )
    )

    milestones, more = _capped(
        _matching(
            Milestone.objects.select_related("track__negotiation"),
            {"title": "A", "consequence": "B", "deadline_text": "C"},
            query,
            words,
        )
    )
    groups.append(
        Group(
            "Milestones",
            [
                Hit(
                    m.title,
                    reverse("milestone", args=[m.pk]),
                    f"{m.track.negotiation.name} — {m.track.name}",
                    snippet(m.consequence or m.title, words),
                )
                for m in milestones
            ],
            more,
        )
    )

    sources, more = _capped(
        _matching(
            Source.objects.prefetch_related(
                Prefetch("milestones", queryset=Milestone.objects.only("pk")),
                Prefetch("revisions__milestone", queryset=Milestone.objects.only("pk")),
                Prefetch("tracks", queryset=Track.objects.select_related("negotiation")),
                Prefetch("targets", queryset=Target.objects.only("pk")),
                Prefetch("negotiations", queryset=Negotiation.objects.only("pk", "slug")),
            ),
            {"title": "A", "excerpt": "B", "publisher": "C"},
            query,
            words,
        )
    )
    groups.append(
        Group(
            "Sources",
            [
                Hit(
                    s.title,
                    _source_url(s),
                    ", ".join(filter(None, [s.publisher, s.date_text])),
                    snippet(s.excerpt, words),
                )
                for s in sources
            ],
            more,
        )
    )
    return SearchPage(query, [g for g in groups if g.hits], full_text)
