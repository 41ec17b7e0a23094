"""From an article to proposals: each date or figure a sentence states, and what it means
for the record (confirms, moves, completes, new_milestone, figure, differs)."""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import date

from tracker.deadlines import Deadline, in_words
from tracker.reading import tense
from tracker.reading.article import ArticleFacts
from tracker.reading.figures import Figure, find_figures, period_of
from tracker.reading.matching import Match, Matcher
from tracker.reading.phrases import DEADLINE_LEADS, Phrase, find_phrases, read_phrase
from tracker.reading.proposals import (
    COMPLETES,
    CONFIRMS,
    DIFFERS,
    FIGURE,
    MOVES,
    NEW_MILESTONE,
    Candidate,
    ProposedChange,
)
from tracker.reading.sentences import Span, clauses, sentences

_TITLE_WORDS = 14
_CONNECTORS = re.compile(
    r"^(?:followed by|and then|and|but|while|whereas|then|with|after which|which|so)\s+",
    re.IGNORECASE,
)
_QUOTES = "“”\"‘’'"
# Leads that put a date in the past or make it a starting point, never a deadline.
_NOT_DEADLINE_LEADS = frozenset({"since", "last"})


@dataclass(frozen=True)
class _Context:
    text: str
    said_on: date
    matcher: Matcher


def propose(article: ArticleFacts, candidates: Sequence[Candidate]) -> list[ProposedChange]:
    """Every proposal the article supports, in text order."""
    context = _Context(article.text, article.published_on, Matcher(candidates))
    found: list[ProposedChange] = []
    for sentence in sentences(article.text):
        found.extend(_read_sentence(context, sentence))
    return sorted(found, key=lambda proposal: (proposal.start, proposal.end))


def _read_sentence(context: _Context, sentence: Span) -> Iterator[ProposedChange]:
    text = context.text
    phrases = find_phrases(text, sentence.start, sentence.end)
    figures = find_figures(text, sentence.start, sentence.end)
    if not phrases and not figures:
        return
    dated = [phrase for phrase in phrases if not phrase.event_relative]
    pieces = clauses(text, sentence, [Span(p.start, p.end) for p in dated]) if dated else []
    single = len(pieces) <= 1
    readings: list[tuple[Phrase, Deadline]] = []
    for phrase, clause in zip(dated, pieces, strict=True):
        quote = sentence if single else clause
        proposal, deadline = _read_phrase(context, phrase, clause, sentence, quote)
        if deadline is not None:
            readings.append((phrase, deadline))
        if proposal is not None and not _is_figure_period(text, phrase, figures):
            yield proposal
    for figure in figures:
        clause = next((c for c in pieces if c.start <= figure.start < c.end), sentence)
        yield from _read_figure(context, figure, readings, clause, sentence if single else clause)


def _is_figure_period(text: str, phrase: Phrase, figures: list[Figure]) -> bool:
    """ "$191 billion in 2024": the year is the figure's period, not a deadline."""
    return phrase.lead in ("in", "for", "during") and any(
        0 <= phrase.start - figure.end <= 12 for figure in figures
    )


def _read_phrase(
    context: _Context, phrase: Phrase, clause: Span, sentence: Span, quote: Span
) -> tuple[ProposedChange | None, Deadline | None]:
    text = context.text
    clause_text = text[clause.start : clause.end]
    sentence_text = text[sentence.start : sentence.end]
    past = _is_past(phrase, clause_text, sentence_text)
    deadline = read_phrase(phrase, said_on=context.said_on, past=past)
    if deadline is None:
        return None, None
    match = _match(context, clause_text, sentence_text, deadline)
    if match is not None and phrase.form == "fiscal" and match.candidate.fiscal_year_start != 4:
        deadline = (
            read_phrase(
                phrase,
                said_on=context.said_on,
                past=past,
                fiscal_year_start=match.candidate.fiscal_year_start,
            )
            or deadline
        )
    told_as_history = deadline.latest < context.said_on or (
        past and deadline.earliest <= context.said_on
    )
    if told_as_history:
        return _history(context, phrase, deadline, clause_text, match, quote), deadline
    if phrase.lead in _NOT_DEADLINE_LEADS:
        return None, deadline
    return _deadline(context, phrase, deadline, clause_text, match, quote), deadline


