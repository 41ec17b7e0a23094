"""A milestone list answer is kept on the data version: a client polling the same page
costs a version read until the next write, and never sees an answer older than it."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from tests.conftest import committed, make_milestone, make_negotiation, make_track
from tracker import services
from tracker.deadlines import parse_deadline

pytestmark = pytest.mark.django_db
URL = "/api/v1/milestones/?page_size=2"


@pytest.fixture(autouse=True)
def public(settings: Any) -> None:
    settings.TRACKER_PUBLIC = True


def titles(answer: Any) -> list[str]:
    return [row["title"] for row in answer.json()["results"]]


@time_machine.travel(dt.datetime(2026, 11, 21, 12, tzinfo=dt.UTC), tick=False)
def test_the_same_page_again_is_served_from_the_cache_with_one_query() -> None:
    track = make_track(make_negotiation())
    for title in ("Interim deal", "Tariff schedule", "Comprehensive deal"):
        make_milestone(track, title, "December 2026")
    client = APIClient()
    first = client.get(URL)
    with CaptureQueriesContext(connection) as queries:
        again = client.get(URL)
    assert again.status_code == 200 and again.content == first.content
    assert len(queries) == 1  # the data version
    assert again.json()["next"].startswith("http://testserver/api/v1/milestones/?cursor=")


@time_machine.travel(dt.datetime(2026, 11, 21, 12, tzinfo=dt.UTC), tick=False)
def test_a_write_through_a_service_is_in_the_next_answer() -> None:
    track = make_track(make_negotiation())
    interim = make_milestone(track, "Interim deal", "December 2026")
    make_milestone(track, "Tariff schedule", "January 2027")
    client = APIClient()
    assert titles(client.get(URL)) == ["Interim deal", "Tariff schedule"]
    with committed():
        services.milestone_set_deadline(
            milestone=interim, deadline=parse_deadline("March 2027"), reason="Slipped"
        )
    assert titles(client.get(URL)) == ["Tariff schedule", "Interim deal"]


def test_the_day_turning_is_a_fresh_answer() -> None:
    track = make_track(make_negotiation())
    make_milestone(track, "Interim deal", "November 30, 2026")
    client = APIClient()
    with time_machine.travel(dt.datetime(2026, 11, 21, 12, tzinfo=dt.UTC), tick=False):
        before = client.get(URL).json()["results"][0]["days_remaining"]
    with time_machine.travel(dt.datetime(2026, 11, 22, 12, tzinfo=dt.UTC), tick=False):
        after = client.get(URL).json()["results"][0]["days_remaining"]
    assert (before, after) == (9, 8)


def test_a_bad_cursor_is_still_a_400_and_nothing_is_kept() -> None:
    client = APIClient()
    for _ in range(2):
        answer = client.get("/api/v1/milestones/?cursor=not-a-cursor")
        assert answer.status_code == 400
