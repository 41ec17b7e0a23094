"""Calendar feeds import into calendar clients and follow slips."""

from __future__ import annotations

import datetime as dt
from urllib.parse import urlsplit

import pytest
import time_machine
from django.contrib.auth.models import User
from django.test import Client
from icalendar import Calendar
from icalendar.parser import Contentline

from tests.conftest import make_milestone, make_negotiation, make_track
from tracker.calendar.feeds import milestone_ics
from tracker.deadlines import parse_deadline
from tracker.services import milestone_cancel, milestone_set_deadline


@pytest.fixture(autouse=True)
def frozen_today():
    with time_machine.travel(dt.datetime(2026, 11, 21, 12, 0, tzinfo=dt.UTC), tick=False):
        yield


def _events(response):
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/calendar")
    return {str(e["uid"]): e for e in Calendar.from_ical(response.content).walk("VEVENT")}


def test_each_scheduled_milestone_is_an_all_day_event_on_its_latest_day(db, settings):
    settings.SITE_URL = "https://tranche.example.org"
    track = make_track(make_negotiation())
    milestone = make_milestone(
        track, title="Second tranche", deadline="Q3 2026", consequence="Tariffs"
    )
    make_milestone(track, title="Unscheduled talk", deadline=None)
    events = _events(Client().get("/calendar.ics"))
    assert list(events) == [f"milestone-{milestone.id}@tranche"]
    event = events[f"milestone-{milestone.id}@tranche"]
    assert event.decoded("dtstart") == dt.date(2026, 9, 30)
    assert event.decoded("dtend") == dt.date(2026, 10, 1)
    assert str(event["summary"]) == "Second tranche"
    assert "2026-07-01" in str(event["description"]) and "2026-09-30" in str(event["description"])
    assert "Tariffs" in str(event["description"])
    assert str(event["url"]) == f"https://tranche.example.org/milestones/{milestone.id}/"
    assert int(event["sequence"]) == 0


def test_a_slipped_deadline_moves_the_event_and_raises_its_sequence(db):
    milestone = make_milestone(make_track(make_negotiation()), deadline="July 8, 2025")
    milestone_set_deadline(milestone=milestone, deadline=parse_deadline("August 1, 2025"))
    milestone_set_deadline(milestone=milestone, deadline=parse_deadline("Q1 2027"))
    event = _events(Client().get("/calendar.ics"))[f"milestone-{milestone.id}@tranche"]
    assert int(event["sequence"]) == 2
    assert event.decoded("dtstart") == dt.date(2027, 3, 31)


def test_cancelled_milestones_leave_the_feed(db):
    milestone = make_milestone(make_track(make_negotiation()))
    milestone_cancel(milestone=milestone)
    assert _events(Client().get("/calendar.ics")) == {}


def test_a_negotiation_feed_holds_only_its_milestones(db):
    ours = make_milestone(make_track(make_negotiation()), title="Ours")
    make_milestone(make_track(make_negotiation("eu-india"), slug="fta"), title="Theirs")
    # Deadlines of July 2025: over a year ago, so outside the default window.
    events = _events(Client().get("/negotiations/india-us-bta/calendar.ics?past=all"))
    assert list(events) == [f"milestone-{ours.id}@tranche"]
    assert Client().get("/negotiations/nothing-here/calendar.ics").status_code == 404


def test_a_private_tracker_needs_the_private_feed_url(db, settings):
    settings.TRACKER_PUBLIC = False
    milestone = make_milestone(make_track(make_negotiation()))
    assert Client().get("/calendar.ics").status_code == 403
    assert Client().get("/negotiations/india-us-bta/calendar.ics").status_code == 403
    user = User.objects.create_user("reader", password="pw-reader-1")
    web = Client()
    web.force_login(user)
    feed = web.post("/api/v1/calendar/feed/").json()
    every = {"past": "all"}  # the deadline of July 2025 is over a year ago
    uid = f"milestone-{milestone.id}@tranche"
    assert uid in _events(Client().get(urlsplit(feed["url"]).path, every))
    one = urlsplit(feed["negotiation_url_template"].replace("{slug}", "india-us-bta")).path
    assert uid in _events(Client().get(one, every))
    web.delete("/api/v1/calendar/feed/")
    assert Client().get(urlsplit(feed["url"]).path).status_code == 404


