"""Dashboard pages: thin function views over tracker.dashboard.pages."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.conf import settings
from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from tracker.dashboard import filtering, pages
from tracker.dashboard.search import search as search_site
from tracker.dashboard.sharing import share_snippets

View = Callable[..., HttpResponse]


def readable(view: View) -> View:
    """Open to everyone when TRACKER_PUBLIC is on, otherwise to signed-in users only."""

    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        # Read per request, not at import, so the setting can change without a restart.
        if not settings.TRACKER_PUBLIC and not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        return view(request, *args, **kwargs)

    return wrapped


@readable
def overview(request: HttpRequest) -> HttpResponse:
    today = timezone.localdate()
    chosen = filtering.overview_negotiations(request.GET)
    overview = pages.overview(today, chosen.rows)
    return render(
        request,
        "tracker/overview.html",
        {
            "today": today,
            "summaries": overview.summaries,
            "newest_source": overview.newest_source,
            "changes": pages.recent_changes(),
            "filters": chosen,
        },
    )


@readable
def negotiation(request: HttpRequest, slug: str) -> HttpResponse:
    today = timezone.localdate()
    page = pages.negotiation_page(slug, today)
    return render(
        request,
        "tracker/negotiation.html",
        {"today": today, "page": page, "share": share_snippets(page.negotiation)},
    )


@readable
def track(request: HttpRequest, slug: str, track_slug: str) -> HttpResponse:
    today = timezone.localdate()
    page = pages.track_page(slug, track_slug, today)
    return render(request, "tracker/track.html", {"today": today, "page": page})


@readable
def milestone(request: HttpRequest, pk: int) -> HttpResponse:
    today = timezone.localdate()
    page = pages.milestone_page(pk, today)
    return render(request, "tracker/milestone.html", {"today": today, "page": page})


@readable
def target(request: HttpRequest, pk: int) -> HttpResponse:
    today = timezone.localdate()
    page = pages.target_page(pk, today)
    return render(request, "tracker/target.html", {"today": today, "page": page})


@readable
def upcoming(request: HttpRequest) -> HttpResponse:
    today = timezone.localdate()
    chosen = filtering.upcoming_milestones(request.GET, today)
    page = pages.upcoming_page(today, filtering.upcoming_days(chosen.form), chosen.rows)
    return render(
        request, "tracker/upcoming.html", {"today": today, "page": page, "filters": chosen}
    )


@readable
def search(request: HttpRequest) -> HttpResponse:
    query = request.GET.get("q", "")
    return render(request, "tracker/search.html", {"page": search_site(query)})


@readable
def needs_review(request: HttpRequest) -> HttpResponse:
    today = timezone.localdate()
    items = pages.needs_review_page(today)
    return render(
        request,
        "tracker/needs_review.html",
        {"today": today, "items": items, "stale_after_days": settings.TRACKER_STALE_AFTER_DAYS},
    )
