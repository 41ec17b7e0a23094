"""Whatever the API can create, the admin saves when only the consequence changes."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
import time_machine
from django.contrib.auth.models import User
from django.test import Client
from rest_framework.test import APIClient

from tests.conftest import committed, make_track
from tracker import services
from tracker.deadlines import ACCEPTED_FORMS
from tracker.models import Milestone, Negotiation, Party


@pytest.fixture(autouse=True)
def frozen_today():
    with time_machine.travel(dt.datetime(2026, 12, 7, 12, tzinfo=dt.UTC), tick=False):
        yield


def change_form_as_shown(client: Client, milestone: Milestone) -> dict[str, Any]:
    """The change form posted back with every field as the page shows it."""
    page = client.get(f"/admin/tracker/milestone/{milestone.id}/change/")
    form = page.context["adminform"].form
    data: dict[str, Any] = {
        "revisions-TOTAL_FORMS": "0",
        "revisions-INITIAL_FORMS": "0",
    }
    for name in form.fields:
        value = form[name].value()
        if value is None or value is False:
            continue
        if isinstance(value, list):
            data[name] = [str(v) for v in value]
        elif value is True:
            data[name] = "on"
        else:
            data[name] = str(value)
    return data


@pytest.fixture
def eu_india_track(db):
    with committed():
        eu = services.party_save(party=Party(code="EU", name="European Union", fiscal_year_start=1))
        india = services.party_save(party=Party(code="IN", name="India", fiscal_year_start=4))
        negotiation = services.negotiation_save(
            negotiation=Negotiation(slug="eu-india", name="EU–India FTA"), parties=[eu, india]
        )
    return make_track(negotiation)


def api_writes(text: str) -> dict[str, Any]:
    """How a client writes `text`: fiscal years with the month chosen (the parties
    disagree), relative forms with the day they were said."""
    if text.lower().startswith(("fy", "fiscal")):
        return {"deadline": text, "fiscal_year_start": 4}
    return {"deadline": {"text": text, "said_on": "2026-11-01"}}


def test_every_accepted_form_created_through_the_api_saves_in_the_admin_unchanged(
    eu_india_track,
):
    chief = User.objects.create_superuser("chief", "chief@example.org")
    api = APIClient()
    api.force_authenticate(chief)
    admin = Client()
    admin.force_login(chief)
    window_written = {
        "2025-07-01 - 2025-09-30": {
            "earliest": "2025-07-01",
            "latest": "2025-09-30",
            "precision": "quarter",
        },
        "FY2026-27 (July)": {
            "earliest": "2026-07-01", "latest": "2027-06-30", "precision": "fiscal_year",
        },
    }  # fmt: skip
    cases = [(text, api_writes(text)) for text in ACCEPTED_FORMS]
    cases += [(label, {"deadline": bounds}) for label, bounds in window_written.items()]
    for number, (label, fields) in enumerate(cases):
        created = api.post(
            "/api/v1/milestones/",
            {"track": eu_india_track.id, "title": f"Step {number}", **fields},
            format="json",
        )
        assert created.status_code == 201, (label, created.json())
        milestone = Milestone.objects.get(id=created.json()["id"])
        stored = milestone.deadline
        form = change_form_as_shown(admin, milestone)
        form["consequence"] = "Tariffs rise."
        saved = admin.post(f"/admin/tracker/milestone/{milestone.id}/change/", form)
        assert saved.status_code == 302, (label, saved.context["adminform"].form.errors)
        milestone.refresh_from_db()
        assert milestone.consequence == "Tariffs rise."
        assert milestone.deadline == stored, label
        assert milestone.revisions.count() == 1, label
