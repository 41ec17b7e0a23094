"""The article reader: plain values in, plain values out (no ORM).

The services layer calls these names; everything else in the package is how they work.
"""

from tracker.reading.article import MAX_ARTICLE_CHARS, ArticleError, ArticleFacts, check_text
from tracker.reading.extraction import extract_text
from tracker.reading.proposals import Candidate, ProposedChange
from tracker.reading.proposing import propose

__all__ = [
    "MAX_ARTICLE_CHARS",
    "ArticleError",
    "ArticleFacts",
    "Candidate",
    "ProposedChange",
    "check_text",
    "extract_text",
    "propose",
]
