"""Sentences and clauses of an article, as (start, end) offsets into its text."""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

# A full stop ends a sentence unless it ends an abbreviation: initials ("U.S.", "D.C."),
# titles ("Mr.") and short month names ("Sept.") are followed by more of the same sentence.
_ABBREVIATIONS = frozenset(
    [
        "mr",
        "mrs",
        "ms",
        "dr",
        "prof",
        "st",
        "no",
        "vs",
        "etc",
        "inc",
        "ltd",
        "co",
        "corp",
        "gov",
        "sen",
        "rep",
        "gen",
        "col",
        "lt",
        "jr",
        "sr",
        "jan",
        "feb",
        "mar",
        "apr",
        "jun",
        "jul",
        "aug",
        "sep",
        "sept",
        "oct",
        "nov",
        "dec",
        "approx",
        "est",
        "fig",
    ]
)
_END = re.compile(r"[.!?]+[\"”’')\]]*(?=\s+[\"“‘'(\[]?[A-Z0-9])")
_INITIALS = re.compile(r"(?:\b[A-Za-z]\.)+$")
_WORD_BEFORE = re.compile(r"([A-Za-z]+)\.$")

# Where a sentence that holds two dates is cut in two, best first.
_CLAUSE_BREAKS = (
    re.compile(r";\s+"),
    re.compile(r",\s+(?=(?:followed by|and|but|while|whereas|then|with|after|before|when)\b)"),
    re.compile(r"\s+(?=(?:followed by|while|whereas|but|and then|and|then)\b)"),
    re.compile(r",\s+"),
)


@dataclass(frozen=True)
class Span:
    start: int
    end: int


def sentences(text: str) -> Iterator[Span]:
    """Every sentence, trimmed of surrounding space; a line break always ends one."""
    offset = 0
    for line in text.split("\n"):
        yield from _line_sentences(line, offset)
        offset += len(line) + 1


def _line_sentences(line: str, offset: int) -> Iterator[Span]:
    start = 0
    for match in _END.finditer(line):
        stop = match.end()
        head = line[start : match.start() + 1]
        if match.group().startswith(".") and _is_abbreviation(head):
            continue
        yield from _trimmed(line, start, stop, offset)
        start = stop
    yield from _trimmed(line, start, len(line), offset)


def _is_abbreviation(head: str) -> bool:
    if _INITIALS.search(head):
        return True
    word = _WORD_BEFORE.search(head)
    return word is not None and word.group(1).lower() in _ABBREVIATIONS


def _trimmed(line: str, start: int, stop: int, offset: int) -> Iterator[Span]:
    piece = line[start:stop]
    stripped = piece.strip()
    if stripped:
        first = start + len(piece) - len(piece.lstrip())
        yield Span(offset + first, offset + first + len(stripped))


def clauses(text: str, sentence: Span, marks: Sequence[Span]) -> list[Span]:
    """The sentence cut so that each mark (a date or figure phrase, in order) lies in a
    clause of its own; a sentence with one mark is one clause."""
    bounds = [sentence.start]
    for before, after in itertools.pairwise(marks):
        bounds.append(_break_between(text, before.end, after.start))
    bounds.append(sentence.end)
    pieces = []
    for start, end in itertools.pairwise(bounds):
        piece = text[start:end]
        stripped = piece.strip(" ,;")
        first = start + len(piece) - len(piece.lstrip(" ,;"))
        pieces.append(Span(first, first + len(stripped)))
    return pieces


def _break_between(text: str, start: int, end: int) -> int:
    gap = text[start:end]
    for pattern in _CLAUSE_BREAKS:
        # The first break after the first mark: what follows it belongs to the second.
        found = pattern.search(gap)
        if found is not None:
            return start + found.end()
    # Nothing to cut at ("between May 7 and May 10"): cut just before the second mark.
    return end
