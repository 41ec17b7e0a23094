"""The milestone list reads plain rows, pages by keyset and writes JSON with orjson, and a
client sees the same JSON as when every row went through MilestoneSerializer."""

from __future__ import annotations

import datetime as dt
from base64 import b64encode
from decimal import Decimal
from typing import Any

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils.translation import gettext_lazy
from drf_spectacular.generators import SchemaGenerator
from rest_framework.exceptions import ErrorDetail
from rest_framework.renderers import JSONRenderer
from rest_framework.test import APIClient

from tests.conftest import committed, make_milestone, make_negotiation, make_track
from tracker import selectors, services
from tracker.api.pagination import MilestonePages
from tracker.api.renderers import ORJSONRenderer
from tracker.api.serializers import MilestoneSerializer
from tracker.models import DeadlineRevision, Discrepancy, Milestone, Source, Track


@pytest.fixture(autouse=True)
def frozen_today():
    with time_machine.travel(dt.datetime(2026, 11, 21, 12, 0, tzinfo=dt.UTC), tick=False):
        yield


def source(slug: str, title: str, **dates: dt.date) -> Source:
    with committed():
        return Source.objects.create(slug=slug, title=title, excerpt="“…”", **dates)


def representative_milestones() -> Track:
    """Every kind of value a milestone row carries: a relative deadline (said_on), a
    Decimal weight, dependencies, sources in title order, revisions with and without a
    source, a time with microseconds, sources that differ, a completed milestone with a
    month precision, an unscheduled one, text that is not ASCII and a U+2028."""
    track = make_track(make_negotiation())
    earlier = make_milestone(track, "Ministerial meeting", "May 27-29, 2025")
    unscheduled = make_milestone(track, "Legal scrub", None)
    done = make_milestone(track, "COMPACT launched", "February 2025")
    with committed():
        done.state, done.completed_on, done.completed_precision = (
            "completed",
            dt.date(2025, 2, 28),
            "month",
        )
        services.milestone_save(milestone=done)
    main = make_milestone(
        track,
        "Interim agreement – first tranche",
        "within 90 days",
        reference=dt.date(2026, 11, 1),
        slug="interim",
        weight=Decimal("2.50"),
        consequence="US reciprocal tariffs\u2028take full effect",
    )
    newer = source("bta", "BTA first phase by fall", published_on=dt.date(2025, 5, 26))
    older = source("goyal", "A Goyal interview", published_by=dt.date(2025, 5, 20))
    with committed():
        services.milestone_save(
            milestone=main, depends_on=[unscheduled, earlier], sources=[newer, older]
        )
        DeadlineRevision.objects.create(
            milestone=main,
            previous_text="July 8, 2025",
            previous_earliest=dt.date(2025, 7, 8),
            previous_latest=dt.date(2025, 7, 8),
            previous_precision="day",
            new_text="autumn 2025",
            new_earliest=dt.date(2025, 9, 1),
            new_latest=dt.date(2025, 11, 30),
            new_precision="season",
            changed_at=dt.datetime(2026, 11, 20, 9, 30, 15, 123456, tzinfo=dt.UTC),
            reason="Talks moved to the autumn",
            source=older,
        )
        differ = Discrepancy.objects.create(milestone=main, summary="Which deal is first?")
        differ.sources.set([newer, older])
        Discrepancy.objects.create(milestone=main, summary="No quote yet")
    Milestone.objects.filter(pk=main.pk).update(
        last_confirmed_on=dt.date(2025, 5, 20), last_confirmed_inferred=True, stale=True
    )
    return track


def serialized_page(track: Track) -> bytes:
    """The page as MilestoneSerializer and DRF's JSONRenderer wrote it before."""
    milestones = selectors.milestones_list().filter(track=track)
    ordered = sorted(milestones, key=lambda m: (m.deadline_latest or dt.date.max, m.id))
    results = [MilestoneSerializer(m).data for m in ordered]
    return JSONRenderer().render({"next": None, "previous": None, "results": results})


@pytest.mark.parametrize("zone", ["UTC", "Asia/Kolkata"])
def test_a_list_page_is_byte_for_byte_what_the_serializer_wrote(db, settings, zone):
    settings.TIME_ZONE = zone
    track = representative_milestones()
    response = APIClient().get(f"/api/v1/milestones/?track={track.id}")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert response.content == serialized_page(track)
    [main] = [row for row in response.json()["results"] if row["slug"] == "interim"]
    assert main["weight"] == 2.5
    assert "goyal" in [r["source"] for r in main["revisions"]]
    assert main["sources"] == ["goyal", "bta"]
    assert main["sources_differ"] == [
        {"summary": "Which deal is first?", "sources": ["goyal", "bta"]},
        {"summary": "No quote yet", "sources": []},
    ]
    assert b"\\u2028" in response.content


