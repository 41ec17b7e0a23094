"""Issue 20 in a real browser: the copies of a status that leave the page say how fresh it is.

A news site's page, served from another origin (a small http.server on 127.0.0.1 while the
live server is `localhost`), pastes the iframe and badge snippets the sharing box gives, as a
journalist would, and is read at desktop and phone width.
"""

from __future__ import annotations

import http.server
import threading
from collections.abc import Iterator
from functools import partial
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

FRESHNESS = "Last confirmed by a source on 26 May 2025 (18 months ago) — may be out of date"


@pytest.fixture
def news_site(page: Any, settings: Any, live_server: Any, tmp_path: Path) -> Iterator[str]:
    """A page on another port holding the snippets copied from the sharing box."""
    settings.SITE_URL = live_server.url
    page.goto("/negotiations/india-us-bta/")
    iframe = page.locator("#share-iframe").input_value()
    badge = page.locator("#share-html").input_value()
    (tmp_path / "story.html").write_text(
        '<!doctype html><html lang="en"><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        "<title>Trade talks stall</title><h1>Trade talks stall</h1>"
        f"<p>Where the deal stands: {badge}</p>{iframe}<p>The story goes on.</p>",
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
    yield f"http://127.0.0.1:{server.server_address[1]}/story.html"
    server.shutdown()
    server.server_close()
    thread.join(timeout=5)


def _frame(page: Any) -> Any:
    return next(f for f in page.frames if "/embed/negotiations/" in f.url)


@pytest.mark.parametrize("width", [1280, 375])
def test_a_news_page_on_another_port_shows_the_embed_whole_with_its_freshness_and_the_badge(
    page: Any, news_site: str, width: int
) -> None:
    page.set_viewport_size({"width": width, "height": 900})
    page.goto(news_site, wait_until="load")
    embed = page.frame_locator("iframe")
    expect(embed.get_by_role("heading", level=1)).to_have_text("India–US Bilateral Trade Agreement")
    freshness = embed.locator(".freshness")
    expect(freshness).to_be_visible()
    expect(freshness).to_have_text(FRESHNESS)
    expect(embed.locator(".embed-foot")).to_be_visible()
    page.screenshot(path=f"/tmp/copies-embed-{width}.png", full_page=True)

    # Nothing cut off: the card fits its frame, which never scrolls inside itself.
    frame = _frame(page)
    inside = frame.evaluate(
        "() => { const s = document.scrollingElement;"
        " return [s.scrollHeight, s.clientHeight, s.scrollWidth, s.clientWidth]; }"
    )
    assert inside[0] <= inside[1] and inside[2] <= inside[3], inside
    foot = frame.evaluate(
        "() => document.querySelector('.embed-foot').getBoundingClientRect().bottom"
    )
    assert foot <= inside[1], (foot, inside)

    # The badge loads from Tranche and says what the record does not.
    badge = page.locator("img[src$='/badge.svg']")
    page.wait_for_function("document.querySelector('img[src$=\"/badge.svg\"]').complete")
    natural = badge.evaluate("img => [img.naturalWidth, img.naturalHeight]")
    assert natural[0] > 100 and natural[1] == 20, natural
    expect(badge).to_be_visible()

    # No sideways scroll on the news page, at phone width either.
    host = page.evaluate("[document.scrollingElement.scrollWidth, window.innerWidth]")
    assert host[0] <= host[1], host
    box = page.locator("iframe").bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= width, box


def test_the_printed_briefing_says_how_fresh_the_record_is(page: Any) -> None:
    page.goto("/negotiations/india-us-bta/")
    page.emulate_media(media="print")
    head = page.locator(".page-head")
    expect(head.locator(".briefing-as-of")).to_be_visible()
    expect(head.locator("p.freshness")).to_be_visible()
    expect(head.locator("p.freshness")).to_have_text(FRESHNESS)
