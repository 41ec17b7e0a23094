"""A fiscal year follows the track's party or the month chosen, never the order the
parties were linked in; when the parties disagree and nothing is chosen, the editor is asked."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.contrib.auth.models import User
from rest_framework.test import APIClient

from tests.conftest import committed, make_track
from tracker import services
from tracker.models import Milestone, Negotiation, Party


@pytest.fixture(autouse=True)
def frozen_today():
    with time_machine.travel(dt.datetime(2026, 12, 7, 12, tzinfo=dt.UTC), tick=False):
        yield


@pytest.fixture
def eu_india(db) -> Negotiation:
    """The EU (January) listed before India (April), as the issue found it."""
    with committed():
        eu = services.party_save(party=Party(code="EU", name="European Union", fiscal_year_start=1))
        india = services.party_save(party=Party(code="IN", name="India", fiscal_year_start=4))
        return services.negotiation_save(
            negotiation=Negotiation(slug="eu-india", name="EU–India FTA"), parties=[eu, india]
        )


@pytest.fixture
def api(db) -> APIClient:
    client = APIClient()
    client.force_authenticate(User.objects.create_superuser("chief", "chief@example.org"))
    return client


def post_milestone(api: APIClient, track_id: int, **fields: object):
    return api.post(
        "/api/v1/milestones/",
        {"track": track_id, "title": "Budget", **fields},
        format="json",
    )


def test_fy2026_27_with_the_eu_listed_before_india_asks_whose_fiscal_year_it_is(api, eu_india):
    response = post_milestone(api, make_track(eu_india).id, deadline="FY2026-27")
    assert response.status_code == 400
    assert response.json()["deadline"] == [
        'Cannot read "FY2026-27" as a deadline: the parties\' fiscal years start in different '
        "months (EU in January; IN in April): choose the month its fiscal year starts in "
        "(fiscal_year_start), or the track's party."
    ]
    assert not Milestone.objects.exists()


def test_fy2026_27_with_an_explicit_april_start_is_indias_fiscal_year(api, eu_india):
    response = post_milestone(
        api, make_track(eu_india).id, deadline="FY2026-27", fiscal_year_start=4
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert (body["deadline"]["earliest"], body["deadline"]["latest"]) == (
        "2026-04-01",
        "2027-03-31",
    )
    assert body["fiscal_year_start"] == 4
    listed = api.get("/api/v1/milestones/").json()["results"][0]
    assert listed["fiscal_year_start"] == 4


def test_fy2026_27_on_a_track_of_india_follows_india_without_a_choice(api, eu_india):
    track = make_track(eu_india, party=Party.objects.get(code="IN"))
    response = post_milestone(api, track.id, deadline="FY2026-27")
    assert response.status_code == 201, response.json()
    assert response.json()["deadline"]["earliest"] == "2026-04-01"


def test_parties_that_agree_need_no_choice_and_other_forms_never_do(api, eu_india):
    track = make_track(eu_india)
    assert post_milestone(api, track.id, slug="q3", deadline="Q3 2027").status_code == 201
    with committed():
        eu = Party.objects.get(code="EU")
        eu.fiscal_year_start = 4
        services.party_save(party=eu)
    response = post_milestone(api, track.id, slug="fy", deadline="FY2027")
    assert response.status_code == 201, response.json()
    assert response.json()["deadline"]["earliest"] == "2026-04-01"


def test_a_tracks_party_must_be_one_of_its_negotiations(api, eu_india):
    with committed():
        services.party_save(party=Party(code="US", name="United States", fiscal_year_start=10))
    response = api.post(
        "/api/v1/tracks/",
        {"negotiation": "eu-india", "name": "Budget", "party": "US"},
        format="json",
    )
    assert response.status_code == 400
    assert response.json() == {"party": ["Choose one of the negotiation's parties."]}


def test_the_admin_asks_for_the_choice_then_saves_it(client, eu_india):
    track = make_track(eu_india)
    client.force_login(User.objects.create_superuser("chief", "chief@example.org"))
    form = {
        "track": track.id,
        "title": "Budget",
        "slug": "budget",
        "kind": "deadline",
        "deadline": "FY2026-27",
        "state": "planned",
        "weight": 1,
        "revisions-TOTAL_FORMS": "0",
        "revisions-INITIAL_FORMS": "0",
    }
    refused = client.post("/admin/tracker/milestone/add/", form)
    assert refused.status_code == 200
    assert "choose the month its fiscal year starts in" in refused.content.decode()
    saved = client.post("/admin/tracker/milestone/add/", {**form, "fiscal_year_start": "4"})
    assert saved.status_code == 302, saved.context["adminform"].form.errors
    milestone = Milestone.objects.get(slug="budget")
    assert (milestone.deadline_earliest, milestone.fiscal_year_start) == (dt.date(2026, 4, 1), 4)
