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
SOURCES = Path(__file__).resolve().parents[2] / "docs" / "sources"

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
    assert interim.status_reason == (
        "Interim trade deal concluded overdue: the deadline of 8 July 2025 passed; "
        "no source since 26 May 2025 says it was met"
    )
    assert "reciprocal tariffs" in interim.consequence


def test_the_interim_agreement_reads_as_stale_last_confirmed_in_may_2025(
    record: Negotiation,
) -> None:
    interim = Milestone.objects.get(slug="interim-deal-concluded")
    assert interim.stale is True
    # Both its quotes come from an undated article written before the May 27 visit.
    assert (interim.last_confirmed_on, interim.last_confirmed_inferred) == (
        dt.date(2025, 5, 26),
        True,
    )
    assert record.stale is True
    # The negotiation also cites the NationPress report, dated 26 May 2025 in its own words.
    assert (record.last_confirmed_on, record.last_confirmed_inferred) == (
        dt.date(2025, 5, 26),
        False,
    )


def test_tracks_without_evidence_read_no_data_and_compact_reads_active(
    record: Negotiation,
) -> None:
    health = dict(Track.objects.values_list("slug", "health"))
    reason = dict(Track.objects.values_list("slug", "health_reason"))
    assert health["trust-technology"] == "no_data"
    assert reason["trust-technology"] == (
        "No deadline given for its open milestone: "
        "TRUST initiative implemented (AI and advanced chip collaboration)"
    )
    assert health["bilateral-trade-500b"] == "no_data"
    assert reason["bilateral-trade-500b"] == (
        "No figure for Bilateral trade since the 190 baseline (26 May 2025)"
    )
    assert health["export-controls-strategic-trade-dialogue"] == "no_data"
    assert health["counter-terrorism-fatf"] == "no_data"
    assert health["compact"] == "active"
    assert Track.objects.get(slug="compact").ongoing is True
    assert health["high-level-visits"] == "achieved"  # a visit, not a framework
    assert set(Track.objects.filter(ongoing=True).values_list("slug", flat=True)) == {"compact"}


def test_the_first_revision_of_the_interim_deadline_carries_its_announcing_article(
    record: Negotiation,
) -> None:
    first = Milestone.objects.get(slug="interim-deal-concluded").revisions.earliest("changed_at")
    assert first.previous_latest is None and first.new_latest == dt.date(2025, 7, 8)
    assert first.source is not None
    assert first.source.slug == "interim-deal-by-july-8"
    assert first.source.title == (
        "Misri U.S. Visit Part Of India Bid To Strengthen Strategic, Trade Ties"
    )
    # Undated, written on or before the day before the visit: never the day it was loaded.
    assert (first.source.published_on, first.source.published_by) == (None, dt.date(2025, 5, 26))


def test_every_dated_milestone_names_the_source_that_announced_its_deadline(
    record: Negotiation,
) -> None:
    for milestone in Milestone.objects.exclude(deadline_latest=None):
        first = milestone.revisions.earliest("changed_at")
        assert first.source is not None, milestone.title
        assert milestone.sources.filter(pk=first.source.pk).exists(), milestone.title


def test_reloading_gives_an_unsourced_first_revision_its_announcing_source() -> None:
    with committed():
        load_record(RECORD)
    DeadlineRevision.objects.update(source=None)
    with committed():
        result = load_record(RECORD)
    first = Milestone.objects.get(slug="interim-deal-concluded").revisions.earliest("changed_at")
    assert first.source is not None and first.source.slug == "interim-deal-by-july-8"
    assert result.updated == Milestone.objects.exclude(deadline_latest=None).count()
    assert load_record(RECORD).updated == 0


def test_sources_show_a_date_only_where_the_article_gives_or_implies_one(
    record: Negotiation,
) -> None:
    dates = {
        s.title[:30]: (s.publisher, s.published_on, s.published_by) for s in Source.objects.all()
    }
    assert dates == {
        "Misri U.S. Visit Part Of India": ("", None, dt.date(2025, 5, 26)),
        "Will Foreign Secretary Vikram ": ("NationPress", dt.date(2025, 5, 26), None),
        "Vikram Misri's U.S. Visit Rein": ("", None, None),
    }


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


def test_the_190_baseline_is_an_approximate_yearly_flow_current_as_of_the_articles(
    record: Negotiation,
) -> None:
    target = Target.objects.get(slug="bilateral-trade-500b")
    # "the current $190 billion", in an article of on or before 26 May 2025: the year to
    # then, approximately; the articles name no publisher, so no series and no figures.
    assert (target.baseline_period_start, target.baseline_period_end) == (
        dt.date(2024, 5, 27),
        dt.date(2025, 5, 26),
    )
    assert target.baseline_approximate
    assert target.primary_series is None
    assert not target.observations.exists()


def test_the_compact_launch_is_month_precise_and_completed(record: Negotiation) -> None:
    launch = Milestone.objects.get(slug="compact-launched")
    assert launch.deadline_precision == "month"
    assert launch.status == "completed"
    assert launch.completed_late is False
    assert launch.completed_precision == "month"
    assert launch.completed_text == "February 2025"
    visit = Milestone.objects.get(slug="misri-washington-visit")
    assert visit.completed_text == "29 May 2025"


def test_the_trade_target_cites_only_the_quote_that_states_its_figures(
    record: Negotiation,
) -> None:
    target = Target.objects.get(slug="bilateral-trade-500b")
    assert list(target.sources.values_list("slug", flat=True)) == [
        "bilateral-trade-190b-to-500b-by-2030"
    ]


def test_nothing_a_person_reads_names_an_article_by_its_file_number(
    record: Negotiation,
) -> None:
    texts = [record.name, record.summary]
    for track in Track.objects.all():
        texts += [track.name, track.summary]
    for milestone in Milestone.objects.all():
        texts += [milestone.title, milestone.consequence]
    for source in Source.objects.all():
        texts += [source.title, source.publisher]
    for text in texts:
        assert not re.search(r"\b00[0-2]\b", text), text


def test_the_negotiation_is_off_track_because_the_interim_deal_is_overdue(
    record: Negotiation,
) -> None:
    assert record.health == "off_track"
    assert record.health_reason.startswith(
        "Interim agreement (first tranche): Interim trade deal concluded overdue: the deadline of"
    )
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
