"""A few explicit builders; every test states what it needs."""

from __future__ import annotations

import copy
import datetime as dt
import os
import uuid
from collections.abc import Iterator
from contextlib import AbstractContextManager
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import time_machine
from django.conf import settings as django_settings
from django.test import TestCase
from django.utils import translation
from hypothesis import settings as hypothesis_settings

from tests.browser.static import collected_static
from tracker import services
from tracker.deadlines import parse_deadline
from tracker.models import Milestone, Negotiation, Observation, Party, Series, Target, Track

# The same examples every run: CI failures reproduce, and no run fails by chance.
hypothesis_settings.register_profile("tranche", derandomize=True, deadline=None)
hypothesis_settings.load_profile("tranche")
__all__ = ["collected_static"]


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_setupnodes(config: pytest.Config, specs: list[Any]) -> None:
    """Each pytest-xdist worker process runs in a var folder of its own (the filesystem
    broker's queue above all), so one worker's Celery test never consumes another's tasks.

    Set in the worker's environment before it starts, so its settings read it like any
    TRANCHE_VAR_DIR; the processes its tests start inherit it.
    """
    base = Path(os.environ.get("TRANCHE_VAR_DIR") or django_settings.VAR_DIR)
    for spec in specs:
        spec.env["TRANCHE_VAR_DIR"] = str(base / spec.id)


# The suite's today: Saturday 21 November 2026, 09:00 UTC (after the 08:00 sends).
NOW = dt.datetime(2026, 11, 21, 9, 0, tzinfo=dt.UTC)

# Tests that start processes (workers, beats, gunicorn, redis-server, SMTP sinks) or drive the
# browser run one after another on one pytest-xdist worker: they share the broker's queue and
# the machine's cores, and interleaving them only makes their timeouts flaky. They are also
# the slow suites: `pytest` leaves them out (addopts `-m "not slow"`), `pytest -m slow` runs
# only them, and CI runs everything on PostgreSQL (.ci/run).
ONE_AT_A_TIME = {"browser", "integration", "chaos"}


def pytest_report_header(config: pytest.Config) -> list[str] | None:
    from tests.conformance.conftest import report_header

    return report_header(config)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        # Markers, not keywords: keywords also hold the names of the folders above the test,
        # so a checkout in a folder called "integration" would mark every test slow.
        if ONE_AT_A_TIME & {marker.name for marker in item.iter_markers()}:
            item.add_marker(pytest.mark.xdist_group("one-at-a-time"))
            item.add_marker(pytest.mark.slow)


@pytest.fixture(autouse=True)
def quick_password_hashing(settings: Any) -> None:
    """Passwords hashed with a fast hasher, as Django's testing docs advise: PBKDF2's
    million rounds are the point in production and only a cost here. (The processes that
    tests start read the real settings, and hash as production does.)"""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def language_put_back() -> Iterator[None]:
    """A request or a test that switched the thread's language (LocaleMiddleware, the
    language links) leaves it switched: the next test starts in the default language."""
    yield
    translation.deactivate()


@pytest.fixture(autouse=True)
def cache_of_its_own(settings: Any) -> None:
    """Each test reads and writes cache keys of its own.

    Cached pages are keyed on the data version, and every test's database is rolled back
    to version 0: without this, a test would be served a page cached by an earlier one at
    the same version and day. (Never cache.clear(): on Redis that would empty the database
    other pytest-xdist workers and the broker use.)
    """
    caches = copy.deepcopy(settings.CACHES)
    for options in caches.values():
        options["KEY_PREFIX"] = f"{options.get('KEY_PREFIX', '')}:{uuid.uuid4().hex}"
    settings.CACHES = caches


@pytest.fixture(scope="session", autouse=True)
def static_files_as_in_production(collected_static: None) -> None:
    """DEBUG is off by default, so pages link the collected, hashed static files, as in
    production; a test that renders a page needs them collected."""


@pytest.fixture
def frozen() -> Iterator[time_machine.Traveller]:
    """The clock stopped at NOW; `frozen.shift(...)` moves it on."""
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


def committed() -> AbstractContextManager[Any]:
    """Writes inside count as committed when it ends: what follows a commit runs then.

    Tests run inside a transaction that never commits, so the status refresh and the
    reminder planning that services schedule with transaction.on_commit would never run.
    """
    return TestCase.captureOnCommitCallbacks(execute=True)


def make_negotiation(slug: str = "india-us-bta", **fields: Any) -> Negotiation:
    fields.setdefault("name", slug.replace("-", " ").title())
    with committed():
        return services.negotiation_save(negotiation=Negotiation(slug=slug, **fields))


def make_track(negotiation: Negotiation, slug: str = "interim", **fields: Any) -> Track:
    fields.setdefault("name", slug.replace("-", " ").capitalize())
    with committed():
        return services.track_save(track=Track(negotiation=negotiation, slug=slug, **fields))


def make_milestone(
    track: Track,
    title: str = "Interim agreement",
    deadline: str | None = "July 8, 2025",
    reference: dt.date | None = None,
    **fields: Any,
) -> Milestone:
    fields.setdefault("slug", title.lower().replace(" ", "-")[:100])
    milestone = Milestone(track=track, title=title, **fields)
    if deadline:
        milestone.deadline = parse_deadline(deadline, reference=reference or dt.date(2025, 5, 26))
    with committed():
        return services.milestone_save(milestone=milestone)


def make_target(negotiation: Negotiation, track: Track | None = None, **fields: Any) -> Target:
    fields.setdefault("slug", "bilateral-trade")
    fields.setdefault("name", "Bilateral trade")
    fields.setdefault("unit", "USD billion")
    fields.setdefault("baseline_value", Decimal("190"))
    fields.setdefault("baseline_date", dt.date(2025, 5, 26))
    fields.setdefault("target_value", Decimal("500"))
    deadline = fields.pop("deadline", "2030")
    target = Target(negotiation=negotiation, track=track, **fields)
    target.deadline = parse_deadline(deadline, reference=dt.date(2025, 5, 26))
    with committed():
        return services.target_save(target=target)


US_CENSUS = "US Census Bureau — goods and services"


def make_series(name: str = US_CENSUS) -> Series:
    found = Series.objects.filter(name=name).first()
    return found or services.series_save(series=Series(name=name))


def figure(
    target: Target,
    on: dt.date,
    value: Any,
    *,
    series: Series | None = None,
    start: dt.date | None = None,
    **fields: Any,
) -> Observation:
    """An unsaved observation for the period from `start` (by default `on` itself) to `on`,
    of `series` (by default the US Census Bureau's)."""
    return Observation(
        target=target,
        series=series or make_series(),
        period_start=start or on,
        period_end=on,
        value=value,
        **fields,
    )


@pytest.fixture
def parties(db: None) -> list[Party]:
    return [
        Party.objects.create(code="IN", name="India"),
        Party.objects.create(code="US", name="United States"),
    ]
