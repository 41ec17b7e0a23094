"""Series in the API (issue 21): listed and added through /api/v1/series/, and a figure
written in the API v1 shape {target, date, value} accepted again."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.contrib.auth.models import Group, User
from rest_framework.test import APIClient

from tests.conftest import US_CENSUS, make_negotiation, make_series, make_target
from tracker.models import Observation, Series

pytestmark = pytest.mark.django_db
RBI = "Reserve Bank of India — goods"


@pytest.fixture(autouse=True)
def frozen_today():
    with time_machine.travel(dt.datetime(2026, 11, 21, 12, 0, tzinfo=dt.UTC), tick=False):
        yield


def _client(username: str, *, editor: bool) -> APIClient:
    user = User.objects.create_user(username)
    if editor:
        user.groups.add(Group.objects.get(name="editors"))
    client = APIClient()
    client.force_authenticate(user)
    return client


@pytest.fixture
def editor() -> APIClient:
    return _client("editor", editor=True)


def test_an_editor_adds_a_series_and_any_reader_lists_it(editor, settings):
    settings.TRACKER_PUBLIC = True
    make_series()
    created = editor.post("/api/v1/series/", {"name": RBI}, format="json")
    assert created.status_code == 201, created.json()
    assert created.json() == {"id": Series.objects.get(name=RBI).pk, "name": RBI}
    listed = APIClient().get("/api/v1/series/").json()
    assert [series["name"] for series in listed["results"]] == [RBI, US_CENSUS]
    assert APIClient().get("/api/v1/series/", {"search": "reserve"}).json()["count"] == 1


def test_only_editors_add_series_and_nobody_edits_or_deletes_them_here(editor, settings):
    settings.TRACKER_PUBLIC = True
    assert APIClient().post("/api/v1/series/", {"name": RBI}, format="json").status_code in {
        401,
        403,
    }
    reader = _client("reader", editor=False)
    assert reader.post("/api/v1/series/", {"name": RBI}, format="json").status_code == 403
    series = make_series()
    assert editor.patch(f"/api/v1/series/{series.pk}/", {"name": "x"}).status_code == 405
    assert editor.delete(f"/api/v1/series/{series.pk}/").status_code == 405
    assert list(Series.objects.values_list("name", flat=True)) == [US_CENSUS]


def test_a_series_named_twice_or_without_a_name_is_a_400_naming_the_field(editor):
    make_series()
    twice = editor.post("/api/v1/series/", {"name": US_CENSUS}, format="json")
    assert twice.status_code == 400
    assert "already exists" in twice.json()["name"][0]
    empty = editor.post("/api/v1/series/", {"name": ""}, format="json")
    assert empty.status_code == 400 and "name" in empty.json()


def test_a_figure_in_the_v1_shape_covers_that_day_in_the_target_s_primary_series(editor):
    target = make_target(make_negotiation())
    first = {
        "target": target.pk,
        "series": make_series().name,
        "period_start": "2025-01-01",
        "period_end": "2025-12-31",
        "value": 212,
    }
    assert editor.post("/api/v1/observations/", first, format="json").status_code == 201
    make_series(RBI)  # another series exists; the primary one is still the first
    response = editor.post(
        "/api/v1/observations/",
        {"target": target.pk, "date": "2026-03-31", "value": 230},
        format="json",
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["series"] == US_CENSUS
    assert (body["period_start"], body["period_end"]) == ("2026-03-31", "2026-03-31")
    assert float(body["value"]) == 230
    assert "date" not in body
    stored = Observation.objects.get(pk=body["id"])
    assert stored.period_start == stored.period_end == dt.date(2026, 3, 31)


def test_a_figure_in_the_v1_shape_for_a_target_without_a_primary_series_asks_for_one(editor):
    target = make_target(make_negotiation())
    response = editor.post(
        "/api/v1/observations/",
        {"target": target.pk, "date": "2026-03-31", "value": 230},
        format="json",
    )
    assert response.status_code == 400
    assert list(response.json()) == ["series"]
    assert "Name the series" in response.json()["series"][0]
    assert not Observation.objects.exists()
    named = editor.post(
        "/api/v1/observations/",
        {"target": target.pk, "series": make_series().name, "date": "2026-03-31", "value": 230},
        format="json",
    )
    assert named.status_code == 201, named.json()


def test_a_figure_with_both_a_date_and_a_period_or_with_neither_is_a_400_naming_them(editor):
    target = make_target(make_negotiation())
    series = make_series().name
    both = editor.post(
        "/api/v1/observations/",
        {"target": target.pk, "series": series, "date": "2026-03-31", "period_end": "2026-03-31",
         "value": 1},
        format="json",
    )  # fmt: skip
    assert both.status_code == 400 and list(both.json()) == ["date"]
    neither = editor.post(
        "/api/v1/observations/", {"target": target.pk, "series": series, "value": 1}, format="json"
    )
    assert neither.status_code == 400
    assert set(neither.json()) == {"period_start", "period_end"}
