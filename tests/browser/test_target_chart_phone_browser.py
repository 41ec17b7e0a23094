"""At 375 px the target chart shrinks to fit: no sideways scroll, the 2030 target in view,
and a figure from before the baseline drawn inside the plot, right of the y-axis."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.browser.test_target_series_browser import US, illustrative_target
from tests.conftest import figure, make_series
from tracker import services
from tracker.models import Target

pytestmark = pytest.mark.browser


def test_at_375_px_the_chart_does_not_scroll_and_keeps_the_target_and_early_figures_in_view(
    page: Any,
) -> None:
    pk = illustrative_target()
    # A calendar-year figure that ends before the baseline (30 Jun 2024).
    services.observation_save(
        observation=figure(
            Target.objects.get(pk=pk),
            dt.date(2023, 12, 31),
            Decimal("180"),
            start=dt.date(2023, 1, 1),
            series=make_series(US),
        )
    )
    page.set_viewport_size({"width": 375, "height": 800})
    page.goto(f"/targets/{pk}/")
    chart = page.locator("svg.chart-svg")
    expect(chart.locator("circle.observation")).to_have_count(5)

    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    figure_box = page.locator("figure.chart")
    assert figure_box.evaluate("f => f.scrollWidth <= f.clientWidth")

    target = chart.locator("circle.target-point").bounding_box()
    assert target is not None and target["x"] >= 0 and target["x"] + target["width"] <= 375

    # The y-axis tick labels end left of the plot; every observation is right of them.
    svg = chart.bounding_box()
    assert svg is not None and svg["x"] + svg["width"] <= 375
    ticks = [t.bounding_box() for t in chart.locator("text.tick[text-anchor='end']").all()]
    axis_right = max(t["x"] + t["width"] for t in ticks if t is not None)
    for circle in chart.locator("circle.observation").all():
        box = circle.bounding_box()
        assert box is not None and box["x"] >= axis_right, (box, axis_right)
