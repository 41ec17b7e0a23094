"""The three source articles, read into an empty record and into the India–US record.

The dated facts are the India–US record's own (fixtures/india_us.json): each milestone's
deadline window, each completion day, and each target's baseline and target figures. Pure:
no database; candidates are built from the fixture's JSON.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from dateutil.relativedelta import relativedelta

from tracker.deadlines import DeadlineError, parse_deadline
from tracker.reading import ArticleFacts, Candidate, ProposedChange, propose

ROOT = Path(__file__).resolve().parents[2]
RECORD = json.loads((ROOT / "fixtures" / "india_us.json").read_text(encoding="utf-8"))
# The day each article is read as of: its published_on, else its "on or before" date. The
# third article has neither; it was written after the visit that ended on May 29, so it is
# read as of the next day, the earliest it can have been written.
READ_AS_OF = {
    "000_a0501ef34f8e1a06.txt": dt.date(2025, 5, 26),
    "001_954af5067e66b964.txt": dt.date(2025, 5, 26),
    "002_f17f91c148edd2f5.txt": dt.date(2025, 5, 30),
}


@dataclass(frozen=True)
class Fact:
    what: str  # deadline | completed | baseline | target
    slug: str
    earliest: dt.date | None = None
    latest: dt.date | None = None
    value: Decimal | None = None

    def __str__(self) -> str:
        shown = self.value if self.value is not None else f"{self.earliest}..{self.latest}"
        return f"{self.what} of {self.slug}: {shown}"


def _milestones() -> list[tuple[dict[str, Any], dict[str, Any]]]:
    return [
        (track, milestone)
        for negotiation in RECORD["negotiations"]
        for track in negotiation["tracks"]
        for milestone in track["milestones"]
    ]


def _targets() -> list[dict[str, Any]]:
    return [
        target
        for negotiation in RECORD["negotiations"]
        for track in negotiation["tracks"]
        for target in track["targets"]
    ]


def dated_facts() -> list[Fact]:
    facts = []
    for _track, milestone in _milestones():
        if milestone["deadline"]:
            window = parse_deadline(milestone["deadline"])
            facts.append(Fact("deadline", milestone["slug"], window.earliest, window.latest))
        if milestone["completed_on"]:
            day = dt.date.fromisoformat(milestone["completed_on"])
            facts.append(Fact("completed", milestone["slug"], day, day))
    for target in _targets():
        facts.append(
            Fact(
                "baseline",
                target["slug"],
                dt.date.fromisoformat(target["baseline_period_start"]),
                dt.date.fromisoformat(target["baseline_period_end"]),
                Decimal(str(target["baseline_value"])),
            )
        )
        window = parse_deadline(target["deadline"])
        facts.append(
            Fact(
                "target",
                target["slug"],
                window.earliest,
                window.latest,
                Decimal(str(target["target_value"])),
            )
        )
    return facts


def record_candidates() -> list[Candidate]:
    """The record's milestones and targets as the services would pass them: each milestone
    also known by its track's name (and the words in its brackets, "first tranche")."""
    candidates = []
    for number, (track, milestone) in enumerate(_milestones(), start=1):
        name = track["name"]
        aliases = tuple(
            alias.strip()
            for alias in (re.sub(r"\s*\(.*\)", "", name), *re.findall(r"\((.*?)\)", name))
        )
        candidates.append(
            Candidate(
                kind="milestone",
                id=number,
                negotiation="india-us-bta",
                title=milestone["title"],
                aliases=aliases,
                state="completed" if milestone["state"] == "completed" else "open",
                deadline=parse_deadline(milestone["deadline"]) if milestone["deadline"] else None,
                completed_on=(
                    dt.date.fromisoformat(milestone["completed_on"])
                    if milestone["completed_on"]
                    else None
                ),
                last_confirmed_on=dt.date(2025, 5, 26),
            )
        )
    for number, target in enumerate(_targets(), start=1000):
        candidates.append(
            Candidate(
                kind="target",
                id=number,
                negotiation="india-us-bta",
                title=target["name"],
                deadline=parse_deadline(target["deadline"]),
                unit=target["unit"],
                last_confirmed_on=dt.date(2025, 5, 26),
            )
        )
    return candidates


def read_sources(candidates: list[Candidate]) -> list[tuple[str, ProposedChange]]:
    """Every proposal of the three articles, with the text it quotes."""
    found = []
    for name, said_on in READ_AS_OF.items():
        text = (ROOT / "docs" / "sources" / name).read_text(encoding="utf-8")
        for proposal in propose(ArticleFacts(text=text, published_on=said_on), candidates):
            assert 0 <= proposal.start < proposal.end <= len(text)
            found.append((text[proposal.start : proposal.end], proposal))
    return found


def proposes(fact: Fact, proposal: ProposedChange) -> bool:
    window = proposal.deadline
    if fact.what == "deadline":
        return window is not None and (window.earliest, window.latest) == (
            fact.earliest,
            fact.latest,
        )
    if fact.what == "completed":
        return proposal.completed_on == fact.latest
    if proposal.kind != "figure" or proposal.value != fact.value:
        return False
    if fact.what == "baseline":
        return (proposal.period_start, proposal.period_end) == (fact.earliest, fact.latest)
    return window is not None and (window.earliest, window.latest) == (fact.earliest, fact.latest)


