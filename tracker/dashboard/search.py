"""Site search over negotiations, tracks, milestones and source excerpts.

On PostgreSQL it is full-text search (stemmed English, ranked, `websearch` syntax: quoted
phrases, `or`, `-word`) over each table's stored `search_document`, a generated tsvector
column with a GIN index (migration 0026): a search reads the index, and only the first
RANKED matches of a kind are ranked. Elsewhere every word must occur somewhere in the row,
ignoring case (SQLite has no tsvector; the fallback reads every row). Each kind lists at
most PER_KIND rows, so a page costs the same whatever matches.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import reduce
from operator import and_, or_
from typing import Any

from django.contrib.postgres.search import SearchQuery, SearchRank, SearchVectorField
from django.db import connection
from django.db.models import Expression, Prefetch, Q, QuerySet
from django.db.models.expressions import Col
from django.urls import reverse
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from tracker.models import Article, Milestone, Negotiation, Proposal, Source, Target, Track

MAX_QUERY_LENGTH = 200
MAX_WORDS = 12
PER_KIND = 20
# Matches ranked per kind: a common word matches thousands of quotes, and ranking reads
# each one's document; the first RANKED found by the index are ranked, the rest are not.
RANKED = 500
SNIPPET_CHARS = 180
SEARCH_CONFIG = "english"
# The stored, GIN-indexed tsvector column of every searchable table (PostgreSQL only).
DOCUMENT_COLUMN = "search_document"


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


class Document(Expression):
    """A table's stored `search_document` column, which is not a model field (SQLite has no
    tsvector): resolved to the query's own alias of the table, so it stays right inside a
    subquery, where Django renames the tables."""

    output_field = SearchVectorField()

    def __init__(self, model: type[Any]) -> None:
        super().__init__()
        self.model = model

    def resolve_expression(  # type: ignore[override]
        self,
        query: Any = None,
        allow_joins: bool = True,
        reuse: set[str] | None = None,
        summarize: bool = False,
        for_save: bool = False,
    ) -> Col:
        field = SearchVectorField()
        field.set_attributes_from_name(DOCUMENT_COLUMN)
        field.model = self.model
        return Col(query.get_initial_alias(), field, SearchVectorField())


def matches(queryset: QuerySet[Any], query: str, *, fields: dict[str, str]) -> QuerySet[Any]:
    """The rows of `queryset` that match the query, unordered: on PostgreSQL a read of the
    table's full-text index, elsewhere each word in one of `fields`."""
    if connection.vendor == "postgresql":
        wanted = SearchQuery(query, search_type="websearch", config=SEARCH_CONFIG)
        found: QuerySet[Any] = queryset.alias(document=Document(queryset.model)).filter(
            document=wanted
        )
        return found
    words = words_of(query)
    if not words:
        return queryset.none()
    each_word = [reduce(or_, (Q(**{f"{f}__icontains": w}) for f in fields)) for w in words]
    return queryset.filter(reduce(and_, each_word))


def proposals_matching(proposals: QuerySet[Proposal], query: str) -> QuerySet[Proposal]:
    """The editors' proposal search, through the same index as the site's: proposals whose
    own words (title, reason), article or milestone match, or whose target's name does."""
    query = " ".join(query.split())[:MAX_QUERY_LENGTH]
    if not words_of(query):
        return proposals
    own = matches(Proposal.objects.all(), query, fields={"title": "A", "reason": "B"})
    articles = matches(Article.objects.all(), query, fields={"title": "A", "text": "B"})
    milestones = matches(
        Milestone.all_objects.all(), query, fields={"title": "A", "consequence": "B"}
    )
    targets = Target.objects.filter(reduce(and_, (Q(name__icontains=w) for w in words_of(query))))
    return proposals.filter(
        Q(pk__in=own.values("pk"))
        | Q(article__in=articles.values("pk"))
        | Q(milestone__in=milestones.values("pk"))
        | Q(target__in=targets.values("pk"))
    )


