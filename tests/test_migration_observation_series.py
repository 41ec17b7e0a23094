"""Migration 0009 gives older figures a period and a series without inventing either."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

import pytest

from tests.migrations import migrate, migrated_back_to

BEFORE = ("tracker", "0008_fiscal_years")
AFTER = ("tracker", "0009_observation_periods_and_series")


@pytest.fixture
def before_0009(transactional_db: None) -> Iterator[Any]:
    with migrated_back_to(BEFORE) as apps:
        yield apps


@pytest.mark.django_db(transaction=True)
def test_a_figure_entered_with_only_a_date_keeps_it_as_its_period_in_a_series_not_stated(
    before_0009: Any,
) -> None:
    old = before_0009
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
