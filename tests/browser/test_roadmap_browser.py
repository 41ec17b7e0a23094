"""The roadmap in Debian's chromium: the India–US record and a generated 50-negotiation
portfolio, at desktop and phone width, folding out, fitting the window, axe clean."""

from __future__ import annotations

import importlib.util
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.browser.test_accessibility import AXE, blocking_violations, describe

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

WIDTHS = (1280, 375)
PORTFOLIO = Path(__file__).resolve().parents[2] / "benchmarks" / "portfolio.py"


@pytest.fixture
def browser_page(
    chromium: Any, live_server: Any, collected_static: None, india_us: None
) -> Iterator[Any]:
    if not AXE.exists():
        pytest.skip(f"axe-core is not installed ({AXE}): run `npm ci --prefix tests/browser/axe`")
    # axe is injected as a script, which the site's Content-Security-Policy refuses.
    context = chromium.new_context(
        viewport={"width": 1280, "height": 900}, base_url=live_server.url, bypass_csp=True
    )
    context.set_default_timeout(20_000)
    yield context.new_page()
    context.close()


def _fits(page: Any) -> bool:
    """Nothing but the regions meant to scroll sideways is wider than the window."""
    return bool(page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1"))


def test_the_india_us_roadmap_folds_out_its_tracks_at_desktop_and_phone_width(
    browser_page: Any,
) -> None:
    page = browser_page
    found = []
    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": 900})
        page.goto("/roadmap/")
        table = page.get_by_role("table")
        assert "India–US Bilateral Trade Agreement" in table.inner_text()
        assert "of 4 deadlines that have passed, 2 were met on time" in table.inner_text()
        tracks = page.get_by_role("link", name="Interim agreement (first tranche)")
        assert not tracks.is_visible()
        page.locator("summary").first.click()
        assert tracks.is_visible()
        assert page.get_by_role(
            "img", name="Deadlines of India–US Bilateral Trade Agreement", exact=True
        ).is_visible()
        assert _fits(page), f"the roadmap is wider than the window at {width}px"
        violations = blocking_violations(page)
        if violations:
            found.append(describe("/roadmap/", width, violations))
    assert not found, "axe-core found serious or critical violations:\n" + "\n".join(found)


def test_a_generated_portfolio_of_50_negotiations_draws_one_line_each(browser_page: Any) -> None:
    spec = importlib.util.spec_from_file_location("portfolio", PORTFOLIO)
    assert spec is not None and spec.loader is not None
    portfolio = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("portfolio", portfolio)  # its dataclass looks its module up
    spec.loader.exec_module(portfolio)
    portfolio.build(
        negotiations=50, milestones=2_000, revisions=1_000, dependencies=100, largest=100
    )
    page = browser_page
    found = []
    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": 900})
        page.goto("/roadmap/")
        # The 50 generated negotiations and the India–US one, each a line that folds out.
        assert page.locator(".roadmap-rows > li").count() == 51
        assert page.locator("tbody tr").count() == 51
        row = page.locator("#roadmap-negotiation-0")
        row.locator("summary").click()
        assert row.get_by_role("link", name="Track 3").is_visible()
        assert _fits(page), f"the roadmap is wider than the window at {width}px"
        violations = blocking_violations(page)
        if violations:
            found.append(describe("/roadmap/ (50 negotiations)", width, violations))
    assert not found, "axe-core found serious or critical violations:\n" + "\n".join(found)
