"""Which known milestone or target a clause speaks of: names, aliases and dates.

A name is reduced to the words that tell it apart ("Interim trade deal concluded" ->
interim, trade, agreement); a clause matches a name by the share of those words it holds,
each weighted by how rare it is among all the names (so "trade" counts less than
"interim"). Words are compared with rapidfuzz, so "defence" finds "defense" and
"catalysing" finds "catalyzing". A stated date equal to a candidate's deadline is evidence
too: it decides between two names the clause holds equally.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from rapidfuzz import fuzz, process

from tracker.deadlines import Deadline
from tracker.reading.proposals import Candidate

_WORD = re.compile(r"[A-Za-z0-9]+(?:[’'][A-Za-z]+)?")
# Words every name of a trade record may hold: they say what happens, not to what.
_COMMON = frozenset(
    [
        "a",
        "an",
        "the",
        "of",
        "to",
        "and",
        "or",
        "for",
        "on",
        "in",
        "with",
        "by",
        "at",
        "from",
        "its",
        "their",
        "this",
        "that",
        "is",
        "are",
        "be",
        "was",
        "were",
        "india",
        "indian",
        "us",
        "u",
        "s",
        "united",
        "states",
        "america",
        "american",
        "both",
        "two",
        "nations",
        "sides",
        "new",
        "concluded",
        "conclude",
        "held",
        "hold",
        "launched",
        "launch",
        "implemented",
        "implement",
        "signed",
        "sign",
        "reaches",
        "reach",
        "reached",
        "upcoming",
        "returns",
        "return",
        "completed",
        "complete",
        "agreed",
        "agree",
        "start",
        "started",
        "begin",
        "begins",
        "first-ever",
        "key",
    ]
)
_SYNONYMS = {
    "deal": "agreement",
    "pact": "agreement",
    "accord": "agreement",
    "arrangement": "agreement",
    "fall": "autumn",
    "negotiations": "talks",
    "defense": "defence",
}
_FUZZY_CUTOFF = 86
MATCH_THRESHOLD = 0.55


def words(text: str) -> list[str]:
    found = []
    for raw in _WORD.findall(text):
        word = raw.lower().replace("’", "'")
        word = word.removesuffix("'s")
        if word in _COMMON:
            continue
        found.append(_stem(_SYNONYMS.get(word, word)))
    return found


def _stem(word: str) -> str:
    # Crude on purpose: enough that "reviews" meets "review" and "talks" meets "talk".
    for suffix in ("ing", "ed", "es", "s"):
        if len(word) > len(suffix) + 3 and word.endswith(suffix):
            return word[: -len(suffix)]
    return word


@dataclass(frozen=True)
class Match:
    candidate: Candidate
    score: float  # 0..1: how much of the best name the clause holds, with date evidence
    name: str  # the title or alias that matched


class Matcher:
    """Candidates prepared once per article: their names as weighted words."""

    def __init__(self, candidates: Sequence[Candidate]) -> None:
        self.names: list[tuple[Candidate, str, tuple[str, ...], bool]] = []
        frequency: Counter[str] = Counter()
        for candidate in candidates:
            for index, name in enumerate((candidate.title, *candidate.aliases)):
                tokens = tuple(dict.fromkeys(words(name)))
                if tokens:
                    self.names.append((candidate, name, tokens, index > 0))
                    frequency.update(set(tokens))
        total = max(len(self.names), 1)
        self.weight = {word: 1 + math.log(total / count) for word, count in frequency.items()}

    def best(
        self,
        text: str,
        *,
        stated: Deadline | None = None,
        kind: str = "milestone",
        exclude: frozenset[int] = frozenset(),
    ) -> Match | None:
        """The candidate of `kind` the text names best, if it names one well enough."""
        held = set(words(text))
        if not held or not self.names:
            return None
        scored: dict[int, Match] = {}
        for candidate, name, tokens, is_alias in self.names:
            if candidate.kind != kind or candidate.id in exclude:
                continue
            coverage = self._coverage(tokens, held)
            if coverage == 0:
                continue
            if is_alias and coverage == 1:
                # An alias written out whole is as good as the title.
                coverage = 1.0
            score = coverage * 0.85 + _date_evidence(candidate, stated)
            known = scored.get(candidate.id)
            if known is None or score > known.score:
                scored[candidate.id] = Match(candidate, min(score, 1.0), name)
        if not scored:
            return None
        best = max(scored.values(), key=lambda match: match.score)
        return best if best.score >= MATCH_THRESHOLD else None

    def _coverage(self, tokens: tuple[str, ...], held: set[str]) -> float:
        total = sum(self.weight[token] for token in tokens)
        found = 0.0
        for token in tokens:
            if token in held or (
                len(token) > 4
                and process.extractOne(token, held, scorer=fuzz.ratio, score_cutoff=_FUZZY_CUTOFF)
            ):
                found += self.weight[token]
        return found / total


def _date_evidence(candidate: Candidate, stated: Deadline | None) -> float:
    if stated is None or candidate.deadline is None:
        return 0.0
    if (stated.earliest, stated.latest) == (candidate.deadline.earliest, candidate.deadline.latest):
        return 0.3
    if (
        stated.earliest <= candidate.deadline.latest
        and candidate.deadline.earliest <= stated.latest
    ):
        return 0.1
    return 0.0
