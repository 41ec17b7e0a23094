"""A throwaway test database for a benchmark: created, used once, destroyed."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable


def in_throwaway_database(run: Callable[[], None]) -> None:
    """Set Django up on a fresh test database (SQLite in a temporary folder, or
    DATABASE_URL's server), call `run`, then drop the database."""
    os.environ.setdefault("TRANCHE_VAR_DIR", tempfile.mkdtemp(prefix="tranche-bench-"))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()
    from django.db import connection
    from django.test.utils import setup_test_environment

    setup_test_environment()
    old_name = connection.creation.create_test_db(verbosity=0)
    try:
        run()
    finally:
        connection.close()
        connection.creation.destroy_test_db(old_name, verbosity=0)
