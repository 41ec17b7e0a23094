"""Static files as production serves them, for tests that render pages with DEBUG off."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command
from django.test import override_settings

# One collection per test process. The fixture is defined in tests/conftest.py only: a second
# definition (imported into another module) would collect again, and with the first
# collection already among STATICFILES_DIRS each one would copy every earlier one, so that
# WhiteNoise, which reads STATIC_ROOT whenever a test client starts, read thousands of files.
_collected: list[Path] = []


@pytest.fixture(scope="session")
def collected_static(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """With DEBUG off the manifest storage needs collected files, as in production.

    The live server's static handler looks files up through the finders, so the collected
    (hashed) directory is added as one more finder location for the test run.
    """
    backend = settings.STORAGES["staticfiles"]["BACKEND"]
    if "Manifest" not in backend:
        yield
        return
    if not _collected:
        root = tmp_path_factory.mktemp("staticfiles")
        with override_settings(STATIC_ROOT=root):
            call_command("collectstatic", interactive=False, verbosity=0)
        _collected.append(root)
    root = _collected[0]
    dirs = [d for d in settings.STATICFILES_DIRS if str(d) != str(root)]
    with override_settings(STATIC_ROOT=root, STATICFILES_DIRS=[*dirs, root]):
        yield
