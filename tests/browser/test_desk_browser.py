"""The editors' desk in a real browser: paste an article, decide its proposals by keyboard
and by mouse, and the record changes; axe finds nothing serious on its pages."""

from __future__ import annotations

import re
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from playwright.sync_api import expect

from tests.browser.conftest import screenshot
from tests.browser.test_accessibility import AXE, WIDTHS, blocking_violations, describe
from tracker.models import Article, Milestone, Proposal

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

INTERIM = (
    "New Delhi, Nov 20 (NationPress) India and the United States now aim to conclude the "
    "interim trade deal by the end of January 2027, officials said."
)
COMPREHENSIVE = "The comprehensive agreement is expected to be concluded by the end of 2027."
DIALOGUE = "The two sides also plan to hold the Strategic Trade Dialogue in March 2027."
CHAPTER = "They hope to sign a digital trade chapter by June 2027."
TEXT = f"{INTERIM} {COMPREHENSIVE}\n\n{DIALOGUE} {CHAPTER}"
TITLE = "India, US now aim for an interim deal by January"
PASSWORD = "a long passphrase for the desk"
SCREENSHOT = Path("/tmp/desk-1280.png")


def log_in(page: Any) -> None:
    editor = get_user_model().objects.create_user("editor", "e@example.org", PASSWORD)
    # The editors group's rights on articles and proposals, given directly: between these
    # tests the database is flushed, and the group (made by a migration) goes with it.
    editor.user_permissions.add(
        *Permission.objects.filter(
            content_type__app_label="tracker",
            codename__in=["add_article", "view_article", "change_proposal", "view_proposal"],
        )
    )
    page.goto("/login/?next=/desk/")
    page.get_by_label("Username").fill("editor")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url("**/desk/")


def paste_the_article(page: Any) -> Article:
    page.get_by_label("Title", exact=True).fill(TITLE)
    page.get_by_label("Publisher", exact=True).fill("NationPress")
    page.get_by_label("Published on", exact=True).fill("2026-11-20")
    page.get_by_label("Negotiation", exact=True).select_option("india-us-bta")
    page.get_by_label("Text", exact=True).fill(TEXT)
    page.get_by_role("button", name="Read the article").click()
    page.wait_for_url("**/desk/articles/*/")
    return Article.objects.get(title=TITLE)


def card(page: Any, quote: str) -> Any:
    """The proposal whose quote holds these words."""
    return page.locator("li.proposal").filter(
        has=page.locator("blockquote.proposal-quote", has_text=quote)
    )


