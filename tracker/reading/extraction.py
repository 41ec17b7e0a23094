"""Text out of an uploaded file: plain text, an HTML page or a PDF."""

from __future__ import annotations

import io
import logging
import re
from pathlib import PurePath

from tracker.reading.article import ArticleError, check_text

# A page's chrome, not its article: scripts and styles are code, the rest is navigation.
_NOISE_TAGS = (
    "script",
    "style",
    "noscript",
    "template",
    "nav",
    "header",
    "footer",
    "aside",
    "form",
)
_BLOCK_TAGS = (
    "p", "h1", "h2", "h3", "h4", "h5", "h6", "li", "blockquote", "pre", "figcaption",
    "td", "th", "dt", "dd", "div", "section", "article", "br",
)  # fmt: skip
_BLOCK_BREAK = "\u2029"  # Unicode's paragraph separator: never inside a block's own text
_TEXT_SUFFIXES = {".txt": "text", ".text": "text", ".html": "html", ".htm": "html", ".pdf": "pdf"}
_TEXT_TYPES = {"text/plain": "text", "text/html": "html", "application/pdf": "pdf"}
# A text file of prose has almost no control bytes; a few stray ones are a broken file.
_BINARY_BYTES = re.compile(rb"[\x00-\x08\x0b\x0c\x0e-\x1f]")


def extract_text(data: bytes, *, filename: str, content_type: str = "") -> str:
    """The article text of an uploaded .txt, .html/.htm or .pdf, checked by check_text."""
    kind = _kind(filename, content_type)
    if kind == "pdf":
        text = _pdf_text(data)
    else:
        if not data.startswith(b"%PDF-") and _BINARY_BYTES.search(data[:4096]):
            raise ArticleError(f'"{filename}" is a binary file, not text.')
        decoded = _decode(data, filename)
        text = _html_text(decoded) if kind == "html" else decoded
    if not text.strip():
        raise ArticleError(f'"{filename}" contains no text.')
    return check_text(text)


def _kind(filename: str, content_type: str) -> str:
    suffix = PurePath(filename or "").suffix.lower()
    if suffix in _TEXT_SUFFIXES:
        return _TEXT_SUFFIXES[suffix]
    media = content_type.split(";")[0].strip().lower()
    if not suffix and media in _TEXT_TYPES:
        return _TEXT_TYPES[media]
    shown = suffix or "no extension"
    raise ArticleError(
        f'"{filename}" has {shown}; upload a .txt, .html, .htm or .pdf file, or paste the text.'
    )


def _decode(data: bytes, filename: str) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise ArticleError(
            f'"{filename}" is not UTF-8 text (byte {error.start} cannot be read).'
        ) from None


def _html_text(markup: str) -> str:
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(markup, "lxml")
    for tag in soup(_NOISE_TAGS):
        tag.decompose()
    root = soup.body or soup
    # Each block on its own line, so sentences of two paragraphs never run together; line
    # breaks inside a block are only the markup's wrapping.
    for tag in root.find_all(_BLOCK_TAGS):
        if tag.name == "br":
            tag.replace_with(_BLOCK_BREAK)
        else:
            tag.insert_before(_BLOCK_BREAK)
            tag.insert_after(_BLOCK_BREAK)
    lines = (" ".join(line.split()) for line in root.get_text().split(_BLOCK_BREAK))
    return "\n".join(line for line in lines if line)


def _pdf_text(data: bytes) -> str:
    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    if not data.startswith(b"%PDF-"):
        raise ArticleError("The file is not a PDF (it does not start with %PDF-).")
    # pypdf logs every repair it makes to a damaged file; the answer says what matters.
    logging.getLogger("pypdf").setLevel(logging.ERROR)
    try:
        reader = PdfReader(io.BytesIO(data))
        pages = [page.extract_text() or "" for page in reader.pages]
    except PdfReadError as error:
        raise ArticleError(f"The PDF cannot be read: {error}.") from None
    except Exception as error:
        raise ArticleError(f"The PDF cannot be read ({type(error).__name__}).") from None
    text = "\n".join(page.strip() for page in pages if page.strip())
    if not text:
        raise ArticleError("The PDF has no text to read (is it a scan?).")
    return text
