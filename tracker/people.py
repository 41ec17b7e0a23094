"""How a person is named where others can read it.

Self-signed-up accounts are named by their email address, so a username is never shown
to anyone but staff: pages, exports, feeds and the API's readers see the display name
(first and last name), else a username that is not an address, else "User <id>".
"""

from __future__ import annotations

from typing import Any


def public_name(user: Any) -> str:
    """The name of `user` that anyone may read."""
    full = user.get_full_name().strip()
    if full:
        return str(full)
    username = str(user.get_username())
    return username if "@" not in username else f"User {user.pk}"


def name_for(user: Any, *, reader: Any) -> str:
    """Staff read the username (what the API's writes take); everyone else the public name."""
    if getattr(reader, "is_staff", False):
        return str(user.get_username())
    return public_name(user)
