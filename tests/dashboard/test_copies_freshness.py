"""Issue 20: the copies of a status that leave the page (webhook payloads, Atom entries)
carry when a source last confirmed it and the freshness sentence the pages say."""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Iterator

import feedparser
import pytest
import time_machine
from django.test import Client

from tests.browser.static import collected_static
from tests.conftest import committed
from tracker import services
from tracker.deadlines import parse_deadline
from tracker.management.commands.load_record import INDIA_US_RECORD
from tracker.models import Milestone, WebhookEvent
from tracker.record import load_record

pytestmark = pytest.mark.django_db
__all__ = ["collected_static"]
TODAY = dt.datetime(2026, 11, 21, 9, 0, tzinfo=dt.UTC)
FRESHNESS = "Last confirmed by a source on 26 May 2025 (18 months ago) — may be out of date"


@pytest.fixture
def moved() -> Iterator[Milestone]:
    """India–US as recorded, then the comprehensive deal's deadline moved a year on."""
    with time_machine.travel(TODAY, tick=False):
        with committed():
            load_record(INDIA_US_RECORD)
        milestone = Milestone.objects.get(slug="comprehensive-agreement-concluded")
        with committed():
            services.milestone_set_deadline(
                milestone=milestone,
                deadline=parse_deadline("autumn 2027", reference=TODAY.date()),
                reason="Talks extended",
            )
        yield milestone


def test_a_webhook_payload_says_when_each_thing_it_describes_was_last_confirmed(moved):
    event = WebhookEvent.objects.get(type="milestone.deadline_moved")
    data = json.loads(json.dumps(event.payload))["data"]
    assert data["milestone"]["last_confirmed_on"] == "2025-05-26"
    assert data["milestone"]["freshness"] == FRESHNESS
    assert data["negotiation"]["last_confirmed_on"] == "2025-05-26"
    assert data["negotiation"]["freshness"] == FRESHNESS
    assert set(data["track"]) >= {"last_confirmed_on", "freshness"}
    assert data["track"]["freshness"].startswith("Last confirmed by a source")


def test_an_atom_entry_carries_the_freshness_sentence_of_what_it_is_about(moved):
    with time_machine.travel(TODAY, tick=False):
        response = Client().get("/negotiations/india-us-bta/changes.atom")
    feed = feedparser.parse(response.content)
    assert not feed.bozo
    entry = next(e for e in feed.entries if e.title.startswith("Deadline moved"))
    assert f"Sources, when this happened: {FRESHNESS}." in entry.summary
    assert entry.link.endswith(f"/milestones/{moved.pk}/")


@pytest.mark.usefixtures("collected_static")
def test_upcoming_offers_the_feed_by_webcal_and_to_copy_and_says_what_it_holds(moved):
    with time_machine.travel(TODAY, tick=False):
        html = Client().get("/upcoming/").content.decode()
    assert "Subscribe to every deadline" not in html
    assert '<h2 id="calendar-heading">Every negotiation in your calendar</h2>' in html
    assert (
        '<a href="webcal://127.0.0.1:8000/calendar.ics">Subscribe in your calendar app</a>' in html
    )
    assert (
        "The feed holds every open milestone, overdue ones included, and those completed "
        "in the past year" in html
    )
    assert 'value="http://127.0.0.1:8000/calendar.ics"' in html
    assert (
        '<button type="button" class="copy" data-copy="calendar-feed" hidden>Copy</button>' in html
    )
    assert re.search(r'<script src="/static/tracker/copy\.[0-9a-f]+\.js" defer></script>', html)
    # The feed is offered after the lists, not in the middle of the overdue deals.
    assert html.index("calendar-heading") > html.index("Interim trade deal concluded")


@pytest.mark.usefixtures("collected_static")
def test_the_negotiation_page_offers_its_own_feed_by_webcal_and_to_copy(moved, settings):
    settings.SITE_URL = "https://tranche.example.org"
    with time_machine.travel(TODAY, tick=False):
        html = Client().get("/negotiations/india-us-bta/").content.decode()
    feed = "tranche.example.org/negotiations/india-us-bta/calendar.ics"
    assert f'<a href="webcal://{feed}">Subscribe in your calendar app</a>' in html
    assert f'value="https://{feed}"' in html
    assert 'data-copy="calendar-feed"' in html
