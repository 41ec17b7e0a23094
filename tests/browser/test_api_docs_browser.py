"""/api/docs/ is a working Swagger UI (issue 14): its scripts come from our own static
files, run under the Content-Security-Policy, and show each operation's parameters."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import screenshot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_swagger_ui_renders_the_operations_and_their_parameters_under_the_policy(
    page: Any, live_server: Any
) -> None:
    blocked: list[str] = []
    page.on(
        "console",
        lambda message: (
            blocked.append(message.text) if "Content Security Policy" in message.text else None
        ),
    )
    remote: list[str] = []
    page.on(
        "request",
        lambda request: (
            remote.append(request.url)
            if not request.url.startswith(live_server.url) and not request.url.startswith("data:")
            else None
        ),
    )
    response = page.goto("/api/docs/")
    assert response.status == 200
    expect(page.get_by_role("main")).to_be_visible()
    milestones = page.locator(".opblock-get", has_text="/api/v1/milestones/").first
    # The schema is built on the first request: slow on a busy machine.
    expect(milestones).to_be_visible(timeout=60_000)
    expect(page.locator(".opblock-post", has_text="/api/v1/milestones/").first).to_be_visible()
    milestones.locator(".opblock-summary").click()
    parameters = milestones.locator(".parameters")
    for name in ("negotiation", "status", "due_before", "stale", "page_size"):
        expect(parameters.locator(f"tr[data-param-name='{name}']")).to_be_visible()
    screenshot(page, "api-docs")
    assert blocked == []
    assert remote == []
