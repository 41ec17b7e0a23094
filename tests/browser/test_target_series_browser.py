"""The target chart draws each series as its own line, with labels clear of the data."""

from __future__ import annotations

import datetime as dt
import os
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import screenshot
from tests.conftest import figure, make_negotiation, make_series, make_target
from tracker import services
from tracker.models import Party

pytestmark = pytest.mark.browser

DOCS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
UPDATE_DOCS = os.environ.get("TRANCHE_UPDATE_SCREENSHOTS") == "1"

US = "US Census Bureau — goods and services"
INDIA = "India Ministry of Commerce — goods and services"


def illustrative_target() -> int:
    """A target with two series of illustrative figures (not the India–US record's, which
    has no observations): US calendar years beside India's April–March fiscal years."""
    negotiation = make_negotiation(slug="example", name="Example trade agreement")
    negotiation.parties.set(Party.objects.filter(code__in=["IN", "US"]))
    target = make_target(
        negotiation,
        slug="example-trade",
        name="Bilateral trade (illustrative figures)",
        baseline_date=dt.date(2024, 6, 30),
        baseline_value=Decimal("190"),
    )
    us, india = make_series(US), make_series(INDIA)
    for start, end, value, series in (
        (dt.date(2024, 1, 1), dt.date(2024, 12, 31), "195.6", us),
        (dt.date(2025, 1, 1), dt.date(2025, 12, 31), "212.3", us),
        (dt.date(2025, 4, 1), dt.date(2026, 3, 31), "196.5", india),
        (dt.date(2024, 4, 1), dt.date(2025, 3, 31), "186", india),
    ):
        services.observation_save(
            observation=figure(target, end, Decimal(value), start=start, series=series)
        )
    return target.pk


def overlaps(a: dict[str, float], b: dict[str, float]) -> bool:
    return (
        a["x"] < b["x"] + b["width"]
        and b["x"] < a["x"] + a["width"]
        and a["y"] < b["y"] + b["height"]
        and b["y"] < a["y"] + a["height"]
    )


def test_the_target_chart_draws_two_series_with_a_legend_and_labels_off_the_points(
    page: Any,
) -> None:
    pk = illustrative_target()
    page.goto(f"/targets/{pk}/")
    chart = page.locator("svg.chart-svg")
    expect(chart.locator("path.series")).to_have_count(2)
    expect(chart.locator("path.series.primary")).to_have_count(1)
    expect(chart.locator("circle.observation")).to_have_count(4)
    legend = page.locator("figcaption.legend")
    expect(legend).to_contain_text(f"{US} (judges the status)")
    expect(legend).to_contain_text(INDIA)
    expect(page.locator(".page-head")).to_contain_text("Latest observation: USD 212.3 billion")

    points = [
        circle.bounding_box()
        for circle in chart.locator(
            "circle.observation, circle.baseline, circle.target-point"
        ).all()
    ]
    labels = [text.bounding_box() for text in chart.locator("text.point-label").all()]
    assert len(labels) == 3  # baseline, target, and today's expected value
    for label in labels:
        for point in points:
            assert not overlaps(label, point), (label, point)

    path = screenshot(page, "target-series")
    if UPDATE_DOCS:
        page.locator("figure.chart").screenshot(path=str(DOCS / "target-series.png"))
    assert path.exists()
