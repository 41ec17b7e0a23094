"""Static files as production serves them, for tests that render pages with DEBUG off."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from django.conf import settings
from django.core.management import call_command
from django.test import override_settings


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
    root = tmp_path_factory.mktemp("staticfiles")
    with override_settings(STATIC_ROOT=root):
        call_command("collectstatic", interactive=False, verbosity=0)
        with override_settings(STATICFILES_DIRS=[*settings.STATICFILES_DIRS, root]):
            yield
