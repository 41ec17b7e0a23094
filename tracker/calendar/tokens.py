"""Private calendar feed tokens: the secret in a feed URL, which its owner can rotate or revoke.

The database keeps only the secret's SHA-256 (`CalendarFeedToken.digest`): the URL, with
the secret in it, is shown once, when the token is made. The secret is 256 random bits,
so a plain hash is enough: there is nothing to guess. Making, rotating and revoking one
is in `tracker.services.tokens`.
"""

from __future__ import annotations

import hashlib


def feed_digest(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8", "surrogatepass")).hexdigest()
