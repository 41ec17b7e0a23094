"""The reader's language, first found of: the footer's language links (a cookie, for this
browser), the account's choice (on the account page; its emails use it too), the
browser's Accept-Language. Django's LocaleMiddleware reads the cookie and the browser.

The account's choice is read from the database at login and kept in the session, so a page
costs no extra query; choosing it (tracker.dashboard.accounts.account_language) updates both.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.contrib.auth.signals import user_logged_in
from django.dispatch import receiver
from django.http import HttpRequest, HttpResponse
from django.utils import translation

from tracker.models import AccountLanguage

SESSION_KEY = "account_language"


@receiver(user_logged_in)
def remember_account_language(sender: Any, request: HttpRequest, user: Any, **kwargs: Any) -> None:
    """At login, one query puts the account's language in the session; pages read it there."""
    chosen = AccountLanguage.objects.filter(user=user).values_list("language", flat=True)
    request.session[SESSION_KEY] = next(iter(chosen), "")


def account_language(request: HttpRequest) -> str:
    """The authenticated account's chosen language, or "" when it chose none."""
    return str(request.session.get(SESSION_KEY, ""))


class AccountLanguageMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        chose_here = settings.LANGUAGE_COOKIE_NAME in request.COOKIES
        if user is not None and user.is_authenticated and not chose_here:
            code = account_language(request)
            if code:
                translation.activate(code)
                request.LANGUAGE_CODE = code
        return self.get_response(request)
