"""Calendar feed endpoints: public when TRACKER_PUBLIC, otherwise by a private token URL."""

from __future__ import annotations

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from django.views.decorators.http import require_safe

from tracker.calendar.feeds import milestones_calendar
from tracker.calendar.tokens import feed_digest
from tracker.models import Negotiation
from tracker.selectors import calendar_token_by_digest, milestones_for_calendar

CONTENT_TYPE = "text/calendar; charset=utf-8"


def _feed(negotiation: Negotiation | None, filename: str) -> HttpResponse:
    name = f"Tranche: {negotiation.name}" if negotiation else "Tranche: trade deal deadlines"
    body = milestones_calendar(milestones_for_calendar(negotiation), name=name)
    response = HttpResponse(body, content_type=CONTENT_TYPE)
    response["Content-Disposition"] = f'inline; filename="{filename}"'
    return response


def _forbidden() -> HttpResponse:
    return HttpResponse(
        "This calendar is private. Sign in, or use your private feed URL "
        "(POST /api/v1/calendar/feed/ gives you one).\n",
        status=403,
        content_type="text/plain; charset=utf-8",
    )


def _may_read(request: HttpRequest) -> bool:
    return bool(settings.TRACKER_PUBLIC or request.user.is_authenticated)


@require_safe
def all_feed(request: HttpRequest) -> HttpResponse:
    if not _may_read(request):
        return _forbidden()
    return _feed(None, "tranche.ics")


@require_safe
def negotiation_feed(request: HttpRequest, slug: str) -> HttpResponse:
    if not _may_read(request):
        return _forbidden()
    negotiation = get_object_or_404(Negotiation, slug=slug)
    return _feed(negotiation, f"{negotiation.slug}.ics")


@require_safe
def private_feed(request: HttpRequest, key: str) -> HttpResponse:
    if calendar_token_by_digest(feed_digest(key)) is None:
        raise Http404("No such feed; it may have been revoked.")
    return _feed(None, "tranche.ics")


@require_safe
def private_negotiation_feed(request: HttpRequest, key: str, slug: str) -> HttpResponse:
    if calendar_token_by_digest(feed_digest(key)) is None:
        raise Http404("No such feed; it may have been revoked.")
    negotiation = get_object_or_404(Negotiation, slug=slug)
    return _feed(negotiation, f"{negotiation.slug}.ics")
