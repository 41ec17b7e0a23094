"""The admin as an editor sees it at 1280 px: lists that fit, pickers that tell sources apart."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth import get_user_model
from playwright.sync_api import expect

from tests.browser.conftest import screenshot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

LISTS = [
    "/admin/tracker/milestone/",
    "/admin/tracker/track/",
    "/admin/tracker/negotiation/",
    "/admin/tracker/target/",
    "/admin/tracker/source/",
]


@pytest.fixture
def editor(page: Any) -> Any:
    get_user_model().objects.create_superuser("editor", "e@example.org", "a long passphrase")
    page.goto("/admin/login/")
    page.get_by_label("Username").fill("editor")
    page.get_by_label("Password").fill("a long passphrase")
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url("**/admin/")
    return page


def test_admin_lists_fit_1280_pixels_with_their_status_column_in_view(editor: Any) -> None:
    page = editor
    for url in LISTS:
        page.goto(url)
        expect(page.locator("#result_list")).to_be_visible()
        assert page.evaluate("document.documentElement.scrollWidth") <= 1280, url
        # The list sits in a box that scrolls sideways when the table is wider than it: the
        # status columns were cut off there.
        results = page.locator("#changelist-form .results")
        assert results.evaluate("r => r.scrollWidth <= r.clientWidth"), url
        columns = page.locator("#result_list thead th")
        for index in range(columns.count()):
            expect(columns.nth(index)).to_be_in_viewport()
        screenshot(page, "admin-" + url.strip("/").split("/")[-1])


def test_the_sources_picker_searches_and_tells_quotes_of_one_article_apart(editor: Any) -> None:
    page = editor
    page.goto("/admin/tracker/milestone/?q=interim")
    page.get_by_role("link", name="Interim trade deal concluded").click()
    field = page.locator(".field-sources .select2-container")
    expect(field).to_be_visible()
    expect(field.locator(".select2-selection__choice").first).to_contain_text(
        "26 May 2025 (inferred): “"
    )
    field.locator("input.select2-search__field").fill("NationPress")
    options = page.locator(".select2-results__option")
    expect(options.first).to_contain_text("NationPress, 26 May 2025: “")
    screenshot(page, "admin-milestone-sources")