def _is_past(phrase: Phrase, clause_text: str, sentence_text: str) -> bool:
    if phrase.lead in DEADLINE_LEADS:
        return False
    if tense.says_future(clause_text):
        return False
    if tense.says_past(clause_text):
        return True
    return tense.says_past(sentence_text) and not tense.says_future(clause_text)


def _match(
    context: _Context, clause_text: str, sentence_text: str, stated: Deadline | None
) -> Match | None:
    found = context.matcher.best(clause_text, stated=stated)
    if found is None:
        found = context.matcher.best(clause_text, stated=stated, kind="target")
    if found is None and clause_text != sentence_text:
        # The name may sit in the other half: "The deal, signed in March, takes effect in May".
        found = context.matcher.best(sentence_text, stated=stated)
        if found is not None:
            found = Match(found.candidate, found.score * 0.9, found.name)
    return found


def _deadline(
    context: _Context,
    phrase: Phrase,
    deadline: Deadline,
    clause_text: str,
    match: Match | None,
    quote: Span,
) -> ProposedChange:
    said = _said(phrase)
    firm = 0.05 if phrase.lead in DEADLINE_LEADS else 0.0
    if match is None:
        return ProposedChange(
            kind=NEW_MILESTONE,
            start=quote.start,
            end=quote.end,
            confidence=round(0.5 + firm + (0.1 if tense.says_future(clause_text) else 0.0), 2),
            reason=f'Says "{said}" ({in_words(deadline)}) and names no milestone of the record',
            candidate=None,
            deadline=deadline,
            title=_title(context.text, clause_text, phrase),
        )
    candidate = match.candidate
    current = candidate.deadline
    confidence = round(min(0.95, 0.45 + 0.45 * match.score + firm), 2)
    named = f'"{candidate.title}"'
    if current is not None and _same_window(current, deadline):
        kind = CONFIRMS
        reason = f'Says "{said}" for {named}, which is due "{in_words(current)}"'
    elif _older_than_record(context.said_on, candidate) or candidate.state != "open":
        kind = DIFFERS
        due = f'due "{in_words(current)}"' if current is not None else "without a deadline"
        reason = (
            f'Says "{said}" for {named}, but the record has it {due}'
            f"{_confirmed(candidate)}, later than this article"
            if candidate.state == "open"
            else f'Says "{said}" for {named}, which is already {candidate.state}'
        )
    else:
        kind = MOVES
        was = f'due "{in_words(current)}"' if current is not None else "without a deadline"
        reason = f'Says "{said}" for {named}, which is {was}'
    return ProposedChange(
        kind=kind,
        start=quote.start,
        end=quote.end,
        confidence=confidence,
        reason=reason,
        candidate=candidate,
        deadline=deadline,
    )