def matching(queryset: QuerySet[Any], query: str, *, fields: dict[str, str]) -> QuerySet[Any]:
    """The rows of `queryset` that match the query, best first: on PostgreSQL through the
    full-text index, the first RANKED matches ranked; elsewhere each word in one of `fields`
    (the columns the document is made of), oldest first."""
    found = matches(queryset, query, fields=fields)
    if connection.vendor != "postgresql":
        return found.order_by("pk")
    wanted = SearchQuery(query, search_type="websearch", config=SEARCH_CONFIG)
    # The first matches' ids, read from the index, then those rows by primary key: as one
    # statement (`id IN (subquery LIMIT n)`) the planner may hash-join a scan of the table.
    first = list(found.order_by().values_list("pk", flat=True)[:RANKED])
    ranked: QuerySet[Any] = (
        queryset.filter(pk__in=first)
        .annotate(rank=SearchRank(Document(queryset.model), wanted))
        .order_by("-rank", "pk")
    )
    return ranked


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


@dataclass(frozen=True)
class Searchable:
    """One kind of row the site search lists: where its rows come from, the columns its
    document is made of (name → full-text weight, as in migration 0026), and its hit."""

    kind: str
    rows: Callable[[], QuerySet[Any]]
    fields: dict[str, str]
    hit: Callable[[Any, list[str]], Hit]


SEARCHABLE = (
    Searchable(
        "Negotiations",
        lambda: Negotiation.objects.prefetch_related("parties"),
        {"name": "A", "summary": "B"},
        lambda n, words: Hit(
            n.name,
            reverse("negotiation", args=[n.slug]),
            " · ".join(p.name for p in n.parties.all()),
            snippet(n.summary or n.name, words),
        ),
    ),
    Searchable(
        "Tracks",
        lambda: Track.objects.select_related("negotiation"),
        {"name": "A", "summary": "B"},
        lambda t, words: Hit(
            t.name,
            reverse("track", args=[t.negotiation.slug, t.slug]),
            t.negotiation.name,
            snippet(t.summary or t.name, words),
        ),
    ),
    Searchable(
        "Milestones",
        lambda: Milestone.objects.select_related("track__negotiation"),
        {"title": "A", "consequence": "B", "deadline_text": "C"},
        lambda m, words: Hit(
            m.title,
            reverse("milestone", args=[m.pk]),
            f"{m.track.negotiation.name} — {m.track.name}",
            snippet(m.consequence or m.title, words),
        ),
    ),
    Searchable(
        "Sources",
        lambda: Source.objects.prefetch_related(
            Prefetch("milestones", queryset=Milestone.objects.only("pk")),
            Prefetch("revisions__milestone", queryset=Milestone.objects.only("pk")),
            Prefetch("tracks", queryset=Track.objects.select_related("negotiation")),
            Prefetch("targets", queryset=Target.objects.only("pk")),
            Prefetch("negotiations", queryset=Negotiation.objects.only("pk", "slug")),
        ),
        {"title": "A", "excerpt": "B", "publisher": "C"},
        lambda s, words: Hit(
            s.title,
            _source_url(s),
            ", ".join(filter(None, [s.publisher, s.date_text])),
            snippet(s.excerpt, words),
        ),
    ),
)


def search(query: str) -> SearchPage:
    query = " ".join(query.split())[:MAX_QUERY_LENGTH]
    words = words_of(query)
    full_text = connection.vendor == "postgresql"
    if not words:
        return SearchPage(query, [], full_text)
    groups = []
    for searchable in SEARCHABLE:
        rows = list(matching(searchable.rows(), query, fields=searchable.fields)[: PER_KIND + 1])
        hits = [searchable.hit(row, words) for row in rows[:PER_KIND]]
        if hits:
            groups.append(Group(searchable.kind, hits, more=len(rows) > PER_KIND))
    return SearchPage(query, groups, full_text)
