"""Webhook payloads say what the docs say: `before` names what `after` names (null for a new
record), and a new figure carries its `date` as the v1 observation shape does."""

from __future__ import annotations

import datetime as dt

import time_machine

from tests.conftest import (
    committed,
    figure,
    make_milestone,
    make_negotiation,
    make_target,
    make_track,
)
from tracker import services
from tracker.models import WebhookEvent

NINE = dt.datetime(2026, 7, 1, 9, tzinfo=dt.UTC)


def test_a_new_milestone_has_a_before_with_the_keys_of_its_after_all_null(db):
    track = make_track(make_negotiation())
    with time_machine.travel(NINE, tick=False):
        make_milestone(track, "Interim agreement", "July 8, 2026")
    data = WebhookEvent.objects.get(type="milestone.created").payload["data"]
    assert data["before"] == {"state": None, "deadline": None}
    assert data["after"]["state"] == "planned"
    assert data["after"]["deadline"]["latest"] == "2026-07-08"


def test_a_new_figure_carries_its_date_and_a_before_without_a_value(db):
    negotiation = make_negotiation()
    target = make_target(negotiation, make_track(negotiation))
    with time_machine.travel(NINE, tick=False), committed():
        services.observation_save(observation=figure(target, dt.date(2026, 3, 31), 200))
    data = WebhookEvent.objects.get(type="observation.created").payload["data"]
    assert data["observation"]["date"] == "2026-03-31"
    assert data["before"] == {"value": None}
    assert data["after"] == {"value": "200"}
