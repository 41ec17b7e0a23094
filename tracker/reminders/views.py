"""Confirm and unsubscribe links from emails. The signed token is the credential.

Both follow RFC 8058's lead: a GET shows a one-button page (mail scanners that
prefetch links must not subscribe or unsubscribe anyone); a POST, from that button
or, for unsubscribing, from a mail client's one-click "List-Unsubscribe-Post", acts.
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from tracker.reminders.unsubscribe import owner_from_token, owner_unsubscribe
from tracker.subscriptions import (
    subscription_confirm,
    subscription_from_token,
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


@csrf_exempt  # the signed token in the URL is the credential
@require_http_methods(["GET", "POST"])
def confirm(request: HttpRequest, token: str) -> HttpResponse:
    subscription = subscription_from_token(token, purpose="confirm")
    if subscription is None:
        return _bad_link(request)
    subject_of = subscription.track or subscription.negotiation
    # As with unsubscribing, only the button confirms: a mail scanner that opens
    # links must not sign anyone up.
    if request.method == "POST":
        subscription_confirm(subscription=subscription)
        return render(
            request,
            _PAGE,
            {
                "title": "Subscription confirmed",
                "message": f"{subscription.recipient} will receive reminders about {subject_of}.",
            },
        )
    return render(
        request,
        _PAGE,
        {
            "title": "Confirm your subscription",
            "message": f"Send reminders and digests about {subject_of} "
            f"to {subscription.recipient}?",
            "button": "Confirm",
        },
    )


@csrf_exempt  # the signed token in the URL is the credential; mail clients post without a form
@require_http_methods(["GET", "POST"])
def unsubscribe(request: HttpRequest, token: str) -> HttpResponse:
    subscription = subscription_from_token(token, purpose="unsubscribe")
    if subscription is None:
        return _bad_link(request)
    subject_of = subscription.track or subscription.negotiation
    if request.method == "POST":
        subscription_unsubscribe(subscription=subscription)
        return render(
            request,
            _PAGE,
            {"title": "Unsubscribed", "message": f"No more email about {subject_of}."},
        )
    return render(
        request,
        _PAGE,
        {
            "title": "Unsubscribe?",
            "message": f"Stop reminders and digests about {subject_of} "
            f"to {subscription.recipient}.",
            "button": "Unsubscribe",
        },
    )


@csrf_exempt  # as above
@require_http_methods(["GET", "POST"])
def unsubscribe_owner(request: HttpRequest, token: str) -> HttpResponse:
    found = owner_from_token(token)
    if found is None:
        return _bad_link(request)
    track, user = found
    if request.method == "POST":
        owner_unsubscribe(track=track, user=user)
        return render(
            request,
            _PAGE,
            {"title": "Unsubscribed", "message": f"No more reminders about {track} as its owner."},
        )
    return render(
        request,
        _PAGE,
        {
            "title": "Unsubscribe?",
            "message": f"Stop the reminders you receive as owner of {track}.",
            "button": "Unsubscribe",
        },
    )
