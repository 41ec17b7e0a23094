"""Issue 15, "Find things" and "Badges and embeds": search, list filters kept in the URL,
status badges, and the one page other sites may frame."""

from __future__ import annotations

import re

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from tests.browser.static import collected_static
from tests.conftest import NOW, committed, make_milestone, make_track
from tracker import services
from tracker.dashboard import filtering
from tracker.dashboard.badges import PADDING, badge_svg, text_width
from tracker.dashboard.search import PER_KIND, snippet
from tracker.management.commands.load_record import INDIA_US_RECORD
from tracker.models import Negotiation, Party
from tracker.record import load_record

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("collected_static")]
__all__ = ["collected_static"]

on_postgresql = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="full-text search runs on PostgreSQL"
)
on_sqlite = pytest.mark.skipif(connection.vendor != "sqlite", reason="the SQLite fallback")


@pytest.fixture
def india_us(frozen):
    with committed():
        load_record(INDIA_US_RECORD)


def negotiation(slug: str, name: str, codes: list[str], **fields) -> Negotiation:
    parties = [Party.objects.get_or_create(code=c, defaults={"name": c})[0] for c in codes]
    with committed():
        return services.negotiation_save(
            negotiation=Negotiation(slug=slug, name=name, **fields), parties=parties
        )


@pytest.fixture
def three_deals(india_us):
    """India–US (off track, negotiating, stale, next deadline 2030), EU–India (concluded,
    next deadline March 2027) and UK–India (announced, no tracks: not started, not stale)."""
    eu = negotiation("eu-india", "EU–India FTA", ["EU", "IN"], stage="concluded")
    track = make_track(eu, "legal", name="Legal scrubbing")
    make_milestone(track, "FTA signed", "2027-03-31", reference=NOW.date())
    negotiation("uk-india", "UK–India CETA", ["GB", "IN"], stage="announced")


def cards(html: str) -> list[str]:
    """The negotiation names on the overview, in their order."""
    return re.findall(r'<h3><a href="/negotiations/[^"]+/">([^<]+)</a></h3>', html)


# Search


def test_every_page_has_a_labelled_search_box(client, india_us):
    for url in ["/", reverse("upcoming"), reverse("negotiation", args=["india-us-bta"])]:
        html = client.get(url).content.decode()
        assert '<form class="site-search" role="search" aria-label="Site search"' in html
        assert '<label for="site-search-q" class="visually-hidden">Search negotiations' in html


def test_search_finds_compact_as_a_track_a_milestone_and_in_source_quotes(client, india_us):
    html = client.get(reverse("search"), {"q": "COMPACT"}).content.decode()
    assert "result" in html and "Nothing matches" not in html
    tracks = html.split("<h2")[2]
    assert tracks.startswith(' id="results-') and "Tracks (" in tracks
    assert '<a href="/negotiations/india-us-bta/tracks/' in tracks
    assert "COMPACT defence cooperation" in tracks
    assert "<mark>COMPACT</mark>" in html
    sources = html.split("Sources (")[1]
    # A quote links to a page that shows it, at the quote.
    assert re.search(r'<a href="/(milestones/\d+|negotiations/[^"]+)/#source-[\w-]+">', sources)


def test_search_follows_tracker_public(client, settings, india_us):
    settings.TRACKER_PUBLIC = False
    response = client.get(reverse("search"), {"q": "COMPACT"})
    assert response.status_code == 302 and response["Location"].startswith("/login/")


def test_an_empty_or_huge_or_odd_query_is_answered_not_a_crash(client, india_us):
    for query in ["", "   ", "x" * 5000, "'\"<>&;--", "or", "-", 'COMPACT -defence "a b']:
        assert client.get(reverse("search"), {"q": query}).status_code == 200, query


def test_search_text_is_escaped_and_only_the_match_is_marked(client, india_us):
    eu = negotiation("eu-x", "<script>alert(1)</script> deal", ["EU"], summary="A <b>bold</b> pact")
    assert eu.pk
    html = client.get(reverse("search"), {"q": "pact"}).content.decode()
    assert "<script>alert(1)" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "A &lt;b&gt;bold&lt;/b&gt; <mark>pact</mark>" in html