def _history(
    context: _Context,
    phrase: Phrase,
    deadline: Deadline,
    clause_text: str,
    match: Match | None,
    quote: Span,
) -> ProposedChange | None:
    """A date in the past: a completion when the clause says something was done, else
    nothing (history is never a deadline)."""
    if tense.says_history(clause_text):
        return None
    if not (tense.says_completion(clause_text) or tense.names_event(clause_text)):
        return None
    said = _said(phrase)
    completed_on = deadline.latest
    day_given = deadline.earliest == deadline.latest or deadline.precision == "day"
    when = in_words(deadline) if day_given else f"{in_words(deadline)}, no day given"
    if match is None:
        return ProposedChange(
            kind=NEW_MILESTONE,
            start=quote.start,
            end=quote.end,
            confidence=0.5,
            reason=(
                f'Says it happened "{said}" ({when}) and names no milestone of the record: '
                "a step already done"
            ),
            candidate=None,
            deadline=deadline,
            completed_on=completed_on,
            title=_title(context.text, clause_text, phrase),
        )
    candidate = match.candidate
    confidence = round(min(0.95, 0.45 + 0.45 * match.score), 2)
    named = f'"{candidate.title}"'
    if candidate.state == "completed":
        if candidate.completed_on is not None and not (
            deadline.earliest <= candidate.completed_on <= deadline.latest
        ):
            kind = DIFFERS
            reason = (
                f'Says {named} happened "{said}" ({when}), but the record has it completed '
                f"on {candidate.completed_on:%d %b %Y}"
            )
        else:
            kind = CONFIRMS
            reason = f'Says {named} happened "{said}" ({when}), as the record has it'
    else:
        kind = COMPLETES
        reason = f'Says {named} happened "{said}" ({when})'
    return ProposedChange(
        kind=kind,
        start=quote.start,
        end=quote.end,
        confidence=confidence,
        reason=reason,
        candidate=candidate,
        deadline=deadline,
        completed_on=completed_on,
    )


def _read_figure(
    context: _Context,
    figure: Figure,
    readings: list[tuple[Phrase, Deadline]],
    clause: Span,
    quote: Span,
) -> Iterator[ProposedChange]:
    period = period_of(context.text, figure, readings, said_on=context.said_on, floor=clause.start)
    if period is None:
        return
    clause_text = context.text[clause.start : clause.end]
    match = context.matcher.best(clause_text, kind="target", stated=period.target)
    candidate = None
    if match is not None and match.candidate.unit in ("", figure.unit):
        candidate = match.candidate
    for_whom = f' for "{candidate.title}"' if candidate else " for no target of the record"
    if period.target is not None:
        reason = f'Says "{figure.text}" to reach "{period.words}"{for_whom}: a value to reach'
    elif period.words == "current":
        reason = (
            f'Says "{figure.text}" is the current value{for_whom}: the year up to '
            f"{context.said_on:%d %b %Y}, approximately"
        )
    else:
        reason = f'Says "{figure.text}" "{period.words}"{for_whom}'
    yield ProposedChange(
        kind=FIGURE,
        start=quote.start,
        end=quote.end,
        confidence=round(
            (0.75 if candidate else 0.6) - (0.1 if period.words == "current" else 0), 2
        ),
        reason=reason,
        candidate=candidate,
        deadline=period.target,
        value=figure.value,
        unit=figure.unit,
        period_start=period.start,
        period_end=period.end,
    )


def _same_window(current: Deadline, stated: Deadline) -> bool:
    return (current.earliest, current.latest) == (stated.earliest, stated.latest)


def _older_than_record(said_on: date, candidate: Candidate) -> bool:
    return candidate.last_confirmed_on is not None and said_on < candidate.last_confirmed_on


def _confirmed(candidate: Candidate) -> str:
    if candidate.last_confirmed_on is None:
        return ""
    return f" (confirmed {candidate.last_confirmed_on:%d %b %Y})"


def _said(phrase: Phrase) -> str:
    return f"{phrase.lead} {phrase.text}" if phrase.lead else phrase.text


def _title(text: str, clause_text: str, phrase: Phrase) -> str:
    """A suggested title: the clause's words before the date, trimmed."""
    head = clause_text
    index = clause_text.find(phrase.text)
    if index > 0:
        before = clause_text[:index]
        if phrase.lead and before.rstrip().lower().endswith(phrase.lead):
            before = before.rstrip()[: -len(phrase.lead)]
        if len(before.split()) >= 3:
            head = before
    head = _CONNECTORS.sub("", head.strip(" ,;:—–-" + _QUOTES))
    words = head.split()
    title = " ".join(words[:_TITLE_WORDS]).rstrip(" ,;:—–-" + _QUOTES)
    return (title[:1].upper() + title[1:]) if title else phrase.text
