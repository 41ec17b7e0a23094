"""Bad input is a 400 that says what to fix, never a 500."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
import time_machine
from django.contrib.auth.models import Group, User
from rest_framework.test import APIClient

from tests.conftest import make_milestone, make_negotiation, make_series, make_target, make_track


@pytest.fixture(autouse=True)
def frozen_today():
    with time_machine.travel(dt.datetime(2026, 11, 21, 12, 0, tzinfo=dt.UTC), tick=False):
        yield


@pytest.fixture
def client(db) -> APIClient:
    user = User.objects.create_user("editor")
    user.groups.add(Group.objects.get(name="editors"))
    api = APIClient()
    api.force_authenticate(user)
    return api


def _target_body(**fields):
    body = {
        "negotiation": "india-us-bta",
        "slug": "trade",
        "name": "Bilateral trade",
        "unit": "USD billion",
        "baseline_value": 190,
        "baseline_date": "2025-05-26",
        "target_value": 500,
        "deadline": "2030",
    }
    return {**body, **fields}


def test_an_unreadable_deadline_is_refused_with_the_accepted_forms(client):
    track = make_track(make_negotiation())
    response = client.post(
        "/api/v1/milestones/",
        {"track": track.id, "slug": "x", "title": "X", "deadline": "when pigs fly"},
        format="json",
    )
    assert response.status_code == 400
    assert response.json() == {
        "deadline": [
            'Cannot read "when pigs fly" as a deadline. Write it like "July 8, 2025", '
            '"Q3 2025", "mid-2026", "FY2026-27" or "within 90 days".'
        ]
    }


def test_a_deadline_whose_earliest_is_after_its_latest_is_refused(client):
    track = make_track(make_negotiation())
    bounds = {"earliest": "2026-09-30", "latest": "2026-07-01", "precision": "quarter"}
    response = client.post(
        "/api/v1/milestones/",
        {"track": track.id, "slug": "x", "title": "X", "deadline": bounds},
        format="json",
    )
    assert response.status_code == 400
    assert response.json() == {
        "deadline": {"earliest": ["The earliest date must be on or before the latest date."]}
    }


def test_a_deadline_of_the_wrong_type_says_how_to_write_one(client):
    track = make_track(make_negotiation())
    response = client.post(
        "/api/v1/milestones/",
        {"track": track.id, "slug": "x", "title": "X", "deadline": 2026},
        format="json",
    )
    assert response.status_code == 400
    assert response.json() == {
        "deadline": [
            'Give the deadline as text such as "by Q3 2026", as words and the day they were '
            'said {"text": "within 90 days", "said_on": "2026-11-01"}, or as a window '
            '{"earliest": "2026-07-01", "latest": "2026-09-30", "precision": "quarter"}.'
        ]
    }


def test_a_bad_precision_is_named(client):
    track = make_track(make_negotiation())
    bounds = {"earliest": "2026-07-01", "latest": "2026-09-30", "precision": "fortnight"}
    response = client.post(
        "/api/v1/milestones/",
        {"track": track.id, "slug": "x", "title": "X", "deadline": bounds},
        format="json",
    )
    assert response.status_code == 400
    assert response.json() == {"deadline": {"precision": ['"fortnight" is not a valid choice.']}}


@pytest.mark.parametrize("field", ["baseline_value", "target_value"])
@pytest.mark.parametrize("value", [0, -5])
def test_target_values_must_be_positive(client, field, value):
    make_negotiation()
    response = client.post("/api/v1/targets/", _target_body(**{field: value}), format="json")
    assert response.status_code == 400
    said = field.replace("_", " ")
    assert response.json() == {field: [f"The {said} must be greater than zero."]}


def test_a_target_deadline_before_its_baseline_is_refused(client):
    make_negotiation()
    response = client.post("/api/v1/targets/", _target_body(deadline="2024"), format="json")
    assert response.status_code == 400
    assert response.json() == {"deadline": ["The deadline must end after the baseline date."]}


def test_a_target_is_created_and_assessed(client):
    make_negotiation()
    response = client.post("/api/v1/targets/", _target_body(), format="json")
    assert response.status_code == 201, response.json()
    assert response.json()["status"] == "no_data"


def test_a_dependency_cycle_is_refused_and_named(client):
    track = make_track(make_negotiation())
    first = make_milestone(track, title="First")
    second = make_milestone(track, title="Second")
    assert (
        client.patch(
            f"/api/v1/milestones/{second.id}/", {"depends_on": [first.id]}, format="json"
        ).status_code
        == 200
    )
    response = client.patch(
        f"/api/v1/milestones/{first.id}/", {"depends_on": [second.id]}, format="json"
    )
    assert response.status_code == 400
    assert response.json() == {
        "depends_on": ["These dependencies would make a cycle: First → Second → First."]
    }


def test_a_milestone_cannot_depend_on_itself(client):
    milestone = make_milestone(make_track(make_negotiation()))
    response = client.patch(
        f"/api/v1/milestones/{milestone.id}/", {"depends_on": [milestone.id]}, format="json"
    )
    assert response.status_code == 400
    assert response.json() == {"depends_on": ["A milestone cannot depend on itself."]}


def test_an_unknown_negotiation_slug_is_named(client):
    response = client.post(
        "/api/v1/tracks/", {"negotiation": "no-such-deal", "slug": "t", "name": "T"}, format="json"
    )
    assert response.status_code == 400
    assert response.json() == {"negotiation": ["Object with slug=no-such-deal does not exist."]}


def test_an_unknown_negotiation_slug_in_a_filter_is_a_400(client):
    response = client.get("/api/v1/milestones/?negotiation=no-such-deal")
    assert response.status_code == 400
    assert response.json() == {
        "negotiation": ["Select a valid choice. That choice is not one of the available choices."]
    }


def test_an_over_long_title_says_the_limit(client):
    track = make_track(make_negotiation())
    response = client.post(
        "/api/v1/milestones/",
        {"track": track.id, "slug": "x", "title": "T" * 301, "deadline": "2027"},
        format="json",
    )
    assert response.status_code == 400
    assert response.json() == {"title": ["Ensure this field has no more than 300 characters."]}


def test_an_over_long_deadline_text_says_the_limit(client):
    track = make_track(make_negotiation())
    response = client.post(
        "/api/v1/milestones/",
        {"track": track.id, "slug": "x", "title": "X", "deadline": "Q3 2026 " * 40},
        format="json",
    )
    assert response.status_code == 400
    assert response.json() == {
        "deadline": ["Keep the deadline to 200 characters, e.g. “by Q3 2026”."]
    }


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("track", "interim", "Incorrect type. Expected pk value, received str."),
        ("weight", "heavy", "A valid number is required."),
        ("depends_on", "first", 'Expected a list of items but got type "str".'),
        ("kind", "party", '"party" is not a valid choice.'),
    ],
)
def test_wrong_types_are_refused_per_field(client, field, value, message):
    track = make_track(make_negotiation())
    body = {"track": track.id, "slug": "x", "title": "X", "deadline": "2027", field: value}
    response = client.post("/api/v1/milestones/", body, format="json")
    assert response.status_code == 400
    assert response.json() == {field: [message]}


def test_a_duplicate_negotiation_slug_is_a_400(client):
    make_negotiation()
    response = client.post(
        "/api/v1/negotiations/", {"slug": "india-us-bta", "name": "Again"}, format="json"
    )
    assert response.status_code == 400
    assert response.json() == {"slug": ["negotiation with this slug already exists."]}


def test_a_duplicate_milestone_slug_in_one_track_is_a_400(client):
    track = make_track(make_negotiation())
    make_milestone(track, title="Interim agreement", slug="interim")
    response = client.post(
        "/api/v1/milestones/",
        {"track": track.id, "slug": "interim", "title": "Again", "deadline": "2027"},
        format="json",
    )
    assert response.status_code == 400
    assert response.json() == {
        "__all__": [
            "Another milestone in this track already uses the slug “interim”. "
            "Choose a different slug."
        ]
    }


def test_completing_in_the_future_is_refused(client):
    milestone = make_milestone(make_track(make_negotiation()))
    response = client.post(
        f"/api/v1/milestones/{milestone.id}/complete/",
        {"completed_on": "2026-12-01"},
        format="json",
    )
    assert response.status_code == 400
    assert response.json() == {"completed_on": ["A milestone cannot be completed in the future."]}


def test_completing_a_cancelled_milestone_says_to_reopen_it(client):
    milestone = make_milestone(make_track(make_negotiation()))
    client.post(f"/api/v1/milestones/{milestone.id}/cancel/")
    response = client.post(f"/api/v1/milestones/{milestone.id}/complete/", {}, format="json")
    assert response.status_code == 400
    assert response.json() == {
        "state": ["A cancelled milestone cannot be completed; reopen it first."]
    }


def a_figure(**fields):
    target = make_target(make_negotiation())
    series = make_series()
    return {
        "target": target.id,
        "series": series.name,
        "period_start": "2025-01-01",
        "period_end": "2025-12-31",
        **fields,
    }


def test_a_negative_observation_is_refused(client):
    response = client.post("/api/v1/observations/", a_figure(value=-1), format="json")
    assert response.status_code == 400
    assert response.json() == {"value": ["An observed value cannot be negative."]}


def test_a_second_figure_for_one_series_and_period_is_a_400_that_names_them(client):
    body = a_figure(value=Decimal("200"))
    assert client.post("/api/v1/observations/", body, format="json").status_code == 201
    response = client.post("/api/v1/observations/", body, format="json")
    assert response.status_code == 400
    assert response.json() == {
        "__all__": [
            "This target already has a figure from “US Census Bureau — goods and services” "
            "for 2025. Edit that figure, or choose another series or period."
        ]
    }


def test_a_subscription_to_an_unknown_time_zone_is_named(client):
    make_negotiation()
    response = client.post(
        "/api/v1/subscriptions/",
        {"negotiation": "india-us-bta", "timezone": "Mars/Olympus"},
        format="json",
    )
    assert response.status_code == 400
    assert response.json() == {
        "timezone": ["“Mars/Olympus” is not a known time zone, e.g. Asia/Kolkata."]
    }


def test_a_subscription_must_name_a_negotiation_or_a_track(client):
    response = client.post("/api/v1/subscriptions/", {}, format="json")
    assert response.status_code == 400
    assert response.json() == {
        "negotiation": ["Subscribe to either a negotiation (slug) or a track (id)."]
    }


def test_a_deadline_window_outside_sensible_years_is_refused(client):
    track = make_track(make_negotiation())
    bounds = {"earliest": "0001-01-01", "latest": "9999-12-31", "precision": "year"}
    response = client.post(
        "/api/v1/milestones/",
        {"track": track.id, "slug": "x", "title": "X", "deadline": bounds},
        format="json",
    )
    assert response.status_code == 400
    assert response.json() == {
        "deadline": {"earliest": ["Give a date between the years 1900 and 2200."]}
    }


def test_an_absurdly_large_target_value_is_refused(client):
    make_negotiation()
    response = client.post(
        "/api/v1/targets/", _target_body(target_value="9999999999999999"), format="json"
    )
    assert response.status_code == 400
    assert response.json() == {
        "target_value": ["Ensure this value is less than or equal to 1000000000000."]
    }


HOW_TO_WRITE_A_RULE = "Give a daily, weekly or monthly RRULE such as FREQ=WEEKLY;BYDAY=MO;BYHOUR=8."


@pytest.mark.parametrize(
    ("rule", "why"),
    [
        ("FREQ=SECONDLY", "Digests go out daily, weekly or monthly (FREQ)."),
        (
            "FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=30",
            "BYMONTH is not allowed; use only FREQ, INTERVAL, BYDAY, BYMONTHDAY, BYHOUR, "
            "BYMINUTE, BYSECOND, WKST.",
        ),
        ("nonsense", "“NONSENSE” is not a NAME=VALUE part."),
    ],
)
def test_a_digest_rule_that_is_too_frequent_or_never_occurs_is_refused(client, rule, why):
    track = make_track(make_negotiation())
    response = client.post(
        "/api/v1/subscriptions/", {"track": track.id, "digest_rule": rule}, format="json"
    )
    assert response.status_code == 400
    assert response.json() == {"digest_rule": [f"{why} {HOW_TO_WRITE_A_RULE}"]}