def test_the_detail_answer_is_the_list_row(db):
    track = representative_milestones()
    main = Milestone.objects.get(slug="interim")
    listed = APIClient().get(f"/api/v1/milestones/?track={track.id}").json()["results"]
    detail = APIClient().get(f"/api/v1/milestones/{main.pk}/").json()
    assert detail == next(row for row in listed if row["id"] == main.pk)


@pytest.mark.parametrize(
    "value",
    [
        {"weight": Decimal("2.50"), "money": Decimal("1000000000000.0000"), "none": None},
        {"day": dt.date(2026, 11, 21), "moment": dt.datetime(2026, 11, 21, 9, 5, tzinfo=dt.UTC)},
        {"micro": dt.datetime(2026, 1, 2, 3, 4, 5, 6789, tzinfo=dt.UTC)},
        {"india": dt.datetime(2026, 1, 2, 3, 4, 5, tzinfo=dt.timezone(dt.timedelta(hours=5.5)))},
        {"words": 'India–US \u2028 \u2029 “quoted” \\ "', "lazy": gettext_lazy("Not found.")},
        {"error": [ErrorDetail("Give a date.", code="invalid")], "nested": [[1, 2.5, True]]},
    ],
)
def test_orjson_writes_the_bytes_drf_wrote(value: dict[str, Any]):
    assert ORJSONRenderer().render(value) == JSONRenderer().render(value)


def test_indented_json_is_still_drf_s(db):
    value = {"a": [1, {"b": None}]}
    indented = "application/json; indent=4"
    assert ORJSONRenderer().render(value, indented) == JSONRenderer().render(value, indented)


def test_the_browsable_api_still_answers_a_browser(db):
    response = APIClient().get("/api/v1/milestones/", HTTP_ACCEPT="text/html")
    assert response.status_code == 200
    assert b"Milestone List" in response.content


# --- keyset pages ---------------------------------------------------------------------------


def many_milestones(count: int, dates: list[dt.date | None]) -> list[Milestone]:
    """`count` milestones cycling through `dates`, so many share a deadline; None is
    unscheduled. Inserted directly: pagination reads rows, not statuses."""
    track = make_track(make_negotiation())
    titles = ["Gamma", "Alpha", "Beta"]
    return Milestone.objects.bulk_create(
        Milestone(
            track=track,
            slug=f"m{n}",
            title=titles[n % 3],
            deadline_text="" if day is None else day.isoformat(),
            deadline_earliest=day,
            deadline_latest=day,
            deadline_precision="" if day is None else "day",
        )
        for n in range(count)
        for day in [dates[n % len(dates)]]
    )


def walk(url: str, link: str = "next") -> list[list[int]]:
    pages = []
    while url:
        body = APIClient().get(url).json()
        pages.append([row["id"] for row in body["results"]])
        url = body[link]
    return pages


DATES = [dt.date(2026, 3, 1), None, dt.date(2025, 7, 8), dt.date(2026, 3, 1)]


def test_cursor_pages_meet_every_milestone_once_soonest_first_ties_by_id_unscheduled_last(db):
    created = many_milestones(23, DATES)
    expected = [
        m.id for m in sorted(created, key=lambda m: (m.deadline_latest or dt.date.max, m.id))
    ]
    pages = walk("/api/v1/milestones/?page_size=4")
    assert [len(page) for page in pages] == [4, 4, 4, 4, 4, 3]
    assert [id for page in pages for id in page] == expected


def test_previous_links_walk_the_same_pages_back(db):
    many_milestones(23, DATES)
    forward = walk("/api/v1/milestones/?page_size=4")
    last = APIClient().get("/api/v1/milestones/?page_size=4")
    for _ in range(len(forward) - 1):
        last = APIClient().get(last.json()["next"])
    backward = walk(last.json()["previous"], link="previous")
    assert backward == list(reversed(forward[:-1]))


def test_an_ordering_with_ties_still_walks_every_row_once(db):
    created = many_milestones(17, DATES)
    by_id = sorted(created, key=lambda m: m.id)
    expected = [m.id for m in sorted(by_id, key=lambda m: m.title, reverse=True)]
    pages = walk("/api/v1/milestones/?ordering=-title&page_size=5")
    assert [id for page in pages for id in page] == expected


