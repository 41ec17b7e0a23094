"""Migration 0007 keeps what is known of older rows and lets editors record disagreements."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.migrations import migrate, migrated_back_to, old_target_with_a_figure

BEFORE = ("tracker", "0006_reliability")
AFTER = ("tracker", "0007_honest_status")


@pytest.fixture
def before_0007(transactional_db: None) -> Iterator[Any]:
    with migrated_back_to(BEFORE) as apps:
        yield apps


@pytest.mark.slow  # migrates the database back and forth
@pytest.mark.django_db(transaction=True)
def test_figures_entered_before_0007_have_no_entry_time_and_editors_may_record_discrepancies(
    before_0007: Any,
) -> None:
    old_target_with_a_figure(before_0007)
    new = migrate(AFTER)
    # Nobody knows when the old figure was entered: no digest will call it new.
    assert new.get_model("tracker", "Observation").objects.get().recorded_at is None
    editors = new.get_model("auth", "Group").objects.get(name="editors")
    assert set(
        editors.permissions.filter(codename__endswith="_discrepancy").values_list(
            "codename", flat=True
        )
    ) == {"add_discrepancy", "change_discrepancy", "delete_discrepancy", "view_discrepancy"}
