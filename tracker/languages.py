"""The reader's language, first found of: the footer's language links (a cookie, for this
browser), the account's choice (on the account page; its emails use it too), the
browser's Accept-Language. Django's LocaleMiddleware reads the cookie and the browser.

The account's choice is read from the database once per session and kept in it, so a page
costs no extra query; choosing it (tracker.dashboard.accounts.account_language) updates both.
"""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils import translation

from tracker.models import AccountLanguage

SESSION_KEY = "account_language"


def account_language(request: HttpRequest) -> str:
    """The authenticated account's chosen language, or "" when it chose none."""
    if SESSION_KEY not in request.session:
        chosen = AccountLanguage.objects.filter(user=request.user)  # type: ignore[misc]
        request.session[SESSION_KEY] = next(iter(chosen.values_list("language", flat=True)), "")
    return str(request.session[SESSION_KEY])


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