def test_a_snippet_is_cut_around_the_first_match_on_a_word_boundary() -> None:
    text = "Lorem ipsum " * 30 + "the COMPACT framework " + "dolor sit " * 30
    cut = str(snippet(text, ["compact"], width=60))
    assert cut.startswith("…") and cut.endswith("…")
    assert "<mark>COMPACT</mark>" in cut
    assert cut[1] != " " and not cut[1:].startswith("psum")


def test_search_lists_at_most_a_page_of_each_kind_and_says_more_matched(client, frozen):
    deal = negotiation("big", "Big deal", ["EU"])
    track = make_track(deal, "rounds", name="Rounds")
    for n in range(PER_KIND + 3):
        make_milestone(track, f"Negotiating round {n}", None)
    html = client.get(reverse("search"), {"q": "round"}).content.decode()
    assert f"Milestones ({PER_KIND}, more not shown)" in html
    assert html.count('<a href="/milestones/') == PER_KIND


def test_search_costs_the_same_queries_for_few_or_many_matches(client, frozen):
    counts = []
    for size in (2, 8):
        Negotiation.objects.all().delete()
        deal = negotiation("big", "Round table", ["EU"], summary="round")
        track = make_track(deal, "rounds", name="Rounds")
        for n in range(size):
            make_milestone(track, f"Round {n}", None)
        with CaptureQueriesContext(connection) as queries:
            assert client.get(reverse("search"), {"q": "round"}).status_code == 200
        counts.append(len(queries))
    assert counts[0] == counts[1] <= 12


@on_sqlite
def test_on_sqlite_search_needs_every_word_somewhere_ignoring_case(client, india_us):
    html = client.get(reverse("search"), {"q": "compact DEFENCE"}).content.decode()
    assert "COMPACT defence cooperation" in html
    html = client.get(reverse("search"), {"q": "compact zebra"}).content.decode()
    assert "Nothing matches “compact zebra”" in html
    # No stemming in the fallback: the plural is not found in the singular.
    html = client.get(reverse("search"), {"q": "cooperations"}).content.decode()
    assert "Nothing matches" in html


@on_postgresql
def test_on_postgresql_search_is_full_text_stemmed_and_ranked(client, frozen):
    negotiation("talks", "Tariff talks", ["EU"], summary="An extension of the deadline")
    negotiation("extension", "Deadline extension accord", ["EU"])
    html = client.get(reverse("search"), {"q": "extensions deadlines"}).content.decode()
    # Stemmed: the plurals find the singulars; a match in the name ranks first.
    assert html.index("Deadline extension accord") < html.index("Tariff talks")
    # websearch syntax: a minus excludes.
    html = client.get(reverse("search"), {"q": "deadline -tariff"}).content.decode()
    assert "Deadline extension accord" in html and "Tariff talks" not in html


# Overview filters


def test_overview_lists_every_negotiation_by_name_without_filters(client, three_deals):
    html = client.get("/").content.decode()
    assert cards(html) == ["EU–India FTA", "India–US Bilateral Trade Agreement", "UK–India CETA"]
    assert 'aria-label="Filter negotiations"' in html


def test_overview_filters_by_party(client, three_deals):
    html = client.get("/", {"party": "EU"}).content.decode()
    assert cards(html) == ["EU–India FTA"]
    assert "1 negotiation matches" in html
    assert cards(client.get("/", {"party": "IN"}).content.decode()) == [
        "EU–India FTA",
        "India–US Bilateral Trade Agreement",
        "UK–India CETA",
    ]


def test_overview_filters_by_stage(client, three_deals):
    assert cards(client.get("/", {"stage": "announced"}).content.decode()) == ["UK–India CETA"]


def test_overview_filters_by_health(client, three_deals):
    html = client.get("/", {"health": "off_track"}).content.decode()
    assert cards(html) == ["India–US Bilateral Trade Agreement"]
    assert cards(client.get("/", {"health": "not_started"}).content.decode()) == ["UK–India CETA"]


def test_overview_filters_by_freshness(client, three_deals):
    stale = cards(client.get("/", {"stale": "true"}).content.decode())
    assert "India–US Bilateral Trade Agreement" in stale and "UK–India CETA" not in stale
    assert cards(client.get("/", {"stale": "false"}).content.decode()) == ["UK–India CETA"]


