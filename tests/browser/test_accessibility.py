"""axe-core inside the browser: every dashboard page, at desktop and phone width.

axe-core comes from npm (tests/browser/axe/package.json, installed by `.ci/run` with
`npm ci --prefix tests/browser/axe`). On a machine with only Python the test skips and says
how to install it.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth import get_user_model

from tracker.models import Milestone, Target

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

AXE = Path(__file__).resolve().parent / "axe" / "node_modules" / "axe-core" / "axe.min.js"
WIDTHS = (1280, 375)
BLOCKING = {"serious", "critical"}


def pages() -> list[str]:
    milestone = Milestone.objects.get(slug="interim-deal-concluded")
    target = Target.objects.order_by("pk").first()
    assert target is not None
    return [
        "/",
        "/negotiations/india-us-bta/",
        "/negotiations/india-us-bta/tracks/interim-agreement/",
        f"/milestones/{milestone.pk}/",
        f"/targets/{target.pk}/",
        "/upcoming/",
        "/review/",
        "/subscriptions/",
        "/search/?q=COMPACT",
        "/embed/negotiations/india-us-bta/",
        "/account/",
        "/password/change/",
        "/login/",
        "/api/docs/",
        "/accessibility/",
    ]


# Pages that draw themselves with a script: audited once drawn, not before.
DRAWN = {"/api/docs/": ".opblock"}


def blocking_violations(page: Any) -> list[dict[str, Any]]:
    page.add_script_tag(path=str(AXE))
    results = page.evaluate("axe.run(document, {resultTypes: ['violations']})")
    return [v for v in results["violations"] if v["impact"] in BLOCKING]


def describe(url: str, width: int, violations: list[dict[str, Any]]) -> str:
    lines = []
    for v in violations:
        lines.append(f"{url} at {width}px: {v['impact']} {v['id']}: {v['help']}")
        for node in v["nodes"][:8]:
            lines.append(f"    {' '.join(node['target'])}")
            lines.append(f"      {node['failureSummary'].replace(chr(10), chr(10) + '      ')}")
    return "\n".join(lines)


@pytest.fixture
def audited(
    chromium: Any, live_server: Any, collected_static: None, india_us: None
) -> Iterator[Any]:
    if not AXE.exists():
        pytest.skip(f"axe-core is not installed ({AXE}): run `npm ci --prefix tests/browser/axe`")
    # The site's Content-Security-Policy rightly refuses an injected script; the audit
    # bypasses it in its own browser context only.
    context = chromium.new_context(
        viewport={"width": 1280, "height": 900}, base_url=live_server.url, bypass_csp=True
    )
    context.set_default_timeout(10_000)
    yield context.new_page()
    context.close()


def test_axe_finds_no_serious_or_critical_violation_on_any_page_at_desktop_and_phone_width(
    audited: Any,
) -> None:
    page = audited
    get_user_model().objects.create_user("reader", "r@example.org", "a long passphrase")
    page.goto("/login/")
    page.get_by_label("Username").fill("reader")
    page.get_by_label("Password").fill("a long passphrase")
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url("**/")

    found = []
    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": 900})
        for url in pages():
            page.goto(url)
            if url in DRAWN:
                page.wait_for_selector(DRAWN[url])
            violations = blocking_violations(page)
            if violations:
                found.append(describe(url, width, violations))
    assert not found, "axe-core found serious or critical violations:\n" + "\n".join(found)
