"""Django's database sessions, refusing a session cookie that Django could never have issued.

Django's keys are 32 lowercase letters and digits. A cookie holding anything else (a NUL,
which PostgreSQL cannot even compare, or any other byte a client invents) names no session:
the request goes on as anonymous instead of failing in the database.
"""

from __future__ import annotations

from django.contrib.sessions.backends.base import VALID_KEY_CHARS
from django.contrib.sessions.backends.db import SessionStore as DatabaseSessionStore

_KEY_CHARS = frozenset(VALID_KEY_CHARS)


class SessionStore(DatabaseSessionStore):
    def _validate_session_key(self, key: str | None) -> bool:
        # Django's own rule (a key of at least 8 characters), and only the characters it uses.
        return bool(key) and len(key or "") >= 8 and _KEY_CHARS.issuperset(key or "")
