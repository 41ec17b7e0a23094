"""The dashboard in a real browser: what a negotiator sees and clicks."""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from playwright.sync_api import expect

from tests.browser.conftest import screenshot
from tests.conftest import make_milestone
from tracker.models import Subscription, Track

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

DOCS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
# The README's screenshots are refreshed on request, so a test run leaves the tree clean.
UPDATE_DOCS = os.environ.get("TRANCHE_UPDATE_SCREENSHOTS") == "1"


def test_overview_shows_the_india_us_negotiation_off_track_with_its_next_deadline(
    page: Any,
) -> None:
    page.goto("/")
    card = page.locator("article.card", has_text="India–US Bilateral Trade Agreement")
    expect(card).to_be_visible()
    expect(card.locator(".badge").first).to_have_text("Off track")
    # The record's newest source is from May 2025: what is known, not "16 months overdue".
    expect(card).to_contain_text("passed 501 days ago; no source since 26 May 2025 says it was met")
    expect(card).to_contain_text("2 overdue")
    expect(card).to_contain_text("Bilateral trade reaches $500 billion")
    expect(page.locator(".lede")).to_contain_text(
        "The newest source in the record is dated 26 May 2025"
    )
    expect(card).to_contain_text("0% done: 0 of 7 steps that advance the deal")
    path = screenshot(page, "overview")
    if UPDATE_DOCS:
        shutil.copy(path, DOCS / "overview.png")


def test_clicking_through_reaches_the_overdue_interim_deal_with_its_consequence_and_sources(
    page: Any,
) -> None:
    page.goto("/")
    page.get_by_role("link", name="India–US Bilateral Trade Agreement").first.click()
    expect(page.get_by_role("heading", level=1)).to_have_text("India–US Bilateral Trade Agreement")
    timeline = page.locator("svg.timeline-svg")
    expect(timeline).to_be_visible()
    expect(timeline.locator(".today-label")).to_have_text("Today, 21 Nov 2026")
    # The autumn window is drawn as a band, not a point.
    expect(timeline.locator(".status-overdue .window")).to_have_count(1)
    # Health that needs evidence: no dated milestone or no figure is "No data", not "On
    # track"; the ongoing COMPACT framework is "Active", not "Achieved".
    tracks = page.locator(".track-card")
    expect(tracks.filter(has_text="TRUST technology").locator(".badge").first).to_have_text(
        "No data"
    )
    expect(tracks.filter(has_text="Bilateral trade to $500B").locator(".badge").first).to_have_text(
        "No data"
    )
    compact = tracks.filter(has_text="COMPACT defence cooperation")
    expect(compact.locator(".badge").first).to_have_text("Active")
    expect(page.locator(".page-head")).to_contain_text("2 overdue")
    expect(page.locator(".page-head .freshness")).to_have_text(
        "Last confirmed by a source on 26 May 2025 (18 months ago) — may be out of date"
    )
    expect(page.locator("body")).not_to_contain_text("Article 000")
    screenshot(page, "negotiation")
    if UPDATE_DOCS:
        page.locator(".timeline").screenshot(path=str(DOCS / "negotiation.png"))

    page.locator(".track-card").get_by_role("link", name="Interim trade deal concluded").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Interim trade deal concluded")
    head = page.locator(".page-head")
    expect(head.locator(".badge")).to_have_text("Overdue")
    expect(head).to_contain_text("The deadline of 8 July 2025 passed 501 days ago")
    expect(head).to_contain_text("may be out of date")
    expect(head).to_contain_text("July 8, 2025")
    expect(page.locator(".consequence")).to_contain_text("reciprocal tariffs")
    sources = page.locator(".sources li")
    expect(sources.first).to_contain_text("conclude an interim trade deal by July 8")
    expect(sources.first).to_contain_text("Misri U.S. Visit Part Of India Bid")
    expect(sources.first).to_contain_text("on or before 26 May 2025 (inferred)")
    expect(head.locator(".freshness")).to_have_text(
        "Last confirmed by a source on or before 26 May 2025 (at least 18 months ago) "
        "— may be out of date"
    )
    differ = page.locator(".differ")
    expect(differ).to_contain_text("Sources differ")
    expect(differ.locator("blockquote")).to_have_count(2)
    history = page.locator("#history-heading + .table-wrap")
    expect(history).to_contain_text("on or before 26 May 2025 (inferred)")
    expect(history).not_to_contain_text("21 Nov 2026")
    screenshot(page, "milestone")
    if UPDATE_DOCS:
        page.screenshot(path=str(DOCS / "milestone.png"))  # the top: what is known, and why
    # The deadline links to the quote that announced it.
    head.get_by_role("link", name="July 8, 2025").click()
    expect(page).to_have_url(re.compile(r"#source-interim-deal-by-july-8$"))
    expect(page.locator("#source-interim-deal-by-july-8")).to_be_in_viewport()

    page.get_by_role("link", name="Interim agreement (first tranche)").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Interim agreement (first tranche)")
    screenshot(page, "track")


