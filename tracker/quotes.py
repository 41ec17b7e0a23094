"""Where a quote sits in its article: pure text in, a (start, end) span out.

Quotes were typed or pasted by people, so the words may differ from the article's in
spacing and in the kind of quotation marks and dashes while saying the same thing. The
span found is always in the article's own characters: `text[start:end]` is what it says.
"""

from __future__ import annotations

import re

# Curly quotes and the dashes people type for one another, read as one character each.
_SAME = str.maketrans(
    {
        "\u2018": "'",
        "\u2019": "'",
        "\u201a": "'",
        "\u2032": "'",
        "\u201c": '"',
        "\u201d": '"',
        "\u201e": '"',
        "\u2033": '"',
        "\u2013": "-",
        "\u2014": "-",
        "\u2212": "-",
        "\u00a0": " ",
    }
)
_SPACE = re.compile(r"\s+")


def _normalised(text: str) -> tuple[str, list[int]]:
    """The text with quotes and dashes made plain and each run of spaces made one, and for
    each of its characters the index of the original character it came from."""
    plain = text.translate(_SAME)
    out: list[str] = []
    where: list[int] = []
    for match in re.finditer(r"\s+|\S", plain):
        out.append(" " if match.group().isspace() else match.group())
        where.append(match.start())
    return "".join(out), where


def find_span(text: str, excerpt: str) -> tuple[int, int] | None:
    """The span of `excerpt` in `text`: exact first, then with spacing, quotation marks and
    dashes read loosely; None when the words are not there."""
    excerpt = excerpt.strip()
    if not excerpt or not text:
        return None
    start = text.find(excerpt)
    if start >= 0:
        return start, start + len(excerpt)
    haystack, where = _normalised(text)
    needle, _ = _normalised(excerpt)
    found = haystack.find(needle)
    if found < 0:
        return None
    last = found + len(needle) - 1
    end = where[last] + 1
    # A run of spaces at the end of the match stands for the whole run.
    while end < len(text) and text[end - 1].isspace() and text[end].isspace():
        end += 1
    return where[found], end