def test_an_editor_pastes_an_article_and_decides_its_proposals_by_keyboard_and_by_mouse(
    page: Any,
) -> None:
    log_in(page)
    # From "Needs review": the undated dialogue, confirmed with an article.
    page.goto("/review/")
    page.get_by_role(
        "link", name=re.compile(r"^Confirm with an article\W+Strategic Trade Dialogue held$")
    ).click()
    expect(page.get_by_test_id("mention")).to_contain_text(
        "Confirming the milestone “Strategic Trade Dialogue held”"
    )
    expect(page.get_by_label("Negotiation", exact=True)).to_have_value("india-us-bta")
    article = paste_the_article(page)
    expect(page.get_by_role("heading", level=1)).to_have_text(TITLE)
    expect(page.locator(".messages")).to_contain_text("is read: 4 proposals")
    expect(page.locator(".desk-keys")).to_contain_text("a accept, r reject, e edit")
    # Every quote is highlighted in the text, each sentence the reader read.
    marks = page.locator(".article-text mark.quote")
    expect(marks).to_have_count(4)
    expect(marks.first).to_have_text(INTERIM)

    # By keyboard: j chooses the first proposal (its quote is marked as current), a accepts.
    page.keyboard.press("j")
    interim = card(page, "interim trade deal")
    expect(interim).to_be_focused()
    expect(interim).to_have_class(re.compile(r"\bcurrent\b"))
    expect(page.locator(".article-text mark.quote.current")).to_have_text(INTERIM)
    page.keyboard.press("a")
    expect(page.locator(".messages")).to_have_text(
        "Accepted: Milestone “Interim trade deal concluded”."
    )
    expect(interim.get_by_test_id("proposal-state")).to_contain_text("Accepted by editor")
    # Back on the page, the next open proposal is the current one: j/k go on from there.
    expect(card(page, COMPREHENSIVE)).to_be_focused()
    page.keyboard.press("j")
    expect(card(page, DIALOGUE)).to_be_focused()
    page.keyboard.press("k")
    expect(card(page, COMPREHENSIVE)).to_be_focused()

    # By mouse: a reason, then Reject.
    comprehensive = card(page, COMPREHENSIVE)
    comprehensive.get_by_label("Reason to reject (optional)").click()
    comprehensive.get_by_label("Reason to reject (optional)").fill(
        "Expected by whom? No source named"
    )
    comprehensive.get_by_role("button", name="Reject").click()
    expect(card(page, COMPREHENSIVE).get_by_test_id("proposal-state")).to_contain_text(
        "Rejected by editor on 21 November 2026: Expected by whom? No source named."
    )

    # Edit, then accept: the new milestone needs its track, and gets a title of our own.
    chapter = card(page, CHAPTER)
    chapter.get_by_text("Edit, then accept").click()
    chapter.get_by_label("Track").select_option(label="Comprehensive BTA")
    chapter.get_by_label("Title").fill("Digital trade chapter signed")
    chapter.get_by_label("Deadline").fill("end of July 2027")
    SCREENSHOT.parent.mkdir(exist_ok=True)
    page.screenshot(path=str(SCREENSHOT), full_page=True)
    chapter.get_by_role("button", name="Accept with edits").click()
    expect(card(page, CHAPTER).get_by_test_id("proposal-state")).to_contain_text("Accepted")
    expect(page.get_by_test_id("open-count")).to_have_text("1 open of 4")
    screenshot(page, "desk-decided")

    # The record changed as the page says.
    moved = Milestone.objects.get(slug="interim-deal-concluded")
    assert (moved.deadline_text, str(moved.deadline_latest)) == (
        "end of January 2027",
        "2027-01-31",
    )
    assert moved.last_confirmed_on is not None and str(moved.last_confirmed_on) == "2026-11-20"
    kept = Milestone.objects.get(slug="comprehensive-agreement-concluded")
    assert kept.deadline_text == "autumn 2025"
    created = Milestone.objects.get(title="Digital trade chapter signed")
    assert (created.track.slug, created.deadline_text) == ("comprehensive-bta", "end of July 2027")
    decided = Proposal.objects.filter(article=article).order_by("start")
    assert [p.state for p in decided] == ["accepted", "rejected", "open", "accepted"]


@pytest.fixture
def audited(
    chromium: Any, live_server: Any, collected_static: None, india_us: None
) -> Iterator[Any]:
    if not AXE.exists():
        pytest.skip(f"axe-core is not installed ({AXE}): run `npm ci --prefix tests/browser/axe`")
    # The site's Content-Security-Policy rightly refuses the injected axe script; the audit
    # bypasses it in its own browser context only.
    context = chromium.new_context(
        viewport={"width": 1280, "height": 900}, base_url=live_server.url, bypass_csp=True
    )
    context.set_default_timeout(10_000)
    yield context.new_page()
    context.close()


def test_axe_finds_no_serious_or_critical_violation_on_the_desk_pages_at_desktop_and_phone_width(
    audited: Any,
) -> None:
    page = audited
    log_in(page)
    article = paste_the_article(page)
    confirming = Milestone.objects.get(slug="interim-deal-concluded")
    urls = [
        "/desk/",
        f"/desk/?milestone={confirming.pk}",
        f"/desk/articles/{article.pk}/",
        "/review/",
    ]
    found = []
    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": 900})
        for url in urls:
            page.goto(url)
            violations = blocking_violations(page)
            if violations:
                found.append(describe(url, width, violations))
        # The page as an editor meets it after a mistake: errors on the form, an edit open.
        page.goto("/desk/")
        page.get_by_role("button", name="Read the article").click()
        expect(page.locator(".error").first).to_be_visible()
        violations = blocking_violations(page)
        if violations:
            found.append(describe("/desk/ with errors", width, violations))
    path = screenshot(page, "desk-375")
    shutil.copy(path, "/tmp/desk-375.png")
    assert not found, "axe-core found serious or critical violations:\n" + "\n".join(found)
