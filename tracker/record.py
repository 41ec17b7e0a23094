"""Load a negotiation record (such as fixtures/india_us.json) idempotently.

The record is plain JSON in the format of docs/record-format.md, checked against
record.schema.json and then against itself (every key it cites exists) before anything
is written. Writes go through tracker.services, as they would from the admin or the
API, and the audit log names the loader as their interface. A file with problems is
refused whole: every problem is reported with its JSON path, and nothing is written.
Loading the same file twice changes nothing the second time.
"""

from __future__ import annotations

import datetime as dt
import functools
import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any, TypeVar

import jsonschema
from django.core.exceptions import ValidationError
from django.db import models, transaction

from tracker import audit, services
from tracker.deadlines import DeadlineError, Precision
from tracker.models import (
    Article,
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
from tracker.quotes import find_span

FORMAT = "tranche-record"
# Version 2 carries each article's text and each quote's span in it, and aliases; a version 1
# file (no texts, no spans) still loads: its articles are kept without text.
VERSION = 2
READS_VERSIONS = (1, 2)
SCHEMA_PATH = Path(__file__).resolve().parent / "record.schema.json"
# Deadline texts without a year ("July 8") are read from this day unless the file says.
DEFAULT_REFERENCE = dt.date(2025, 5, 26)

T = TypeVar("T")


@dataclass(frozen=True)
class Problem:
    """What is wrong with a record file, and where: a JSON path such as
    ``$.negotiations[0].tracks[2].milestones[0].deadline``."""

    path: str
    message: str

    def __str__(self) -> str:
        return f"{self.path}: {self.message}"


class RecordRefused(Exception):
    """The file was not loaded; `problems` says why, each at its path."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems))


@dataclass(frozen=True)
class Touched:
    action: str  # "created" or "updated"
    kind: str
    name: str

    def __str__(self) -> str:
        return f"{self.action} {self.kind} {self.name}"


@dataclass
class LoadResult:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    touched: list[Touched] = field(default_factory=list)
    _created: set[tuple[type[models.Model], Any]] = field(default_factory=set, repr=False)

    def __str__(self) -> str:
        return f"{self.created} created, {self.updated} updated, {self.unchanged} unchanged"

    def note(self, action: str, record: models.Model, name: str = "") -> None:
        key = (type(record), record.pk)
        if action == "created":
            self.created += 1
            self._created.add(key)
        elif key in self._created:
            return  # more of its creation: a new row's dependencies, its history
        else:
            self.updated += 1
        kind = str(record._meta.verbose_name)
        self.touched.append(Touched(action, kind, name or str(record)))


def json_path(parts: Iterable[str | int]) -> str:
    path = "$"
    for part in parts:
        path += f"[{part}]" if isinstance(part, int) else f".{part}"
    return path


@functools.cache
def _validator() -> jsonschema.protocols.Validator:
    schema = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    cls = jsonschema.validators.validator_for(schema)
    cls.check_schema(schema)
    return cls(schema, format_checker=cls.FORMAT_CHECKER)


def schema_problems(data: Any) -> list[Problem]:
    """Every place where `data` breaks record.schema.json, sorted by path."""
    errors = list(_validator().iter_errors(data))
    errors.sort(key=lambda e: [(0, p, "") if isinstance(p, int) else (1, 0, p) for p in e.path])
    return [Problem(json_path(list(e.absolute_path)), _said_plainly(e)) for e in errors]


def _said_plainly(error: jsonschema.ValidationError) -> str:
    if error.validator == "additionalProperties" and isinstance(error.instance, dict):
        known = set(error.schema.get("properties", {}))
        unknown = sorted(k for k in error.instance if k not in known and not k.startswith("_"))
        return f"Unknown key {', '.join(map(repr, unknown))} (keys starting with _ are notes)."
    return str(error.message)


# Relations whose order is a fact: a negotiation's parties in the order they were given.
ORDERED_RELATIONS = {(Negotiation, "parties")}


def _linked(instance: models.Model, name: str) -> list[Any] | set[Any]:
    field = type(instance)._meta.get_field(name)
    assert isinstance(field, models.ManyToManyField)
    through: type[models.Model] = getattr(instance, name).through
    links = through._default_manager.filter(**{field.m2m_column_name(): instance.pk})
    pks = links.order_by("pk").values_list(field.m2m_reverse_name(), flat=True)
    return list(pks) if (type(instance), name) in ORDERED_RELATIONS else set(pks)


def _linked_as(instance: models.Model, name: str, related: list[Any]) -> list[Any] | set[Any]:
    pks = list(dict.fromkeys(r.pk for r in related))
    return pks if (type(instance), name) in ORDERED_RELATIONS else set(pks)


def _date(value: str | None) -> dt.date | None:
    return dt.date.fromisoformat(value) if value else None


def _decimal(value: Any) -> Decimal:
    return Decimal(str(value))


# A record is a few levels deep (negotiations, tracks, milestones, their sources); a file
# far deeper is not a record, and would exhaust the parser's recursion (issue 22).
MAX_DEPTH = 32


def _depth(data: Any) -> int:
    """How deeply lists and objects nest in `data`, counted without recursion."""
    deepest, stack = 0, [(data, 1)]
    while stack:
        value, level = stack.pop()
        children = value.values() if isinstance(value, dict) else value
        if isinstance(value, dict | list):
            deepest = max(deepest, level)
            stack.extend((child, level + 1) for child in children)
    return deepest


def parse_record(text: str) -> Any:
    """The data of a record file's text, or RecordRefused saying why it is none."""
    try:
        data = json.loads(text)
    except json.JSONDecodeError as error:
        raise RecordRefused([Problem("$", f"Not a JSON file: {error}")]) from None
    except RecursionError:
        data = None
    if data is None or _depth(data) > MAX_DEPTH:
        message = f"Nested more than {MAX_DEPTH} levels deep: not a record file."
        raise RecordRefused([Problem("$", message)])
    return data


def read_record(path: Path) -> Any:
    try:
        text = Path(path).read_text(encoding="utf-8")
    except UnicodeDecodeError as error:
        raise RecordRefused([Problem("$", f"Not a JSON file: {error}")]) from None
    return parse_record(text)


def check_record(data: Any) -> list[Problem]:
    """Every problem of a record file, before anything is written: the schema's, then
    references to keys the file does not define, duplicates, and unreadable deadlines."""
    problems = schema_problems(data)
    if problems:
        return problems
    return _Checker(data).problems


class _Checker:
    """The rules the JSON Schema cannot state: keys cited exist and are defined once."""

    def __init__(self, data: dict[str, Any]) -> None:
        self.problems: list[Problem] = []
        self.reference = _date(data.get("reference_date")) or DEFAULT_REFERENCE
        articles = self.keys(data.get("articles", []), "key", ("articles",))
        self.sources = self.keys(data.get("sources", []), "key", ("sources",))
        texts = {a["key"]: a.get("text", "") for a in data.get("articles", [])}
        for i, s in enumerate(data.get("sources", [])):
            if s["article"] not in articles:
                self.fail(("sources", i, "article"), f"No article {s['article']!r} in this file.")
            else:
                self.span(s, texts[s["article"]], ("sources", i))
        self.keys(data.get("parties", []), "code", ("parties",))
        # Fiscal years follow the track's party, else the parties' where they agree
        # (tracker.services.deadlines); a milestone may name its month.
        self.fiscal_year_starts = {
            p["code"]: p.get("fiscal_year_start") for p in data.get("parties", [])
        }
        self.keys(data.get("negotiations", []), "slug", ("negotiations",))
        for i, n in enumerate(data.get("negotiations", [])):
            self.negotiation(n, ("negotiations", i))

    def fail(self, at: tuple[str | int, ...], message: str) -> None:
        self.problems.append(Problem(json_path(at), message))

    def keys(self, items: list[dict[str, Any]], name: str, at: tuple[str | int, ...]) -> set[str]:
        seen: set[str] = set()
        for i, item in enumerate(items):
            if item[name] in seen:
                self.fail((*at, i, name), f"{item[name]!r} is defined twice.")
            seen.add(item[name])
        return seen

    def span(self, s: dict[str, Any], text: str, at: tuple[str | int, ...]) -> None:
        """A quote's span says its excerpt in the article's text; without a span, the excerpt
        must be found there (when the file carries the text)."""
        start, end = s.get("start"), s.get("end")
        if (start is None) != (end is None):
            self.fail((*at, "end" if end is None else "start"), "Give both start and end.")
        elif start is not None and end is not None:
            if not text:
                self.fail((*at, "start"), "A span needs the article's text in the file.")
            elif start >= end or end > len(text) or text[start:end] != s["excerpt"]:
                self.fail(
                    (*at, "excerpt"),
                    f"The article's text from {start} to {end} does not read as the excerpt.",
                )
        elif text and find_span(text, s["excerpt"]) is None:
            self.fail((*at, "excerpt"), "The excerpt is not in the article's text.")

    def sources_of(self, item: dict[str, Any], at: tuple[str | int, ...]) -> None:
        for i, key in enumerate(item.get("sources", [])):
            if key not in self.sources:
                self.fail((*at, "sources", i), f"No source {key!r} in this file.")

    def source(self, key: str | None, at: tuple[str | int, ...]) -> None:
        if key and key not in self.sources:
            self.fail(at, f"No source {key!r} in this file.")

    def deadline(
        self, value: Any, at: tuple[str | int, ...], *, fiscal_year_start: int | None = None
    ) -> None:
        if isinstance(value, str):
            start = fiscal_year_start or self.track_fiscal_year_start or self.fiscal_year_start
            try:
                deadline = services.read_deadline(
                    value,
                    reference=self.reference,
                    fiscal_year_start=start or services.fiscal_year_start_of(None),
                )
            except DeadlineError as error:
                self.fail(at, str(error))
                return
            if start is None and deadline.precision is Precision.FISCAL_YEAR:
                self.fail(
                    at,
                    f"The parties' fiscal years start in different months: give the track a "
                    f"party or the milestone a fiscal_year_start to read {value!r}.",
                )
        elif isinstance(value, dict) and value["earliest"] > value["latest"]:
            self.fail((*at, "earliest"), "The window's earliest day is after its latest.")

    def negotiation(self, n: dict[str, Any], at: tuple[str | int, ...]) -> None:
        for i, code in enumerate(n.get("parties", [])):
            if code not in self.fiscal_year_starts:
                self.fail((*at, "parties", i), f"No party {code!r} in this file.")
        self.fiscal_year_start = services.agreed_fiscal_year_start(
            self.fiscal_year_starts.get(code) for code in n.get("parties", [])
        )
        self.track_fiscal_year_start = None
        self.sources_of(n, at)
        self.keys(n.get("tracks", []), "slug", (*at, "tracks"))
        Place = tuple[str | int, ...]
        targets: list[tuple[Place, dict[str, Any]]] = [
            (("targets", i), g) for i, g in enumerate(n.get("targets", []))
        ]
        slugs: dict[str, list[str]] = {}
        for t in n.get("tracks", []):
            for m in t.get("milestones", []):
                slugs.setdefault(m["slug"], []).append(f"{t['slug']}/{m['slug']}")
        qualified = {q for names in slugs.values() for q in names}
        for ti, t in enumerate(n.get("tracks", [])):
            track_at = (*at, "tracks", ti)
            self.sources_of(t, track_at)
            party = t.get("party")
            if party is not None and party not in self.fiscal_year_starts:
                self.fail((*track_at, "party"), f"No party {party!r} in this file.")
            self.track_fiscal_year_start = self.fiscal_year_starts.get(party or "")
            self.deadline(t.get("deadline"), (*track_at, "deadline"))
            self.keys(t.get("milestones", []), "slug", (*track_at, "milestones"))
            for mi, m in enumerate(t.get("milestones", [])):
                self.milestone(m, (*track_at, "milestones", mi), slugs, qualified)
            targets += [
                (("tracks", ti, "targets", i), g) for i, g in enumerate(t.get("targets", []))
            ]
        seen: set[str] = set()
        for where, g in targets:
            # A target in a track follows the track's party; one beside the tracks, none.
            party = n["tracks"][where[1]].get("party") if where[0] == "tracks" else None
            self.track_fiscal_year_start = self.fiscal_year_starts.get(party or "")
            if g["slug"] in seen:
                self.fail((*at, *where, "slug"), f"{g['slug']!r} is defined twice.")
            seen.add(g["slug"])
            self.target(g, (*at, *where))

    def milestone(
        self,
        m: dict[str, Any],
        at: tuple[str | int, ...],
        slugs: dict[str, list[str]],
        qualified: set[str],
    ) -> None:
        self.sources_of(m, at)
        self.deadline(
            m.get("deadline"), (*at, "deadline"), fiscal_year_start=m.get("fiscal_year_start")
        )
        self.source(m.get("deadline_source"), (*at, "deadline_source"))
        for i, d in enumerate(m.get("sources_differ", [])):
            self.sources_of(d, (*at, "sources_differ", i))
        for i, r in enumerate(m.get("revisions", [])):
            self.source(r.get("source"), (*at, "revisions", i, "source"))
            try:
                dt.datetime.fromisoformat(r["changed_at"])
            except ValueError as error:
                self.fail((*at, "revisions", i, "changed_at"), str(error))
        for i, key in enumerate(m.get("depends_on", [])):
            if key not in qualified and len(slugs.get(key, [])) != 1:
                found = "is in more than one track; write track/milestone" if key in slugs else ""
                self.fail(
                    (*at, "depends_on", i),
                    f"Milestone {key!r} {found or 'is not in this negotiation'}.",
                )

    def target(self, g: dict[str, Any], at: tuple[str | int, ...]) -> None:
        self.sources_of(g, at)
        self.deadline(g.get("deadline"), (*at, "deadline"))
        for name in ("baseline_value", "target_value"):
            try:
                _decimal(g[name])
            except InvalidOperation:
                self.fail((*at, name), "Not a number.")
        periods: set[tuple[str, str, str]] = set()
        for i, o in enumerate(g.get("observations", [])):
            period = (o["series"], o["period_start"], o["period_end"])
            if period in periods:
                self.fail(
                    (*at, "observations", i, "period_end"),
                    "Two figures of this series for the same period.",
                )
            periods.add(period)
            self.source(o.get("source"), (*at, "observations", i, "source"))


class _Loader:
    def __init__(self, reference: dt.date) -> None:
        self.reference = reference
        self.result = LoadResult()
        self.problems: list[Problem] = []
        self.sources: dict[str, Source] = {}

    def attempt(self, at: tuple[str | int, ...], write: Callable[[], T]) -> T | None:
        """Run one write in a savepoint; a refusal is noted at `at` and loading goes on, so
        that every problem is reported (the caller then rolls everything back)."""
        try:
            with transaction.atomic():
                return write()
        except ValidationError as error:
            messages = error.message_dict if hasattr(error, "error_dict") else {"": error.messages}
            for name, texts in messages.items():
                where = (*at, name) if name and name != "__all__" else at
                self.problems += [Problem(json_path(where), text) for text in texts]
            return None

    def upsert(
        self,
        at: tuple[str | int, ...],
        model: type[models.Model],
        lookup: dict[str, Any],
        values: dict[str, Any],
        relations: dict[str, list[Any]] | None = None,
    ) -> Any:
        return self.attempt(at, lambda: self._upsert(model, lookup, values, relations or {}))

    def _upsert(
        self,
        model: type[models.Model],
        lookup: dict[str, Any],
        values: dict[str, Any],
        relations: dict[str, Any],
    ) -> Any:
        instance = model._default_manager.filter(**lookup).first()
        if instance is None:
            instance = services.record_save(record=model(**lookup, **values), **relations)
            self.result.note("created", instance)
            return instance
        changed = [name for name, value in values.items() if getattr(instance, name) != value]
        for name in changed:
            setattr(instance, name, values[name])
        moved: dict[str, Any] = {
            name: related
            for name, related in relations.items()
            if _linked(instance, name) != _linked_as(instance, name, related)
        }
        if changed or moved:
            self.result.note("updated", instance)
            return services.record_save(record=instance, **moved)
        self.result.unchanged += 1
        return instance

    def deadline_fields(
        self,
        value: str | dict[str, Any] | None,
        negotiation: Negotiation,
        *,
        party: Party | None = None,
        fiscal_year_start: int | None = None,
    ) -> dict[str, Any]:
        if not value:
            return {
                "deadline_text": "",
                "deadline_earliest": None,
                "deadline_latest": None,
                "deadline_precision": "",
                "deadline_said_on": None,
            }
        if isinstance(value, dict):
            return {
                "deadline_text": value["text"],
                "deadline_earliest": _date(value["earliest"]),
                "deadline_latest": _date(value["latest"]),
                "deadline_precision": value["precision"],
                "deadline_said_on": _date(value.get("said_on")),
            }
        # Read as typed for this track: "FY2027" in its party's fiscal year (or the month named).
        deadline = services.read_deadline(
            value,
            negotiation=negotiation,
            party=party,
            fiscal_year_start=fiscal_year_start,
            reference=self.reference,
        )
        return {
            "deadline_text": deadline.text,
            "deadline_earliest": deadline.earliest,
            "deadline_latest": deadline.latest,
            "deadline_precision": deadline.precision.value,
            "deadline_said_on": deadline.said_on,
        }

    def cite(self, keys: list[str]) -> list[Source]:
        # A source the file defines but that was refused is reported where it is defined.
        return [self.sources[key] for key in keys if key in self.sources]

    def load(self, data: dict[str, Any]) -> LoadResult:
        parties: dict[str, Party] = {}
        for i, p in enumerate(data.get("parties", [])):
            party = self.upsert(
                ("parties", i),
                Party,
                {"code": p["code"]},
                {"name": p["name"], "fiscal_year_start": p.get("fiscal_year_start")},
            )
            if party is not None:
                parties[p["code"]] = party
        articles = {a["key"]: a for a in data.get("articles", [])}
        rows = {
            a["key"]: self.load_article(a, ("articles", i))
            for i, a in enumerate(data.get("articles", []))
        }
        for i, s in enumerate(data.get("sources", [])):
            article = articles[s["article"]]
            text = article.get("text", "")
            span = (s["start"], s["end"]) if "start" in s else find_span(text, s["excerpt"])
            start, end = span or (None, None)
            source = self.upsert(
                ("sources", i),
                Source,
                {"slug": s["key"]},
                {
                    "article": rows[s["article"]],
                    "start": start,
                    "end": end,
                    "title": article["title"],
                    "publisher": article.get("publisher", ""),
                    "url": article.get("url", ""),
                    "published_on": _date(article.get("published_on")),
                    "published_by": _date(article.get("published_by")),
                    # The article's own characters, as the quote keeps them.
                    "excerpt": text[start:end] if span else s["excerpt"],
                },
            )
            if source is not None:
                self.sources[s["key"]] = source
        for i, n in enumerate(data.get("negotiations", [])):
            self.load_negotiation(n, parties, ("negotiations", i))
        return self.result

    def load_article(self, a: dict[str, Any], at: tuple[str | int, ...]) -> Article | None:
        """An article is known by what describes it; a version 1 file, which carries no
        text, leaves the text of one already stored alone."""
        lookup = {
            "title": a["title"],
            "publisher": a.get("publisher", ""),
            "url": a.get("url", ""),
            "published_on": _date(a.get("published_on")),
            "published_by": _date(a.get("published_by")),
        }
        values: dict[str, Any] = {"language": a.get("language", "en")}
        if "text" in a:
            values["text"] = a["text"]
        found = Article.objects.filter(**lookup).order_by("id").first()
        if found is not None:
            lookup = {"pk": found.pk}
        article: Article | None = self.upsert(at, Article, lookup, values)
        return article

    def load_negotiation(
        self, n: dict[str, Any], parties: dict[str, Party], at: tuple[str | int, ...]
    ) -> None:
        negotiation = self.upsert(
            at,
            Negotiation,
            {"slug": n["slug"]},
            {
                "name": n["name"],
                "stage": n.get("stage", "negotiating"),
                "summary": n.get("summary", ""),
            },
            {
                "parties": [parties[code] for code in n.get("parties", []) if code in parties],
                "sources": self.cite(n.get("sources", [])),
            },
        )
        if negotiation is None:
            return
        milestones: dict[str, Milestone] = {}
        wanted_dependencies: list[tuple[Milestone, list[str], tuple[str | int, ...]]] = []
        for index, t in enumerate(n.get("tracks", [])):
            track_at = (*at, "tracks", index)
            track = self.upsert(
                track_at,
                Track,
                {"negotiation": negotiation, "slug": t["slug"]},
                {
                    "name": t["name"],
                    "summary": t.get("summary", ""),
                    "position": t.get("position", index),
                    "ongoing": t.get("ongoing", False),
                    "party": parties.get(t.get("party") or ""),
                    **self.deadline_fields(
                        t.get("deadline"), negotiation, party=parties.get(t.get("party") or "")
                    ),
                },
                {"sources": self.cite(t.get("sources", []))},
            )
            if track is None:
                continue
            for mi, m in enumerate(t.get("milestones", [])):
                milestone_at = (*track_at, "milestones", mi)
                milestone = self.attempt(
                    milestone_at, functools.partial(self.load_milestone, m, track)
                )
                if milestone is None:
                    continue
                milestones[m["slug"]] = milestones[f"{t['slug']}/{m['slug']}"] = milestone
                self.load_discrepancies(m.get("sources_differ", []), milestone, milestone_at)
                wanted_dependencies.append((milestone, m.get("depends_on", []), milestone_at))
            for gi, g in enumerate(t.get("targets", [])):
                self.load_target(g, negotiation, track, (*track_at, "targets", gi))
        for gi, g in enumerate(n.get("targets", [])):
            self.load_target(g, negotiation, None, (*at, "targets", gi))
        for milestone, slugs, milestone_at in wanted_dependencies:
            wanted = [milestones[s] for s in slugs if s in milestones]
            current = set(milestone.depends_on.values_list("pk", flat=True))
            if current != {m.pk for m in wanted}:
                self.result.note("updated", milestone, f"{milestone} (dependencies)")
                self.attempt(
                    (*milestone_at, "depends_on"),
                    functools.partial(
                        services.milestone_set_dependencies, milestone=milestone, depends_on=wanted
                    ),
                )

    def load_milestone(self, m: dict[str, Any], track: Track) -> Milestone:
        # The citation that announced the deadline: the first revision carries it, so the
        # deadline's history starts on the day a source said it, not the day it was loaded.
        announced_by = self.sources.get(m.get("deadline_source") or "")
        lookup = {"track": track, "slug": m["slug"]}
        values = {
            "title": m["title"],
            "kind": m.get("kind", "deadline"),
            "state": m.get("state", "planned"),
            "completed_on": _date(m.get("completed_on")),
            "completed_precision": m.get("completed_precision", ""),
            "weight": _decimal(m.get("weight", 1)),
            "consequence": m.get("consequence", ""),
            "aliases": m.get("aliases", []),
            "fiscal_year_start": m.get("fiscal_year_start"),
            **self.deadline_fields(
                m.get("deadline"),
                track.negotiation,
                party=track.party,
                fiscal_year_start=m.get("fiscal_year_start"),
            ),
        }
        sources = self.cite(m.get("sources", []))
        milestone: Milestone
        if not Milestone.objects.filter(**lookup).exists():
            milestone = services.milestone_save(
                milestone=Milestone(**lookup, **values), source=announced_by, sources=sources
            )
            self.result.note("created", milestone)
        else:
            milestone = self._upsert(Milestone, lookup, values, {"sources": sources})
        if "revisions" in m:
            # The file states the whole history: it replaces what the save above recorded.
            history = [self.revision_fields(r) for r in m["revisions"]]
            if services.milestone_replace_history(milestone=milestone, revisions=history):
                self.result.note("updated", milestone, f"{milestone} (deadline history)")
        elif announced_by is not None and services.milestone_cite_announcement(
            milestone=milestone, source=announced_by
        ):
            self.result.note("updated", milestone, f"{milestone} (announcing source)")
        return milestone

    def revision_fields(self, r: dict[str, Any]) -> dict[str, Any]:
        empty = {"text": "", "earliest": None, "latest": None, "precision": "", "said_on": None}
        fields: dict[str, Any] = {
            "changed_at": dt.datetime.fromisoformat(r["changed_at"]),
            "reason": r.get("reason", ""),
            "source": self.sources.get(r.get("source") or ""),
        }
        for side in ("previous", "new"):
            values = r[side] or empty
            fields[f"{side}_text"] = values["text"]
            fields[f"{side}_earliest"] = _date(values["earliest"])
            fields[f"{side}_latest"] = _date(values["latest"])
            fields[f"{side}_precision"] = values["precision"]
            fields[f"{side}_said_on"] = _date(values.get("said_on"))
        return fields

    def load_discrepancies(
        self, wanted: list[dict[str, Any]], milestone: Milestone, at: tuple[str | int, ...]
    ) -> None:
        """Where the sources disagree, as the record says; others of this milestone go."""
        summaries = [d["summary"] for d in wanted]
        stale = [d for d in milestone.discrepancies.all() if d.summary not in summaries]
        if stale:
            services.records_delete(records=stale)
            self.result.note("updated", milestone, f"{milestone} (sources differ)")
        for i, differ in enumerate(wanted):
            self.upsert(
                (*at, "sources_differ", i),
                Discrepancy,
                {"milestone": milestone, "summary": differ["summary"]},
                {},
                {"sources": self.cite(differ["sources"])},
            )

    def load_target(
        self,
        g: dict[str, Any],
        negotiation: Negotiation,
        track: Track | None,
        at: tuple[str | int, ...],
    ) -> None:
        target = self.upsert(
            at,
            Target,
            {"negotiation": negotiation, "slug": g["slug"]},
            {
                "track": track,
                "name": g["name"],
                "aliases": g.get("aliases", []),
                "unit": g["unit"],
                "baseline_value": _decimal(g["baseline_value"]),
                "baseline_date": _date(g["baseline_date"]),
                "target_value": _decimal(g["target_value"]),
                "growth": g.get("growth", "compound"),
                "baseline_period_start": _date(g.get("baseline_period_start")),
                "baseline_period_end": _date(g.get("baseline_period_end")),
                "baseline_approximate": g.get("baseline_approximate", False),
                **self.deadline_fields(
                    g["deadline"], negotiation, party=track.party if track else None
                ),
            },
            {"sources": self.cite(g.get("sources", []))},
        )
        if target is None:
            return
        for i, o in enumerate(g.get("observations", [])):
            self.upsert(
                (*at, "observations", i),
                Observation,
                {
                    "target": target,
                    "series": self.series(o["series"], (*at, "observations", i, "series")),
                    "period_start": _date(o["period_start"]),
                    "period_end": _date(o["period_end"]),
                },
                {
                    "value": _decimal(o["value"]),
                    "approximate": o.get("approximate", False),
                    "source": self.sources.get(o.get("source") or ""),
                    "note": o.get("note", ""),
                },
            )
        if "primary_series" in g:
            # Set after the figures: saving the first one makes its series primary when the
            # target has none. Without the key, that choice of the services stands.
            primary_at = (*at, "primary_series")
            primary = self.series(g["primary_series"], primary_at)
            self.upsert(at, Target, {"pk": target.pk}, {"primary_series": primary})

    def series(self, name: str | None, at: tuple[str | int, ...]) -> Series | None:
        if not name:
            return None
        found: Series | None = Series.objects.filter(name=name).first()
        return found or self.upsert(at, Series, {"name": name}, {})


def load_record_data(
    data: Any,
    *,
    reference: dt.date | None = None,
    by: Any = None,
    interface: audit.Interface = audit.Interface.LOADER,
    dry_run: bool = False,
) -> LoadResult:
    """Load a parsed record file, or raise RecordRefused with every problem and write
    nothing. A dry run does all the writes, reports them, and rolls them back."""
    problems = check_record(data)
    if problems:
        raise RecordRefused(problems)
    reference = reference or _date(data.get("reference_date")) or DEFAULT_REFERENCE
    loader = _Loader(reference)
    # One transaction: statuses are refreshed once, after it commits (never for a dry run).
    with transaction.atomic(), audit.through(interface), audit.acting(by):
        loader.load(data)
        if loader.problems:
            transaction.set_rollback(True)
            raise RecordRefused(loader.problems)
        if dry_run:
            transaction.set_rollback(True)
    return loader.result


def load_record(path: Path, *, reference: dt.date | None = None) -> LoadResult:
    return load_record_data(read_record(path), reference=reference)
