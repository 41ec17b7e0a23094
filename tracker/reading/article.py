"""An article as the reader sees it: checked text and the day it was said."""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from datetime import date

MAX_ARTICLE_CHARS = 200_000

# Tabs and line breaks belong to prose; every other control character means the bytes
# were not text (or were tampered with), and a database or a browser would choke on them.
_ALLOWED_CONTROLS = frozenset("\t\n")


class ArticleError(ValueError):
    """Why an article cannot be read, in words fit for a 400 answer (str(error))."""


@dataclass(frozen=True)
class ArticleFacts:
    text: str
    # The anchor for relative wording: published_on, else the "on or before" published_by.
    published_on: date


def check_text(text: str) -> str:
    """The text with line ends normalised to \\n, or ArticleError saying what is wrong."""
    if not isinstance(text, str):
        raise ArticleError("The article must be text.")
    normalised = text.replace("\r\n", "\n").replace("\r", "\n")
    if not normalised.strip():
        raise ArticleError("The article is empty.")
    if len(normalised) > MAX_ARTICLE_CHARS:
        raise ArticleError(
            f"The article has {len(normalised):,} characters; "
            f"at most {MAX_ARTICLE_CHARS:,} are read."
        )
    for position, character in enumerate(normalised):
        if character in _ALLOWED_CONTROLS:
            continue
        if unicodedata.category(character) == "Cc":
            raise ArticleError(
                f"The article contains a control character (U+{ord(character):04X}) "
                f"at position {position}: it is not plain text."
            )
    return normalised
