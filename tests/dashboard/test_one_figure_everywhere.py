"""One source per figure: the target page, the milestone page, the embed, the reminder and
health-alert emails, the API and the CSV exports say the same attainment, days to the next
deadline, years left and slip for the same target and milestone.

Agreeing once proves little: two copies of a formula agree until one of them changes. So
the same test runs a second time with each figure's one function (tracker.figures)
replaced, everywhere it is bound, by a variant that counts differently (attainment to the
nearest point, a day more, twice the years, a day more of slip). A surface that computes
its own figure then disagrees with the others, and the test fails.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import math
import re
import sys
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone
from rest_framework.test import APIClient

from tests.conftest import (
    committed,
    figure,
    make_milestone,
    make_negotiation,
    make_target,
    make_track,
)
from tracker import figures, services
from tracker.deadlines import parse_deadline
from tracker.models import Milestone, Reminder, StatusChange, Subscription, Target
from tracker.reminders.emails import health_alert_email, reminder_email
from tracker.status import expected_value

pytestmark = pytest.mark.django_db

TODAY = dt.date(2026, 11, 21)  # the frozen fixture's day
OBSERVED_ON = dt.date(2026, 6, 30)
# 94.96% of the path: rounded down 94%, to the nearest 95%, so two roundings cannot agree.
ATTAINMENT = 0.9496


def _variants() -> dict[str, Callable[..., Any]]:
    """Each one-source figure function, counting differently from the real one."""
    days_until, years_left = figures.days_until, figures.years_left
    revision_slip, slip_days = figures.revision_slip, figures.slip_days

    def nearest(ratio: float | None) -> str:
        return "—" if ratio is None else f"{math.floor(ratio * 100 + 0.5)}%"

    def slipped_more(previous: dt.date | None, new: dt.date | None) -> int | None:
        slip = revision_slip(previous, new)
        return None if slip is None else slip + 1

    return {
        "percent": nearest,
        "days_until": lambda day, today: days_until(day, today) + 1,
        "years_left": lambda latest, today: years_left(latest, today) * 2,
        "revision_slip": slipped_more,
        "slip_days": lambda latest, revisions: slip_days(latest, revisions) + 1,
    }


def _swap_everywhere(monkeypatch: pytest.MonkeyPatch, name: str, variant: Any) -> None:
    """Replaces tracker.figures.<name> in every tracker module that holds it, however it was
    imported (`from tracker.figures import days_until` binds a name of its own)."""
    original = getattr(figures, name)
    for module_name, module in list(sys.modules.items()):
        if module_name != "tracker" and not module_name.startswith("tracker."):
            continue
        for attribute, value in list(vars(module).items()):
            if value is original:
                monkeypatch.setattr(module, attribute, variant)


@pytest.fixture(params=["as shipped", "each figure function swapped"])
def swapped(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> bool:
    if request.param == "as shipped":
        return False
    for name, variant in _variants().items():
        _swap_everywhere(monkeypatch, name, variant)
    return True


def _csv(response: Any) -> list[dict[str, str]]:
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    return list(csv.DictReader(io.StringIO(text)))


@pytest.fixture
def record(frozen: Any, swapped: bool) -> tuple[Target, Milestone]:
    """A target at 94.96% of its path, and the negotiation's next milestone, due 15 December
    2026 after it slipped from 1 December 2026; built after the swap, so the stored status
    reasons are worded by whichever functions are in place."""
    negotiation = make_negotiation(name="India–US BTA")
    track = make_track(negotiation, name="Interim agreement")
    target = make_target(negotiation, track)
    expected = expected_value(target.facts(()), OBSERVED_ON)
    with committed():
        services.observation_save(
            observation=figure(target, OBSERVED_ON, Decimal(str(round(expected * ATTAINMENT, 4))))
        )
    milestone = make_milestone(track, title="Tariff schedule", deadline="1 December 2026")
    milestone.deadline = parse_deadline("15 December 2026", reference=TODAY)
    with committed():
        services.milestone_save(milestone=milestone, reason="Talks moved")
    target.refresh_from_db()
    milestone = Milestone.objects.get(pk=milestone.pk)
    assert target.attainment == pytest.approx(ATTAINMENT, abs=1e-5)
    return target, milestone


def _text(html: bytes) -> str:
    """The page as a reader sees it: tags gone, white space folded."""
    return " ".join(re.sub(r"<[^>]+>", " ", html.decode()).split())


def test_the_page_the_emails_the_api_and_the_export_say_the_same_attainment_and_years_left(
    record: tuple[Target, Milestone],
) -> None:
    target, _ = record
    track = target.track
    assert track is not None
    said = figures.percent(ATTAINMENT)

    page = Client().get(f"/targets/{target.pk}/")
    api = APIClient().get(f"/api/v1/targets/{target.pk}/").json()
    (exported,) = _csv(APIClient().get("/api/v1/targets/?format=csv&negotiation=india-us-bta"))
    change = StatusChange.objects.get(subject="track", track=track, new="at_risk")
    alert = health_alert_email(
        change, track, to="ana@example.org", unsubscribe_url="https://x.example/u/"
    ).body

    assert f"Attainment: {said} of where the path said it should be" in _text(page.content)
    assert api["status_reason"] == f"Bilateral trade at {said} of the expected path"
    assert f"Why: Bilateral trade at {said} of the expected path" in alert
    assert figures.percent(api["attainment"]) == said
    assert float(exported["attainment"]) == api["attainment"]
    assert exported["status_reason"] == api["status_reason"]

    # Years left: the page's count, the API's and the export's required growth from it.
    years = page.context["page"].years_left
    assert years == pytest.approx(figures.years_left(dt.date(2030, 12, 31), TODAY))
    observed = float(api["latest_observation"]["value"])
    assert api["required_growth_rate"] == pytest.approx((500 / observed) ** (1 / years) - 1)
    assert float(exported["required_growth_rate"]) == pytest.approx(api["required_growth_rate"])
    assert f"for the next {years:.1f} years" in _text(page.content)


def test_the_pages_the_embed_the_reminder_the_api_and_the_export_say_the_same_days_and_slip(
    record: tuple[Target, Milestone],
) -> None:
    _, milestone = record
    days = figures.days_until(dt.date(2026, 12, 15), TODAY)
    slip = figures.slip_days(dt.date(2026, 12, 15), [(dt.date(2026, 12, 1), None)])
    moved = figures.revision_slip(dt.date(2026, 12, 1), dt.date(2026, 12, 15))
    in_days = figures.countdown(days)

    page = _text(Client().get(f"/milestones/{milestone.pk}/").content)
    negotiation_page = _text(Client().get("/negotiations/india-us-bta/").content)
    overview = _text(Client().get("/").content)
    embed = _text(Client().get("/embed/negotiations/india-us-bta/").content)
    api = APIClient().get(f"/api/v1/milestones/{milestone.pk}/").json()
    (listed,) = APIClient().get("/api/v1/milestones/?negotiation=india-us-bta").json()["results"]
    (exported,) = _csv(APIClient().get("/api/v1/milestones/?format=csv&negotiation=india-us-bta"))
    subscription = Subscription.objects.create(
        negotiation=milestone.track.negotiation,
        email="ana@example.org",
        confirmed_at=timezone.now(),
    )
    reminder = Reminder(
        milestone=milestone,
        subscription=subscription,
        recipient=subscription.email,
        kind="before",
        offset=30,
        deadline=dt.date(2026, 12, 15),
    )
    email = reminder_email(reminder).body

    # Days to the negotiation's next deadline.
    assert f"Countdown {in_days.capitalize()}" in page
    assert f"Next deadline {in_days}" in negotiation_page
    assert in_days in overview
    assert f"— {in_days}" in embed
    assert api["days_remaining"] == listed["days_remaining"] == days
    assert int(exported["days_remaining"]) == days
    assert f"({figures.time_left(days)} left)" in email

    # The slip since first announced, and the one revision's own move.
    assert f"{figures.slip(slip).capitalize()} since first announced" in page
    assert f"Slippage: {figures.slip(slip)} since first announced." in email
    assert api["slip_days"] == listed["slip_days"] == int(exported["slip_days"]) == slip
    assert [r["slip_days"] for r in api["revisions"]] == [None, moved]  # set, then moved
    assert [r["slip_days"] for r in listed["revisions"]] == [None, moved]
    assert figures.slip(moved) in page
