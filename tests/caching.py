"""A cache namespace per test, for tests of bodies cached on the data version.

Each test's database starts the version afresh (the transaction is rolled back), while
the cache outlives the test — on Redis, the whole run and the next. A body cached under
version 3 in one test would be served as version 3 of another test's data, so a test that
reads cached feeds takes `cache_of_its_own`: its keys get a prefix nobody else uses.
"""

from __future__ import annotations

import uuid
from typing import Any

import pytest


@pytest.fixture
def cache_of_its_own(settings: Any) -> None:
    settings.CACHES = {
        alias: {**config, "KEY_PREFIX": f"{config.get('KEY_PREFIX', '')}{uuid.uuid4().hex}"}
        for alias, config in settings.CACHES.items()
    }
