"""Migration 0009 gives older figures a period and a series without inventing either."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

import pytest

from tests.migrations import migrate, migrated_back_to, old_target_with_a_figure

BEFORE = ("tracker", "0008_fiscal_years")
AFTER = ("tracker", "0009_observation_periods_and_series")


@pytest.fixture
def before_0009(transactional_db: None) -> Iterator[Any]:
    with migrated_back_to(BEFORE) as apps:
        yield apps


@pytest.mark.slow  # migrates the database back and forth
@pytest.mark.django_db(transaction=True)
def test_a_figure_entered_with_only_a_date_keeps_it_as_its_period_in_a_series_not_stated(
    before_0009: Any,
) -> None:
    old_target_with_a_figure(before_0009)
    new = migrate(AFTER)
    observation = new.get_model("tracker", "Observation").objects.get()
    assert (observation.period_start, observation.period_end) == (
        dt.date(2025, 12, 31),
        dt.date(2025, 12, 31),
    )
    assert observation.series.name == "Series not stated"
    assert not observation.approximate
    # The figures it had go on judging it.
    assert new.get_model("tracker", "Target").objects.get().primary_series == observation.series
    editors = new.get_model("auth", "Group").objects.get(name="editors")
    assert "change_series" in set(editors.permissions.values_list("codename", flat=True))
