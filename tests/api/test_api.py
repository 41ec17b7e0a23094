"""The REST API reads and writes the record the way docs/design.md promises."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.contrib.auth.models import Group, User
from django.db import connection
from django.test.utils import CaptureQueriesContext
from knox.models import AuthToken
from rest_framework.test import APIClient

from tests.conftest import (
    committed,
    figure,
    make_milestone,
    make_negotiation,
    make_series,
    make_target,
    make_track,
)
from tracker.models import DeadlineRevision, Milestone, Source, Subscription

TODAY = dt.date(2026, 11, 21)
# Real commits, so the answer to a write shows what the after-commit refresh stored.
COMMITTING = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def frozen_today():
    with time_machine.travel(dt.datetime(2026, 11, 21, 12, 0, tzinfo=dt.UTC), tick=False):
        yield


@pytest.fixture
def editor(db) -> User:
    user = User.objects.create_user("editor", "editor@example.org", "pw-editor-1")
    user.groups.add(Group.objects.get(name="editors"))
    return user


@pytest.fixture
def editor_client(editor: User) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {AuthToken.objects.create(user=editor)[1]}")
    return client


@pytest.fixture
def committing_client(transactional_db) -> APIClient:
    """An editor whose rights do not hang on the editors group: between committing tests the
    database is flushed, and the group (a data migration) goes with it."""
    client = APIClient()
    client.force_authenticate(User.objects.create_superuser("chief", "chief@example.org"))
    return client


@pytest.fixture
def reader_client(db) -> APIClient:
    client = APIClient()
    client.force_authenticate(User.objects.create_user("reader"))
    return client


def test_a_token_is_issued_for_a_username_and_password(editor):
    response = APIClient().post(
        "/api/v1/auth/token/", {"username": "editor", "password": "pw-editor-1"}, format="json"
    )
    assert response.status_code == 200
    token = response.json()["token"]
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    assert client.get("/api/v1/subscriptions/").status_code == 200


def test_anonymous_visitors_read_when_the_tracker_is_public(db, settings):
    settings.TRACKER_PUBLIC = True
    make_negotiation()
    response = APIClient().get("/api/v1/negotiations/")
    assert response.status_code == 200
    assert response.json()["count"] == 1
    assert set(response.json()) == {"count", "next", "previous", "results"}


def test_anonymous_visitors_are_refused_when_the_tracker_is_private(db, settings):
    settings.TRACKER_PUBLIC = False
    assert APIClient().get("/api/v1/negotiations/").status_code in {401, 403}


def test_logged_in_users_read_a_private_tracker(reader_client, settings):
    settings.TRACKER_PUBLIC = False
    assert reader_client.get("/api/v1/milestones/").status_code == 200


def test_writing_needs_the_editors_model_permissions(reader_client):
    response = reader_client.post("/api/v1/parties/", {"code": "EU", "name": "EU"}, format="json")
    assert response.status_code == 403


@COMMITTING
def test_a_milestone_created_by_q3_2026_reads_back_as_a_quarter(committing_client):
    track = make_track(make_negotiation())
    response = committing_client.post(
        "/api/v1/milestones/",
        {
            "track": track.id,
            "slug": "tranche-2",
            "title": "Second tranche",
            "deadline": "by Q3 2026",
        },
        format="json",
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["deadline"] == {
        "text": "by Q3 2026",
        "earliest": "2026-07-01",
        "latest": "2026-09-30",
        "precision": "quarter",
        "said_on": None,
        "in_words": "by Q3 2026",
    }
    assert body["status"] == "overdue"
    assert body["days_remaining"] == -52
    assert body["negotiation"] == "india-us-bta"
    assert len(body["revisions"]) == 1


@COMMITTING
def test_a_deadline_given_as_bounds_gets_its_text_described(committing_client):
    track = make_track(make_negotiation())
    response = committing_client.post(
        "/api/v1/milestones/",
        {
            "track": track.id,
            "slug": "h1",
            "title": "First half",
            "deadline": {"earliest": "2027-01-01", "latest": "2027-06-30", "precision": "half"},
        },
        format="json",
    )
    assert response.status_code == 201, response.json()
    assert response.json()["deadline"]["text"] == "H1 2027"
    assert response.json()["status"] == "upcoming"


@COMMITTING
def test_a_slipped_deadline_keeps_its_reason_and_source_and_counts_the_slip(committing_client):
    milestone = make_milestone(make_track(make_negotiation()), deadline="December 1, 2026")
    source = Source.objects.create(slug="reuters", title="Reuters", excerpt="pushed back")
    response = committing_client.patch(
        f"/api/v1/milestones/{milestone.id}/",
        {
            "deadline": "January 15, 2027",
            "revision_reason": "Talks extended",
            "revision_source": "reuters",
        },
        format="json",
    )
    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["slip_days"] == 45
    assert body["status"] == "upcoming"
    revision = DeadlineRevision.objects.filter(milestone=milestone).last()
    assert revision is not None
    assert (revision.reason, revision.source) == ("Talks extended", source)
    assert body["revisions"][-1]["slip_days"] == 45


@COMMITTING
def test_completing_a_milestone_defaults_to_today_and_shows_the_fresh_status(committing_client):
    milestone = make_milestone(make_track(make_negotiation()), deadline="July 8, 2025")
    response = committing_client.post(
        f"/api/v1/milestones/{milestone.id}/complete/", {}, format="json"
    )
    assert response.status_code == 200
    body = response.json()
    assert (body["state"], body["completed_on"], body["status"]) == (
        "completed",
        "2026-11-21",
        "completed",
    )
    assert body["completed_late"] is True


def test_completing_on_an_earlier_day_is_recorded(editor_client):
    milestone = make_milestone(make_track(make_negotiation()), deadline="July 8, 2025")
    response = editor_client.post(
        f"/api/v1/milestones/{milestone.id}/complete/",
        {"completed_on": "2025-07-01"},
        format="json",
    )
    assert response.json()["completed_late"] is False


@COMMITTING
def test_a_cancelled_milestone_reports_cancelled(committing_client):
    milestone = make_milestone(make_track(make_negotiation()))
    response = committing_client.post(f"/api/v1/milestones/{milestone.id}/cancel/")
    assert response.status_code == 200
    assert response.json()["status"] == "cancelled"


def test_track_and_negotiation_health_follow_an_overdue_milestone(editor_client):
    negotiation = make_negotiation()
    track = make_track(negotiation)
    make_milestone(track, deadline="July 8, 2025")
    track_body = editor_client.get(f"/api/v1/tracks/{track.id}/").json()
    assert track_body["health"] == "off_track"
    assert "overdue" in track_body["health_reason"]
    assert track_body["progress"] == 0.0
    negotiation_body = editor_client.get(f"/api/v1/negotiations/{negotiation.slug}/").json()
    assert negotiation_body["health"] == "off_track"


@COMMITTING
def test_a_target_reports_its_figures_from_the_latest_observation(committing_client):
    negotiation = make_negotiation()
    target = make_target(negotiation, deadline="2030")
    response = committing_client.post(
        "/api/v1/observations/",
        {
            "target": target.id,
            "series": make_series().name,
            "period_start": "2026-05-26",
            "period_end": "2026-05-26",
            "value": 200,
        },
        format="json",
    )
    assert response.status_code == 201, response.json()
    body = committing_client.get(f"/api/v1/targets/{target.id}/").json()
    assert body["latest_observation"] == {
        "date": "2026-05-26",
        "value": 200.0,
        "series": "US Census Bureau — goods and services",
    }
    assert body["primary_series"] == "US Census Bureau — goods and services"
    assert body["expected_value"] == pytest.approx(190 * (500 / 190) ** (365 / 2045), rel=1e-6)
    assert body["attainment"] == pytest.approx(200 / body["expected_value"])
    assert body["status"] == "at_risk"  # 200 ÷ 225.8 ≈ 0.886
    years_left = (dt.date(2030, 12, 31) - TODAY).days / 365.25
    assert body["required_growth_rate"] == pytest.approx(
        (500 / 200) ** (1 / years_left) - 1, rel=1e-3
    )


def test_overdue_milestones_are_listed_by_status_filter(editor_client):
    track = make_track(make_negotiation())
    make_milestone(track, title="Overdue one", deadline="July 8, 2025")
    make_milestone(track, title="Later one", deadline="2030")
    response = editor_client.get("/api/v1/milestones/", {"status": "overdue"})
    assert [m["title"] for m in response.json()["results"]] == ["Overdue one"]


def test_milestones_filter_by_negotiation_dates_and_search(editor_client):
    track = make_track(make_negotiation())
    other = make_track(make_negotiation("eu-india"), slug="fta")
    make_milestone(track, title="Interim agreement", deadline="July 8, 2025", consequence="Tariffs")
    make_milestone(other, title="FTA signature", deadline="2027")
    assert [
        m["title"]
        for m in editor_client.get("/api/v1/milestones/?negotiation=eu-india").json()["results"]
    ] == ["FTA signature"]
    due = editor_client.get("/api/v1/milestones/?due_before=2026-01-01&due_after=2025-01-01").json()
    assert [m["title"] for m in due["results"]] == ["Interim agreement"]
    found = editor_client.get("/api/v1/milestones/?search=tariffs").json()
    assert [m["title"] for m in found["results"]] == ["Interim agreement"]
    by_track = editor_client.get(f"/api/v1/milestones/?track={other.id}&count=true").json()
    assert by_track["count"] == 1


def test_the_deadline_parser_answers_with_a_window(db):
    response = APIClient().get(
        "/api/v1/deadlines/parse", {"text": "autumn", "reference": "2025-05-26"}
    )
    assert response.json() == {
        "text": "autumn",
        "earliest": "2025-09-01",
        "latest": "2025-11-30",
        "precision": "season",
        "said_on": "2025-05-26",
        "in_words": "by autumn 2025 (autumn, said on 26 May 2025)",
    }


def test_the_deadline_parser_explains_what_it_cannot_read(db):
    response = APIClient().get("/api/v1/deadlines/parse", {"text": "whenever"})
    assert response.status_code == 400
    assert "whenever" in response.json()["text"][0]
    assert "Q3 2025" in response.json()["text"][0]


def test_subscriptions_show_and_change_only_the_callers_own(editor_client, editor):
    negotiation = make_negotiation()
    someone = User.objects.create_user("someone", "someone@example.org")
    theirs = Subscription.objects.create(user=someone, negotiation=negotiation, confirmed_at=None)
    response = editor_client.post(
        "/api/v1/subscriptions/", {"negotiation": negotiation.slug}, format="json"
    )
    assert response.status_code == 201, response.json()
    assert response.json()["is_active"] is True
    listed = editor_client.get("/api/v1/subscriptions/").json()
    assert [s["id"] for s in listed["results"]] == [response.json()["id"]]
    assert editor_client.delete(f"/api/v1/subscriptions/{theirs.id}/").status_code == 404
    assert (
        editor_client.delete(f"/api/v1/subscriptions/{response.json()['id']}/").status_code == 204
    )
    mine = Subscription.objects.get(pk=response.json()["id"])
    assert mine.unsubscribed_at is not None and mine.user == editor


def test_anonymous_callers_have_no_subscriptions(db):
    assert APIClient().get("/api/v1/subscriptions/").status_code in {401, 403}


def test_reminders_are_for_staff_only(editor_client, editor):
    assert editor_client.get("/api/v1/reminders/").status_code == 403
    editor.is_staff = True
    editor.save()
    assert editor_client.get("/api/v1/reminders/").status_code == 200
    assert editor_client.post("/api/v1/reminders/", {}, format="json").status_code == 405


def test_the_private_calendar_feed_url_can_be_rotated_and_revoked(reader_client):
    assert reader_client.get("/api/v1/calendar/feed/").status_code == 404
    first = reader_client.post("/api/v1/calendar/feed/").json()["url"]
    second = reader_client.post("/api/v1/calendar/feed/").json()["url"]
    assert first != second
    assert (
        APIClient().get(second.split("://", 1)[1].split("/", 1)[1].join(["/", ""])).status_code
        == 200
    )
    assert reader_client.delete("/api/v1/calendar/feed/").status_code == 204
    assert reader_client.get("/api/v1/calendar/feed/").status_code == 404


def _milestones(count: int) -> None:
    with committed():
        _add_milestones(count)


def _add_milestones(count: int) -> None:
    # A negotiation each: every write refreshes its whole negotiation, so one negotiation
    # of 100 would cost 100² row judgements; and the negotiation list grows too.
    source = Source.objects.create(slug=f"s-{count}", title="S", excerpt="e")
    for i in range(count):
        negotiation = make_negotiation(f"n-{count}-{i}")
        track = make_track(negotiation, slug=f"t-{count}-{i}")
        milestone = make_milestone(track, title=f"M {count} {i}", deadline="July 8, 2025")
        milestone.sources.add(source)
        milestone.deadline_latest = dt.date(2025, 8, 1)
        milestone.save()
        make_target(negotiation, track=track, slug=f"target-{i}")
        figure(milestone.track.targets.get(), dt.date(2026, 1, 1), 1).save()


LISTS = ["milestones", "tracks", "negotiations", "targets", "observations", "sources", "parties"]


def test_lists_cost_the_same_queries_for_10_and_100_rows(editor_client):
    # The rows are written once for every list: writing 100 through the services is the
    # slow part, and the lists only read them.
    def counts() -> dict[str, int]:
        found = {}
        for path in LISTS:
            with CaptureQueriesContext(connection) as queries:
                assert editor_client.get(f"/api/v1/{path}/?page_size=200").status_code == 200
            found[path] = len(queries)
        return found

    _milestones(10)
    with_10 = counts()
    _milestones(90)
    assert Milestone.objects.count() == 100
    assert counts() == with_10


def test_every_item_says_when_a_source_last_confirmed_it_in_dates_and_in_words(db):
    from tracker.management.commands.load_record import INDIA_US_RECORD
    from tracker.record import load_record

    with committed():
        load_record(INDIA_US_RECORD)
    interim = Milestone.objects.get(slug="interim-deal-concluded")
    body = APIClient().get(f"/api/v1/milestones/{interim.pk}/").json()
    assert body["stale"] is True
    assert (body["last_confirmed_on"], body["last_confirmed_inferred"]) == ("2025-05-26", True)
    assert body["freshness"] == (
        "Last confirmed by a source on or before 26 May 2025 (at least 18 months ago) "
        "— may be out of date"
    )
    [first] = body["revisions"]
    assert first["source"] == "interim-deal-by-july-8"
    assert (first["reported_on"], first["reported_on_inferred"]) == ("2025-05-26", True)
    [differ] = body["sources_differ"]
    assert differ["summary"].startswith("Which deal is the first tranche")
    assert differ["sources"] == ["goyal-first-tranche-urgency", "bta-first-phase-by-fall-2025"]
    negotiation = APIClient().get("/api/v1/negotiations/india-us-bta/").json()
    assert negotiation["stale"] is True
    assert negotiation["freshness"].startswith("Last confirmed by a source on 26 May 2025")
    tracks = {t["slug"]: t for t in APIClient().get("/api/v1/tracks/").json()["results"]}
    assert tracks["trust-technology"]["health"] == "no_data"
    assert tracks["compact"]["health"] == "active"
    assert tracks["compact"]["ongoing"] is True
    launch = Milestone.objects.get(slug="compact-launched")
    launched = APIClient().get(f"/api/v1/milestones/{launch.pk}/").json()
    assert (launched["completed_on"], launched["completed_precision"]) == ("2025-02-28", "month")
    sources = APIClient().get("/api/v1/sources/?page_size=100").json()["results"]
    assert {(s["published_on"], s["published_by"]) for s in sources} == {
        (None, "2025-05-26"),
        ("2025-05-26", None),
        (None, None),
    }


def test_stale_true_lists_what_needs_review_oldest_confirmation_first(db):
    track = make_track(make_negotiation())
    dated = {}
    for slug, published in (("newer", dt.date(2026, 6, 1)), ("older", dt.date(2026, 1, 5))):
        with committed():
            dated[slug] = Source.objects.create(
                slug=slug, title=slug, published_on=published, excerpt="…"
            )
    fresh = make_milestone(track, "Fresh", "December 20, 2026", reference=TODAY)
    newer = make_milestone(track, "Newer", "December 21, 2026", reference=TODAY)
    older = make_milestone(track, "Older", "December 22, 2026", reference=TODAY)
    unsourced = make_milestone(track, "Unsourced", "December 23, 2026", reference=TODAY)
    with committed():
        recent = Source.objects.create(
            slug="recent", title="recent", published_on=dt.date(2026, 11, 1), excerpt="…"
        )
        from tracker import services

        services.milestone_save(milestone=fresh, sources=[recent])
        services.milestone_save(milestone=newer, sources=[dated["newer"]])
        services.milestone_save(milestone=older, sources=[dated["older"]])
    body = APIClient().get("/api/v1/milestones/?stale=true").json()
    assert [m["title"] for m in body["results"]] == ["Unsourced", "Older", "Newer"]
    assert unsourced.pk == body["results"][0]["id"]
    assert body["results"][0]["freshness"] == "No dated source confirms it — may be out of date"
    fresh_only = APIClient().get("/api/v1/milestones/?stale=false").json()
    assert [m["title"] for m in fresh_only["results"]] == ["Fresh"]
    refused = APIClient().get("/api/v1/milestones/?stale=maybe")
    assert refused.status_code == 400 and "stale" in refused.json()


def test_a_track_is_marked_ongoing_through_the_api_and_then_reads_active(committing_client):
    negotiation = make_negotiation()
    track = make_track(negotiation, "compact")
    with time_machine.travel(dt.datetime(2026, 11, 21, 12, tzinfo=dt.UTC), tick=False):
        milestone = make_milestone(track, "Launch", "February 2025")
        with committed():
            from tracker import services

            services.milestone_complete(milestone=milestone, completed_on=dt.date(2025, 2, 28))
    assert committing_client.get(f"/api/v1/tracks/{track.pk}/").json()["health"] == "achieved"
    response = committing_client.patch(
        f"/api/v1/tracks/{track.pk}/", {"ongoing": True}, format="json"
    )
    assert response.status_code == 200, response.json()
    assert response.json()["health"] == "active"


@COMMITTING
def test_a_milestone_created_without_a_slug_gets_one_from_its_title(committing_client):
    track = make_track(make_negotiation())
    body = {"track": track.id, "title": "Second tranche: signed!", "deadline": "by Q3 2026"}
    first = committing_client.post("/api/v1/milestones/", body, format="json")
    second = committing_client.post("/api/v1/milestones/", body, format="json")
    assert first.status_code == second.status_code == 201, second.json()
    assert first.json()["slug"] == "second-tranche-signed"
    assert second.json()["slug"] == "second-tranche-signed-2"


def test_records_of_every_kind_are_created_without_a_slug(editor_client):
    negotiation = editor_client.post(
        "/api/v1/negotiations/", {"name": "EU–India FTA"}, format="json"
    )
    assert negotiation.status_code == 201, negotiation.json()
    slug = negotiation.json()["slug"]
    assert slug == "euindia-fta"
    track = editor_client.post(
        "/api/v1/tracks/", {"negotiation": slug, "name": "Goods"}, format="json"
    )
    assert track.json()["slug"] == "goods"
    target = editor_client.post(
        "/api/v1/targets/",
        {
            "negotiation": slug,
            "name": "Goods trade",
            "unit": "EUR billion",
            "baseline_value": 120,
            "baseline_date": "2024-12-31",
            "target_value": 200,
            "deadline": "2030",
        },
        format="json",
    )
    assert target.json()["slug"] == "goods-trade"
    source = editor_client.post(
        "/api/v1/sources/", {"title": "Press release", "excerpt": "…"}, format="json"
    )
    assert source.json()["slug"] == "press-release"
    kept = editor_client.post(
        "/api/v1/tracks/",
        {"negotiation": slug, "name": "Goods", "slug": "goods-2030"},
        format="json",
    )
    assert kept.json()["slug"] == "goods-2030"
    again = editor_client.post(
        "/api/v1/tracks/", {"negotiation": slug, "name": "Goods"}, format="json"
    )
    assert again.json()["slug"] == "goods-2"


def test_the_schema_shows_slug_as_optional_on_create(client):
    from drf_spectacular.generators import SchemaGenerator

    schema = SchemaGenerator().get_schema(request=None, public=True)
    for name in ("MilestoneRequest", "TrackRequest", "NegotiationRequest", "TargetRequest"):
        component = schema["components"]["schemas"][name]
        assert "slug" in component["properties"], name
        assert "slug" not in component.get("required", []), name


def test_a_subscription_is_patched_by_its_owner_and_by_no_one_else(editor_client, editor):
    negotiation = make_negotiation()
    mine = editor_client.post(
        "/api/v1/subscriptions/", {"negotiation": negotiation.slug}, format="json"
    ).json()
    theirs = Subscription.objects.create(email="x@example.org", negotiation=negotiation)
    response = editor_client.patch(
        f"/api/v1/subscriptions/{mine['id']}/",
        {"offsets": [14, 1], "timezone": "Asia/Kolkata"},
        format="json",
    )
    assert response.status_code == 200, response.json()
    assert response.json()["offsets"] == [14, 1]
    assert response.json()["timezone"] == "Asia/Kolkata"
    assert response.json()["negotiation"] == negotiation.slug
    stored = Subscription.objects.get(pk=mine["id"])
    assert (stored.offsets, stored.timezone) == ([14, 1], "Asia/Kolkata")
    assert (
        editor_client.patch(
            f"/api/v1/subscriptions/{theirs.id}/", {"offsets": [1]}, format="json"
        ).status_code
        == 404
    )
    refused = editor_client.patch(
        f"/api/v1/subscriptions/{mine['id']}/", {"timezone": "Mars/Olympus"}, format="json"
    )
    assert refused.status_code == 400
    assert "timezone" in refused.json()
    moved = editor_client.patch(
        f"/api/v1/subscriptions/{mine['id']}/", {"track": make_track(negotiation).id}, format="json"
    )
    assert moved.status_code == 400
    assert editor_client.put(f"/api/v1/subscriptions/{mine['id']}/", {}).status_code == 405
