"""Calendar feeds hold a window, are written as text, and answer repeats with a 304
(issue 13)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
import time_machine
from django.core.cache import cache
from django.test import Client
from hypothesis import given
from hypothesis import strategies as st
from icalendar import Calendar, vText
from icalendar.parser import Contentline

from tests.conftest import committed, make_milestone, make_negotiation, make_track
from tracker.calendar.feeds import escape_text, fold
from tracker.calendar.views import cache_slot
from tracker.deadlines import parse_deadline
from tracker.services import milestone_complete
from tracker.services.milestones import milestone_set_deadline

pytestmark = pytest.mark.django_db
TODAY = dt.date(2026, 12, 2)


@pytest.fixture(autouse=True)
def frozen_today():
    with time_machine.travel(dt.datetime(2026, 12, 2, 12, 0, tzinfo=dt.UTC), tick=False) as clock:
        yield clock


def _uids(response: Any) -> set[str]:
    assert response.status_code == 200
    return {str(e["uid"]) for e in Calendar.from_ical(response.content).walk("VEVENT")}


def _days_ago(days: int) -> str:
    return (TODAY - dt.timedelta(days=days)).isoformat()


@pytest.fixture
def old_and_recent() -> tuple[str, str]:
    """Two rounds held on their deadlines: closed, so the window applies to them."""
    track = make_track(make_negotiation())
    old = make_milestone(track, "Old round", _days_ago(400))
    recent = make_milestone(track, "Recent round", _days_ago(300))
    with committed():
        milestone_complete(milestone=old, completed_on=TODAY - dt.timedelta(days=400))
        milestone_complete(milestone=recent, completed_on=TODAY - dt.timedelta(days=300))
    return f"milestone-{old.pk}@tranche", f"milestone-{recent.pk}@tranche"


def test_the_default_window_leaves_out_what_ended_over_a_year_ago(old_and_recent):
    _, recent = old_and_recent
    assert _uids(Client().get("/calendar.ics")) == {recent}


def test_an_open_milestone_is_in_every_window_however_old_its_deadline(old_and_recent):
    old, recent = old_and_recent
    track = make_track(make_negotiation("eu-india"), "legal")
    forgotten = make_milestone(track, "Forgotten deal", _days_ago(900))
    overdue = f"milestone-{forgotten.pk}@tranche"
    assert _uids(Client().get("/calendar.ics")) == {recent, overdue}
    assert _uids(Client().get(f"/calendar.ics?since={_days_ago(10)}")) == {overdue}
    assert _uids(Client().get("/calendar.ics?past=all")) == {old, recent, overdue}
    assert _uids(Client().get("/negotiations/eu-india/calendar.ics")) == {overdue}


def test_since_and_past_all_bring_older_events_back(old_and_recent):
    old, recent = old_and_recent
    assert _uids(Client().get(f"/calendar.ics?since={_days_ago(401)}")) == {old, recent}
    assert _uids(Client().get(f"/calendar.ics?since={_days_ago(399)}")) == {recent}
    assert _uids(Client().get("/calendar.ics?past=all")) == {old, recent}
    feed = "/negotiations/india-us-bta/calendar.ics"
    assert _uids(Client().get(f"{feed}?past=all")) == {old, recent}


def test_a_milestone_completed_within_the_year_stays_whatever_its_deadline():
    track = make_track(make_negotiation())
    late = make_milestone(track, "Late deal", _days_ago(500))
    with committed():
        milestone_complete(milestone=late, completed_on=TODAY - dt.timedelta(days=30))
    assert _uids(Client().get("/calendar.ics")) == {f"milestone-{late.pk}@tranche"}


NOT_A_DATE = (
    "since must be a date written YYYY-MM-DD, such as 2026-12-02; past=all gives every event."
)


@pytest.mark.parametrize(
    ("query", "why"),
    [
        ("since=yesterday", NOT_A_DATE),
        ("since=2026-13-01", NOT_A_DATE),
        ("since=", NOT_A_DATE),
        ("past=some", "past takes one value: past=all (every event, however old)."),
        ("past=all&since=2026-01-01", "Give since=YYYY-MM-DD or past=all, not both."),
    ],
)
def test_a_window_it_cannot_read_is_a_400_that_says_why(query, why):
    response = Client().get(f"/calendar.ics?{query}")
    assert response.status_code == 400
    assert response["Content-Type"] == "text/plain; charset=utf-8"
    assert response.content.decode() == f"{why}\n"


def test_a_repeat_with_the_etag_or_the_date_is_a_304_without_a_body(old_and_recent):
    first = Client().get("/calendar.ics")
    etag, modified = first["ETag"], first["Last-Modified"]
    assert etag.startswith('"') and not etag.startswith("W/")
    for headers in ({"if_none_match": etag}, {"if_modified_since": modified}):
        again = Client().get("/calendar.ics", headers=headers)
        assert again.status_code == 304
        assert again.content == b""
        assert again["ETag"] == etag
        assert again["Cache-Control"] == first["Cache-Control"]
    assert Client().head("/calendar.ics", headers={"if_none_match": etag}).status_code == 304
    assert Client().get("/calendar.ics", headers={"if_none_match": '"other"'}).status_code == 200


def test_a_304_reads_only_the_version(old_and_recent, django_assert_num_queries):
    etag = Client().get("/negotiations/india-us-bta/calendar.ics")["ETag"]
    with django_assert_num_queries(1):
        response = Client().get(
            "/negotiations/india-us-bta/calendar.ics", headers={"if_none_match": etag}
        )
    assert response.status_code == 304


def test_a_private_feed_304_reads_the_token_and_the_version(
    old_and_recent, django_assert_num_queries
):
    from django.contrib.auth.models import User

    from tracker.services.tokens import calendar_token_rotate

    _, secret = calendar_token_rotate(user=User.objects.create_user("reader"))
    first = Client().get(f"/calendar/{secret}.ics")
    assert first["Cache-Control"] == "private, max-age=300"
    with django_assert_num_queries(2):
        again = Client().get(f"/calendar/{secret}.ics", headers={"if_none_match": first["ETag"]})
    assert again.status_code == 304


def test_a_cold_feed_costs_the_same_queries_for_few_and_many_milestones(
    django_assert_num_queries,
):
    track = make_track(make_negotiation())
    make_milestone(track, "One", "March 2027")
    with django_assert_num_queries(2):  # the version, the rows
        Client().get("/calendar.ics")
    for n in range(20):
        make_milestone(track, f"More {n}", "Q2 2027")
    with django_assert_num_queries(3):  # the version, the negotiation, the rows
        response = Client().get("/negotiations/india-us-bta/calendar.ics")
    assert response.content.count(b"BEGIN:VEVENT") == 21


def test_a_write_through_a_service_changes_the_etag_and_the_body(old_and_recent):
    from tracker.models import Milestone

    first = Client().get("/calendar.ics")
    recent = Milestone.objects.get(title="Recent round")
    with committed():
        milestone_set_deadline(milestone=recent, deadline=parse_deadline("Q2 2027"))
    again = Client().get("/calendar.ics", headers={"if_none_match": first["ETag"]})
    assert again.status_code == 200
    assert again["ETag"] != first["ETag"]
    assert b"DTSTART;VALUE=DATE:20270630" in again.content
    assert b"DTSTART;VALUE=DATE:20270630" not in first.content


def test_the_day_turning_changes_the_etag(old_and_recent, frozen_today):
    first = Client().get("/calendar.ics")
    frozen_today.move_to(dt.datetime(2026, 12, 3, 0, 1, tzinfo=dt.UTC))
    again = Client().get("/calendar.ics", headers={"if_none_match": first["ETag"]})
    assert again.status_code == 200
    assert again["ETag"] != first["ETag"]
    assert again["Last-Modified"] == "Thu, 03 Dec 2026 00:00:00 GMT"


def test_the_cached_body_is_byte_identical_to_a_fresh_render(old_and_recent):
    first = Client().get("/calendar.ics?past=all")
    slot = cache_slot(None, None)
    assert cache.get(slot)[1] == first.content
    assert Client().get("/calendar.ics?past=all").content == first.content
    cache.delete(slot)
    assert Client().get("/calendar.ics?past=all").content == first.content


def test_public_feeds_may_be_cached_by_anyone_and_a_private_tracker_s_by_no_one_else(
    old_and_recent, settings
):
    from django.contrib.auth.models import User

    assert Client().get("/calendar.ics")["Cache-Control"] == "public, max-age=300"
    settings.TRACKER_PUBLIC = False
    reader = Client()
    reader.force_login(User.objects.create_user("reader"))
    assert reader.get("/calendar.ics")["Cache-Control"] == "private, max-age=300"
    assert Client().get("/calendar.ics").status_code == 403


def test_long_lines_are_folded_and_every_line_ends_in_crlf():
    track = make_track(make_negotiation())
    title = "Ministerial " + "é" * 80
    make_milestone(track, title, "Q3 2027", slug="ministerial", consequence="Tariffs; rise, a lot")
    body = Client().get("/calendar.ics").content
    lines = body.split(b"\r\n")
    assert lines[-1] == b"" and b"\n" not in body.replace(b"\r\n", b"")
    assert all(len(line) <= 75 for line in lines)
    event = Calendar.from_ical(body).walk("VEVENT")[0]
    assert str(event["summary"]) == title
    assert "If missed: Tariffs; rise, a lot" in str(event["description"])


TEXT = st.text(
    st.characters(blacklist_categories=["Cs"]) | st.sampled_from("\\;,^\r\n€é"), max_size=300
)


@given(TEXT)
def test_text_is_escaped_as_icalendar_escapes_it(text):
    if "\\N" in text:  # icalendar reads a literal \N as a line break; RFC 5545 does not
        return
    assert escape_text(text) == vText(text).to_ical().decode()


@given(TEXT.map(lambda text: "DESCRIPTION:" + escape_text(text)))
def test_lines_are_folded_as_icalendar_folds_them(line):
    assert fold(line).encode() == Contentline(line).to_ical()


def test_completions_known_to_the_month_or_the_year_are_said_each_as_known():
    from tracker.models import Milestone

    track = make_track(make_negotiation())
    by_month = make_milestone(track, "By month", "Q4 2025")
    by_year = make_milestone(track, "By year", "2025")
    for milestone, precision in ((by_month, "month"), (by_year, "year")):
        with committed():
            milestone_complete(milestone=milestone, completed_on=dt.date(2025, 12, 31))
        # Rows loaded from a record say how precisely a completion is known.
        Milestone.objects.filter(pk=milestone.pk).update(completed_precision=precision)
    body = Client().get("/calendar.ics").content.replace(b"\r\n ", b"")
    events = {str(e["summary"]): e for e in Calendar.from_ical(body).walk("VEVENT")}
    assert "Completed in December 2025." in str(events["By month"]["description"])
    assert "Completed in 2025." in str(events["By year"]["description"])
