"""Issue 15 in a real browser: search, overview filters, the badge, and framing.

Framing is checked the way a ministry site would embed Tranche: a host page served from
another origin (a small http.server on 127.0.0.1, while the live server is `localhost`)
frames the embed, which shows, and the negotiation page, which the browser refuses.
"""

from __future__ import annotations

import datetime as dt
import http.server
import os
import re
import threading
from collections.abc import Iterator
from functools import partial
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import screenshot
from tests.conftest import make_milestone, make_track
from tracker import services
from tracker.models import Negotiation, Party

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

DOCS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
UPDATE_DOCS = os.environ.get("TRANCHE_UPDATE_SCREENSHOTS") == "1"
INDIA_US = "India–US Bilateral Trade Agreement"


def test_the_search_box_on_every_page_finds_compact(page: Any) -> None:
    page.goto("/upcoming/")
    box = page.get_by_role("search").get_by_label("Search negotiations, tracks, milestones")
    box.fill("COMPACT")
    box.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text("Search")
    expect(page).to_have_url(re.compile(r"/search/\?q=COMPACT$"))
    tracks = page.locator(".search-group", has=page.get_by_role("heading", name="Tracks (1)"))
    expect(tracks.get_by_role("link", name="COMPACT defence cooperation")).to_be_visible()
    expect(page.locator(".snippet mark").first).to_have_text("COMPACT")
    screenshot(page, "search")
    if UPDATE_DOCS:
        page.screenshot(path=str(DOCS / "search.png"))
    tracks.get_by_role("link", name="COMPACT defence cooperation").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("COMPACT defence cooperation")


@pytest.fixture
def eu_india(india_us: None) -> None:
    eu = Party.objects.create(code="EU", name="European Union")
    india = Party.objects.get(code="IN")
    deal = services.negotiation_save(
        negotiation=Negotiation(slug="eu-india", name="EU–India FTA", stage="concluded"),
        parties=[eu, india],
    )
    track = make_track(deal, "legal", name="Legal scrubbing")
    make_milestone(track, "FTA signed", "2027-03-31", reference=dt.date(2026, 11, 21))


def test_overview_filters_narrow_the_list_and_stay_in_the_url(page: Any, eu_india: None) -> None:
    page.goto("/")
    cards = page.locator("article.card h3")
    expect(cards).to_have_count(2)
    filters = page.get_by_role("form", name="Filter negotiations")
    filters.get_by_label("Party").select_option(label="European Union")
    filters.get_by_role("button", name="Apply").click()
    expect(page).to_have_url(re.compile(r"/\?party=EU&stage=&health=&stale=&sort=$"))
    expect(cards).to_have_count(1)
    expect(cards).to_have_text("EU–India FTA")
    expect(page.locator(".filter-count")).to_contain_text("1 negotiation matches")

    filters.get_by_label("Party").select_option(label="India")
    filters.get_by_label("Health").select_option(label="Off track")
    filters.get_by_role("button", name="Apply").click()
    expect(cards).to_have_text([INDIA_US])
    screenshot(page, "overview-filtered")

    # A shared link opens the same view; a value that cannot be read is said, not a crash.
    page.goto("/?stage=concluded&sort=deadline")
    expect(cards).to_have_text(["EU–India FTA"])
    page.goto("/?health=sideways")
    expect(page.get_by_role("alert")).to_contain_text("Health “sideways” was left out")
    expect(cards).to_have_count(2)
    page.get_by_role("link", name="Clear").click()
    expect(page).to_have_url(re.compile(r":\d+/$"))


