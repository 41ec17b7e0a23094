"""Dashboard pages: thin function views over tracker.dashboard.pages."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from functools import wraps
from typing import Any

from django.conf import settings
from django.contrib.auth.views import redirect_to_login
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBase, QueryDict
from django.shortcuts import get_object_or_404, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.safestring import SafeString, mark_safe

from tracker import exports, versions
from tracker.dashboard import filtering, fragments, pages, roadmap
from tracker.dashboard.search import search as search_site
from tracker.dashboard.sharing import calendar_link, share_snippets
from tracker.models import Negotiation

View = Callable[..., HttpResponseBase]


def readable(view: View) -> View:
    """Open to everyone when TRACKER_PUBLIC is on, otherwise to signed-in users only."""

    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        # Read per request, not at import, so the setting can change without a restart.
        if not settings.TRACKER_PUBLIC and not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        return view(request, *args, **kwargs)

    return wrapped


def archived_or_404(view: View) -> View:
    """An archived item's page (or one inside an archived track or negotiation) answers
    410 Gone with what it was and its history, so feeds and old links never meet a 404."""

    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        try:
            return view(request, *args, **kwargs)
        except Http404:
            name = view.__name__
            page = pages.archived_page(
                slug=kwargs.get("slug"),
                track_slug=kwargs.get("track_slug"),
                milestone_pk=kwargs.get("pk") if name == "milestone" else None,
                target_pk=kwargs.get("pk") if name == "target" else None,
            )
            if page is None:
                raise
            return render(request, "tracker/archived.html", {"page": page}, status=410)

    return wrapped


@readable
def overview(request: HttpRequest) -> HttpResponse:
    today = timezone.localdate()
    version = versions.current()
    chosen = filtering.overview_negotiations(request.GET)

    def cards() -> tuple[str, str]:
        overview = pages.overview(today, chosen.rows)
        context = {"summaries": overview.summaries, "filters": chosen}
        return overview.newest_source, render_to_string("tracker/_overview_cards.html", context)

    def changes() -> str:
        context = {"changes": pages.recent_changes()}
        return render_to_string("tracker/_recent_changes.html", context)

    newest_source, cards_html = fragments.cached(
        version, today, "overview", chosen.query, build=cards
    )
    changes_html = fragments.cached(version, today, "recent-changes", build=changes)
    return render(
        request,
        "tracker/overview.html",
        {
            "today": today,
            "newest_source": newest_source,
            "filters_form": _filters_form(request, version, chosen, "Filter negotiations"),
            "cards": mark_safe(cards_html),
            "changes": mark_safe(changes_html),
            "filters": chosen,
        },
    )


@readable
def roadmap_page(request: HttpRequest) -> HttpResponse:
    """Every negotiation on one axis, filtered as the overview is, with the comparison."""
    today = timezone.localdate()
    version = versions.current()
    chosen = filtering.overview_negotiations(request.GET)

    def body() -> str:
        page = roadmap.roadmap_page(today, chosen.rows)
        return render_to_string("tracker/_roadmap.html", {"page": page, "filters": chosen})

    html = fragments.cached(version, today, "roadmap", chosen.query, build=body)
    return render(
        request,
        "tracker/roadmap.html",
        {
            "today": today,
            "filters_form": _filters_form(request, version, chosen, "Filter negotiations"),
            "body": mark_safe(html),
            "filters": chosen,
        },
    )


@readable
def roadmap_export(request: HttpRequest, file_format: str) -> HttpResponseBase:
    """The roadmap's milestones, with their track record and outlook, as CSV or XLSX."""
    today = timezone.localdate()
    negotiations = filtering.overview_negotiations(request.GET).rows
    milestones = pages.portfolio_milestones(negotiations)
    return exports.export_response(
        exports.MILESTONES, milestones, file_format=file_format, today=today, filename="roadmap"
    )


@readable
@archived_or_404
def negotiation(request: HttpRequest, slug: str) -> HttpResponse:
    today = timezone.localdate()

    def body() -> tuple[str, str]:
        page = pages.negotiation_page(slug, today)  # a 404 when there is no such negotiation
        context = {"today": today, "page": page, "share": share_snippets(page.negotiation)}
        return page.negotiation.name, render_to_string("tracker/_negotiation.html", context)

    title, html = fragments.cached(versions.current(), today, "negotiation", slug, build=body)
    return render(request, "tracker/negotiation.html", {"title": title, "body": mark_safe(html)})


