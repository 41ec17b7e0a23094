"""The Content-Security-Policy (issue 11) blocks nothing the dashboard and the admin use.

Chromium reports every blocked script, stylesheet, style attribute or image on the
console; the pages are walked as an editor would and the console must stay free of them.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from playwright.sync_api import expect

from tracker import services
from tracker.models import Milestone, Target

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _violations(page: Any) -> list[str]:
    found: list[str] = []
    page.on(
        "console",
        lambda message: (
            found.append(f"{page.url}: {message.text[:90]} {message.location}")
            if "Content Security Policy" in message.text
            else None
        ),
    )
    return found


def test_the_dashboard_pages_work_under_the_policy_with_nothing_blocked(page: Any) -> None:
    violations = _violations(page)
    milestone = Milestone.objects.get(slug="interim-deal-concluded")
    target = Target.objects.get()
    for path in (
        "/",
        "/negotiations/india-us-bta/",
        f"/milestones/{milestone.pk}/",
        f"/targets/{target.pk}/",
        "/upcoming/",
        "/login/",
        "/api/docs/",
    ):
        response = page.goto(path)
        assert response.status == 200, path
        assert "script-src 'self'" in response.headers["content-security-policy"]
        # The stylesheet applied: the header is laid out by tranche.css, not the defaults.
        display = (
            page.locator("header.site-header .header-row").evaluate(
                "e => getComputedStyle(e).display"
            )
            if path != "/api/docs/"
            else "flex"
        )
        assert display == "flex", path
    assert violations == []


def test_the_progress_bar_is_drawn_without_a_style_attribute(page: Any) -> None:
    # One of the seven steps that advance the deal done: the bar is 14% full.
    services.milestone_complete(
        milestone=Milestone.objects.get(slug="interim-deal-concluded"),
        completed_on=dt.date(2025, 7, 7),
    )
    violations = _violations(page)
    page.goto("/")
    card = page.locator("article.card", has_text="India–US Bilateral Trade Agreement")
    expect(card).to_contain_text("14% done: 1 of 7 steps that advance the deal")
    bar = card.locator(".progress-bar").bounding_box()
    fill = card.locator(".progress-bar rect").bounding_box()
    assert bar and fill
    assert fill["width"] == pytest.approx(bar["width"] * 0.14, abs=2)
    assert violations == []


def test_the_admin_works_under_the_policy_with_nothing_blocked(page: Any) -> None:
    get_user_model().objects.create_superuser("root", "root@example.org", "a long passphrase 1")
    violations = _violations(page)
    page.goto("/admin/login/")
    page.fill("#id_username", "root")
    page.fill("#id_password", "a long passphrase 1")
    page.click("input[type=submit]")
    expect(page.locator("#site-name")).to_be_visible()
    milestone = Milestone.objects.get(slug="interim-deal-concluded")
    for path in (
        "/admin/tracker/milestone/",
        f"/admin/tracker/milestone/{milestone.pk}/change/",
        "/admin/tracker/subscription/add/",
    ):
        response = page.goto(path)
        assert response.status == 200, path
    # The admin's own scripts ran: the action bar counts the rows selected.
    page.goto("/admin/tracker/milestone/")
    overdue = page.locator(".tranche-badge.tranche-overdue").first
    expect(overdue).to_have_css("background-color", "rgb(176, 0, 32)")  # tracker/admin.css
    page.locator("input.action-select").first.check()
    expect(page.locator(".action-counter")).to_contain_text("1 of")
    assert violations == []
