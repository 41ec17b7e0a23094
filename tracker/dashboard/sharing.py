"""What other sites show of Tranche: status badges (SVG) and the embeddable widget.

Both follow TRACKER_PUBLIC: when the tracker is private, anonymous requests get a 403 that
says why (no token URL: a badge sits on public pages, where a token would leak). The embed
routes are the only pages other sites may frame (CSP `frame-ancestors`, from
TRACKER_EMBED_ANCESTORS, and no X-Frame-Options); every other page keeps DENY.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from functools import wraps
from typing import Any

from csp.decorators import csp_replace
from django.conf import settings
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import get_conditional_response, patch_cache_control
from django.utils.html import escape
from django.views.decorators.clickjacking import xframe_options_exempt
from django.views.decorators.http import require_safe

from tracker import figures, freshness
from tracker.dashboard import wording
from tracker.dashboard.badges import badge_svg
from tracker.deadlines import Precision
from tracker.models import Milestone, Negotiation, Track

OPEN_STATES = ("planned", "in_progress")
# Statuses are refreshed every ten minutes; a badge may lag by at most half that again.
BADGE_MAX_AGE = 300
STRIP_WIDTH = 600
STRIP_MARGIN = 12
# As many as fit the snippet's 480×360 frame under the strip.
EMBED_LIST = 3

View = Callable[..., HttpResponseBase]


def _may_read(request: HttpRequest) -> bool:
    return bool(settings.TRACKER_PUBLIC or request.user.is_authenticated)


def _private() -> HttpResponse:
    return HttpResponse(
        "This tracker is private: its badges and embeds are shown to signed-in users only.\n",
        status=403,
        content_type="text/plain; charset=utf-8",
    )


def next_deadline_text(milestones: QuerySet[Milestone], on: dt.date | None) -> str:
    """The next deadline as its source worded it ("by 2030"), else as a day
    (tracker.figures.next_deadline_words)."""
    if on is None:
        return ""
    nearest = (
        milestones.filter(state__in=OPEN_STATES, deadline_latest=on)
        .order_by("track__position", "title", "id")
        .first()
    )
    return figures.next_deadline_words(nearest.deadline if nearest else None, on)


def overdue_count(milestones: QuerySet[Milestone]) -> int:
    """The open milestones whose deadline has passed: what a badge must not hide."""
    return milestones.filter(state__in=OPEN_STATES, status="overdue").count()


def _svg(request: HttpRequest, body: str) -> HttpResponseBase:
    """The badge, cacheable: max-age, an ETag of its bytes, and 304 when it is unchanged."""
    etag = '"' + hashlib.sha256(body.encode()).hexdigest()[:32] + '"'
    response = HttpResponse(body, content_type="image/svg+xml; charset=utf-8")
    response["ETag"] = etag
    # A private tracker's badge may only be kept by the signed-in reader's own browser.
    if settings.TRACKER_PUBLIC:
        patch_cache_control(response, public=True, max_age=BADGE_MAX_AGE)
    else:
        patch_cache_control(response, private=True, max_age=BADGE_MAX_AGE)
    conditional = get_conditional_response(request, etag=etag, response=response)
    return response if conditional is None else conditional


@require_safe
def negotiation_badge(request: HttpRequest, slug: str) -> HttpResponseBase:
    if not _may_read(request):
        return _private()
    negotiation = get_object_or_404(Negotiation, slug=slug)
    milestones = Milestone.objects.filter(track__negotiation=negotiation)
    ahead = next_deadline_text(milestones, negotiation.next_deadline)
    body = badge_svg(
        negotiation.name,
        negotiation.health,
        ahead,
        overdue=overdue_count(milestones),
        stale=negotiation.stale,
    )
    return _svg(request, body)


@require_safe
def track_badge(request: HttpRequest, slug: str, track_slug: str) -> HttpResponseBase:
    if not _may_read(request):
        return _private()
    track = get_object_or_404(Track, negotiation__slug=slug, slug=track_slug)
    ahead = next_deadline_text(track.milestones.all(), track.next_deadline)
    body = badge_svg(
        track.name,
        track.health,
        ahead,
        overdue=overdue_count(track.milestones.all()),
        stale=track.stale,
    )
    return _svg(request, body)


def frameable(view: View) -> View:
    """Lets other sites frame the view: no X-Frame-Options, and a CSP whose frame-ancestors
    is TRACKER_EMBED_ANCESTORS (read per request, like TRACKER_PUBLIC)."""

    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        ancestors = list(settings.TRACKER_EMBED_ANCESTORS)
        framed = xframe_options_exempt(csp_replace({"frame-ancestors": ancestors})(view))
        return framed(request, *args, **kwargs)

    return wrapped


# The embed widget


@dataclass(frozen=True)
class StripMark:
    """One milestone on the embed's compact timeline."""

    title: str
    url: str
    status: str
    status_label: str
    deadline_text: str
    countdown: str
    x: float