def test_overview_sorts_by_next_deadline_and_by_health(client, three_deals):
    by_deadline = cards(client.get("/", {"sort": "deadline"}).content.decode())
    # March 2027 before 2030; nothing ahead last.
    assert by_deadline == ["EU–India FTA", "India–US Bilateral Trade Agreement", "UK–India CETA"]
    by_health = cards(client.get("/", {"sort": "health"}).content.decode())
    assert by_health[0] == "India–US Bilateral Trade Agreement"  # off track, the worst
    assert by_health[-1] == "UK–India CETA"  # not started


def test_filters_combine_and_show_the_chosen_values_in_the_form(client, three_deals):
    html = client.get("/", {"party": "IN", "stage": "concluded"}).content.decode()
    assert cards(html) == ["EU–India FTA"]
    assert '<option value="concluded" selected>' in html
    assert '<option value="IN" selected>' in html


def test_a_filter_that_matches_nothing_says_so(client, three_deals):
    html = client.get("/", {"party": "US", "stage": "announced"}).content.decode()
    assert cards(html) == []
    assert "No negotiation matches these filters." in html


def test_invalid_filters_are_explained_and_left_out_never_a_crash(client, three_deals):
    response = client.get(
        "/", {"party": "ZZ", "stage": "nope", "health": "<b>", "stale": "maybe", "sort": "x"}
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert "Some filters could not be read and were left out" in html
    assert "Party “ZZ” was left out: ZZ is not one of the available choices." in html
    assert "Health “&lt;b&gt;” was left out" in html
    assert "Freshness “maybe” was left out" in html
    assert len(cards(html)) == 3


def test_overview_filters_are_one_function_an_export_can_call_with_the_query(three_deals):
    chosen = filtering.overview_negotiations({"party": "EU", "sort": "deadline"})
    assert [n.slug for n in chosen.rows] == ["eu-india"]
    assert chosen.errors == [] and chosen.active


# Upcoming filters


@pytest.fixture
def upcoming_deals(three_deals):
    """Due within 90 days: one EU–India milestone on 10 January 2027."""
    track = make_track(Negotiation.objects.get(slug="eu-india"), "ratify", name="Ratification")
    make_milestone(track, "EU Council decision", "2027-01-10", reference=NOW.date())


def upcoming_titles(client, **params) -> list[str]:
    html = client.get(reverse("upcoming"), params).content.decode()
    return re.findall(r'class="mi-title">([^<]+)</a>', html)


def test_upcoming_takes_a_negotiation(client, upcoming_deals):
    every = upcoming_titles(client)
    assert "EU Council decision" in every and "Interim trade deal concluded" in every
    assert upcoming_titles(client, negotiation="eu-india") == ["EU Council decision"]


def test_upcoming_takes_a_party(client, upcoming_deals):
    titles = upcoming_titles(client, party="US")
    assert "Interim trade deal concluded" in titles and "EU Council decision" not in titles


def test_upcoming_takes_days(client, upcoming_deals):
    assert "FTA signed" not in upcoming_titles(client)  # 31 March 2027 is 130 days away
    assert "FTA signed" in upcoming_titles(client, days="150")
    html = client.get(reverse("upcoming"), {"days": "150"}).content.decode()
    assert "Next 150 days (" in html and "due by 20 April 2027 (the next 150 days)" in html


def test_upcoming_explains_days_it_cannot_read(client, upcoming_deals):
    for days in ["abc", "0", "99999", "1e9"]:
        response = client.get(reverse("upcoming"), {"days": days})
        assert response.status_code == 200, days
        html = response.content.decode()
        assert f"Days ahead “{days}” was left out" in html, days
        assert "Next 90 days (" in html


def test_upcoming_explains_an_unknown_negotiation(client, upcoming_deals):
    html = client.get(reverse("upcoming"), {"negotiation": "atlantis"}).content.decode()
    assert "Negotiation “atlantis” was left out" in html


# Badges


def test_the_badge_says_the_health_in_words_and_the_next_deadline(client, india_us):
    response = client.get("/negotiations/india-us-bta/badge.svg")
    assert response.status_code == 200
    assert response["Content-Type"] == "image/svg+xml; charset=utf-8"
    svg = response.content.decode()
    assert svg.startswith('<svg xmlns="http://www.w3.org/2000/svg"')
    assert ">India–US Bilateral Trade Agreement</text>" in svg
    # The overdue items come before what is ahead, and a stale record says so.
    assert ">Off track · 2 overdue · stale</text>" in svg
    assert 'fill="#b00020"' in svg  # the dashboard's red


def test_a_badge_with_nothing_overdue_names_its_next_deadline_and_stale_only_when_stale(
    client, frozen
):
    deal = negotiation("eu", "EU deal", ["EU"])
    make_milestone(make_track(deal), "Signed", "2027-06-30", reference=NOW.date())
    svg = client.get("/negotiations/eu/badge.svg").content.decode()
    # No dated source confirms this deal yet: stale.
    assert ">On track · next deadline 2027-06-30 · stale</text>" in svg
    fresh = badge_svg("EU deal", "on_track", "2027-06-30", overdue=0, stale=False)
    assert ">On track · next deadline 2027-06-30</text>" in fresh


def test_the_badge_keeps_stale_and_its_width_fits_the_longer_text() -> None:
    from xml.etree import ElementTree

    long = ElementTree.fromstring(
        badge_svg("Deal", "off_track", "by the end of the decade " * 4, overdue=12, stale=True)
    )
    texts = [t.text for t in long.iter("{http://www.w3.org/2000/svg}text")]
    assert texts[1] == "Off track · 12 overdue · stale"
    # The width is measured from the text it holds, so "stale" is never clipped.
    fitted = text_width("Deal") + text_width("Off track · 12 overdue · stale") + 4 * PADDING
    assert long.attrib["width"] == f"{fitted:.0f}"
    stale_only = ElementTree.fromstring(
        badge_svg("Deal", "at_risk", "by the end of the decade " * 4, stale=True)
    )
    message = [t.text for t in stale_only.iter("{http://www.w3.org/2000/svg}text")][1]
    assert message is not None
    assert message.startswith("At risk · next deadline by the end") and message.endswith(
        "… · stale"
    )
    assert len(message) <= 60


def test_a_track_has_its_own_badge(client, india_us):
    svg = client.get("/negotiations/india-us-bta/tracks/compact/badge.svg").content.decode()
    assert ">COMPACT defence cooperation</text>" in svg
    assert ">Active · no deadline ahead · stale</text>" in svg


def test_badge_text_is_escaped(client, frozen):
    negotiation("evil", '<script>"x"</script> & co', ["EU"])
    svg = client.get("/negotiations/evil/badge.svg").content.decode()
    assert "<script>" not in svg
    assert "&lt;script&gt;&quot;x&quot;&lt;/script&gt; &amp; co" in svg


def test_badge_svg_is_well_formed_whatever_the_name() -> None:
    from xml.etree import ElementTree

    for name in ["a<b>&\"'", "]]>", "x" * 500, "—"]:
        root = ElementTree.fromstring(badge_svg(name, "at_risk", "Q3 2025 & later"))
        texts = [t.text for t in root.iter("{http://www.w3.org/2000/svg}text")]
        assert texts[1] == "At risk · next deadline Q3 2025 & later"


def test_the_badge_is_cacheable_and_answers_not_modified(client, india_us):
    response = client.get("/negotiations/india-us-bta/badge.svg")
    assert "max-age=300" in response["Cache-Control"] and "public" in response["Cache-Control"]
    etag = response["ETag"]
    again = client.get("/negotiations/india-us-bta/badge.svg", HTTP_IF_NONE_MATCH=etag)
    assert again.status_code == 304 and again.content == b""
    assert again["ETag"] == etag
    # Image proxies may ask with HEAD first.
    head = client.head("/negotiations/india-us-bta/badge.svg")
    assert head.status_code == 200 and head["ETag"] == etag


def test_the_badge_changes_its_etag_when_the_health_changes(client, frozen):
    deal = negotiation("eu", "EU deal", ["EU"])
    first = client.get("/negotiations/eu/badge.svg")
    make_milestone(make_track(deal), "Signed", "2027-06-30", reference=NOW.date())
    second = client.get("/negotiations/eu/badge.svg", HTTP_IF_NONE_MATCH=first["ETag"])
    assert second.status_code == 200 and second["ETag"] != first["ETag"]


def test_a_private_trackers_badges_and_embed_are_for_signed_in_readers(client, settings, india_us):
    settings.TRACKER_PUBLIC = False
    urls = [
        "/negotiations/india-us-bta/badge.svg",
        "/negotiations/india-us-bta/tracks/compact/badge.svg",
        "/embed/negotiations/india-us-bta/",
    ]
    for url in urls:
        response = client.get(url)
        assert response.status_code == 403, url
        assert b"private" in response.content
    client.force_login(get_user_model().objects.create_user("reader"))
    for url in urls:
        assert client.get(url).status_code == 200, url
    assert "private" in client.get(urls[0])["Cache-Control"]


def test_an_unknown_negotiation_or_track_has_no_badge(client, india_us):
    assert client.get("/negotiations/atlantis/badge.svg").status_code == 404
    assert client.get("/negotiations/india-us-bta/tracks/nope/badge.svg").status_code == 404
    assert client.get("/embed/negotiations/atlantis/").status_code == 404


# Embeds and framing


def test_only_the_embed_may_be_framed_by_other_sites(client, india_us):
    embed = client.get("/embed/negotiations/india-us-bta/")
    assert embed.status_code == 200
    assert "X-Frame-Options" not in embed
    policy = embed["Content-Security-Policy"]
    assert "frame-ancestors *" in policy and "script-src 'self'" in policy
    for url in [
        "/",
        "/negotiations/india-us-bta/",
        reverse("search") + "?q=x",
        reverse("upcoming"),
        "/negotiations/india-us-bta/badge.svg",
        "/login/",
    ]:
        response = client.get(url)
        assert response["X-Frame-Options"] == "DENY", url
        assert "frame-ancestors 'none'" in response["Content-Security-Policy"], url


def test_the_sites_allowed_to_frame_the_embed_are_a_setting(client, settings, india_us):
    settings.TRACKER_EMBED_ANCESTORS = ["https://ministry.example", "https://news.example"]
    policy = client.get("/embed/negotiations/india-us-bta/")["Content-Security-Policy"]
    assert "frame-ancestors https://ministry.example https://news.example" in policy


def test_the_embed_shows_health_next_deadline_and_a_compact_timeline(client, india_us):
    html = client.get("/embed/negotiations/india-us-bta/").content.decode()
    assert '<span class="badge status-off_track">Off track</span>' in html
    assert '<span class="next-label">Next deadline</span> 2030 — ' in html
    assert "2 overdue" in html
    assert (
        '<p class="freshness small stale">Last confirmed by a source on 26 May 2025 '
        "(18 months ago) — may be out of date</p>" in html
    )
    assert 'class="embed-timeline"' in html and html.count('<circle class="dot"') >= 3
    assert "Interim trade deal concluded" in html
    # Read-only, and links leave the frame.
    assert "<form" not in html and 'class="site-header"' not in html
    assert re.findall(r"<a (?![^>]*target=\"_blank\")", html) == []


def test_the_negotiation_page_offers_the_badge_and_embed_snippets_to_copy(client, india_us):
    html = client.get("/negotiations/india-us-bta/").content.decode()
    assert '<h2 id="share-heading">Share / embed</h2>' in html
    badge = "http://127.0.0.1:8000/negotiations/india-us-bta/badge.svg"
    page = "http://127.0.0.1:8000/negotiations/india-us-bta/"
    assert f"[![India–US Bilateral Trade Agreement: status from Tranche]({badge})]({page})" in html
    # The snippets are text to copy, so their markup is escaped inside the textareas.
    assert f"&lt;a href=&quot;{page}&quot;&gt;&lt;img src=&quot;{badge}&quot;" in html
    embed = "http://127.0.0.1:8000/embed/negotiations/india-us-bta/"
    assert f"&lt;iframe src=&quot;{embed}&quot;" in html
    assert '<label for="share-iframe">' in html
