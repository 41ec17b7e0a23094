"""Migration 0007 keeps what is known of older rows and lets editors record disagreements."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

import pytest

from tests.migrations import migrate, migrated_back_to

BEFORE = ("tracker", "0006_reliability")
AFTER = ("tracker", "0007_honest_status")


@pytest.fixture
def before_0007(transactional_db: None) -> Iterator[Any]:
    with migrated_back_to(BEFORE) as apps:
        yield apps


@pytest.mark.django_db(transaction=True)
def test_figures_entered_before_0007_have_no_entry_time_and_editors_may_record_discrepancies(
    before_0007: Any,
) -> None:
    old = before_0007
    # Made by migration 0002; a flush between transactional tests may have removed it.
    old.get_model("auth", "Group").objects.get_or_create(name="editors")
    negotiation = old.get_model("tracker", "Negotiation").objects.create(slug="deal", name="Deal")
    target = old.get_model("tracker", "Target").objects.create(
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
    old.get_model("tracker", "Observation").objects.create(
        target=target, date=dt.date(2025, 12, 31), value=200
    )
    new = migrate(AFTER)
    # Nobody knows when the old figure was entered: no digest will call it new.
    assert new.get_model("tracker", "Observation").objects.get().recorded_at is None
    editors = new.get_model("auth", "Group").objects.get(name="editors")
    assert set(
        editors.permissions.filter(codename__endswith="_discrepancy").values_list(
            "codename", flat=True
        )
    ) == {"add_discrepancy", "change_discrepancy", "delete_discrepancy", "view_discrepancy"}
