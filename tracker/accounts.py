"""A password change revokes the account's other credentials.

Django already signs sessions out when the password changes (the session keeps a hash
of it). API tokens (django-rest-knox) and the private calendar feed URL are separate
secrets, so they are revoked here. The hook is Django's own: every password validator's
`password_changed` runs when a new password is saved with `set_password`, from the
admin, the password-reset pages, `manage.py changepassword` or code alike; a hasher
upgrade at login is not a change and revokes nothing.
"""

from __future__ import annotations

from typing import Any

from django.db import transaction
from knox.models import AuthToken

from tracker.models import CalendarFeedToken


def credentials_revoke(*, user: Any) -> None:
    """Delete every API token and the calendar feed secret of `user`."""
    with transaction.atomic():
        AuthToken.objects.filter(user=user).delete()
        CalendarFeedToken.objects.filter(user=user).delete()


class RevokeCredentialsOnPasswordChange:
    """Listed in AUTH_PASSWORD_VALIDATORS for its `password_changed`; it refuses nothing."""

    def validate(self, password: str, user: Any = None) -> None:
        return None

    def password_changed(self, password: str, user: Any = None) -> None:
        if user is not None and user.pk is not None:
            credentials_revoke(user=user)

    def get_help_text(self) -> str:
        return "Changing your password also revokes your API tokens and private calendar feed."