def test_the_feed_says_how_fresh_the_record_is_and_what_is_known_of_a_passed_deadline(db):
    from tests.conftest import committed
    from tracker.management.commands.load_record import INDIA_US_RECORD
    from tracker.models import Milestone
    from tracker.record import load_record

    with committed():
        load_record(INDIA_US_RECORD)
    events = _events(Client().get("/negotiations/india-us-bta/calendar.ics?past=all"))
    interim = Milestone.objects.get(slug="interim-deal-concluded")
    description = str(events[f"milestone-{interim.pk}@tranche"]["description"])
    assert (
        "The deadline of 8 July 2025 passed 501 days ago; "
        "no source since 26 May 2025 says it was met." in description
    )
    assert (
        "Last confirmed by a source on or before 26 May 2025 (at least 18 months ago) "
        "— may be out of date." in description
    )
    launch = Milestone.objects.get(slug="compact-launched")
    launched = str(events[f"milestone-{launch.pk}@tranche"]["description"])
    assert "Completed in February 2025." in launched
    assert "Completed on" not in launched


def test_the_india_us_default_feed_holds_the_two_overdue_deals_with_their_freshness(db):
    from tests.conftest import committed
    from tracker.management.commands.load_record import INDIA_US_RECORD
    from tracker.models import Milestone
    from tracker.record import load_record

    with committed():
        load_record(INDIA_US_RECORD)
    events = _events(Client().get("/negotiations/india-us-bta/calendar.ics"))
    overdue = Milestone.objects.filter(track__negotiation__slug="india-us-bta", status="overdue")
    assert sorted(overdue.values_list("slug", flat=True)) == [
        "comprehensive-agreement-concluded",
        "interim-deal-concluded",
    ]
    for milestone in overdue:
        event = events[f"milestone-{milestone.pk}@tranche"]
        description = str(event["description"])
        assert "Status: overdue." in description
        assert "— may be out of date." in description
        assert "no source since 26 May 2025 says it was met" in description
    # The 2030 deadline is there too; what was completed over a year ago is not.
    assert any(e["dtstart"].dt.year == 2030 for e in events.values())
    launched = Milestone.objects.get(slug="compact-launched")
    assert launched.state == "completed"
    assert f"milestone-{launched.pk}@tranche" not in events
    assert _events(Client().get("/calendar.ics")).keys() >= events.keys()


def test_head_on_the_calendar_feeds_answers_like_get_without_a_body(db, settings):
    make_milestone(make_track(make_negotiation()))
    for path in ("/calendar.ics", "/negotiations/india-us-bta/calendar.ics"):
        get, head = Client().get(path), Client().head(path)
        assert head.status_code == 200, path
        assert head["Content-Type"] == get["Content-Type"]
        assert head["Content-Disposition"] == get["Content-Disposition"]
        assert head.content == b""
    assert Client().head("/negotiations/nowhere/calendar.ics").status_code == 404
    assert Client().post("/calendar.ics").status_code == 405
    settings.TRACKER_PUBLIC = False
    assert Client().head("/calendar.ics").status_code == 403


def _calendar_name(body: bytes) -> str:
    """X-WR-CALNAME read as TEXT by icalendar's content-line parser, after unfolding."""
    written = Calendar.from_ical(body)["X-WR-CALNAME"].to_ical()
    raw = written.decode() if isinstance(written, bytes) else str(written)
    return str(Contentline(f"X-WR-CALNAME:{raw}").parts()[2])


def test_a_calendar_name_with_commas_semicolons_and_backslashes_reads_back_whole(db):
    name = "EU, India; FTA \\ talks\\,round"
    negotiation = make_negotiation("eu-india-fta", name=name)
    make_milestone(make_track(negotiation), deadline="December 31, 2026")
    body = Client().get("/negotiations/eu-india-fta/calendar.ics").content
    assert b"X-WR-CALNAME:Tranche: EU\\, India\\; FTA \\\\ talks\\\\\\,round\r\n" in body
    assert _calendar_name(body) == f"Tranche: {name}"


def test_a_reminder_attachment_named_after_a_title_with_a_comma_keeps_the_whole_title(db):
    title = "Round 5, Brussels; last before the deadline"
    milestone = make_milestone(make_track(make_negotiation()), title, slug="round-5")
    body = milestone_ics(milestone, revisions=0)
    assert b"X-WR-CALNAME:Round 5\\, Brussels\\; last before the deadline\r\n" in body
    assert _calendar_name(body) == title
