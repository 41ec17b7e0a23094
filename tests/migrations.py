"""Migrating the test database back and forth, for tests of data migrations."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

from django.db import connection
from django.db.migrations.executor import MigrationExecutor

Node = tuple[str, str]


def migrate(target: Node) -> Any:
    """Migrate the database to `target`; the app registry as it was there."""
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate([target])
    return executor.loader.project_state([target]).apps


@contextlib.contextmanager
def migrated_back_to(node: Node) -> Iterator[Any]:
    """The models as they were at `node`; the database goes back to the latest after."""
    leaves = MigrationExecutor(connection).loader.graph.leaf_nodes()
    try:
        yield migrate(node)
    finally:
        executor = MigrationExecutor(connection)
        executor.loader.build_graph()
        executor.migrate(leaves)
