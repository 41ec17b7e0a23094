"""Pages as validators and a browser read them: the Nu HTML checker (vnu-jar, Java) finds no
error on any dashboard page, and axe-core finds no serious or critical violation on any
dashboard, account or admin page at desktop (1280 px) and phone (375 px) width."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.test import Client
from django.urls import reverse

from tests.browser.conftest import CHROMIUM, chromium, india_us, travelled
from tests.browser.test_accessibility import AXE, WIDTHS, blocking_violations, describe
from tests.conformance.tools import program, vnu_jar
from tracker.models import Milestone, Negotiation, Subscription, Target

__all__ = ["chromium", "india_us", "travelled"]


def dashboard_pages() -> list[str]:
    milestone = Milestone.objects.get(slug="interim-deal-concluded")
    target = Target.objects.order_by("pk").first()
    assert target is not None
    return [
        "/",
        "/?stale=true",
        "/negotiations/india-us-bta/",
        "/negotiations/india-us-bta/tracks/interim-agreement/",
        f"/milestones/{milestone.pk}/",
        f"/targets/{target.pk}/",
        "/upcoming/",
        "/review/",
        "/search/?q=COMPACT",
        "/embed/negotiations/india-us-bta/",
        "/subscriptions/",
        "/desk/",
    ]


def account_pages() -> list[str]:
    return ["/account/", "/password/change/", "/api/docs/"]


def anonymous_pages() -> list[str]:
    return ["/login/", "/signup/", "/password/reset/"]


def admin_pages() -> list[str]:
    """The admin's index, every list, an add form and a change form of every model."""
    pages = ["/admin/"]
    for model in admin.site._registry:
        meta = model._meta
        name = f"admin:{meta.app_label}_{meta.model_name}"
        pages.append(reverse(f"{name}_changelist"))
        row = model._default_manager.order_by("pk").first()
        if row is not None:
            pages.append(reverse(f"{name}_change", args=[row.pk]))
        if meta.model_name in ADD_FORMS:
            pages.append(reverse(f"{name}_add"))
    # Tranche's own admin pages, a filtered and searched list, and a list's empty filter choice.
    pages += [
        reverse("admin:tracker_negotiation_upload_record"),
        reverse("admin:tracker_observation_import"),
        reverse("admin:tracker_milestone_changelist") + "?state__exact=planned&q=deal",
        reverse("admin:tracker_source_changelist") + "?publisher=",
    ]
    return pages


ADD_FORMS = {"negotiation", "track", "milestone", "target", "observation", "source", "party"}


def editor() -> Any:
    user = get_user_model().objects.create_superuser(
        "editor", "editor@example.org", "a long passphrase"
    )
    Subscription.objects.create(negotiation=Negotiation.objects.get(slug="india-us-bta"), user=user)
    return user


# --- the Nu HTML checker ---------------------------------------------------------------------


def nu_errors(pages: dict[str, bytes], folder: Path) -> list[str]:
    jar = vnu_jar()
    java = program("java", "default-jre-headless")
    files = {}
    for index, (url, html) in enumerate(pages.items()):
        path = folder / f"page-{index}.html"
        path.write_bytes(html)
        files[path.name] = url
    done = subprocess.run(
        [
            java,
            "-jar",
            str(jar),
            "--errors-only",
            "--format",
            "json",
            "--exit-zero-always",
            *(str(folder / f"page-{i}.html") for i in range(len(pages))),
        ],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    report = json.loads(done.stderr or done.stdout)
    return [
        f"{files.get(m.get('url', '').rsplit('/', 1)[-1], m.get('url'))}:{m.get('lastLine')}: "
        f"{m['message']}"
        for m in report["messages"]
        if m.get("type") == "error"
    ]


@pytest.fixture
def dashboard(record: None) -> dict[str, bytes]:
    client = Client()
    client.force_login(editor())
    found = {}
    for url in dashboard_pages() + account_pages():
        answer = client.get(url)
        assert answer.status_code == 200, url
        found[url] = answer.content
    anonymous = Client()
    for url in anonymous_pages():
        answer = anonymous.get(url)
        assert answer.status_code == 200, url
        found[url] = answer.content
    return found


def test_the_nu_checker_finds_no_error_on_any_dashboard_page(dashboard, tmp_path):
    errors = nu_errors(dashboard, tmp_path)
    assert errors == [], "\n".join(errors)


def test_a_time_with_six_fraction_digits_and_text_after_a_figcaption_are_caught(tmp_path):
    page = (
        b'<!doctype html><html lang="en"><head><title>x</title></head><body>'
        b'<time datetime="2026-11-21T09:00:00.123456+00:00">now</time>'
        b"<figure><div>chart</div><figcaption>A chart</figcaption><p>after</p></figure>"
        b"</body></html>"
    )
    found = nu_errors({"/broken/": page}, tmp_path)
    assert any("“datetime” on element “time”" in error for error in found), found
    assert any("child of element “figure”" in error for error in found), found


# --- axe-core in the browser -----------------------------------------------------------------


@pytest.fixture
def audited(chromium: Any, live_server: Any, india_us: None) -> Iterator[Any]:
    if not AXE.exists():
        pytest.skip(f"axe-core is not installed ({AXE}): run `npm ci --prefix tests/browser/axe`")
    context = chromium.new_context(
        viewport={"width": 1280, "height": 900}, base_url=live_server.url, bypass_csp=True
    )
    if not CHROMIUM.exists():
        pytest.skip(f"{CHROMIUM} is not installed (apt-get install chromium)")
    context.set_default_timeout(15_000)
    yield context.new_page()
    context.close()


def audit(page: Any, urls: list[str], anonymous: tuple[str, ...] = ()) -> list[str]:
    found = sweep(page, list(anonymous))
    page.goto("/login/")
    page.get_by_label("Username").fill("editor")
    page.get_by_label("Password").fill("a long passphrase")
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url("**/")
    return found + sweep(page, urls)


def sweep(page: Any, urls: list[str]) -> list[str]:
    found = []
    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": 900})
        for url in urls:
            page.goto(url)
            if url == "/api/docs/":
                page.wait_for_selector(".opblock")
            violations = blocking_violations(page)
            if violations:
                found.append(describe(url, width, violations))
    return found


@pytest.mark.django_db(transaction=True)
def test_axe_finds_no_serious_or_critical_violation_on_dashboard_and_account_pages(audited):
    editor()
    found = audit(audited, dashboard_pages() + account_pages(), anonymous=tuple(anonymous_pages()))
    assert not found, "axe-core found serious or critical violations:\n" + "\n".join(found)


@pytest.mark.django_db(transaction=True)
def test_axe_finds_no_serious_or_critical_violation_on_admin_pages(audited):
    editor()
    found = audit(audited, admin_pages())
    assert not found, "axe-core found serious or critical violations:\n" + "\n".join(found)
