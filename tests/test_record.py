"""The India–US record: what a user of the admin or API sees after loading it."""

from __future__ import annotations

import datetime as dt
import json
import re
from decimal import Decimal
from pathlib import Path

import pytest
import time_machine
from django.core.management import call_command

from tests.conftest import committed
from tracker.management.commands.load_record import INDIA_US_RECORD as RECORD
from tracker.models import DeadlineRevision, Milestone, Negotiation, Source, Target, Track
from tracker.record import load_record

# The three articles the record encodes, kept in the repository (docs/sources/README.md).
SOURCES = Path(__file__).resolve().parent.parent / "docs" / "sources"

pytestmark = pytest.mark.django_db


@pytest.fixture
def record() -> Negotiation:
    with time_machine.travel(dt.datetime(2026, 11, 21, 12, tzinfo=dt.UTC), tick=False), committed():
        load_record(RECORD)
    return Negotiation.objects.get(slug="india-us-bta")


def test_the_interim_agreement_is_due_july_8_2025_and_overdue(record: Negotiation) -> None:
    interim = Milestone.objects.get(slug="interim-deal-concluded")
    assert (interim.deadline_earliest, interim.deadline_latest) == (dt.date(2025, 7, 8),) * 2
    assert interim.deadline_precision == "day"
    assert interim.status == "overdue"
    assert interim.status_reason == "Interim trade deal concluded overdue by 501 days"
    assert "reciprocal tariffs" in interim.consequence


def test_the_comprehensive_deal_keeps_the_autumn_window_vague(record: Negotiation) -> None:
    deal = Milestone.objects.get(slug="comprehensive-agreement-concluded")
    assert deal.deadline_earliest == dt.date(2025, 9, 1)
    assert deal.deadline_latest == dt.date(2025, 11, 30)
    assert deal.deadline_precision == "season"
    excerpts = " ".join(deal.sources.values_list("excerpt", flat=True))
    assert "comprehensive agreement by autumn" in excerpts
    assert "by fall 2025" in excerpts


def test_the_trade_target_runs_from_190_to_500_by_2030_with_no_data(record: Negotiation) -> None:
    target = Target.objects.get(slug="bilateral-trade-500b")
    assert (target.baseline_value, target.target_value) == (Decimal(190), Decimal(500))
    assert target.deadline_latest == dt.date(2030, 12, 31)
    assert target.status == "no_data"
    assert target.sources.filter(excerpt__contains="$500 billion by 2030").exists()


def test_the_compact_launch_is_month_precise_and_completed(record: Negotiation) -> None:
    launch = Milestone.objects.get(slug="compact-launched")
    assert launch.deadline_precision == "month"
    assert launch.status == "completed"
    assert launch.completed_late is False


def test_the_negotiation_is_off_track_because_the_interim_deal_is_overdue(
    record: Negotiation,
) -> None:
    assert record.health == "off_track"
    assert record.health_reason.startswith("Interim agreement (first tranche): Interim trade deal")
    assert set(record.parties.values_list("code", flat=True)) == {"IN", "US"}


def test_every_excerpt_is_quoted_verbatim_from_a_source_article(record: Negotiation) -> None:
    paths = sorted(SOURCES.glob("*.txt"))
    assert len(paths) == 3
    articles = " ".join(re.sub(r"\s+", " ", path.read_text(encoding="utf-8")) for path in paths)
    excerpts = list(Source.objects.values_list("excerpt", flat=True))
    assert excerpts
    for excerpt in excerpts:
        assert re.sub(r"\s+", " ", excerpt) in articles


def test_every_dated_milestone_and_target_cites_a_source(record: Negotiation) -> None:
    for milestone in Milestone.objects.exclude(deadline_latest=None):
        assert milestone.sources.exists(), milestone.title
    for target in Target.objects.all():
        assert target.sources.exists(), target.name


def test_loading_the_record_twice_changes_nothing() -> None:
    first = load_record(RECORD)
    counts = (Milestone.objects.count(), DeadlineRevision.objects.count(), Track.objects.count())
    second = load_record(RECORD)
    assert first.created > 0
    assert (second.created, second.updated) == (0, 0)
    assert (
        Milestone.objects.count(),
        DeadlineRevision.objects.count(),
        Track.objects.count(),
    ) == counts


def test_the_record_names_no_milestone_slug_twice() -> None:
    data = json.loads(RECORD.read_text(encoding="utf-8"))
    slugs = [m["slug"] for n in data["negotiations"] for t in n["tracks"] for m in t["milestones"]]
    assert len(slugs) == len(set(slugs))


def test_load_record_command_reports_what_it_did(capsys: pytest.CaptureFixture[str]) -> None:
    call_command("load_record")
    call_command("load_record")
    out = capsys.readouterr().out
    assert "0 created, 0 updated" in out.splitlines()[-1]
