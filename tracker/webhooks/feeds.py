"""Atom feeds of recent changes: completions, deadline moves, health changes, new figures.

Read from the same events the webhooks send (tracker.webhooks.events.FEED_TYPES), so a
feed reader and a webhook receiver hear the same story. Public when TRACKER_PUBLIC;
otherwise signed-in readers, or anyone with the private token URL of the calendar feeds
(POST /api/v1/calendar/feed/ gives it; tracker.calendar.tokens).
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from django.conf import settings
from django.contrib.syndication.views import Feed
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils.feedgenerator import Atom1Feed
from django.views.decorators.http import require_safe

from tracker.calendar.tokens import feed_digest
from tracker.models import Negotiation, WebhookEvent
from tracker.selectors import calendar_token_by_digest
from tracker.webhooks.events import FEED_TYPES

ITEMS = 50
AUTHOR = "Tranche"


class PlainTextAtomFeed(Atom1Feed):
    """Atom whose summaries are `type="text"`: the descriptions are plain text, so a title
    containing `<b>` stays those three characters in a feed reader, never markup."""

    def add_item_elements(self, handler: Any, item: dict[str, Any]) -> None:
        super().add_item_elements(handler, {**item, "description": None})
        if item["description"] is not None:
            handler.addQuickElement("summary", item["description"], {"type": "text"})


def recent_changes(negotiation: Negotiation | None) -> QuerySet[WebhookEvent]:
    events = WebhookEvent.objects.filter(type__in=FEED_TYPES)
    if negotiation is not None:
        events = events.filter(negotiation=negotiation)
    return events.order_by("-occurred_at", "-id")[:ITEMS]


def _subject(data: dict[str, Any]) -> dict[str, Any]:
    """What an event is about: the narrowest thing its payload describes."""
    for key in ("milestone", "target", "track", "negotiation"):
        if isinstance(data.get(key), dict) and data[key].get("url"):
            return dict(data[key])
    return {}


class ChangesFeed(Feed):  # type: ignore[type-arg]
    feed_type = PlainTextAtomFeed
    # RFC 4287 §4.1.1: a feed has an author unless every entry has one; the entries have none.
    author_name = AUTHOR

    def author_link(self) -> str:
        return f"{settings.SITE_URL}/"

    def get_object(self, request: HttpRequest, slug: str | None = None, **_: Any) -> Any:
        return get_object_or_404(Negotiation, slug=slug) if slug else None

    def title(self, negotiation: Negotiation | None) -> str:
        if negotiation is None:
            return "Tranche: recent changes"
        return f"Tranche: recent changes in {negotiation.name}"

    def link(self, negotiation: Negotiation | None) -> str:
        if negotiation is None:
            return reverse("overview")
        return reverse("negotiation", args=[negotiation.slug])

    def subtitle(self, negotiation: Negotiation | None) -> str:
        return "Milestones completed, deadlines moved, health changed, new figures."

    def feed_url(self, negotiation: Negotiation | None) -> str:
        # The public address, never the private one: a reader shares what it shows.
        if negotiation is None:
            return reverse("changes-feed")
        return reverse("negotiation-changes-feed", args=[negotiation.slug])

    def items(self, negotiation: Negotiation | None) -> QuerySet[WebhookEvent]:
        return recent_changes(negotiation)

    def item_title(self, event: WebhookEvent) -> str:
        return event.title

    def item_description(self, event: WebhookEvent) -> str:
        data = event.payload.get("data", {})
        lines = [event.title + "."]
        if data.get("reason"):
            lines.append(f"Why: {data['reason']}")
        negotiation = data.get("negotiation") or {}
        if negotiation.get("name"):
            lines.append(f"Negotiation: {negotiation['name']}")
        subject = _subject(data)
        # Events recorded before payloads carried their freshness have none to say.
        if subject.get("freshness"):
            lines.append(f"Sources, when this happened: {subject['freshness']}.")
        return "\n".join(lines)

    def item_link(self, event: WebhookEvent) -> str:
        url = _subject(event.payload.get("data", {})).get("url")
        return str(url) if url else f"{settings.SITE_URL}/"

    def item_guid(self, event: WebhookEvent) -> str:
        return uuid.UUID(event.public_id.removeprefix("msg_")).urn

    item_guid_is_permalink = False

    def item_pubdate(self, event: WebhookEvent) -> dt.datetime:
        return event.occurred_at

    def item_updateddate(self, event: WebhookEvent) -> dt.datetime:
        return event.occurred_at

    def item_categories(self, event: WebhookEvent) -> list[str]:
        return [event.type]


changes = ChangesFeed()


def _forbidden() -> HttpResponse:
    return HttpResponse(
        "This feed is private. Sign in, or use your private feed URL "
        "(POST /api/v1/calendar/feed/ gives you one).\n",
        status=403,
        content_type="text/plain; charset=utf-8",
    )


@require_safe
def all_changes(request: HttpRequest) -> HttpResponse:
    if not (settings.TRACKER_PUBLIC or request.user.is_authenticated):
        return _forbidden()
    return changes(request)


@require_safe
def negotiation_changes(request: HttpRequest, slug: str) -> HttpResponse:
    if not (settings.TRACKER_PUBLIC or request.user.is_authenticated):
        return _forbidden()
    return changes(request, slug=slug)


def _token(key: str) -> None:
    if calendar_token_by_digest(feed_digest(key)) is None:
        raise Http404("No such feed; it may have been revoked.")


@require_safe
def private_changes(request: HttpRequest, key: str) -> HttpResponse:
    _token(key)
    return changes(request)


@require_safe
def private_negotiation_changes(request: HttpRequest, key: str, slug: str) -> HttpResponse:
    _token(key)
    return changes(request, slug=slug)
