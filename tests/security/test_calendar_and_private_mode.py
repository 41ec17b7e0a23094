"""Issue 11, defects 6 and 7: names cannot write calendar lines, and a private tracker
keeps its API schema and docs private too."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User
from django.test import Client
from icalendar import Calendar

from tests.conftest import make_milestone, make_negotiation, make_track
from tracker.models import Milestone, Negotiation

pytestmark = pytest.mark.django_db


def _feed_lines(path: str) -> list[bytes]:
    response = Client().get(path, {"past": "all"})  # make_milestone's deadline: July 2025
    assert response.status_code == 200
    body = response.content
    assert b"\r" not in body.replace(b"\r\n", b""), "a bare CR starts a line in many clients"
    Calendar.from_ical(body)  # still a calendar
    return body.split(b"\r\n")


def _named(name: str) -> Negotiation:
    negotiation = make_negotiation()
    make_milestone(make_track(negotiation))
    # Rows from before the services refused control characters hold such names.
    Negotiation.objects.filter(pk=negotiation.pk).update(name=name)
    return negotiation


def test_a_line_feed_in_a_negotiation_name_keeps_its_feed_working_and_on_one_line():
    _named("India–US\nBTA")
    lines = _feed_lines("/negotiations/india-us-bta/calendar.ics")
    assert b"X-WR-CALNAME:Tranche: India\xe2\x80\x93US BTA" in lines


def test_a_bare_cr_in_a_negotiation_name_cannot_inject_a_calendar_line():
    _named("India–US\rX-INJECTED:yes\rBEGIN:VEVENT")
    lines = _feed_lines("/negotiations/india-us-bta/calendar.ics")
    assert [line for line in lines if line.startswith(b"X-WR-CALNAME")] == [
        b"X-WR-CALNAME:Tranche: India\xe2\x80\x93US X-INJECTED:yes BEGIN:VEVENT"
    ]
    assert not any(line.startswith(b"X-INJECTED") for line in lines)
    assert lines.count(b"BEGIN:VEVENT") == 1


def test_control_characters_in_titles_never_reach_the_feed_raw():
    negotiation = _named("India–US BTA")
    milestone = Milestone.objects.get(track__negotiation=negotiation)
    Milestone.objects.filter(pk=milestone.pk).update(
        title="Interim\r\nATTENDEE:mailto:x@example.org", consequence="Tariffs\rrise\nagain"
    )
    lines = _feed_lines("/calendar.ics")
    assert not any(line.startswith(b"ATTENDEE") for line in lines)
    event = Calendar.from_ical(b"\r\n".join(lines)).walk("VEVENT")[0]
    assert str(event["summary"]) == "Interim ATTENDEE:mailto:x@example.org"
    assert "If missed: Tariffs\nrise\nagain" in str(event["description"])  # escaped, not raw


PRIVATE_PAGES = ["/api/schema/", "/api/schema/?format=json", "/api/docs/"]


@pytest.mark.parametrize("path", PRIVATE_PAGES)
def test_a_private_tracker_shows_its_schema_and_docs_to_no_anonymous_visitor(settings, path):
    settings.TRACKER_PUBLIC = False
    response = Client().get(path)
    assert response.status_code in {302, 401, 403}
    assert b"/api/v1/milestones/" not in response.content
    if response.status_code == 302:
        assert response["Location"].startswith("/login/")


@pytest.mark.parametrize("path", PRIVATE_PAGES)
def test_a_private_tracker_shows_its_schema_and_docs_to_a_signed_in_reader(settings, path):
    settings.TRACKER_PUBLIC = False
    reader = Client()
    reader.force_login(User.objects.create_user("reader"))
    response = reader.get(path)
    assert response.status_code == 200
    # The docs page loads the schema from /api/schema/ (Swagger UI); the schema lists paths.
    assert (b"swagger-ui" if path == "/api/docs/" else b"/api/v1/milestones/") in response.content


@pytest.mark.parametrize("path", PRIVATE_PAGES)
def test_a_public_tracker_shows_its_schema_and_docs_to_everyone(settings, path):
    settings.TRACKER_PUBLIC = True
    assert Client().get(path).status_code == 200
