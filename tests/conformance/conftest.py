"""The conformance suite: Tranche's outputs read by clients and validators nobody here wrote.

Run it with `pytest -m conformance` (`.ci/run` has a step for it). The plain `pytest`
leaves it out, as it needs npm packages, Java and a browser, and takes minutes.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import pytest
import time_machine

from tests.conformance.tools import versions

HERE = Path(__file__).resolve().parent
# With microseconds, as a real clock has: a <time datetime> must not carry six digits of them.
NOW = dt.datetime(2026, 11, 21, 9, 0, 0, 123456, tzinfo=dt.UTC)


def _asked_for(config: pytest.Config) -> bool:
    marks = config.getoption("markexpr", "") or ""
    named = any("conformance" in str(arg) for arg in config.args)
    return ("conformance" in marks and "not conformance" not in marks) or named


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    ours = [item for item in items if HERE in Path(str(item.path)).parents]
    for item in ours:
        item.add_marker(pytest.mark.conformance)
    if ours and not _asked_for(config):
        config.hook.pytest_deselected(items=ours)
        items[:] = [item for item in items if item not in ours]


def report_header(config: pytest.Config) -> list[str] | None:
    """Each tool's version, in pytest's header (tests/conftest.py's hook calls this: only a
    root conftest's hook runs in the process that prints the header under pytest-xdist)."""
    if not _asked_for(config):
        return None
    return ["conformance tools: " + "; ".join(versions())]


@pytest.fixture
def record(db: None) -> Iterator[None]:
    """The India–US record, as of a fixed day."""
    from tracker.management.commands.load_record import INDIA_US_RECORD
    from tracker.record import load_record

    with time_machine.travel(NOW, tick=False):
        load_record(INDIA_US_RECORD)
        yield
