"""Playwright on Debian's chromium against pytest-django's live server.

Dates are pinned by time-machine with tick=True: the live server runs in a thread of this
process, so it sees the same travelled clock, and ticking keeps sessions and cookies sane.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import time_machine

CHROMIUM = Path("/usr/bin/chromium")
SCREENSHOTS = Path(__file__).resolve().parent.parent / "screenshots"
NOW = dt.datetime(2026, 11, 21, 9, 0, tzinfo=dt.UTC)
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]

pytestmark = pytest.mark.browser
__all__ = ["screenshot"]


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    if CHROMIUM.exists():
        return
    skip = pytest.mark.skip(reason=f"{CHROMIUM} is not installed (apt-get install chromium)")
    for item in items:
        if "browser" in item.keywords:
            item.add_marker(skip)


# Per module, not per session: Playwright's loop must be gone before the tests that follow
# (async_to_sync, used by django-health-check and Celery's tooling, refuses a running loop).
@pytest.fixture(scope="module")
def chromium(django_db_setup: None, django_db_blocker: Any) -> Iterator[Any]:
    if not CHROMIUM.exists():
        pytest.skip(f"{CHROMIUM} is not installed (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    # Playwright's sync API leaves its event loop marked as running on this thread, which
    # Django's async-safety check mistakes for async code; every ORM call here is still
    # synchronous, so the check is switched off for the browser tests only.
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        yield browser
        browser.close()
    if previous is None:
        del os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"]
    else:
        os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


@pytest.fixture
def travelled() -> Iterator[None]:
    with time_machine.travel(NOW, tick=True):
        yield


@pytest.fixture
def india_us(travelled: None, transactional_db: None) -> None:
    from tracker.management.commands.load_record import INDIA_US_RECORD
    from tracker.record import load_record

    load_record(INDIA_US_RECORD)


@pytest.fixture
def page(chromium: Any, live_server: Any, collected_static: None, india_us: None) -> Iterator[Any]:
    context = chromium.new_context(
        viewport={"width": 1280, "height": 900}, base_url=live_server.url
    )
    context.set_default_timeout(10_000)
    page = context.new_page()
    yield page
    context.close()


def screenshot(page: Any, name: str) -> Path:
    SCREENSHOTS.mkdir(exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path
