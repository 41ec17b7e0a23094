"""/health/ for the orchestrator and /metrics for Prometheus: what they say and when."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
import time_machine
from django.test import Client
from django.utils import timezone

from tests.conftest import make_milestone, make_negotiation, make_track
from tracker.models import Heartbeat, MailCircuit, Reminder

# The view runs its checks in threads of their own: they see committed rows only.
pytestmark = pytest.mark.django_db(transaction=True)


def beat(role: str, seconds_ago: float) -> None:
    Heartbeat.objects.update_or_create(
        role=role,
        process=f"{role}-1",
        defaults={"seen_at": timezone.now() - dt.timedelta(seconds=seconds_ago)},
    )


def health(path: str = "/health/") -> tuple[int, dict[str, str]]:
    response = Client().get(path, HTTP_ACCEPT="application/json")
    return response.status_code, response.json()


def problems(body: dict[str, str]) -> dict[str, str]:
    return {check: said for check, said in body.items() if said != "OK"}


@pytest.fixture
def alive() -> None:
    beat("worker", 5)
    beat("beat", 5)


def a_reminder(**fields: Any) -> Reminder:
    track = make_track(make_negotiation())
    milestone = make_milestone(track, "Due", "July 8, 2030")
    fields.setdefault("due_at", timezone.now())
    return Reminder.objects.create(
        milestone=milestone,
        recipient="ana@example.org",
        kind="before",
        offset=7,
        deadline=dt.date(2030, 7, 8),
        **fields,
    )


def test_health_answers_200_when_database_broker_worker_beat_and_outbox_are_well(
    alive: None,
) -> None:
    a_reminder()  # due now: a fresh backlog is normal
    status, body = health()
    assert status == 200
    assert problems(body) == {}
    assert {"Database", "Broker", "Worker", "Beat", "Outbox"} <= {k.split("(")[0] for k in body}


def test_health_answers_503_naming_a_worker_that_stopped_beating() -> None:
    # The clock stands still, so the age it reports is exactly the one written.
    with time_machine.travel(timezone.now(), tick=False):
        beat("worker", 300)
        beat("beat", 5)
        status, body = health()
    assert status == 503
    [(check, said)] = problems(body).items()
    assert check.startswith("Worker") and "No worker heartbeat for 300 s" in said


def test_health_answers_503_when_beat_never_ran() -> None:
    beat("worker", 5)
    status, body = health()
    assert status == 503
    assert any("No beat has ever written a heartbeat" in said for said in body.values())


@pytest.mark.parametrize(
    ("row", "said"),
    [
        ({"due_at": timezone.now() - dt.timedelta(minutes=30)}, "the oldest for"),
        (
            {
                "state": "sending",
                "claimed_at": timezone.now() - dt.timedelta(minutes=10),
                "leased_until": timezone.now() - dt.timedelta(minutes=8),
            },
            "in sending past their lease",
        ),
        (
            {"state": "failed", "claimed_at": timezone.now() - dt.timedelta(minutes=5)},
            "failed in the last hour",
        ),
    ],
    ids=["old backlog", "stuck past the lease", "recent failure"],
)
def test_health_answers_503_when_the_outbox_does_not_drain(
    alive: None, row: dict[str, Any], said: str
) -> None:
    a_reminder(**row)
    status, body = health()
    assert status == 503
    [(check, message)] = problems(body).items()
    assert check.startswith("Outbox") and said in message


def test_health_answers_503_while_the_mail_server_refuses_everything(alive: None) -> None:
    MailCircuit.objects.create(opened_at=timezone.now(), probe_at=timezone.now())
    status, body = health()
    assert status == 503 and "the mail server refuses mail" in str(body)


def test_the_web_probe_needs_only_the_database() -> None:
    status, body = health("/health/web/")
    assert status == 200 and list(body.values()) == ["OK"]


def test_metrics_show_heartbeat_ages_and_the_circuit(alive: None) -> None:
    body = Client().get("/metrics").content.decode()
    [age] = re.findall(r'tranche_heartbeat_age_seconds\{role="worker"\} ([0-9.]+)', body)
    assert 5 <= float(age) < 60
    assert "tranche_outbox_circuit_open 0.0" in body