@dataclass(frozen=True)
class EmbedPage:
    negotiation: Negotiation
    page_url: str
    next_deadline: str
    countdown: str
    # The next milestone's status: its countdown is red only when that one is late or at risk.
    next_status: str
    overdue_count: int
    # How recently a source confirmed the negotiation (tracker.freshness), as on its page.
    freshness: str
    marks: list[StripMark]
    # The open milestones listed under the strip: overdue ones, then the next few.
    listed: list[StripMark]
    today_x: float
    first_year: int
    last_year: int
    width: int = STRIP_WIDTH


def _x(day: dt.date, start: dt.date, end: dt.date) -> float:
    span = max((end - start).days, 1)
    inner = STRIP_WIDTH - 2 * STRIP_MARGIN
    return round(STRIP_MARGIN + inner * (day - start).days / span, 1)


def embed_page(slug: str, today: dt.date) -> EmbedPage:
    negotiation = get_object_or_404(Negotiation, slug=slug)
    milestones = list(
        Milestone.objects.filter(track__negotiation=negotiation, deadline_latest__isnull=False)
        .exclude(state="cancelled")
        .order_by("deadline_latest", "title", "id")
    )
    days = [m.deadline_latest for m in milestones if m.deadline_latest] + [today]
    start, end = min(days), max(days)
    marks = []
    for m in milestones:
        assert m.deadline_latest is not None
        marks.append(
            StripMark(
                m.title,
                reverse("milestone", args=[m.pk]),
                m.status,
                wording.label(m.status),
                m.deadline_in_words,
                figures.countdown(m.days_remaining(today), m.deadline_precision),
                _x(m.deadline_latest, start, end),
            )
        )
    open_marks = [mark for mark, m in zip(marks, milestones, strict=True) if m.state in OPEN_STATES]
    overdue = [mark for mark in open_marks if mark.status == "overdue"]
    ahead = [mark for mark in open_marks if mark.status != "overdue"]
    upcoming = next(
        (
            m
            for m in milestones
            if m.state in OPEN_STATES and m.deadline_latest == negotiation.next_deadline
        ),
        None,
    )
    return EmbedPage(
        negotiation=negotiation,
        # Relative: inside the frame they resolve against Tranche's own address.
        page_url=reverse("negotiation", args=[negotiation.slug]),
        next_deadline=next_deadline_text(
            Milestone.objects.filter(track__negotiation=negotiation), negotiation.next_deadline
        ),
        countdown=figures.countdown_to(
            negotiation.next_deadline if upcoming else None,
            today,
            upcoming.deadline_precision if upcoming else Precision.DAY,
        ),
        next_status=upcoming.status if upcoming else "",
        overdue_count=len(overdue),
        freshness=freshness.confirmation(negotiation, today),
        marks=marks,
        listed=(overdue + ahead)[:EMBED_LIST],
        today_x=_x(today, start, end),
        first_year=start.year,
        last_year=end.year,
    )


@frameable
@require_safe
def negotiation_embed(request: HttpRequest, slug: str) -> HttpResponseBase:
    if not _may_read(request):
        return _private()
    page = embed_page(slug, timezone.localdate())
    return render(request, "tracker/embed.html", {"page": page})


# What a feed holds, said where it is offered (calendar/views.py windows the closed ones).
FEED_HOLDS = "every open milestone, overdue ones included, and those completed in the past year"


@dataclass(frozen=True)
class CalendarLink:
    """A calendar feed as a page offers it: its address, the same as webcal:// (which
    opens the calendar app), and what it holds."""

    id: str
    url: str
    holds: str = FEED_HOLDS

    @property
    def webcal(self) -> str:
        return "webcal://" + self.url.split("://", 1)[1]


def calendar_link(path: str, *, id: str) -> CalendarLink:
    return CalendarLink(id=id, url=settings.SITE_URL + path)


@dataclass(frozen=True)
class ShareSnippets:
    """What the negotiation page's "Share / embed" box offers to copy."""

    badge_url: str
    page_url: str
    embed_url: str
    markdown: str
    html: str
    iframe: str
    calendar: CalendarLink


def share_snippets(negotiation: Negotiation) -> ShareSnippets:
    page_url = settings.SITE_URL + reverse("negotiation", args=[negotiation.slug])
    badge_url = settings.SITE_URL + reverse("negotiation_badge", args=[negotiation.slug])
    embed_url = settings.SITE_URL + reverse("negotiation_embed", args=[negotiation.slug])
    alt = f"{negotiation.name}: status from Tranche"
    markdown_alt = alt.replace("[", "(").replace("]", ")")
    return ShareSnippets(
        badge_url=badge_url,
        page_url=page_url,
        embed_url=embed_url,
        markdown=f"[![{markdown_alt}]({badge_url})]({page_url})",
        html=(
            f'<a href="{page_url}"><img src="{badge_url}" alt="{escape(alt)}" '
            'style="max-width:100%;height:auto"></a>'
        ),
        iframe=(
            f'<iframe src="{embed_url}" title="{escape(negotiation.name)} on Tranche" '
            # max-width: on a page narrower than 480 px the frame shrinks, never overflows.
            'width="480" height="360" style="max-width:100%;border:1px solid #ccc" '
            'loading="lazy"></iframe>'
        ),
        calendar=calendar_link(
            reverse("calendar:negotiation-feed", args=[negotiation.slug]), id="calendar-feed"
        ),
    )
