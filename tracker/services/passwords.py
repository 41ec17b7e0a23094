"""A password change, and what goes with it: the account's other credentials are revoked.

Django signs sessions out by itself when the password changes (a session keeps a hash of
it). API tokens (django-rest-knox) and the private calendar feed URL are separate secrets,
so the change revokes them in the same transaction. Every page that sets a password (the
admin's, the password-change and password-reset pages) and `manage.py set_password` call
this; a hasher upgrade at login is not a change and revokes nothing.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.db import transaction

from tracker.services.tokens import credentials_revoke


@transaction.atomic
def password_change(*, user_id: int, password: str | None) -> Any:
    """Give the user `password` (None: no usable password, as the admin offers) and, when
    a password is set, revoke their API tokens and calendar feed secret. Returns the user."""
    user = get_user_model()._default_manager.select_for_update().get(pk=user_id)
    if password is None:
        user.set_unusable_password()
    else:
        user.set_password(password)
    user.save(update_fields=["password"])
    if password is not None:
        credentials_revoke(user=user)
    return user
