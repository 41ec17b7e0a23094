"""The heavy dashboard pages: fragments cached on the data version, bounded lists, and a
query count that does not grow with the milestones."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from django.core.cache.backends.base import BaseCache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from tests.conftest import NOW, committed, make_milestone, make_negotiation, make_track
from tracker.deadlines import parse_deadline
from tracker.models import Milestone, Track
from tracker.refresh import refresh_statuses
from tracker.services.milestones import milestone_complete, milestone_set_deadline

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("collected_static")]

DAY = NOW.date()


def queries_for(client, url: str) -> tuple[int, str]:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200, url
    return len(queries), response.content.decode()


def many(track: Track, count: int, *, first: dt.date, title: str = "Milestone") -> None:
    """`count` planned milestones a day apart from `first`, titled "<title> 001" onwards,
    with statuses refreshed: rows to read, written in bulk (this is not a test of writing)."""
    Milestone.objects.bulk_create(
        Milestone(
            track=track,
            slug=f"{title.lower()}-{n:03}",
            title=f"{title} {n:03}",
            deadline_text=(first + dt.timedelta(days=n)).isoformat(),
            deadline_earliest=first + dt.timedelta(days=n),
            deadline_latest=first + dt.timedelta(days=n),
            deadline_precision="day",
        )
        for n in range(1, count + 1)
    )
    refresh_statuses(today=DAY)


def titles(html: str) -> list[str]:
    return re.findall(r'class="mi-title">([^<]+)</a>', html)


# The negotiation page


def test_a_second_render_of_the_negotiation_page_comes_from_the_cache(client, frozen):
    track = make_track(make_negotiation())
    make_milestone(track, "Interim agreement", "December 10, 2026", reference=DAY)
    url = reverse("negotiation", args=["india-us-bta"])
    cold, first = queries_for(client, url)
    warm, second = queries_for(client, url)
    assert warm == 1 < cold  # only the data version is read
    assert second == first
    assert "Interim agreement" in second and "in 19 days" in second


def test_a_deadline_moved_through_the_service_shows_at_once(client, frozen):
    track = make_track(make_negotiation())
    milestone = make_milestone(track, "Interim agreement", "December 10, 2026", reference=DAY)
    url = reverse("negotiation", args=["india-us-bta"])
    assert "in 19 days" in client.get(url).content.decode()
    with committed():
        milestone_set_deadline(
            milestone=milestone,
            deadline=parse_deadline("January 20, 2027", reference=DAY),
            reason="Talks extended",
        )
    html = client.get(url).content.decode()
    assert "in 60 days" in html and "in 19 days" not in html
    assert "slipped 41 days" in html
    assert "earlier deadlines: 10 Dec 2026" in html


def test_the_day_turning_counts_down_without_any_write(client, frozen):
    track = make_track(make_negotiation())
    make_milestone(track, "Interim agreement", "December 10, 2026", reference=DAY)
    url = reverse("negotiation", args=["india-us-bta"])
    assert "in 19 days" in client.get(url).content.decode()
    frozen.shift(dt.timedelta(days=1))
    html = client.get(url).content.decode()
    assert "in 18 days" in html and "Today, 22 Nov 2026" in html


def test_a_cached_page_shows_each_reader_their_own_name_and_csrf_token(client, frozen):
    make_milestone(make_track(make_negotiation()), "Interim agreement", "December 10, 2026")
    url = reverse("negotiation", args=["india-us-bta"])
    users = get_user_model().objects
    pages = {}
    for name in ("amrita", "bill"):
        client.force_login(users.create_user(name, password="a long passphrase"))
        pages[name] = client.get(url).content.decode()
    assert "(amrita)" in pages["amrita"] and "(amrita)" not in pages["bill"]
    assert "(bill)" in pages["bill"]
    tokens = [re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', p) for p in pages.values()]
    assert all(tokens) and tokens[0].group(1) != tokens[1].group(1)  # type: ignore[union-attr]
    anonymous = client.__class__().get(url).content.decode()
    assert "Log in" in anonymous and "amrita" not in anonymous and "bill" not in anonymous


@pytest.mark.parametrize("count", [10, 200])
def test_the_negotiation_page_reads_the_same_queries_for_10_or_200_milestones(
    client, frozen, django_assert_num_queries, count
):
    track = make_track(make_negotiation())
    many(track, count, first=dt.date(2026, 6, 1))
    Milestone.objects.first().revisions.create(  # type: ignore[union-attr]
        previous_latest=dt.date(2026, 5, 1), new_latest=dt.date(2026, 6, 2)
    )
    # The data version, the negotiation and its parties, tracks, milestones (one values()
    # query), their deadline moves, targets, the sources behind them and its deadlines'
    # record (tracker.deadline_record.book).
    with django_assert_num_queries(9):
        html = client.get(reverse("negotiation", args=["india-us-bta"])).content.decode()
    assert len(titles(html)) == count


# Upcoming: a page at a time


@pytest.fixture
def sixty_overdue(frozen):
    track = make_track(make_negotiation())
    many(track, 60, first=dt.date(2026, 8, 1), title="Overdue")  # 2 Aug – 30 Sep 2026
    many(track, 3, first=DAY, title="Coming")
    return track


def test_upcoming_lists_fifty_overdue_a_page_and_the_51st_on_page_two(client, sixty_overdue):
    html = client.get(reverse("upcoming")).content.decode()
    overdue = html.split('id="overdue-heading"')[1].split("</section>")[0]
    assert "Overdue (60)" in html and "Next 90 days (3)" in html
    assert titles(overdue) == [f"Overdue {n:03}" for n in range(1, 51)]
    assert "Page 1 of 2: 1–50 of 60." in overdue
    assert '<a href="/upcoming/?overdue_page=2#overdue-heading" rel="next">Next page</a>' in overdue
    assert 'rel="prev"' not in overdue
    # The coming list fits on one page: no page links for it.
    coming = html.split('id="next-heading"')[1].split("</section>")[0]
    assert titles(coming) == ["Coming 001", "Coming 002", "Coming 003"]
    assert "Page 1" not in coming

    html = client.get(reverse("upcoming"), {"overdue_page": "2"}).content.decode()
    overdue = html.split('id="overdue-heading"')[1].split("</section>")[0]
    assert titles(overdue)[0] == "Overdue 051" and len(titles(overdue)) == 10
    assert "Page 2 of 2: 51–60 of 60." in overdue
    assert '<a href="/upcoming/#overdue-heading" rel="prev">Previous page</a>' in overdue


def test_upcoming_page_links_and_downloads_keep_the_filters(client, sixty_overdue):
    params = {"negotiation": "india-us-bta", "days": "30", "overdue_page": "2"}
    html = client.get(reverse("upcoming"), params).content.decode()
    assert "Next 30 days (3)" in html
    assert (
        '<a href="/upcoming/?negotiation=india-us-bta&amp;days=30#overdue-heading" '
        'rel="prev">Previous page</a>'
    ) in html
    # The download is every row the filters choose, not one page of them.
    assert 'href="/upcoming/export.csv?negotiation=india-us-bta&amp;days=30"' in html
    export = client.get("/upcoming/export.csv?negotiation=india-us-bta&days=30")
    assert b"".join(export.streaming_content).decode().count("\n") == 1 + 63


def test_upcoming_keeps_one_lists_page_when_the_other_turns(client, frozen):
    track = make_track(make_negotiation())
    many(track, 55, first=dt.date(2026, 8, 1), title="Overdue")
    many(track, 55, first=DAY, title="Coming")
    html = client.get(reverse("upcoming"), {"days": "90", "upcoming_page": "2"}).content.decode()
    assert titles(html)[50] == "Coming 051"
    assert 'href="/upcoming/?days=90&amp;overdue_page=2&amp;upcoming_page=2#overdue-heading"' in (
        html
    )


@pytest.mark.parametrize("page", ["3", "0", "-1", "two", "1e3", "²"])
def test_a_page_of_upcoming_that_does_not_exist_is_a_404(client, sixty_overdue, page):
    assert client.get(reverse("upcoming"), {"overdue_page": page}).status_code == 404
    assert client.get(reverse("upcoming"), {"upcoming_page": page}).status_code == 404


def test_upcoming_is_cached_per_filters_and_page_and_moves_with_a_write(client, sixty_overdue):
    cold, first = queries_for(client, reverse("upcoming") + "?overdue_page=2")
    warm, second = queries_for(client, reverse("upcoming") + "?overdue_page=2")
    # Only the data version and the filters' two lists of choices (parties, negotiations).
    assert (cold, warm) == (8, 3) and second == first
    _, other = queries_for(client, reverse("upcoming"))
    assert titles(other)[0] == "Overdue 001"
    with committed():
        milestone_complete(milestone=Milestone.objects.get(slug="overdue-051"), completed_on=DAY)
    html = client.get(reverse("upcoming") + "?overdue_page=2").content.decode()
    assert "Overdue (59)" in html and "Overdue 051" not in html


@pytest.mark.parametrize("count", [10, 120])
def test_upcoming_reads_the_same_queries_for_10_or_120_rows(
    client, frozen, django_assert_num_queries, count
):
    track = make_track(make_negotiation())
    # Half overdue and half in the next 90 days: both lists have a page to read.
    many(track, count // 2, first=dt.date(2026, 8, 1), title="Overdue")
    many(track, count // 2, first=DAY, title="Coming")
    # The data version, the filters' choices (two), then per list a count and a page,
    # and the deadline moves of the rows shown.
    with django_assert_num_queries(8):
        html = client.get(reverse("upcoming")).content.decode()
    shown = min(count // 2, 50)
    assert titles(html) == [f"Overdue {n:03}" for n in range(1, shown + 1)] + [
        f"Coming {n:03}" for n in range(1, shown + 1)
    ]


# The overview


def test_the_overview_names_five_overdue_and_links_to_the_rest(client, sixty_overdue):
    html = client.get("/").content.decode()
    overdue = html.split('<span class="next-label">60 overdue</span>')[1].split("</div>")[0]
    assert re.findall(r">(Overdue \d+)</a>", overdue) == [f"Overdue {n:03}" for n in range(1, 6)]
    assert (
        'and 55 more: <a href="/upcoming/?negotiation=india-us-bta#overdue-heading">'
        "all 60 overdue milestones of India Us Bta</a>"
    ) in overdue
    assert "60 overdue of 63 open milestones" in html


def test_the_overview_is_cached_and_a_completion_moves_it(client, sixty_overdue):
    cold, first = queries_for(client, "/")
    warm, second = queries_for(client, "/")
    # Only the data version and the parties the filter offers.
    assert (cold, warm) == (7, 2) and second == first
    with committed():
        milestone_complete(milestone=Milestone.objects.get(slug="overdue-001"), completed_on=DAY)
    html = client.get("/").content.decode()
    assert "59 overdue of 62 open milestones" in html
    assert ">Overdue 001</a>" not in html and ">Overdue 006</a>" in html


def test_overview_filters_are_part_of_what_is_cached(client, sixty_overdue):
    make_negotiation("eu-india", name="EU–India FTA")
    every = client.get("/").content.decode()
    assert "EU–India FTA" in every and "India Us Bta" in every
    chosen = client.get("/", {"health": "off_track"}).content.decode()
    assert "EU–India FTA" not in chosen and "India Us Bta" in chosen
    assert "1 negotiation matches" in chosen


# Without a cache


class UnreachableCache(BaseCache):
    def __init__(self, location: str, params: dict[str, object]) -> None:
        super().__init__(params)

    def get(self, *args: object, **kwargs: object) -> None:
        raise ConnectionError("the cache is down")

    def set(self, *args: object, **kwargs: object) -> None:
        raise ConnectionError("the cache is down")


def test_pages_still_answer_when_the_cache_is_unreachable(client, sixty_overdue, settings):
    settings.CACHES = {"default": {"BACKEND": f"{__name__}.UnreachableCache"}}
    for url in ["/", reverse("negotiation", args=["india-us-bta"]), reverse("upcoming")]:
        response = client.get(url)
        assert response.status_code == 200, url
        assert "Overdue 001" in response.content.decode(), url


# The timeline's markers, drawn in Python (tracker/dashboard/timeline.py)

# The loops of tracker/templates/tracker/_timeline.html before Python drew them.
BEFORE = Path(__file__).resolve().parent / "templates_before"


def test_the_timeline_drawn_in_python_is_the_template_loops_character_for_character(frozen):
    from django.template import Context, Template

    from tracker.dashboard import pages

    hostile = "<script>alert('x')</script> & \"quotes\""
    track = make_track(make_negotiation())
    make_milestone(track, hostile, "July 8, 2025", slug="hostile")  # overdue and stale
    make_milestone(track, "Autumn window", "autumn 2026", reference=DAY)
    moved = make_milestone(track, "Moved", "December 10, 2026", reference=DAY)
    with committed():
        milestone_set_deadline(
            milestone=moved, deadline=parse_deadline("March 3, 2027", reference=DAY), reason="x"
        )
    many(track, 40, first=dt.date(2026, 9, 1))  # overdue, fresh, labels in lanes
    timeline = pages.negotiation_page("india-us-bta", DAY).timeline
    loop = Template((BEFORE / "timeline_markers.html").read_text())
    for row in timeline.rows:
        assert row.markers_svg == loop.render(Context({"row": row}))
    agenda = Template((BEFORE / "timeline_agenda.html").read_text())
    assert timeline.agenda_html == agenda.render(Context({"tl": timeline}))
    drawn = "".join(row.markers_svg for row in timeline.rows)
    assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt; &amp; &quot;quotes&quot;" in drawn
    assert all(kind in drawn for kind in ('class="window"', 'class="ghost"', "days ago"))
    assert "earlier deadlines: 10 Dec 2026" in timeline.agenda_html
    assert "&lt;script&gt;" in timeline.agenda_html and "(1 Sep 2026 to 30 Nov 2026)" in (
        timeline.agenda_html
    )


def test_milestone_lists_drawn_in_python_are_the_template_loop_character_for_character(frozen):
    from django.template import Context, Template
    from django.template.loader import get_template

    from tracker.dashboard import drawing, pages

    hostile = "<script>alert('x')</script> & \"quotes\""
    track = make_track(make_negotiation())
    make_milestone(track, hostile, "July 8, 2025", slug="hostile")
    make_milestone(track, "Autumn window", "autumn 2026", reference=DAY)
    make_milestone(track, "Unscheduled", None)
    done = make_milestone(track, "Done", "2026-03-01", reference=DAY)
    with committed():
        milestone_complete(milestone=done, completed_on=dt.date(2026, 3, 2))
    moved = make_milestone(track, "Moved", "December 10, 2026", reference=DAY)
    with committed():
        milestone_set_deadline(
            milestone=moved, deadline=parse_deadline("March 3, 2027", reference=DAY), reason="x"
        )
    before = Template((BEFORE / "milestone_list.html").read_text())
    now = get_template("tracker/_milestone_list.html")
    upcoming = pages.upcoming_page(DAY, 200)
    lists = [
        (pages.negotiation_page("india-us-bta", DAY).sections[0].milestones, False),
        (upcoming.overdue.rows + upcoming.upcoming.rows, True),
        ([], False),
    ]
    for rows, show_track in lists:
        drawn = drawing.milestone_items(rows, show_track=show_track)
        context = {"rows": rows, "show_track": show_track}
        assert now.render({"items": drawn}) == before.render(Context(context))
    html = now.render({"items": drawing.milestone_items(lists[0][0])})
    assert "&lt;script&gt;alert(&#x27;x&#x27;)" in html and "slipped 83 days" in html
    assert "completed <a" in html and "No deadline yet" in html and "(1 Sep 2026 – 30 Nov" in html