def test_the_badge_renders_and_says_the_health(page: Any) -> None:
    page.goto("/negotiations/india-us-bta/")
    share = page.locator("section.share")
    expect(share.get_by_role("heading", name="Share / embed")).to_be_visible()
    badge = share.locator("img.share-badge")
    expect(badge).to_be_visible()
    page.wait_for_function("document.querySelector('img.share-badge').complete")
    size = badge.evaluate("img => [img.naturalWidth, img.naturalHeight]")
    assert size[0] > 100 and size[1] == 20, size
    expect(share.get_by_label("Badge in Markdown")).to_have_value(
        "[![India–US Bilateral Trade Agreement: status from Tranche]"
        "(http://127.0.0.1:8000/negotiations/india-us-bta/badge.svg)]"
        "(http://127.0.0.1:8000/negotiations/india-us-bta/)"
    )
    expect(share.get_by_label("Embed the status and a compact timeline")).to_have_value(
        '<iframe src="http://127.0.0.1:8000/embed/negotiations/india-us-bta/" '
        'title="India–US Bilateral Trade Agreement on Tranche" width="480" height="360" '
        'style="max-width:100%;border:1px solid #ccc" loading="lazy"></iframe>'
    )
    screenshot(page, "share")

    response = page.goto("/negotiations/india-us-bta/badge.svg")
    assert response.headers["content-type"] == "image/svg+xml; charset=utf-8"
    expect(page.locator("text.message")).to_have_text("Off track · 2 overdue · stale")
    box = page.locator("svg").bounding_box()
    assert box["width"] > 100 and box["height"] == 20


@pytest.fixture
def other_origin(tmp_path: Path, live_server: Any) -> Iterator[str]:
    """A host page on 127.0.0.1 framing the live server (`localhost`): another origin."""
    base = live_server.url
    assert "localhost" in base
    (tmp_path / "host.html").write_text(
        "<!doctype html><title>A ministry page</title><h1>Ministry of Commerce</h1>"
        f'<iframe id="embed" name="embed" src="{base}/embed/negotiations/india-us-bta/" '
        'width="480" height="360"></iframe>'
        f'<iframe id="page" name="page" src="{base}/negotiations/india-us-bta/" '
        'width="480" height="360"></iframe>',
        encoding="utf-8",
    )

    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = http.server.ThreadingHTTPServer(
        ("127.0.0.1", 0), partial(Quiet, directory=str(tmp_path))
    )
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/host.html"
    server.shutdown()
    server.server_close()
    thread.join(timeout=5)


def test_the_embed_loads_in_a_frame_on_another_origin_and_the_negotiation_page_refuses(
    page: Any, other_origin: str
) -> None:
    refusals: list[str] = []
    page.on("console", lambda message: refusals.append(message.text))
    page.goto(other_origin, wait_until="load")
    expect(page.get_by_role("heading", name="Ministry of Commerce")).to_be_visible()

    embed = page.frame_locator("#embed")
    expect(embed.get_by_role("heading", level=1)).to_have_text(INDIA_US)
    expect(embed.locator(".badge").first).to_have_text("Off track")
    expect(embed.locator(".next")).to_contain_text("Next deadline 2030")
    expect(embed.locator(".embed-timeline svg")).to_be_visible()
    frame_box = page.locator("#embed").bounding_box()
    card_box = embed.locator(".embed-card").bounding_box()
    assert card_box["height"] > 100 and card_box["y"] >= frame_box["y"]

    # The browser shows nothing of the framed negotiation page (its CSP frame-ancestors
    # 'none', backed by X-Frame-Options DENY): the frame holds Chromium's error page.
    blocked = page.frame_locator("#page")
    expect(blocked.get_by_role("heading", name=INDIA_US)).to_have_count(0)
    framed = next(f for f in page.frames if f.name == "page")
    assert framed.url.startswith("chrome-error://"), framed.url
    assert INDIA_US not in framed.content()
    assert any(
        "frame-ancestors 'none'" in message and "blocked" in message for message in refusals
    ), refusals
    screenshot(page, "embed")
    if UPDATE_DOCS:
        page.locator("#embed").screenshot(path=str(DOCS / "embed.png"))


def test_search_filters_share_box_and_embed_fit_a_phone(page: Any) -> None:
    page.set_viewport_size({"width": 375, "height": 800})
    for url in [
        "/search/?q=COMPACT",
        "/?party=IN&sort=health",
        "/upcoming/?days=30",
        "/negotiations/india-us-bta/",
        "/embed/negotiations/india-us-bta/",
    ]:
        page.goto(url)
        assert page.evaluate("document.documentElement.scrollWidth") <= 375, url
    screenshot(page, "embed-phone")
