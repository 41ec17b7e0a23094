"""The site's own defences that config/settings.py points at.

- `CredentialMaskingFilter`: error pages and error emails show no password that sits
  inside a URL setting or environment variable (`EMAIL_URL`, `REDIS_URL`, …).
- `LoopbackOnlyWhileDebugging`: with DEBUG on, only this machine is answered, however
  the server was bound, so no visitor ever sees a debug page.
- `client_address` and `lockout_response`: the address django-axes counts failed logins
  by, and what a locked-out login route answers.
- `check_secret_key`: `check --deploy` asks for an explicit SECRET_KEY.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.core.checks import CheckMessage, Tags, register
from django.core.checks import Warning as CheckWarning
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.debug import SafeExceptionReporterFilter

from config.loopback import is_loopback

# user:password@ (or :password@, or a bare token@) after a scheme.
_USERINFO = re.compile(r"(?P<scheme>[A-Za-z][A-Za-z0-9+.-]*://)[^/@\s]+@")


def mask_credentials(text: str) -> str:
    """'smtp://user:pass@host:25' -> 'smtp://********@host:25'."""
    return _USERINFO.sub(r"\g<scheme>********@", text)


class CredentialMaskingFilter(SafeExceptionReporterFilter):
    """Django's filter, also hiding settings named like URLs and any credentials in a URL.

    Django hides settings whose names look secret (KEY, PASS, TOKEN …); a password inside
    `EMAIL_URL`, `REDIS_URL`, `DATABASE_URL` or the cache's LOCATION has a harmless name.
    """

    hidden_settings = re.compile(
        SafeExceptionReporterFilter.hidden_settings.pattern + "|URL|LOCATION", flags=re.I
    )

    def cleanse_setting(self, key: Any, value: Any) -> Any:
        cleansed = super().cleanse_setting(key, value)
        if isinstance(cleansed, str):
            return mask_credentials(str(cleansed))
        return cleansed


class LoopbackOnlyWhileDebugging:
    """With DEBUG on, answer only this machine: the debug pages list settings and URLs.

    Settings already refuse DEBUG with a WEB_BIND beyond loopback; this also covers
    `runserver 0.0.0.0:8000` and a proxy on this machine forwarding outside visitors.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if settings.DEBUG and not self._from_this_machine(request):
            return HttpResponse(
                "Tranche is running in debug mode, which answers this machine only.\n",
                status=403,
                content_type="text/plain; charset=utf-8",
            )
        return self.get_response(request)

    @staticmethod
    def _from_this_machine(request: HttpRequest) -> bool:
        forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
        addresses = [request.META.get("REMOTE_ADDR", "")]
        addresses += [a for a in forwarded.split(",") if a.strip()]
        if request.META.get("HTTP_FORWARDED"):
            return False  # RFC 7239 proxies: someone else is asking through this machine
        return all(is_loopback(address) for address in addresses)


class NulRefused:
    """A NUL (0x00) in the query string is a 400: PostgreSQL refuses NUL in any text, even
    inside a search or the admin's autocomplete filter, which would make it a 500. The API
    answers the same in JSON (tracker.api.errors)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.path.startswith("/api/"):
            return self.get_response(request)
        if any("\x00" in "".join([key, *values]) for key, values in request.GET.lists()):
            return HttpResponse(
                "Text cannot contain NUL (0x00) characters.\n",
                status=400,
                content_type="text/plain; charset=utf-8",
            )
        return self.get_response(request)


def client_address(request: HttpRequest) -> str:
    """The address failed logins are counted by (django-axes' AXES_CLIENT_IP_CALLABLE).

    REMOTE_ADDR, unless TRUSTED_PROXIES says how many reverse proxies of ours stand in
    front: each appends the address it saw to X-Forwarded-For, so the client is the
    entry that many places from the end. Entries further left are whatever the client
    wrote there and are never trusted.
    """
    hops: int = settings.TRUSTED_PROXIES
    if hops:
        forwarded = [a.strip() for a in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")]
        forwarded = [a for a in forwarded if a]
        if len(forwarded) >= hops:
            return str(forwarded[-hops])
    return str(request.META.get("REMOTE_ADDR") or "")


def lockout_response(
    request: HttpRequest, original_response: Any = None, credentials: Any = None
) -> HttpResponse:
    """What a login route answers during a lockout (django-axes' AXES_LOCKOUT_CALLABLE)."""
    minutes = int(settings.AXES_COOLOFF_TIME.total_seconds() // 60)
    message = (
        "Too many failed logins for this account or from this address. "
        f"Try again in {minutes} minutes (each try before then starts the wait again), "
        "or ask an administrator to unlock it."
    )
    response: HttpResponse
    if request.path.startswith("/api/"):
        response = JsonResponse({"detail": message}, status=429)
    else:
        response = HttpResponse(message + "\n", status=429, content_type="text/plain")
    response["Retry-After"] = str(minutes * 60)
    return response


def register_checks() -> None:
    register(check_secret_key, Tags.security, deploy=True)
    register(check_private_without_sign_up, Tags.security, deploy=True)


def check_private_without_sign_up(**kwargs: Any) -> list[CheckMessage]:
    if not settings.TRACKER_PUBLIC and settings.TRACKER_SIGNUP:
        return [
            CheckWarning(
                "TRACKER_PUBLIC is false but TRACKER_SIGNUP is true: anyone can sign up, "
                "verify an address and then read every page, export and feed, and get an "
                "API token. Unset TRACKER_SIGNUP (or set it to false) to keep the tracker "
                "private.",
                id="tracker.W002",
            )
        ]
    return []


def check_secret_key(**kwargs: Any) -> list[CheckMessage]:
    if getattr(settings, "SECRET_KEY_GENERATED", False):
        return [
            CheckWarning(
                "SECRET_KEY is not set: Tranche generated one for this machine in "
                f"{settings.VAR_DIR}. Set SECRET_KEY in production, the same for every "
                "web and worker process, so that links signed by one are valid on all.",
                id="tracker.W001",
            )
        ]
    return []
