"""The forms that set a password, saving through `tracker.services.passwords`.

Django's password forms set the password on the user and save it; these hand the new
password to the service instead, which also revokes the account's other credentials.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth import forms as auth_forms

from tracker import services


class _ThroughTheService:
    cleaned_data: dict[str, Any]

    def set_password_and_save(
        self, user: Any, password_field_name: str = "password1", commit: bool = True
    ) -> Any:
        if not commit:
            return super().set_password_and_save(  # type: ignore[misc]
                user, password_field_name, commit=False
            )
        # The admin's form may ask for no usable password (set_usable_password False).
        usable = self.cleaned_data.get("set_usable_password", True)
        password = self.cleaned_data[password_field_name] if usable else None
        changed = services.password_change(user_id=user.pk, password=password)
        # The views sign the session in again with the new hash (update_session_auth_hash).
        user.password = changed.password
        return user


class SetPasswordForm(_ThroughTheService, auth_forms.SetPasswordForm):  # type: ignore[type-arg]
    """The password-reset page's form."""


class PasswordChangeForm(_ThroughTheService, auth_forms.PasswordChangeForm):
    """The signed-in reader's password-change page."""


class AdminPasswordChangeForm(_ThroughTheService, auth_forms.AdminPasswordChangeForm):  # type: ignore[type-arg]
    """The admin's "change password" page for a user."""
