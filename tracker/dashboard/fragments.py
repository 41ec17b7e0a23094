"""Parts of pages that are the same for every reader, cached on the data version.

A fragment is rendered HTML (a negotiation's timeline, tracks and sources; the overview's
cards; one page of the upcoming list). Its key (tracker.versions `Version.key`) names the
data version, the day, what the fragment shows, including any filters and page numbers
that chose its rows, and the code that drew it. So a write through any service moves
every key on, so does midnight (statuses and "days remaining" turn then), and so does a
deploy that changes the dashboard's templates or code; old entries are never read again
and expire. Nothing that depends on the reader (their name, subscriptions, a CSRF token)
or on unvalidated query parameters is ever inside a fragment.

When the cache cannot be reached the page is rendered as if nothing were cached: slower,
never wrong, and logged.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

from django.core.cache import cache
from django.utils.translation import get_language

from tracker.versions import Version

log = logging.getLogger(__name__)

T = TypeVar("T")

# Every write orphans every fragment (the key moves on), so an entry lives an hour at
# most: orphans leave the cache soon, and a page nobody writes to is drawn again hourly.
TIMEOUT = 60 * 60
PREFIX = "fragment:"


def _code_version() -> str:
    """A digest of the dashboard's code and templates, as deployed."""
    package = Path(__file__).resolve().parent.parent
    files = sorted(
        [
            *(package / "dashboard").glob("*.py"),
            *(package / "templates" / "tracker").glob("*.html"),
            *(package / "locale").glob("*/LC_MESSAGES/django.po"),
        ]
    )
    digest = hashlib.blake2b(digest_size=6)
    for path in files:
        digest.update(path.read_bytes())
    return digest.hexdigest()


CODE = _code_version()


def cached(version: Version, today: dt.date, *names: object, build: Callable[[], T]) -> T:
    """The fragment `names` as of `version` and `today`: from the cache, else built and kept.

    `build` runs only on a miss; an exception it raises (a 404) is not cached.
    """
    # Each language has its own copy: the fragment is drawn in the reader's language.
    key = PREFIX + version.key(CODE, get_language(), *names, today=today)
    try:
        found: T | None = cache.get(key)
    except Exception:  # the page must not depend on the cache being up
        log.warning("page fragment cache unreachable; rendering without it", exc_info=True)
        return build()
    if found is not None:
        return found
    fragment = build()
    try:
        cache.set(key, fragment, TIMEOUT)
    except Exception:
        log.warning("page fragment cache unreachable; not keeping a fragment", exc_info=True)
    return fragment
