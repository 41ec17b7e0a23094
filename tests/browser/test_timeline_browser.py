"""The timeline as people see it: legible on a wide screen, on a phone, and on paper."""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import screenshot
from tests.conftest import committed, make_milestone, make_negotiation, make_track
from tracker import services
from tracker.models import Source

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

DOCS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
UPDATE_DOCS = os.environ.get("TRANCHE_UPDATE_SCREENSHOTS") == "1"

# Every piece of text drawn in the timeline, with its box as the browser lays it out.
TEXT_BOXES = """
() => [...document.querySelectorAll(
  'svg.timeline-svg text.label, svg.timeline-svg text.row-name, svg.timeline-svg text.tick,'
  + 'svg.timeline-svg text.overdue-label, svg.timeline-svg text.today-label'
)].map(t => { const r = t.getBoundingClientRect();
  return {text: t.textContent.trim(), x0: r.left, x1: r.right, y0: r.top, y1: r.bottom}; })
"""
ITEM_BOXES = """
() => [...document.querySelectorAll('.timeline .agenda li')].map(li => {
  const r = li.getBoundingClientRect();
  return {text: li.textContent.trim(), x0: r.left, x1: r.right, y0: r.top, y1: r.bottom}; })
"""


@pytest.fixture
def eu_india(india_us: None) -> None:
    """Closing steps of an EU–India style deal a few weeks apart, confirmed by one article."""
    source = Source(
        slug="eu-india-closing",
        title="EU and India set out the last steps to signature",
        publisher="Trade Desk",
        url="https://news.example.org/eu-india-closing",
        published_on=dt.date(2026, 11, 10),
        excerpt="The 15th round, legal scrubbing and signature are planned within weeks.",
    )
    with committed():
        services.source_save(source=source)
    negotiation = make_negotiation("eu-india-fta", name="EU–India Free Trade Agreement")
    with committed():
        services.negotiation_save(negotiation=negotiation, sources=[source])
    fta = make_track(negotiation, "fta", name="Free trade agreement")
    investment = make_track(negotiation, "investment", name="Investment protection")
    for track, title, deadline in [
        (fta, "15th negotiating round", "December 3, 2026"),
        (fta, "Legal scrubbing completed", "December 17, 2026"),
        (fta, "FTA signed", "January 14, 2027"),
        (fta, "Ratified by the European Parliament", "March 2027"),
        (investment, "Investment protection agreement", "December 2026"),
        (investment, "Geographical indications agreement", "December 20, 2026"),
    ]:
        milestone = make_milestone(track, title, deadline, reference=dt.date(2026, 11, 1))
        with committed():
            services.milestone_save(milestone=milestone, sources=[source])


def overlaps(boxes: list[dict[str, Any]]) -> list[tuple[str, str]]:
    clashes = []
    for i, a in enumerate(boxes):
        for b in boxes[i + 1 :]:
            across = a["x0"] < b["x1"] - 0.5 and b["x0"] < a["x1"] - 0.5
            down = a["y0"] < b["y1"] - 0.5 and b["y0"] < a["y1"] - 0.5
            if across and down:
                clashes.append((a["text"], b["text"]))
    return clashes


def test_the_eu_india_timeline_labels_never_overlap_at_desktop_width(
    page: Any, eu_india: None
) -> None:
    page.goto("/negotiations/eu-india-fta/")
    timeline = page.locator("svg.timeline-svg")
    expect(timeline).to_be_visible()
    for title in ["15th negotiating round", "Legal scrubbing completed", "FTA signed"]:
        expect(timeline.locator("text.label", has_text=title)).to_be_visible()
    boxes = page.evaluate(TEXT_BOXES)
    assert len(boxes) > 8
    assert overlaps(boxes) == []
    screenshot(page, "eu-india")


def test_on_a_phone_the_timeline_is_a_list_in_date_order_with_today_among_the_deadlines(
    page: Any, eu_india: None
) -> None:
    page.set_viewport_size({"width": 375, "height": 800})
    page.goto("/negotiations/eu-india-fta/")
    expect(page.locator("svg.timeline-svg")).to_be_hidden()
    items = page.locator(".timeline .agenda li")
    expect(items.first).to_be_visible()
    texts = [t.strip() for t in items.all_inner_texts()]

    def position(words: str) -> int:
        return next(i for i, text in enumerate(texts) if words in text)

    assert "21 Nov 2026" in texts[position("Today")]
    steps = ["Today", "15th negotiating round", "Legal scrubbing completed", "FTA signed"]
    assert [position(s) for s in steps] == sorted(position(s) for s in steps)
    assert position("15th negotiating round") == position("Today") + 1
    assert overlaps(page.evaluate(ITEM_BOXES)) == []
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    screenshot(page, "eu-india-phone")
    page.goto("/negotiations/india-us-bta/")
    expect(page.locator(".timeline .agenda-today")).to_be_visible()
    if UPDATE_DOCS:
        page.locator("section[aria-labelledby=timeline-heading]").screenshot(
            path=str(DOCS / "negotiation-phone.png")
        )


def test_printing_the_negotiation_page_gives_a_briefing_with_dates_and_source_addresses(
    page: Any, eu_india: None
) -> None:
    page.emulate_media(media="print")
    page.set_viewport_size({"width": 800, "height": 1100})
    page.goto("/negotiations/eu-india-fta/")
    expect(page.locator(".briefing-as-of")).to_have_text(
        "Tranche briefing · dates as of 21 November 2026"
    )
    expect(page.locator(".page-head .freshness")).to_contain_text(
        "Last confirmed by a source on 10 November 2026"
    )
    expect(page.locator("svg.timeline-svg")).to_be_visible()
    expect(page.locator(".track-card").first).to_be_visible()
    sources = page.locator(".briefing-sources")
    expect(sources).to_be_visible()
    expect(sources.locator(".print-url").first).to_be_visible()
    expect(sources).to_contain_text(
        "EU and India set out the last steps to signature, Trade Desk, 10 November 2026"
        " https://news.example.org/eu-india-closing"
    )
    for hidden in [".site-header", "nav.crumbs", ".actions", ".share", ".site-footer"]:
        elements = page.locator(hidden).all()
        assert elements, hidden
        for element in elements:
            expect(element).to_be_hidden()
    path = screenshot(page, "negotiation-print")
    if UPDATE_DOCS:
        page.screenshot(path=str(DOCS / "negotiation-print.png"), full_page=True)
    assert path.exists()
    # On screen the addresses stay behind their links.
    page.emulate_media(media="screen")
    expect(sources.locator(".print-url").first).to_be_hidden()
    expect(page.locator(".briefing-as-of")).to_be_hidden()
