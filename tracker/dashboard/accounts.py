"""Account pages: sign up, verify, the account page and its change of address.

Password reset and change are Django's own views with our templates and a reset form
that sends through the outbox (tracker.dashboard.urls). Every change is one call to
tracker.services.accounts; the emails' links carry the only credential.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import get_user_model, login
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import translation
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from tracker.dashboard.forms import ChoosePasswordForm, NewAddressForm, SignUpForm
from tracker.languages import SESSION_KEY
from tracker.mail_limits import one_more_sign_up_allowed
from tracker.services.accounts import (
    account_language_choose,
    account_sign_up,
    account_verify,
    address_change_confirm,
    address_change_request,
    new_address_from_token,
    sign_up_address,
)

View = Callable[..., HttpResponse]
_LINK_PAGE = "registration/link.html"
# Verified by the emailed link; Django's ModelBackend is the one that logs people in.
_BACKEND = "django.contrib.auth.backends.ModelBackend"


def sign_up_allowed(view: View) -> View:
    """404 when TRACKER_SIGNUP is off: a private deployment has no sign-up at all."""

    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not settings.TRACKER_SIGNUP:
            raise Http404("Sign-up is switched off here; ask an administrator for an account.")
        return view(request, *args, **kwargs)

    return wrapped


def sign_up_context(request: HttpRequest) -> dict[str, bool]:
    """`sign_up_open` for templates: the sign-up link shows only when sign-up is on."""
    return {"sign_up_open": bool(settings.TRACKER_SIGNUP)}


def _bad_link(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        _LINK_PAGE,
        {
            "title": "This link does not work",
            "message": "It may be incomplete, expired or used already. "
            "Copy the whole link from the newest email.",
        },
        status=404,
    )


@sign_up_allowed
@require_http_methods(["GET", "POST"])
def sign_up(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated:
        return redirect("account")
    form = SignUpForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if not one_more_sign_up_allowed(request):
            form.add_error(None, "Too many sign-ups from your network. Try again in an hour.")
            return render(request, "registration/sign_up.html", {"form": form}, status=429)
        account_sign_up(email=form.cleaned_data["email"])
        # The same answer whether or not the address had an account already.
        request.session["sign_up_address"] = form.cleaned_data["email"]
        return redirect("sign_up_sent")
    return render(request, "registration/sign_up.html", {"form": form})


@sign_up_allowed
def sign_up_sent(request: HttpRequest) -> HttpResponse:
    address = request.session.get("sign_up_address", "your address")
    return render(
        request,
        _LINK_PAGE,
        {
            "title": "Check your email",
            "message": f"We sent a link to {address}. "
            "Follow it to verify the address and choose your password.",
        },
    )


@sign_up_allowed
@require_http_methods(["GET", "POST"])
def sign_up_verify(request: HttpRequest, token: str) -> HttpResponse:
    """GET asks for the password, its POST makes the account: mail scanners open links
    too. Whoever follows the link proved the address, so the password chosen here is the
    account's."""
    email = sign_up_address(token)
    if email is None:
        return _bad_link(request)
    # Not saved: the password validators compare the password with the address.
    user = get_user_model()(username=email, email=email)
    form = ChoosePasswordForm(request.POST or None, user=user)
    if request.method == "POST" and form.is_valid():
        made = account_verify(token=token, password=form.cleaned_data["password1"])
        if made is None:
            return _bad_link(request)
        login(request, made, backend=_BACKEND)
        messages.success(
            request,
            _("Your address %(email)s is verified. Choose what to follow.") % {"email": made.email},
        )
        return redirect("subscriptions")
    return render(request, "registration/sign_up_verify.html", {"form": form, "user": user})


@login_required
@require_http_methods(["GET", "POST"])
def account(request: HttpRequest) -> HttpResponse:
    user: Any = request.user
    form = NewAddressForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        new = form.cleaned_data["email"]
        try:
            address_change_request(user=user, email=new, password=form.cleaned_data["password"])
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(
                request,
                _(
                    "We sent a link to %(new)s, unless another account uses it. Reminders keep "
                    "going to %(email)s until you follow it."
                )
                % {"new": new, "email": user.email},
            )
            return redirect("account")
    return render(request, "registration/account.html", {"form": form})


@require_http_methods(["GET", "POST"])
def account_address_verify(request: HttpRequest, token: str) -> HttpResponse:
    change = new_address_from_token(token)
    if change is None:
        return _bad_link(request)
    if request.method == "POST":
        try:
            address_change_confirm(change=change)
        except ValidationError:
            return _bad_link(request)
        messages.success(request, _("Reminders now go to %(email)s.") % {"email": change.email})
        return redirect("account" if request.user.is_authenticated else "login")
    return render(
        request,
        _LINK_PAGE,
        {
            "title": "Verify your new address",
            "message": f"Send reminders for {change.user.get_username()} to {change.email} "
            f"instead of {change.user.email}?",
            "button": "Use this address",
        },
    )


def language_choose(request: HttpRequest, code: str) -> HttpResponse:
    """The footer's language links (no script, no form): the choice is kept in a cookie
    for this browser, then the reader goes back to the page they were on."""
    if code not in dict(settings.LANGUAGES):
        raise Http404("No such language here.")
    wanted = request.GET.get("next", "/")
    safe = url_has_allowed_host_and_scheme(
        wanted, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    )
    response = redirect(wanted if safe else "/")
    response.set_cookie(
        settings.LANGUAGE_COOKIE_NAME,
        code,
        max_age=settings.LANGUAGE_COOKIE_AGE,
        samesite="Lax",
        secure=request.is_secure(),
    )
    return response


@login_required
@require_POST
def account_language(request: HttpRequest) -> HttpResponse:
    """The account page's language: the interface on every device, and the emails."""
    code = request.POST.get("language", "")
    try:
        account_language_choose(user=request.user, language=code)
    except ValidationError:
        raise Http404("No such language here.") from None
    request.session[SESSION_KEY] = code
    translation.activate(code)
    messages.success(request, _("Your language is saved."))
    response = redirect("account")
    response.delete_cookie(settings.LANGUAGE_COOKIE_NAME)
    return response