def _windows_said_in(quote: str, said_on: dt.date) -> set[tuple[dt.date, dt.date]]:
    """Every window Tranche's parser reads in some run of the quote's words, counted from
    the article's day forwards or (for what happened) from a year before it."""
    tokens = [token.strip(',.;:“”"()') for token in re.split(r"[\s—]+", quote)]
    found = set()
    for reference in (said_on, said_on - relativedelta(years=1, days=-1)):
        for first in range(len(tokens)):
            for last in range(first + 1, min(first + 7, len(tokens)) + 1):
                try:
                    deadline = parse_deadline(" ".join(tokens[first:last]), reference)
                except DeadlineError:
                    continue
                found.add((deadline.earliest, deadline.latest))
    return found


def supported(quote: str, proposal: ProposedChange, said_on: dt.date) -> bool:
    """The quote itself says what the proposal claims: its window, its day, its figure."""
    windows = _windows_said_in(quote, said_on)
    if (
        proposal.deadline is not None
        and (proposal.deadline.earliest, proposal.deadline.latest) not in windows
    ):
        return False
    if proposal.completed_on is not None and not any(
        latest == proposal.completed_on for _, latest in windows
    ):
        return False
    if proposal.value is not None:
        number = (
            f"{proposal.value:,}".replace(".0", "")
            if proposal.value % 1
            else f"{int(proposal.value):,}"
        )
        scale = proposal.unit.split()[-1] if " " in proposal.unit else ""
        if not re.search(rf"(?<![0-9]){re.escape(number)}\s?{scale}", quote):
            return False
    return True


def _said_on_of(quote: str) -> dt.date:
    for name, said_on in READ_AS_OF.items():
        if quote in (ROOT / "docs" / "sources" / name).read_text(encoding="utf-8"):
            return said_on
    raise AssertionError(f"quote from no article: {quote!r}")


def test_the_three_articles_read_into_an_empty_record_propose_the_records_dated_facts(
    capsys: pytest.CaptureFixture[str],
) -> None:
    proposals = read_sources([])
    facts = dated_facts()
    proposed = [fact for fact in facts if any(proposes(fact, p) for _, p in proposals)]
    unsupported = [(q, p) for q, p in proposals if not supported(q, p, _said_on_of(q))]
    with capsys.disabled():
        print(
            f"\nreading the sources into an empty record: {len(proposed)}/{len(facts)} dated facts "
            f"proposed, {len(unsupported)} of {len(proposals)} proposals "
            "with a quote that does not say it"
        )
        for fact in facts:
            if fact not in proposed:
                print(f"  not proposed: {fact}")
    assert len(facts) >= 8
    assert len(proposed) >= 0.8 * len(facts)
    assert unsupported == []
    assert {p.kind for _, p in proposals} <= {"new_milestone", "figure"}


def test_every_quote_is_a_sentence_or_clause_holding_the_date_it_claims() -> None:
    for quote, proposal in read_sources([]):
        assert quote == quote.strip()
        assert proposal.reason
        assert 0 < proposal.confidence <= 1
        if proposal.kind == "new_milestone":
            assert (proposal.title and proposal.title in quote) or proposal.title[1:] in quote


def test_the_interim_deal_and_the_comprehensive_agreement_each_get_a_clause_of_one_sentence() -> (
    None
):
    quotes = {
        (p.deadline.latest if p.deadline else None): q
        for q, p in read_sources([])
        if "Our goal" in q or "comprehensive agreement by autumn" in q
    }
    assert (
        quotes[dt.date(2025, 7, 8)]
        == "“Our goal is to conclude the interim arrangement before July 8"
    )
    assert quotes[dt.date(2025, 11, 30)] == "followed by a comprehensive agreement by autumn.”"


def test_read_against_the_india_us_record_the_dated_facts_come_back_as_confirmations() -> None:
    candidates = record_candidates()
    by_slug = {
        milestone["slug"]: number for number, (_, milestone) in enumerate(_milestones(), start=1)
    }
    proposals = [p for _, p in read_sources(candidates)]
    confirmed = {p.candidate.id for p in proposals if p.kind == "confirms" and p.candidate}
    dated = [m["slug"] for _, m in _milestones() if m["deadline"]]
    assert {by_slug[slug] for slug in dated} <= confirmed
    # The record holds what the articles say: nothing moves, nothing is new.
    assert [p for p in proposals if p.kind in ("moves", "differs", "new_milestone")] == []
    figures = [p for p in proposals if p.kind == "figure"]
    assert {(p.value, p.candidate.title if p.candidate else None) for p in figures} == {
        (Decimal(190), "Bilateral trade"),
        (Decimal(500), "Bilateral trade"),
    }


def test_the_interim_deal_is_confirmed_by_both_of_its_quotes_and_nothing_else_claims_july_8() -> (
    None
):
    candidates = record_candidates()
    interim = next(c for c in candidates if c.title == "Interim trade deal concluded")
    july_8 = [
        (q, p)
        for q, p in read_sources(candidates)
        if p.deadline and p.deadline.latest == dt.date(2025, 7, 8)
    ]
    assert [p.candidate for _, p in july_8] == [interim, interim]
    assert [p.kind for _, p in july_8] == ["confirms", "confirms"]
    assert "July 8" in july_8[0][1].reason and "Interim trade deal concluded" in july_8[0][1].reason