def test_filters_and_search_keep_working_across_pages(db):
    many_milestones(20, DATES)
    pages = walk("/api/v1/milestones/?due_after=2026-01-01&search=alpha&page_size=2")
    found = Milestone.objects.filter(deadline_latest__gte=dt.date(2026, 1, 1), title="Alpha")
    assert sorted(id for page in pages for id in page) == sorted(m.id for m in found)
    assert len(pages) > 1


def test_count_only_when_asked(db):
    many_milestones(7, DATES)
    assert set(APIClient().get("/api/v1/milestones/").json()) == {"next", "previous", "results"}
    counted = APIClient().get("/api/v1/milestones/?count=true&page_size=2").json()
    assert counted["count"] == 7
    assert len(counted["results"]) == 2


def test_page_size_is_capped(db, monkeypatch):
    monkeypatch.setattr(MilestonePages, "max_page_size", 3)
    many_milestones(5, DATES)
    assert len(APIClient().get("/api/v1/milestones/?page_size=100").json()["results"]) == 3


def test_the_default_page_is_fifty(db):
    many_milestones(60, DATES)
    assert len(APIClient().get("/api/v1/milestones/").json()["results"]) == 50


def _cursor(query: str) -> str:
    return b64encode(query.encode()).decode()


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("page_size=0", "page_size"),
        ("page_size=-3", "page_size"),
        ("page_size=many", "page_size"),
        ("page_size=", "page_size"),
        ("page_size=²", "page_size"),
        ("page_size=٣", "page_size"),
        ("page_size=1²", "page_size"),
        ("page=2", "page"),
        ("cursor=not-a-cursor!", "cursor"),
        (f"cursor={_cursor('p=not json')}", "cursor"),
        (f"cursor={_cursor('r=1')}", "cursor"),
        (f"cursor={_cursor('p=[1]')}", "cursor"),
        ("cursor=" + _cursor('p=["not a date",1]'), "cursor"),
        ("cursor=" + _cursor('p=["2026-01-01","x"]'), "cursor"),
        (f"cursor={_cursor('p=[[],{}]')}", "cursor"),
    ],
)
def test_a_bad_cursor_or_page_size_is_a_400_that_names_it(db, query, field):
    many_milestones(3, DATES)
    response = APIClient().get(f"/api/v1/milestones/?{query}")
    assert response.status_code == 400, response.content
    assert field in response.json()


@pytest.mark.parametrize("size", ["²", "٣", "１０", "many", "0"])
def test_a_page_size_that_is_not_ascii_digits_is_a_400_with_a_field_message_on_every_list(db, size):
    many_milestones(3, DATES)
    for path in ("milestones", "negotiations", "tracks", "targets"):
        response = APIClient().get(f"/api/v1/{path}/", {"page_size": size})
        assert response.status_code == 400, (path, response.content)
        assert response.json() == {
            "page_size": [
                "Give a whole number from 1 to " + ("1000" if path == "milestones" else "200") + "."
            ]
        }


def test_a_page_costs_the_same_queries_whatever_its_size(db):
    many_milestones(40, DATES)
    counts = []
    for size in (2, 40):
        with CaptureQueriesContext(connection) as queries:
            assert APIClient().get(f"/api/v1/milestones/?page_size={size}").status_code == 200
        counts.append(len(queries))
    # The data version, the page, four relations, and the record the outlooks resample (3).
    assert counts[0] == counts[1] <= 9, counts


def test_exports_keep_the_filters_and_every_row(db):
    many_milestones(12, DATES)
    body = APIClient().get("/api/v1/milestones/?format=csv&due_after=2026-01-01&page_size=2")
    lines = body.getvalue().decode().strip().splitlines()
    assert len(lines) - 1 == Milestone.objects.filter(deadline_latest__gte="2026-01-01").count()


# --- the schema -----------------------------------------------------------------------------


def test_the_schema_describes_exactly_the_keys_of_a_list_row(db):
    representative_milestones()
    schema = SchemaGenerator().get_schema(request=None, public=True)
    components = schema["components"]["schemas"]
    page = APIClient().get("/api/v1/milestones/?count=true").json()
    for row in page["results"]:
        assert set(row) == set(components["Milestone"]["properties"])
    listed = components["PaginatedMilestoneList"]
    assert set(page) == set(listed["properties"])
    assert "count" not in listed["required"]
    operation = schema["paths"]["/api/v1/milestones/"]["get"]
    parameters = {p["name"] for p in operation["parameters"]}
    assert {"cursor", "page_size", "count", "ordering", "status"} <= parameters
    assert "page" not in parameters
