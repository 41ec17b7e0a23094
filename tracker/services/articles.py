"""Articles and their quotes: store an article whole, read it for proposals, quote it.

`article_create` checks the text (tracker.reading.check_text), stores the article, asks the
pure reader what it proposes against the record's milestones and targets, and stores the
proposals, all in one transaction: an article refused writes nothing.
"""

from __future__ import annotations

import contextlib
import datetime as dt
from typing import Any

from django.core.exceptions import ValidationError

from tracker import audit, reading, selectors
from tracker.audit import Interface
from tracker.models import Article, Negotiation, Proposal, Source
from tracker.services.proposals import item_facts_now
from tracker.services.records import SPAN_OUTSIDE_TEXT, source_save
from tracker.services.writing import check, writing

UNDATED = (
    "Give the day the article was published (published_on), or the day it was published "
    "on or before (published_by): its relative wording counts from it."
)
SPAN_EMPTY = "A quote needs at least one character of the article."


def article_create(
    *,
    title: str,
    text: str,
    publisher: str = "",
    published_on: dt.date | None = None,
    published_by: dt.date | None = None,
    url: str = "",
    language: str = "en",
    negotiation: Negotiation | None = None,
    by: Any = None,
    interface: Interface | None = None,
) -> Article:
    """Store an article and the proposals it supports; nothing is written when it is refused.

    `negotiation` narrows the milestones and targets it is matched with (default: all);
    `interface` names the way it came in, for the audit log, when the request did not.
    """
    try:
        text = reading.check_text(text)
    except reading.ArticleError as error:
        raise ValidationError({"text": str(error)}) from None
    anchor = published_on or published_by
    if anchor is None:
        raise ValidationError({"published_on": UNDATED})
    article = Article(
        title=title,
        publisher=publisher,
        published_on=published_on,
        published_by=published_by,
        url=url,
        language=language or "en",
        text=text,
        created_by=by if getattr(by, "is_authenticated", False) else None,
    )
    check(article, exclude=["created_by"])
    through = audit.through(interface) if interface is not None else contextlib.nullcontext()
    with through, writing(by):
        article.save()
        candidates = selectors.reading_candidates(negotiation)
        changes = reading.propose(reading.ArticleFacts(text=text, published_on=anchor), candidates)
        _store_proposals(article, changes, negotiation)
    return article


def _store_proposals(
    article: Article, changes: list[reading.ProposedChange], negotiation: Negotiation | None
) -> None:
    negotiations = dict(Negotiation.objects.values_list("slug", "pk"))
    milestone_ids = [
        c.candidate.id for c in changes if c.candidate and c.candidate.kind == "milestone"
    ]
    target_ids = [c.candidate.id for c in changes if c.candidate and c.candidate.kind == "target"]
    facts = item_facts_now(milestone_ids=milestone_ids, target_ids=target_ids)
    rows = []
    for change in changes:
        candidate = change.candidate
        proposal = Proposal(
            article=article,
            kind=change.kind,
            start=change.start,
            end=change.end,
            confidence=min(max(change.confidence, 0.0), 1.0),
            reason=change.reason[:500],
            completed_on=change.completed_on,
            value=change.value,
            unit=change.unit[:50],
            period_start=change.period_start,
            period_end=change.period_end,
            title=change.title[:300],
            negotiation_id=negotiation.pk if negotiation is not None else None,
        )
        proposal.deadline = change.deadline
        if candidate is not None:
            proposal.negotiation_id = negotiations.get(candidate.negotiation)
            if candidate.kind == "milestone":
                proposal.milestone_id = candidate.id
            else:
                proposal.target_id = candidate.id
            proposal.item_facts = facts.get((candidate.kind, candidate.id), {})
        rows.append(proposal)
    Proposal.objects.bulk_create(rows)


def quote_create(*, article: Article, start: int, end: int, by: Any = None) -> Source:
    """A quote of `article`: the span's words become its excerpt, the article's title,
    publisher, URL and dates its own (what /api/v1/sources/ shows)."""
    if not 0 <= start < end:
        raise ValidationError({"start": SPAN_EMPTY})
    if end > len(article.text):
        raise ValidationError({"end": SPAN_OUTSIDE_TEXT.format(length=len(article.text))})
    return source_save(source=Source(article=article, start=start, end=end), by=by)
