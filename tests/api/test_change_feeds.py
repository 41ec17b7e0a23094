"""Atom feeds of recent changes (issue 14): parsed back with feedparser, for everything and
per negotiation, public or by the private token URL of the calendar feeds, and HEAD."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import feedparser
import pytest
import time_machine
from django.contrib.auth.models import User
from django.test import Client

from tests.conftest import (
    committed,
    figure,
    make_milestone,
    make_negotiation,
    make_target,
    make_track,
)
from tracker import services
from tracker.deadlines import parse_deadline
from tracker.models import Milestone
from tracker.services.tokens import calendar_token_rotate

pytestmark = pytest.mark.django_db
NINE = dt.datetime(2026, 7, 1, 9, tzinfo=dt.UTC)


@pytest.fixture
def changes() -> None:
    """In India–US: a deadline moved, a milestone completed, a new figure; in EU–US, one
    completion."""
    india_us, eu_us = make_negotiation("india-us-bta"), make_negotiation("eu-us")
    track = make_track(india_us)
    target = make_target(india_us, track)
    with time_machine.travel(NINE, tick=False):
        interim = make_milestone(track, "Interim agreement", "July 8, 2026")
        talks = make_milestone(track, "Fifth round of talks", "June 30, 2026")
        other = make_milestone(make_track(eu_us, "steel"), "Steel quota deal", "June 30, 2026")
        with committed():
            services.milestone_set_deadline(
                milestone=interim,
                deadline=parse_deadline("September 30, 2026", reference=NINE.date()),
                reason="Talks extended",
            )
            services.milestones_complete(milestones=[talks, other])
            services.observation_save(
                observation=figure(target, dt.date(2026, 3, 31), Decimal(212))
            )


def entries(response_content: bytes) -> feedparser.FeedParserDict:
    parsed = feedparser.parse(response_content)
    assert not parsed.bozo, parsed.get("bozo_exception")
    assert parsed.version == "atom10"
    return parsed


def test_the_changes_feed_lists_completions_moves_health_and_figures(client, changes):
    response = client.get("/changes.atom")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/atom+xml")
    feed = entries(response.content)
    assert feed.feed.title == "Tranche: recent changes"
    titles = [entry.title for entry in feed.entries]
    assert "Deadline moved: Interim agreement, July 8, 2026 → September 30, 2026" in titles
    assert "Completed: Fifth round of talks" in titles
    assert "Completed: Steel quota deal" in titles
    assert (
        "New figure: Bilateral trade, USD 212 billion for 31 March 2026 "
        "(US Census Bureau — goods and services)"
    ) in titles
    assert not any(title.startswith("New milestone") for title in titles)  # not a change feed's
    moved = next(e for e in feed.entries if e.title.startswith("Deadline moved"))
    interim = Milestone.objects.get(title="Interim agreement")
    assert moved.link == f"http://127.0.0.1:8000/milestones/{interim.pk}/"
    assert moved.id.startswith("urn:uuid:")
    assert "Why: Talks extended" in moved.summary
    assert [t.term for t in moved.tags] == ["milestone.deadline_moved"]


def test_a_title_with_markup_stays_text_in_a_feed_reader_and_the_feed_names_its_author(client):
    track = make_track(make_negotiation("india-us-bta"))
    with time_machine.travel(NINE, tick=False):
        milestone = make_milestone(track, "Round <b>5</b> & close", "June 30, 2026", slug="round-5")
        with committed():
            services.milestones_complete(milestones=[milestone])
    for path in ("/changes.atom", "/negotiations/india-us-bta/changes.atom"):
        response = client.get(path)
        feed = entries(response.content)
        assert feed.feed.author_detail.name == "Tranche"
        assert feed.feed.author_detail.href == "http://127.0.0.1:8000/"
        completed = next(e for e in feed.entries if e.title.startswith("Completed"))
        assert completed.title == "Completed: Round <b>5</b> & close"
        assert completed.summary_detail.type == "text/plain"
        assert completed.summary.startswith("Completed: Round <b>5</b> & close.")
        assert b'<summary type="text">Completed: Round &lt;b&gt;5&lt;/b&gt; &amp; close.' in (
            response.content
        )
        assert b'type="html"' not in response.content


def test_a_negotiation_s_feed_has_only_its_own_changes(client, changes):
    feed = entries(client.get("/negotiations/india-us-bta/changes.atom").content)
    titles = [entry.title for entry in feed.entries]
    assert "Completed: Fifth round of talks" in titles
    assert "Completed: Steel quota deal" not in titles
    assert feed.feed.title == "Tranche: recent changes in India Us Bta"
    assert client.get("/negotiations/nowhere/changes.atom").status_code == 404


def test_head_answers_the_feeds(client, changes):
    for path in ("/changes.atom", "/negotiations/india-us-bta/changes.atom"):
        response = client.head(path)
        assert response.status_code == 200
        assert response["Content-Type"].startswith("application/atom+xml")
    assert client.post("/changes.atom").status_code == 405


def test_a_private_tracker_serves_its_feeds_by_the_private_token_url_only(settings, changes):
    settings.TRACKER_PUBLIC = False
    anonymous = Client()
    assert anonymous.get("/changes.atom").status_code == 403
    assert anonymous.get("/negotiations/india-us-bta/changes.atom").status_code == 403
    reader = User.objects.create_user("reader", "reader@example.org")
    _, secret = calendar_token_rotate(user=reader)

    feed = entries(anonymous.get(f"/changes/{secret}.atom").content)
    assert "Completed: Steel quota deal" in [e.title for e in feed.entries]
    one = entries(anonymous.get(f"/changes/{secret}/negotiations/india-us-bta.atom").content)
    assert "Completed: Steel quota deal" not in [e.title for e in one.entries]
    assert anonymous.head(f"/changes/{secret}.atom").status_code == 200
    assert anonymous.get(f"/changes/{'x' * 43}.atom").status_code == 404

    calendar_token_rotate(user=reader)  # the old URL stops working
    assert anonymous.get(f"/changes/{secret}.atom").status_code == 404
    signed_in = Client()
    signed_in.force_login(reader)
    assert signed_in.get("/changes.atom").status_code == 200


def test_the_calendar_feed_api_also_gives_the_private_changes_feed_url(settings, changes):
    from rest_framework.test import APIClient

    client = APIClient()
    client.force_authenticate(User.objects.create_user("reader"))
    body = client.post("/api/v1/calendar/feed/").json()
    assert body["changes_url"].startswith("http://127.0.0.1:8000/changes/")
    path = body["changes_url"].removeprefix("http://127.0.0.1:8000")
    assert entries(Client().get(path).content).entries
