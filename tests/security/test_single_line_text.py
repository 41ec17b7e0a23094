"""Issue 11, the cause of defect 5: names, titles and slugs are single-line text.

A line feed in a title made the reminder's .ics fail, and CR/LF in a track name broke
its alert's subject line; the services now refuse control characters in every short
text field, whichever interface writes, and migration 0005 cleaned the rows before.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from rest_framework.test import APIClient

from tests.conftest import figure, make_milestone, make_negotiation, make_target, make_track
from tracker import services
from tracker.deadlines import parse_deadline
from tracker.models import Milestone, Negotiation, Party, Source, Target, Track
from tracker.single_line import REFUSED

pytestmark = pytest.mark.django_db
CONTROLS = ["\n", "\r", "\r\n", "\x00", "\x1b", "\u2028"]


def _negotiation(text: str) -> Any:
    return services.negotiation_save(negotiation=Negotiation(slug="n", name=text))


def _track(text: str) -> Any:
    return services.track_save(track=Track(negotiation=make_negotiation(), slug="t", name=text))


def _milestone(text: str) -> Any:
    return services.milestone_save(
        milestone=Milestone(track=make_track(make_negotiation()), slug="m", title=text)
    )


def _target_unit(text: str) -> Any:
    target = Target(
        negotiation=make_negotiation(),
        slug="t",
        name="Trade",
        unit=text,
        baseline_value=Decimal(1),
        baseline_date=dt.date(2025, 1, 1),
        target_value=Decimal(2),
    )
    target.deadline = parse_deadline("2030")
    return services.target_save(target=target)


def _party(text: str) -> Any:
    return services.party_save(party=Party(code="IN", name=text))


def _source(text: str) -> Any:
    return services.source_save(source=Source(slug="s", title=text, excerpt="Many\nlines."))


def _observation_note(text: str) -> Any:
    target = make_target(make_negotiation())
    observation = figure(target, dt.date(2026, 1, 1), 1, note=text)
    return services.observation_save(observation=observation)


WRITES: dict[str, tuple[Callable[[str], Any], str]] = {
    "negotiation name": (_negotiation, "name"),
    "track name": (_track, "name"),
    "milestone title": (_milestone, "title"),
    "target unit": (_target_unit, "unit"),
    "party name": (_party, "name"),
    "source title": (_source, "title"),
    "observation note": (_observation_note, "note"),
}


@pytest.mark.parametrize("control", CONTROLS, ids=repr)
@pytest.mark.parametrize("write", list(WRITES))
def test_the_services_refuse_control_characters_in_short_text(write, control):
    save, field = WRITES[write]
    with pytest.raises(ValidationError) as refused:
        save(f"India{control}US")
    assert refused.value.message_dict[field] == [REFUSED]


@pytest.mark.parametrize("write", list(WRITES))
def test_the_same_text_on_one_line_is_stored(write):
    save, field = WRITES[write]
    assert getattr(save("India–US, “first tranche”"), field) == "India–US, “first tranche”"


def test_a_slug_with_a_line_feed_is_refused():
    with pytest.raises(ValidationError) as refused:
        services.negotiation_save(negotiation=Negotiation(slug="india\nus", name="India–US"))
    assert "slug" in refused.value.message_dict


def test_free_text_keeps_its_line_breaks():
    source = _source("Joint statement")
    assert source.excerpt == "Many\nlines."


def test_a_deadline_moved_with_a_multi_line_reason_is_refused():
    milestone = make_milestone(make_track(make_negotiation()))
    milestone.deadline = parse_deadline("Q4 2026")
    with pytest.raises(ValidationError) as refused:
        services.milestone_save(milestone=milestone, reason="Talks\r\nSubject: forged")
    assert refused.value.message_dict == {"reason": [REFUSED]}


def test_the_api_answers_a_multi_line_title_with_a_400_naming_the_field():
    client = APIClient()
    client.force_authenticate(User.objects.create_superuser("root", "r@example.org", "x"))
    milestone = make_milestone(make_track(make_negotiation()))
    response = client.patch(
        f"/api/v1/milestones/{milestone.id}/", {"title": "Interim\ndeal"}, format="json"
    )
    assert response.status_code == 400
    assert response.json()["title"] == [REFUSED]
    created = client.post(
        "/api/v1/negotiations/", {"slug": "eu-in", "name": "EU\rIndia"}, format="json"
    )
    assert created.status_code == 400 and created.json()["name"] == [REFUSED]
