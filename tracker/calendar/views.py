"""Calendar feed endpoints: public when TRACKER_PUBLIC, otherwise by a private token URL.

A feed holds every open milestone, however old, and the closed ones from a year ago
onward unless the URL asks for more (`since`, `past=all`; docs/design.md "Calendar
feeds"). Its body is cached and its ETag derived from the data version
(tracker.versions), so a polling client's repeat costs one primary-key read and a 304,
and a write anywhere changes both.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.core.cache import cache
from django.http import (
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseBadRequest,
    HttpResponseBase,
    QueryDict,
)
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.cache import get_conditional_response, patch_cache_control
from django.utils.http import http_date, quote_etag
from django.views.decorators.http import require_safe

from tracker import versions
from tracker.calendar.feeds import calendar_body, calendar_rows
from tracker.calendar.tokens import feed_digest
from tracker.models import Negotiation
from tracker.selectors import calendar_token_by_digest, milestones_for_calendar

CONTENT_TYPE = "text/calendar; charset=utf-8"
PLAIN = "text/plain; charset=utf-8"
PAST_DAYS = 365
# Clients poll; five minutes between revalidations, each a cheap 304.
MAX_AGE = 300
# A body stays in its slot until the version moves or this passes: one per feed and window.
CACHE_SECONDS = 3600
# Names what the feed holds; a change of contents under the same data version (a release
# that words or windows events differently) changes it, so no ETag or cached body from
# before is served again. 2: open milestones in every window (issue 20).
FEED_FORMAT = 2


class BadWindow(ValueError):
    """A `since` or `past` the feed cannot read; its message is the 400's text."""


def requested_since(query: QueryDict, today: dt.date) -> dt.date | None:
    """The first day of completed milestones the feed covers (open ones are always in): a
    year ago by default, `since=YYYY-MM-DD` when given, and None (everything) for
    `past=all`."""
    since, past = query.get("since"), query.get("past")
    if past is not None and past != "all":
        raise BadWindow("past takes one value: past=all (every event, however old).")
    if past is not None and since is not None:
        raise BadWindow("Give since=YYYY-MM-DD or past=all, not both.")
    if past == "all":
        return None
    if since is None:
        return today - dt.timedelta(days=PAST_DAYS)
    try:
        return dt.date.fromisoformat(since)
    except ValueError:
        raise BadWindow(
            f"since must be a date written YYYY-MM-DD, such as {today.isoformat()}; "
            "past=all gives every event."
        ) from None


def _feed(
    request: HttpRequest, *, slug: str | None, filename: str | None, private: bool
) -> HttpResponseBase:
    today = timezone.localdate()
    try:
        since = requested_since(request.GET, today)
    except BadWindow as error:
        return HttpResponseBadRequest(f"{error}\n", content_type=PLAIN)
    window = since.isoformat() if since else "all"
    version = versions.current()
    key = version.key("calendar", FEED_FORMAT, slug or "", window, today=today)
    etag, last_modified = quote_etag(key), version.last_modified(today)
    # The version alone decides: a matching ETag means nothing changed since, so a
    # repeat reads neither the negotiation nor the milestones.
    response = get_conditional_response(
        request, etag=etag, last_modified=int(last_modified.timestamp())
    )
    if response is None:
        negotiation = get_object_or_404(Negotiation, slug=slug) if slug else None
        response = HttpResponse(_body(negotiation, since, key, today), content_type=CONTENT_TYPE)
        response["Content-Disposition"] = f'inline; filename="{filename or "tranche.ics"}"'
    response["ETag"] = etag
    response["Last-Modified"] = http_date(last_modified.timestamp())
    # Shared caches may keep what anyone may read; a token's or a login's feed is its own.
    if private or not settings.TRACKER_PUBLIC:
        patch_cache_control(response, private=True, max_age=MAX_AGE)
    else:
        patch_cache_control(response, public=True, max_age=MAX_AGE)
    return response


def cache_slot(slug: str | None, since: dt.date | None) -> str:
    """Where one feed and window keep their body: one slot each, overwritten when the
    version moves, so writes never pile up stale bodies in the cache."""
    return f"calendar:{slug or ''}:{since or 'all'}"


def _body(
    negotiation: Negotiation | None, since: dt.date | None, key: str, today: dt.date
) -> bytes:
    """The feed's text, from the cache when it was written under this version and day."""
    slot = cache_slot(negotiation.slug if negotiation else None, since)
    cached = cache.get(slot)
    if isinstance(cached, tuple) and cached[0] == key:
        body: bytes = cached[1]
        return body
    name = f"Tranche: {negotiation.name}" if negotiation else "Tranche: trade deal deadlines"
    rows = calendar_rows(milestones_for_calendar(negotiation, since=since))
    body = calendar_body(rows, name=name, today=today)
    cache.set(slot, (key, body), CACHE_SECONDS)
    return body


def _forbidden() -> HttpResponse:
    return HttpResponse(
        "This calendar is private. Sign in, or use your private feed URL "
        "(POST /api/v1/calendar/feed/ gives you one).\n",
        status=403,
        content_type=PLAIN,
    )


def _may_read(request: HttpRequest) -> bool:
    return bool(settings.TRACKER_PUBLIC or request.user.is_authenticated)


def _require_token(key: str) -> None:
    if calendar_token_by_digest(feed_digest(key)) is None:
        raise Http404("No such feed; it may have been revoked.")


@require_safe
def all_feed(request: HttpRequest) -> HttpResponseBase:
    if not _may_read(request):
        return _forbidden()
    return _feed(request, slug=None, filename=None, private=False)


@require_safe
def negotiation_feed(request: HttpRequest, slug: str) -> HttpResponseBase:
    if not _may_read(request):
        return _forbidden()
    return _feed(request, slug=slug, filename=f"{slug}.ics", private=False)


@require_safe
def private_feed(request: HttpRequest, key: str) -> HttpResponseBase:
    _require_token(key)
    return _feed(request, slug=None, filename=None, private=True)


@require_safe
def private_negotiation_feed(request: HttpRequest, key: str, slug: str) -> HttpResponseBase:
    _require_token(key)
    return _feed(request, slug=slug, filename=f"{slug}.ics", private=True)