def test_target_page_says_there_are_no_observations_yet_and_the_growth_needed(page: Any) -> None:
    page.goto("/negotiations/india-us-bta/")
    page.locator("#targets-heading + ul").get_by_role("link", name="Bilateral trade").click()
    expect(page.locator(".page-head")).to_contain_text("There are no observations yet")
    expect(page.locator(".page-head")).to_contain_text(re.compile(r"\+\d+(\.\d)?%/year"))
    expect(page.locator("svg.chart-svg path.required")).to_have_count(1)
    screenshot(page, "target")
    page.goto("/upcoming/")
    expect(page.locator("#overdue-heading")).to_have_text("Overdue (2)")
    screenshot(page, "upcoming")


def test_a_signed_in_user_subscribes_to_the_negotiation_and_unsubscribes(page: Any) -> None:
    get_user_model().objects.create_user("negotiator", "n@example.org", "a long passphrase")
    page.goto("/subscriptions/")
    expect(page).to_have_url(re.compile(r"/login/\?next=/subscriptions/"))
    page.get_by_label("Username").fill("negotiator")
    page.get_by_label("Password").fill("a long passphrase")
    page.get_by_role("button", name="Log in").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Your subscriptions")
    page.get_by_label("Follow", exact=True).select_option(
        label="India–US Bilateral Trade Agreement (whole negotiation)"
    )
    page.get_by_label("Time zone").fill("Asia/Kolkata")
    page.get_by_label("Remind me this many days before").fill("14, 3, 0")
    page.get_by_role("button", name="Subscribe", exact=True).click()

    expect(page.locator(".messages")).to_contain_text(
        "Subscribed to India–US Bilateral Trade Agreement"
    )
    listed = page.locator(".subscriptions li")
    expect(listed).to_have_count(1)
    expect(listed).to_contain_text("14, 3, 0 days before · Asia/Kolkata")
    screenshot(page, "subscriptions")
    subscription = Subscription.objects.get()
    assert subscription.is_active and subscription.offsets == [14, 3, 0]

    page.get_by_role("button", name="Unsubscribe from India–US Bilateral Trade Agreement").click()
    expect(page.locator(".messages")).to_contain_text("Unsubscribed")
    expect(page.locator(".subscriptions li")).to_have_count(0)
    subscription.refresh_from_db()
    assert subscription.unsubscribed_at is not None

    page.get_by_role("button", name=re.compile("Log out")).click()
    expect(page.get_by_role("link", name="Log in")).to_be_visible()


def test_a_milestone_titled_with_html_and_a_script_shows_as_text_and_runs_nothing(
    page: Any,
) -> None:
    hostile = "<script>alert(1)</script><b>x</b>"
    track = Track.objects.get(slug="interim-agreement")
    milestone = make_milestone(track, title=hostile, slug="hostile", deadline="December 1, 2026")
    dialogs: list[str] = []

    def record(dialog: Any) -> None:
        dialogs.append(dialog.message)
        dialog.dismiss()

    page.on("dialog", record)

    for url in ["/", "/negotiations/india-us-bta/", "/upcoming/", f"/milestones/{milestone.pk}/"]:
        page.goto(url)
        if url != "/":
            expect(page.locator(".mi-title, h1", has_text=hostile).first).to_be_visible()
    expect(page.get_by_role("heading", level=1)).to_have_text(hostile)
    assert page.locator("b", has_text=re.compile("^x$")).count() == 0
    assert dialogs == []


PHONE_PAGES = [
    "/",
    "/negotiations/india-us-bta/",
    "/negotiations/india-us-bta/tracks/interim-agreement/",
    "/upcoming/",
    "/login/",
]


def test_pages_fit_a_375_pixel_phone_without_sideways_scrolling(page: Any) -> None:
    page.set_viewport_size({"width": 375, "height": 800})
    for url in PHONE_PAGES:
        page.goto(url)
        assert page.evaluate("document.documentElement.scrollWidth") <= 375, url
        if url == "/negotiations/india-us-bta/":
            screenshot(page, "negotiation-phone")
    page.goto("/negotiations/india-us-bta/")
    page.locator("#targets-heading + ul a").first.click()
    page.wait_for_url("**/targets/*/")
    assert page.evaluate("document.documentElement.scrollWidth") <= 375


def test_the_interim_deal_page_fits_a_phone_and_says_overdue_at_once(page: Any) -> None:
    page.set_viewport_size({"width": 375, "height": 800})
    page.goto("/upcoming/")
    page.get_by_role("link", name="Interim trade deal concluded").click()
    page.wait_for_url("**/milestones/*/")
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    expect(page.locator(".page-head .badge")).to_be_in_viewport()
    expect(page.locator(".countdown-big")).to_be_in_viewport()
    screenshot(page, "milestone-phone")


def test_the_stylesheet_is_served(page: Any) -> None:
    response = page.goto("/")
    assert response.ok
    background = page.evaluate("getComputedStyle(document.body).backgroundColor")
    assert background == "rgb(244, 246, 248)"
