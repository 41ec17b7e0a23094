"""A new negotiation can start from the lifecycle of a trade agreement, undated."""

from __future__ import annotations

import datetime as dt
import itertools

import pytest
import time_machine
from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.test import Client
from rest_framework.test import APIClient

from tests.conftest import committed, make_negotiation
from tracker import services
from tracker.lifecycle import TRADE_AGREEMENT
from tracker.models import Milestone, Negotiation, Party

STEPS = [
    "Terms of reference",
    "Negotiating rounds",
    "Conclusion of negotiations",
    "Legal scrubbing",
    "Signature",
    "Ratification",
    "Entry into force",
]


@pytest.fixture(autouse=True)
def frozen_today():
    with time_machine.travel(dt.datetime(2026, 12, 7, 12, tzinfo=dt.UTC), tick=False):
        yield


def lifecycle_of(negotiation: Negotiation) -> list[Milestone]:
    return list(
        Milestone.objects.filter(track__negotiation=negotiation, track__slug="lifecycle")
        .order_by("id")
        .prefetch_related("depends_on")
    )


def assert_undated_chain(milestones: list[Milestone]) -> None:
    assert [m.title for m in milestones] == STEPS
    assert all(m.deadline is None and m.status == "unscheduled" for m in milestones)
    assert list(milestones[0].depends_on.all()) == []
    for earlier, later in itertools.pairwise(milestones):
        assert list(later.depends_on.all()) == [earlier]


def test_the_service_starts_a_negotiation_with_seven_undated_steps_in_order(db):
    with committed():
        negotiation = services.negotiation_save(
            negotiation=Negotiation(slug="uk-india", name="UK–India FTA"),
            template="trade_agreement",
        )
    assert_undated_chain(lifecycle_of(negotiation))
    assert len(TRADE_AGREEMENT.steps) == len(STEPS)


def test_a_template_is_refused_on_edit_and_an_unknown_one_is_named(db):
    negotiation = make_negotiation()
    with pytest.raises(ValidationError, match="cannot be given when editing"):
        services.negotiation_save(negotiation=negotiation, template="trade_agreement")
    with pytest.raises(ValidationError, match="No template 'fta'; choose trade_agreement"):
        services.negotiation_save(
            negotiation=Negotiation(slug="other", name="Other"), template="fta"
        )
    assert not Negotiation.objects.filter(slug="other").exists()


def test_the_api_creates_a_negotiation_from_the_template(db):
    api = APIClient()
    api.force_authenticate(User.objects.create_superuser("chief", "chief@example.org"))
    response = api.post(
        "/api/v1/negotiations/",
        {"name": "UK–India FTA", "template": "trade_agreement"},
        format="json",
    )
    assert response.status_code == 201, response.json()
    assert "template" not in response.json()
    assert_undated_chain(lifecycle_of(Negotiation.objects.get(slug=response.json()["slug"])))
    refused = api.post("/api/v1/negotiations/", {"name": "Other", "template": "fta"}, format="json")
    assert refused.status_code == 400
    assert "template" in refused.json()


def test_the_admin_add_form_starts_from_the_template_and_the_page_shows_the_steps_undated(
    client: Client, db, django_capture_on_commit_callbacks
):
    client.force_login(User.objects.create_superuser("chief", "chief@example.org"))
    with committed():
        india = services.party_save(party=Party(code="IN", name="India", fiscal_year_start=4))
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            "/admin/tracker/negotiation/add/",
            {
                "name": "UK–India FTA",
                "slug": "uk-india",
                "stage": "negotiating",
                "parties": [india.id],
                "template": "trade_agreement",
                "tracks-TOTAL_FORMS": "0",
                "tracks-INITIAL_FORMS": "0",
            },
        )
    assert response.status_code == 302, response.context["adminform"].form.errors
    negotiation = Negotiation.objects.get(slug="uk-india")
    assert_undated_chain(lifecycle_of(negotiation))
    change = client.get(f"/admin/tracker/negotiation/{negotiation.id}/change/").content.decode()
    assert 'name="template"' not in change
    page = client.get("/negotiations/uk-india/").content.decode()
    for title in STEPS:
        assert title in page
    negotiation.refresh_from_db()
    assert negotiation.health == "no_data"
