"""Migrating the test database back and forth, for tests of data migrations."""

from __future__ import annotations

import contextlib
import datetime as dt
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


def old_target_with_a_figure(apps: Any) -> Any:
    """In the models of an old node (before 0009): the 190 → 500 target with one figure,
    200 on 31 December 2025 (observations had a single date then)."""
    # Made by migration 0002; a flush between transactional tests may have removed it.
    apps.get_model("auth", "Group").objects.get_or_create(name="editors")
    negotiation = apps.get_model("tracker", "Negotiation").objects.create(slug="deal", name="Deal")
    target = apps.get_model("tracker", "Target").objects.create(
        negotiation=negotiation,
        slug="trade",
        name="Trade",
        unit="USD billion",
        baseline_value=190,
        baseline_date=dt.date(2025, 5, 26),
        target_value=500,
        deadline_text="2030",
        deadline_earliest=dt.date(2030, 1, 1),
        deadline_latest=dt.date(2030, 12, 31),
        deadline_precision="year",
    )
    apps.get_model("tracker", "Observation").objects.create(
        target=target, date=dt.date(2025, 12, 31), value=200
    )
    return target
