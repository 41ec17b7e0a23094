"""Confirm and unsubscribe links from emails. The signed token is the credential.

Both follow RFC 8058's lead: a GET shows a one-button page (mail scanners that
prefetch links must not subscribe or unsubscribe anyone); a POST, from that button
or, for unsubscribing, from a mail client's one-click "List-Unsubscribe-Post", acts.
"""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from tracker.reminders.links import owner_from_token, subscription_from_token
from tracker.services.subscriptions import (
    owner_unsubscribe,
    subscription_confirm,
    subscription_unsubscribe,
)

_PAGE = "tracker/reminders/link.html"


def _bad_link(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        _PAGE,
        {
            "title": "This link does not work",
            "message": "It may be incomplete or expired. Copy the whole link from the email.",
        },
        status=404,
    )


def _one_button(
    request: HttpRequest,
    *,
    act: Callable[[], object],
    question: tuple[str, str, str],
    answer: tuple[str, str],
) -> HttpResponse:
    """GET asks (title, message, button); only the button's POST acts, then answers.

    Mail scanners open links; they must not subscribe or unsubscribe anyone.
    """
    if request.method == "POST":
        act()
        title, message = answer
        return render(request, _PAGE, {"title": title, "message": message})
    title, message, button = question
    return render(request, _PAGE, {"title": title, "message": message, "button": button})


@csrf_exempt  # the signed token in the URL is the credential
@require_http_methods(["GET", "POST"])
def confirm(request: HttpRequest, token: str) -> HttpResponse:
    subscription = subscription_from_token(token, purpose="confirm")
    if subscription is None:
        return _bad_link(request)
    subject_of = subscription.subject
    return _one_button(
        request,
        act=lambda: subscription_confirm(subscription=subscription),
        question=(
            "Confirm your subscription",
            f"Send reminders and digests about {subject_of} to {subscription.recipient}?",
            "Confirm",
        ),
        answer=(
            "Subscription confirmed",
            f"{subscription.recipient} will receive reminders about {subject_of}.",
        ),
    )


@csrf_exempt  # the signed token in the URL is the credential; mail clients post without a form
@require_http_methods(["GET", "POST"])
def unsubscribe(request: HttpRequest, token: str) -> HttpResponse:
    subscription = subscription_from_token(token, purpose="unsubscribe")
    if subscription is None:
        return _bad_link(request)
    subject_of = subscription.subject
    return _one_button(
        request,
        act=lambda: subscription_unsubscribe(subscription=subscription),
        question=(
            "Unsubscribe?",
            f"Stop reminders and digests about {subject_of} to {subscription.recipient}.",
            "Unsubscribe",
        ),
        answer=("Unsubscribed", f"No more email about {subject_of}."),
    )


@csrf_exempt  # as above
@require_http_methods(["GET", "POST"])
def unsubscribe_owner(request: HttpRequest, token: str) -> HttpResponse:
    found = owner_from_token(token)
    if found is None:
        return _bad_link(request)
    track, user = found
    return _one_button(
        request,
        act=lambda: owner_unsubscribe(track=track, user=user),
        question=(
            "Unsubscribe?",
            f"Stop the reminders you receive as owner of {track}.",
            "Unsubscribe",
        ),
        answer=("Unsubscribed", f"No more reminders about {track} as its owner."),
    )
