"""Deadlines typed for a negotiation: its first party's fiscal year, the settings, the parse
endpoint, and relative phrases shown with the day they were said (issue 10)."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
from pathlib import Path

import pytest
import time_machine
from django.contrib.auth.models import User
from django.db import IntegrityError, transaction
from rest_framework.test import APIClient

from tests.conftest import committed, make_negotiation, make_track
from tracker import services
from tracker.models import Milestone, Negotiation, Party, Target, Track
from tracker.record import load_record

TODAY = dt.date(2026, 11, 22)
FIXTURE = Path(__file__).resolve().parents[2] / "tracker" / "fixtures" / "india_us.json"


@pytest.fixture(autouse=True)
def frozen_today():
    with time_machine.travel(dt.datetime(2026, 11, 22, 12, 0, tzinfo=dt.UTC), tick=False):
        yield


@pytest.fixture
def india(db) -> Party:
    with committed():
        return services.party_save(party=Party(code="IN", name="India", fiscal_year_start=4))


@pytest.fixture
def united_states(db) -> Party:
    with committed():
        return services.party_save(
            party=Party(code="US", name="United States", fiscal_year_start=10)
        )


def led_by(slug: str, *parties: Party) -> Negotiation:
    with committed():
        return services.negotiation_save(
            negotiation=Negotiation(slug=slug, name=slug.title()), parties=list(parties)
        )


@pytest.fixture
def editor_client(db) -> APIClient:
    client = APIClient()
    client.force_authenticate(User.objects.create_superuser("chief", "chief@example.org"))
    return client


# --- where the fiscal year starts ---------------------------------------------------------


def test_fy2027_follows_each_tracks_party_whatever_order_the_parties_were_linked_in(
    editor_client, india, united_states
):
    for slug, parties in (
        ("india-us", (india, united_states)),
        ("us-india", (united_states, india)),
    ):
        negotiation = led_by(slug, *parties)
        india_track = make_track(negotiation, slug="indian-budget", party=india)
        us_track = make_track(negotiation, slug="us-budget", party=united_states)
        windows = {}
        for track in (india_track, us_track):
            response = editor_client.post(
                "/api/v1/milestones/",
                {"track": track.id, "slug": "budget", "title": "Budget", "deadline": "FY2027"},
                format="json",
            )
            assert response.status_code == 201, response.json()
            deadline = response.json()["deadline"]
            windows[track.slug] = (deadline["earliest"], deadline["latest"], deadline["precision"])
        assert windows == {
            "indian-budget": ("2026-04-01", "2027-03-31", "fiscal_year"),
            "us-budget": ("2026-10-01", "2027-09-30", "fiscal_year"),
        }


def test_a_track_reads_fy_in_its_partys_fiscal_year(editor_client, india, united_states):
    negotiation = led_by("india-us", india, united_states)
    track = editor_client.post(
        "/api/v1/tracks/",
        {
            "negotiation": "india-us",
            "slug": "fy",
            "name": "FY",
            "party": "US",
            "deadline": "FY2026-27",
        },
        format="json",
    )
    assert track.status_code == 201, track.json()
    assert track.json()["deadline"]["earliest"] == "2026-10-01"
    moved = editor_client.patch(
        f"/api/v1/tracks/{track.json()['id']}/", {"deadline": "FY28"}, format="json"
    )
    assert moved.status_code == 200, moved.json()
    assert moved.json()["deadline"]["latest"] == "2028-09-30"
    assert Track.objects.get(negotiation=negotiation).deadline_latest == dt.date(2028, 9, 30)


def test_a_milestone_edited_without_its_track_still_reads_its_negotiations_fiscal_year(
    editor_client, united_states
):
    track = make_track(led_by("us-only", united_states))
    created = editor_client.post(
        "/api/v1/milestones/",
        {"track": track.id, "slug": "m", "title": "M", "deadline": "Q3 2027"},
        format="json",
    ).json()
    response = editor_client.patch(
        f"/api/v1/milestones/{created['id']}/", {"deadline": "FY27"}, format="json"
    )
    assert response.status_code == 200, response.json()
    assert response.json()["deadline"]["earliest"] == "2026-10-01"


def test_the_first_party_is_the_one_linked_first_and_a_new_order_relinks(india, united_states):
    negotiation = led_by("talks", united_states, india)
    assert services.first_party(negotiation) == united_states
    with committed():
        services.negotiation_save(negotiation=negotiation, parties=[india, united_states])
    assert services.first_party(negotiation) == india
    # Leading the list decides nothing: the two disagree, so a fiscal year must be chosen.
    assert services.fiscal_year_start_of(negotiation) is None
    assert services.fiscal_year_start_of(negotiation, party=india) == 4


def test_without_a_party_that_says_the_setting_decides(settings, db):
    settings.TRACKER_FISCAL_YEAR_START = 7
    quiet = Party.objects.create(code="EU", name="European Union")
    assert services.fiscal_year_start_of(led_by("eu", quiet)) == 7
    assert services.fiscal_year_start_of(make_negotiation("none")) == 7
    assert services.fiscal_year_start_of(None) == 7
    deadline = services.read_deadline("FY2027", negotiation=None)
    assert (deadline.earliest, deadline.latest) == (dt.date(2026, 7, 1), dt.date(2027, 6, 30))


def test_numeric_dates_follow_the_setting_through_the_api(editor_client, settings):
    settings.TRACKER_NUMERIC_DATES = "mdy"
    track = make_track(make_negotiation())
    response = editor_client.post(
        "/api/v1/milestones/",
        {"track": track.id, "slug": "m", "title": "M", "deadline": "03/31/2027"},
        format="json",
    )
    assert response.status_code == 201, response.json()
    assert response.json()["deadline"]["latest"] == "2027-03-31"
    refused = editor_client.post(
        "/api/v1/milestones/",
        {"track": track.id, "slug": "n", "title": "N", "deadline": "31/03/2027"},
        format="json",
    )
    assert refused.status_code == 400
    message = refused.json()["deadline"][0]
    assert "there is no month 31 (numeric dates are read month first)" in message


def test_the_admin_reads_fy_in_the_milestones_track_partys_fiscal_year(
    client, united_states, india
):
    track = make_track(led_by("india-us", india, united_states), party=united_states)
    client.force_login(User.objects.create_superuser("chief", "chief@example.org"))
    response = client.post(
        "/admin/tracker/milestone/add/",
        {
            "track": track.id,
            "title": "Appropriations",
            "slug": "appropriations",
            "kind": "deadline",
            "deadline": "FY2027",
            "state": "planned",
            "weight": 1,
            "revisions-TOTAL_FORMS": "0",
            "revisions-INITIAL_FORMS": "0",
        },
    )
    assert response.status_code == 302, response.context["adminform"].form.errors
    milestone = Milestone.objects.get(slug="appropriations")
    assert (milestone.deadline_earliest, milestone.deadline_latest) == (
        dt.date(2026, 10, 1),
        dt.date(2027, 9, 30),
    )
    assert milestone.deadline_precision == "fiscal_year"


def test_the_admin_shows_a_party_fiscal_year_start(client, united_states):
    client.force_login(User.objects.create_superuser("chief", "chief@example.org"))
    page = client.get("/admin/tracker/party/").content.decode()
    assert "October" in page


# --- the parse endpoint -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "earliest", "latest"),
    [
        ({"text": "FY2027"}, "2026-04-01", "2027-03-31"),
        ({"text": "FY2027", "fiscal_year_start": "10"}, "2026-10-01", "2027-09-30"),
        ({"text": "FY 2026–27", "fiscal_year_start": "7"}, "2026-07-01", "2027-06-30"),
        ({"text": "FY2027", "negotiation": "us-only"}, "2026-10-01", "2027-09-30"),
        (
            {"text": "FY2027", "negotiation": "us-india", "fiscal_year_start": "4"},
            "2026-04-01",
            "2027-03-31",
        ),
    ],
)
def test_the_parse_endpoint_reads_fiscal_years_in_the_month_asked_for(
    query, earliest, latest, india, united_states
):
    led_by("us-india", united_states, india)
    led_by("us-only", united_states)
    response = APIClient().get("/api/v1/deadlines/parse", query)
    assert response.status_code == 200, response.json()
    body = response.json()
    assert (body["earliest"], body["latest"], body["precision"]) == (
        earliest,
        latest,
        "fiscal_year",
    )
    assert body["said_on"] is None


@pytest.mark.parametrize("value", ["0", "13", "April", "4.5", "-4"])
def test_the_parse_endpoint_refuses_a_fiscal_year_start_that_is_not_a_month(db, value):
    response = APIClient().get(
        "/api/v1/deadlines/parse", {"text": "FY2027", "fiscal_year_start": value}
    )
    assert response.status_code == 400
    assert list(response.json()) == ["fiscal_year_start"]


def test_the_parse_endpoint_refuses_an_unknown_negotiation(db):
    response = APIClient().get(
        "/api/v1/deadlines/parse", {"text": "FY2027", "negotiation": "nowhere"}
    )
    assert response.status_code == 400
    assert list(response.json()) == ["negotiation"]


# --- relative phrases keep the day they were said -----------------------------------------


def test_within_90_days_is_shown_as_its_date_and_the_day_it_was_said(editor_client, client):
    track = make_track(make_negotiation())
    response = editor_client.post(
        "/api/v1/milestones/",
        {"track": track.id, "slug": "m", "title": "Market access", "deadline": "within 90 days"},
        format="json",
    )
    assert response.status_code == 201, response.json()
    assert response.json()["deadline"] == {
        "text": "within 90 days",
        "earliest": "2027-02-20",
        "latest": "2027-02-20",
        "precision": "day",
        "said_on": "2026-11-22",
        "in_words": "by 20 Feb 2027 (within 90 days of 22 Nov 2026)",
    }
    milestone = Milestone.objects.get(slug="m")
    with time_machine.travel(dt.datetime(2027, 1, 5, 12, 0, tzinfo=dt.UTC), tick=False):
        later = editor_client.get(f"/api/v1/milestones/{milestone.id}/").json()
        page = client.get(f"/milestones/{milestone.id}/").content.decode()
        track_page = client.get(f"/negotiations/{track.negotiation.slug}/").content.decode()
    assert later["deadline"]["in_words"] == "by 20 Feb 2027 (within 90 days of 22 Nov 2026)"
    assert later["revisions"][0]["new_in_words"] == (
        "by 20 Feb 2027 (within 90 days of 22 Nov 2026)"
    )
    assert "by 20 Feb 2027 (within 90 days of 22 Nov 2026)" in page
    assert "by 20 Feb 2027 (within 90 days of 22 Nov 2026)" in track_page
    assert "Deadline: <a" in track_page


def test_a_relative_deadline_reads_as_its_date_on_targets_badges_and_the_embed(db, client):
    negotiation = make_negotiation()
    milestone = Milestone(track=make_track(negotiation), title="Review", slug="review")
    milestone.deadline = services.read_deadline("in 3 months")
    target = Target(
        negotiation=negotiation,
        slug="trade",
        name="Bilateral trade",
        unit="USD billion",
        baseline_value=190,
        baseline_date=dt.date(2025, 5, 26),
        target_value=500,
    )
    target.deadline = services.read_deadline("in 3 months")
    with committed():
        services.milestone_save(milestone=milestone)
        services.target_save(target=target)
    shown = "by 22 Feb 2027 (in 3 months, said on 22 Nov 2026)"
    assert target.deadline_by == shown
    page = client.get(f"/negotiations/{negotiation.slug}/").content.decode()
    assert f"USD 500 billion {shown}" in page and "by by" not in page
    assert shown in client.get(f"/targets/{target.pk}/").content.decode()
    assert shown in client.get(f"/embed/negotiations/{negotiation.slug}/").content.decode()
    badge = client.get(f"/negotiations/{negotiation.slug}/badge.svg").content.decode()
    assert "22 Feb 2027" in badge


def test_the_calendar_feed_and_reminder_words_say_the_date_a_phrase_meant(db, client):
    from tracker.reminders.emails import when

    track = make_track(make_negotiation())
    milestone = Milestone(track=track, title="Review", slug="review")
    milestone.deadline = services.read_deadline("in 3 months")
    with committed():
        services.milestone_save(milestone=milestone)
    shown = "by 22 Feb 2027 (in 3 months, said on 22 Nov 2026)"
    assert when(milestone) == shown
    feed = client.get("/calendar.ics").content.decode()
    assert "Due by 22 Feb 2027 (in 3 months\\, said on 22 Nov 2026)" in feed.replace("\r\n ", "")


def test_the_record_loader_keeps_the_day_a_relative_deadline_was_said(db, tmp_path):
    record = tmp_path / "record.json"
    record.write_text(
        """{
          "reference_date": "2026-11-22",
          "parties": [{"code": "US", "name": "United States", "fiscal_year_start": 10}],
          "negotiations": [{
            "slug": "us-x", "name": "US-X", "parties": ["US"],
            "tracks": [{"slug": "t", "name": "T", "deadline": "FY2027", "milestones": [
              {"slug": "m", "title": "M", "deadline": "within 90 days"}
            ]}]
          }]
        }""",
        encoding="utf-8",
    )
    load_record(record)
    track = Track.objects.get(slug="t")
    assert (track.deadline_earliest, track.deadline_latest) == (
        dt.date(2026, 10, 1),
        dt.date(2027, 9, 30),
    )
    milestone = Milestone.objects.get(slug="m")
    assert milestone.deadline_said_on == dt.date(2026, 11, 22)
    assert milestone.deadline_in_words == "by 20 Feb 2027 (within 90 days of 22 Nov 2026)"
    assert str(load_record(record)).endswith("0 created, 0 updated, 4 unchanged")


def test_the_india_us_record_gives_india_april_and_the_united_states_october(db):
    load_record(FIXTURE)
    assert dict(Party.objects.values_list("code", "fiscal_year_start")) == {"IN": 4, "US": 10}
    assert services.first_party(Negotiation.objects.get()) == Party.objects.get(code="IN")


# --- the database and the settings refuse what is not a month -----------------------------


@pytest.mark.parametrize("month", [0, 13])
def test_the_database_refuses_a_fiscal_year_start_that_is_not_a_month(india, month):
    with pytest.raises(IntegrityError), transaction.atomic():
        Party.objects.filter(pk=india.pk).update(fiscal_year_start=month)


def test_the_database_refuses_a_said_on_day_without_a_deadline(db):
    track = make_track(make_negotiation())
    with pytest.raises(IntegrityError), transaction.atomic():
        Track.objects.filter(pk=track.pk).update(deadline_said_on=TODAY)


@pytest.mark.parametrize(
    ("name", "value"),
    [("TRACKER_NUMERIC_DATES", "ymd"), ("TRACKER_FISCAL_YEAR_START", "13")],
)
def test_a_setting_that_cannot_be_read_stops_the_start(name, value, tmp_path):
    env = {**os.environ, name: value, "TRANCHE_VAR_DIR": str(tmp_path)}
    env.pop("DATABASE_URL", None)
    result = subprocess.run(
        [sys.executable, "-c", "import django; django.setup()"],
        env={**env, "DJANGO_SETTINGS_MODULE": "config.settings"},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode != 0
    assert name in result.stderr
