"""Issue 11, defect 8: input a client controls gives a 400 or a 404, never a 500."""

from __future__ import annotations

import datetime as dt
import math
from decimal import Decimal

import pytest
from django.contrib.auth.models import User
from django.db import connection
from django.test import Client
from hypothesis import given
from hypothesis import strategies as st
from rest_framework.test import APIClient

from tests.conftest import committed, figure, make_negotiation, make_series, make_target
from tracker import services
from tracker.api.parsers import MAX_DEPTH
from tracker.dashboard.chart import build_chart
from tracker.status import Growth, TargetFacts
from tracker.status import Observation as ObservationFact

pytestmark = pytest.mark.django_db


def nested(depth: int) -> str:
    return "[" * depth + "]" * depth


@pytest.mark.parametrize("depth", [MAX_DEPTH + 1, 100_000])
def test_deeply_nested_json_to_the_anonymous_token_endpoint_is_a_400(depth):
    response = APIClient().post(
        "/api/v1/auth/token/", nested(depth), content_type="application/json"
    )
    assert response.status_code == 400
    assert "nested" in response.json()["detail"]


def test_deeply_nested_json_inside_an_object_is_a_400_for_signed_in_users_too():
    client = APIClient()
    client.force_authenticate(User.objects.create_user("reader"))
    body = '{"track": 1, "offsets": ' + nested(5_000) + "}"
    response = client.post("/api/v1/subscriptions/", body, content_type="application/json")
    assert response.status_code == 400
    assert "nested" in response.json()["detail"]


def test_json_as_deep_as_allowed_reaches_the_usual_field_checks():
    response = APIClient().post(
        "/api/v1/auth/token/",
        '{"username": ' + nested(MAX_DEPTH - 1) + ', "password": "x"}',
        content_type="application/json",
    )
    assert response.status_code == 400
    assert "username" in response.json()


@pytest.mark.parametrize(
    "path",
    [
        "/calendar/%00.ics",
        "/calendar/aaaaaaaaaaaaaaaaaaaaaaaa%00.ics",
        "/calendar/%00/negotiations/india-us-bta.ics",
        "/calendar/aaaaaaaaaaaaaaaaaaaaaaaa%00/negotiations/india-us-bta.ics",
    ],
)
def test_a_nul_in_a_private_feed_url_is_not_found(path):
    make_negotiation()
    assert Client().get(path).status_code == 404


def test_a_nul_in_an_api_token_is_refused_not_an_error():
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION="Token abc\x00def")
    assert client.get("/api/v1/subscriptions/").status_code in {400, 401}


def test_the_most_extreme_figures_the_api_accepts_draw_a_target_page():
    client = APIClient()
    client.force_authenticate(User.objects.create_superuser("root", "r@example.org", "x"))
    make_negotiation()
    created = client.post(
        "/api/v1/targets/",
        {
            "negotiation": "india-us-bta",
            "slug": "extreme",
            "name": "Extreme",
            "unit": "USD",
            "baseline_value": "0.0001",
            "baseline_date": "1900-01-01",
            "target_value": "1000000000000",
            "deadline": "2200",
        },
        format="json",
    )
    assert created.status_code == 201, created.json()
    target_id = created.json()["id"]
    for day, value in (("1900-01-02", "1000000000000"), ("2199-12-31", "0")):
        response = client.post(
            "/api/v1/observations/",
            {
                "target": target_id,
                "series": make_series().name,
                "period_start": day,
                "period_end": day,
                "value": value,
            },
            format="json",
        )
        assert response.status_code == 201, response.json()
    assert Client().get(f"/targets/{target_id}/").status_code == 200


def test_a_stored_row_with_the_largest_figures_its_columns_hold_still_draws_its_page():
    if connection.vendor == "sqlite":
        pytest.skip("SQLite cannot read decimals this large back (hence MAX_FIGURE)")
    target = make_target(make_negotiation())
    figure(target, dt.date(2026, 1, 1), Decimal("9999999999999999.9999")).save()
    type(target).objects.filter(pk=target.pk).update(
        baseline_value=Decimal("0.0001"), target_value=Decimal("9999999999999999.9999")
    )
    with committed():
        services.after_commit(negotiation_ids=[target.negotiation_id])
    assert Client().get(f"/targets/{target.pk}/").status_code == 200


FIGURES = st.floats(min_value=0, allow_nan=False) | st.sampled_from([5e-324, 1.7e308, math.inf])
DATES = st.dates() | st.sampled_from([dt.date.min, dt.date.max])


@given(
    baseline=FIGURES.filter(lambda v: v > 0),
    target=FIGURES.filter(lambda v: v > 0),
    observations=st.lists(st.tuples(DATES, FIGURES), max_size=3),
    baseline_date=DATES,
    latest=DATES,
    today=DATES,
    growth=st.sampled_from(list(Growth)),
)
def test_no_figure_or_date_overflows_the_target_chart(
    baseline, target, observations, baseline_date, latest, today, growth
):
    facts = TargetFacts(
        name="Trade",
        baseline_value=baseline,
        baseline_date=baseline_date,
        target_value=target,
        latest=latest,
        growth=growth,
        observations=tuple(ObservationFact(on, value) for on, value in observations),
    )
    chart = build_chart(facts, today=today)
    drawn = [(p.x, p.y) for p in (chart.baseline, chart.target)]
    drawn += [(p.x, p.y) for p in chart.observations]
    for x, y in drawn:
        assert math.isfinite(x) and math.isfinite(y)
        assert chart.top - 1 <= y <= chart.bottom + 1
    assert "inf" not in chart.path and "nan" not in chart.path
