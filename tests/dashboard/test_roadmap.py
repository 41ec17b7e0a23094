"""The portfolio roadmap: every negotiation on one axis, the comparison, the exports."""

from __future__ import annotations

import csv
import io

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.conftest import committed, make_milestone, make_negotiation, make_track
from tracker import services
from tracker.deadlines import parse_deadline
from tracker.management.commands.load_record import INDIA_US_RECORD
from tracker.models import Milestone
from tracker.record import load_record

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("collected_static")]


@pytest.fixture
def india_us(frozen):
    with committed():
        load_record(INDIA_US_RECORD)


def test_the_overview_links_to_the_roadmap(client, india_us):
    assert 'href="/roadmap/"' in client.get("/").content.decode()


def test_the_roadmap_compares_the_india_us_negotiation_in_words(client, india_us):
    page = client.get("/roadmap/").content.decode()
    row = page[page.index("<tbody>") : page.index("</tbody>")]
    assert "India–US Bilateral Trade Agreement" in row
    assert "Off track" in row
    assert "of 4 deadlines that have passed, 2 were met on time, median slip 0 days" in row
    # One line per negotiation that folds out into one line per track.
    assert page.count("<details>") == 1
    assert "Interim agreement (first tranche)" in page


def test_the_roadmap_draws_windows_slips_and_today(client, india_us):
    interim = Milestone.objects.get(slug="interim-deal-concluded")
    with committed():
        services.milestone_set_deadline(
            milestone=interim, deadline=parse_deadline("September 2025"), reason="Slipped"
        )
    page = client.get("/roadmap/").content.decode()
    assert 'class="window"' in page
    assert 'class="ghost"' in page
    assert 'class="today"' in page
    assert "Today, 21 November 2026" in page


def test_the_roadmap_is_filtered_like_the_overview(client, india_us):
    other = make_negotiation("eu-india-fta", name="EU–India FTA", stage="announced")
    make_milestone(make_track(other), "Chapter closed", "March 2027")
    everything = client.get("/roadmap/").content.decode()
    announced = client.get("/roadmap/?stage=announced").content.decode()
    assert "EU–India FTA" in everything and "India–US Bilateral" in everything
    assert "EU–India FTA" in announced and "India–US Bilateral" not in announced


def test_the_roadmap_costs_the_same_queries_for_one_negotiation_or_many(client, india_us):
    with CaptureQueriesContext(connection) as one:
        client.get("/roadmap/?sort=name")
    for n in range(5):
        make_milestone(make_track(make_negotiation(f"deal-{n}")), f"Step {n}", "March 2027")
    with CaptureQueriesContext(connection) as six:
        client.get("/roadmap/?sort=name")
    assert len(six) == len(one)


def test_the_roadmap_export_carries_the_track_record_and_the_outlook(client, india_us):
    response = client.get("/roadmap/export.csv")
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(text)))
    interim = next(r for r in rows if r["title"] == "Interim trade deal concluded")
    assert interim["track_record"] == "stated once; never slipped"
    assert interim["outlook"] == "not enough history"
    assert "outlook_chance" in rows[0]
    xlsx = client.get("/roadmap/export.xlsx")
    assert xlsx.status_code == 200
