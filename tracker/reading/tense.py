"""Whether a clause tells what is to happen or what happened, and what kind of past it is."""

from __future__ import annotations

import re

_FUTURE = re.compile(
    r"\b(?:will|shall|to be|set to|is to|are to|expected|expects?|aims?|aiming|goal|targets?|"
    r"targeting|targeted|plans?|planned|planning|scheduled|due|deadline|intends?|intended|seeks?|"
    r"seeking|going to|would|upcoming|hopes?|hoping|working (?:\w+ )?to|promised|pledged|"
    r"committed to|agreed to|vowed)\b|['’]ll\b",
    re.IGNORECASE,
)
# "-ed" words that describe rather than narrate ("a renewed commitment", "the proposed deal").
_NOT_NARRATION = frozenset(
    [
        "expected",
        "scheduled",
        "planned",
        "proposed",
        "intended",
        "based",
        "united",
        "advanced",
        "related",
        "limited",
        "detailed",
        "renewed",
        "sustained",
        "targeted",
        "focused",
        "concerned",
        "interested",
        "skilled",
        "required",
        "needed",
        "calibrated",
        "measured",
        "multipronged",
        "sized",
        "red",
        "seed",
        "need",
        "speed",
        "feed",
        "indeed",
    ]
)
_PAST_WORD = re.compile(r"\b(?:was|were|had|did|took|met|held|began|begun|ended)\b|\b[a-z]{3,}ed\b")
# The thing happened: a completion (or, in the record's words, a dated step).
_COMPLETION = re.compile(
    r"\b(?:signed|concluded|launched|initiated|completed|finali[sz]ed|agreed|adopted|"
    r"ratified|entered into force|came into force|took effect|took place|held|inaugurated|"
    r"opened|established|published|approved|visited|ended|wrapped up|sealed|struck)\b",
    re.IGNORECASE,
)
# History that is no step of the record: talks beginning, stalling, breaking down.
_HISTORY = re.compile(
    r"\b(?:began|begun|started|stalled|resumed|broke down|collapsed|failed|suspended|paused|"
    r"dragged|languished|first proposed|was first|were first)\b",
    re.IGNORECASE,
)
_EVENT = re.compile(
    r"\b(?:visit|trip|meeting|summit|round|dialogue|conference|session|ministerial|"
    r"consultations|mission|tour)\b",
    re.IGNORECASE,
)


def says_future(text: str) -> bool:
    return _FUTURE.search(text) is not None


def says_past(text: str) -> bool:
    return any(word.group().lower() not in _NOT_NARRATION for word in _PAST_WORD.finditer(text))


def says_completion(text: str) -> bool:
    return _COMPLETION.search(text) is not None


def says_history(text: str) -> bool:
    return _HISTORY.search(text) is not None


def names_event(text: str) -> bool:
    return _EVENT.search(text) is not None