@readable
@archived_or_404
def track(request: HttpRequest, slug: str, track_slug: str) -> HttpResponse:
    today = timezone.localdate()
    page = pages.track_page(slug, track_slug, today)
    return render(request, "tracker/track.html", {"today": today, "page": page})


@readable
@archived_or_404
def milestone(request: HttpRequest, pk: int) -> HttpResponse:
    today = timezone.localdate()
    page = pages.milestone_page(pk, today)
    return render(request, "tracker/milestone.html", {"today": today, "page": page})


@readable
@archived_or_404
def target(request: HttpRequest, pk: int) -> HttpResponse:
    today = timezone.localdate()
    page = pages.target_page(pk, today)
    return render(request, "tracker/target.html", {"today": today, "page": page})


@readable
def upcoming(request: HttpRequest) -> HttpResponse:
    today = timezone.localdate()
    version = versions.current()
    chosen = filtering.upcoming_milestones(request.GET, today)
    days = filtering.upcoming_days(chosen.form)
    overdue_number = _page_number(request.GET, pages.OVERDUE_PAGE)
    upcoming_number = _page_number(request.GET, pages.UPCOMING_PAGE)

    def lists() -> str:
        page = pages.upcoming_page(
            today,
            days,
            chosen.rows,
            overdue_number=overdue_number,
            upcoming_number=upcoming_number,
            filters=chosen.chosen,
        )
        return render_to_string("tracker/_upcoming_lists.html", {"page": page})

    html = fragments.cached(
        version, today, "upcoming", chosen.query, overdue_number, upcoming_number, build=lists
    )
    return render(
        request,
        "tracker/upcoming.html",
        {
            "today": today,
            "until": today + dt.timedelta(days=days),
            "days": days,
            "filters_form": _filters_form(request, version, chosen, "Filter deadlines"),
            "lists": mark_safe(html),
            "calendar": calendar_link(reverse("calendar:feed"), id="calendar-feed"),
            "filters": chosen,
        },
    )


def _filters_form(
    request: HttpRequest, version: versions.Version, chosen: filtering.Filtered[Any], label: str
) -> SafeString:
    """A list page's filter form, drawn once per version and choice of filters: its
    selects list every party and negotiation. Drawn afresh when some value could not be
    read, to quote it back."""

    def draw() -> str:
        context = {"filters": chosen, "label": label, "request": request}
        return render_to_string("tracker/_filters.html", context)

    if chosen.errors:
        return mark_safe(draw())
    names = ("filters", request.path, chosen.query, bool(request.GET))
    return mark_safe(fragments.cached(version, timezone.localdate(), *names, build=draw))


def _page_number(params: QueryDict, name: str) -> int:
    """A page number from the query string: 1 when absent, a 404 when not a page number."""
    text = params.get(name) or "1"
    if not text.isdecimal() or int(text) < 1:
        raise Http404(f"“{text}” is not a page number")
    return int(text)


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


# Exports: the rows of a list page, with the same query string, as CSV or XLSX.


@readable
def upcoming_export(request: HttpRequest, file_format: str) -> HttpResponseBase:
    today = timezone.localdate()
    # The page's own rows for this query string (filtering.upcoming_milestones).
    milestones = filtering.upcoming_milestones(request.GET, today).rows
    return exports.export_response(
        exports.MILESTONES, milestones, file_format=file_format, today=today, filename="upcoming"
    )


@readable
def negotiation_export(
    request: HttpRequest, slug: str, table: str, file_format: str
) -> HttpResponseBase:
    today = timezone.localdate()
    negotiation = get_object_or_404(Negotiation, slug=slug)
    rows = (
        (exports.MILESTONES, pages.negotiation_milestones(negotiation))
        if table == "milestones"
        else (exports.TARGETS, pages.negotiation_targets(negotiation))
    )
    return exports.export_response(
        *rows, file_format=file_format, today=today, filename=f"{slug}-{table}"
    )


def accessibility(request: HttpRequest) -> HttpResponse:
    """The accessibility statement (WCAG 2.2 AA, what the axe suite checks, known gaps)."""
    return render(request, "tracker/accessibility.html")
