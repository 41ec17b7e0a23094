"""A record file round trip: export_record writes what load_record reads back, field by field."""

from __future__ import annotations

import copy
import datetime as dt
import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import time_machine
from django.core.management import CommandError, call_command
from django.db import models

from tests.conftest import NOW, committed
from tracker import services
from tracker.deadlines import parse_deadline
from tracker.management.commands.load_record import INDIA_US_RECORD as RECORD
from tracker.models import (
    Article,
    Change,
    DeadlineRevision,
    Discrepancy,
    Milestone,
    Negotiation,
    Observation,
    Party,
    Series,
    Source,
    Target,
    Track,
)
from tracker.record import SCHEMA_PATH, RecordRefused, check_record, load_record, load_record_data
from tracker.record_export import CARRIED, NOT_CARRIED, export_record
from tracker.status import Growth, MilestoneState

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("frozen")]

RECORD_MODELS: list[type[models.Model]] = [
    Party,
    Article,
    Source,
    Negotiation,
    Track,
    Milestone,
    Discrepancy,
    DeadlineRevision,
    Target,
    Series,
    Observation,
]


def natural(row: models.Model) -> tuple[Any, ...]:
    """A row's identity in any database: the keys a record file names it by, not its id."""
    match row:
        case Party():
            return ("party", row.code)
        case Article():
            return ("article", row.title, row.published_on, row.published_by)
        case Source():
            return ("source", row.slug)
        case Negotiation():
            return ("negotiation", row.slug)
        case Track():
            return (*natural(row.negotiation), "track", row.slug)
        case Milestone():
            return (*natural(row.track), "milestone", row.slug)
        case Discrepancy():
            return (*natural(row.milestone), "discrepancy", row.summary)
        case DeadlineRevision():
            return (*natural(row.milestone), "revision", row.changed_at, row.new_text)
        case Target():
            return (*natural(row.negotiation), "target", row.slug)
        case Series():
            return ("series", row.name)
        case Observation():
            period = (row.period_start, row.period_end)
            return (*natural(row.target), "observation", *natural(row.series), *period)
    raise TypeError(type(row))


def left_out(model: type[models.Model]) -> set[str]:
    """The fields the comparison skips: those the format leaves out for a stated reason
    (tracker.record_export.NOT_CARRIED) and the derived ones, recomputed after loading."""
    return set(NOT_CARRIED[model]) | set(getattr(model, "DERIVED_FIELDS", ()))


def stored_fields(model: type[models.Model]) -> set[str]:
    concrete = {f.name for f in model._meta.concrete_fields if not f.primary_key}
    return concrete | {f.name for f in model._meta.many_to_many}


def snapshot() -> dict[tuple[Any, ...], dict[str, Any]]:
    """Every row of the record, every stored field but those left out, relations by key."""
    rows: dict[tuple[Any, ...], dict[str, Any]] = {}
    for model in RECORD_MODELS:
        skipped = left_out(model)
        for row in model._default_manager.all():
            values: dict[str, Any] = {}
            for f in model._meta.concrete_fields:
                if f.primary_key or f.name in skipped:
                    continue
                value = getattr(row, f.name)
                values[f.name] = natural(value) if f.is_relation and value is not None else value
            for m2m in model._meta.many_to_many:
                if m2m.name not in skipped:
                    values[m2m.name] = sorted(natural(r) for r in getattr(row, m2m.name).all())
            key = natural(row)
            assert key not in rows, key
            rows[key] = values
    return rows


def enrich(frozen: time_machine.Traveller) -> None:
    """More than the fixture holds: a moved deadline, then a relative one (said on a day),
    a figure with a note in each of two series (the second one primary), a decimal weight,
    a track out of order with a relative deadline, parties led by the US with another
    fiscal year, a negotiation-wide target with an unwieldy figure and a baseline period,
    a URL."""
    interim = Milestone.objects.get(slug="interim-deal-concluded")
    announced = Source.objects.get(slug="official-interim-before-july-8-comprehensive-by-autumn")
    negotiation = interim.track.negotiation
    frozen.shift(dt.timedelta(hours=1))
    with committed():
        services.milestone_set_deadline(
            milestone=interim,
            deadline=parse_deadline("September 30, 2025"),
            reason="Talks ran past July",
            source=announced,
        )
    frozen.shift(dt.timedelta(hours=1))
    with committed():
        services.milestone_set_deadline(
            milestone=interim,
            deadline=services.read_deadline("within 90 days", negotiation=negotiation),
            reason="A new timetable",
        )
        services.milestone_set_deadline(
            milestone=interim,
            deadline=services.read_deadline("within 120 days", negotiation=negotiation),
            reason="Thirty days more",
        )
        interim.refresh_from_db()
        interim.weight = Decimal("2.5")
        services.milestone_save(milestone=interim)
        track = Track.objects.get(slug="high-level-visits")
        track.position = 12
        track.deadline = services.read_deadline("within 30 days", negotiation=negotiation)
        services.track_save(track=track)
        us, india = Party.objects.get(code="US"), Party.objects.get(code="IN")
        us.fiscal_year_start = 7
        services.party_save(party=us)
        services.negotiation_save(negotiation=negotiation, parties=[us, india])
        # A fiscal year chosen twice: a track follows India's, a milestone names October.
        track.party = india
        services.track_save(track=track)
        interim.fiscal_year_start = 10
        services.milestone_save(milestone=interim)
        source = Source.objects.get(slug="misri-visit-concluded")
        source.url = "https://example.org/misri-visit"
        services.source_save(source=source)
        census = services.series_save(series=Series(name="US Census Bureau — goods and services"))
        commerce = services.series_save(series=Series(name="India Ministry of Commerce — goods"))
        trade = Target.objects.get(slug="bilateral-trade-500b")
        services.observation_save(
            observation=Observation(
                target=trade,
                series=census,
                period_start=dt.date(2025, 1, 1),
                period_end=dt.date(2025, 12, 31),
                value=Decimal("212.5"),
                approximate=True,
                source=source,
                note="Provisional figure",
            )
        )
        services.observation_save(
            observation=Observation(
                target=trade,
                series=commerce,
                period_start=dt.date(2025, 4, 1),
                period_end=dt.date(2026, 3, 31),
                value=Decimal("131.84"),
                note="FY 2025-26",
            )
        )
        trade.refresh_from_db()
        trade.primary_series = commerce
        services.target_save(target=trade)
        services.target_save(
            target=Target(
                negotiation=trade.negotiation,
                slug="services-trade",
                name="Services trade",
                unit="USD",
                baseline_value=Decimal("123456789012.3456"),
                baseline_date=dt.date(2025, 1, 1),
                baseline_period_start=dt.date(2024, 4, 1),
                baseline_period_end=dt.date(2025, 3, 31),
                baseline_approximate=True,
                target_value=Decimal("200000000000"),
                growth=Growth.LINEAR.value,
                deadline_text="by 2031",
                deadline_earliest=dt.date(2031, 1, 1),
                deadline_latest=dt.date(2031, 12, 31),
                deadline_precision="year",
            ),
            sources=[announced, source],
        )


def empty_the_database() -> None:
    with committed():
        # Negotiations are archived by a delete; only a purge empties the database.
        services.records_purge(records=list(Negotiation.all_objects.all()))
        services.records_delete(
            records=[
                *Series.objects.all(),
                *Source.objects.all(),
                *Article.objects.all(),  # after its quotes, which keep it
                *Party.objects.all(),
            ]
        )
    for model in RECORD_MODELS:
        assert not model._default_manager.exists(), model


def test_a_negotiation_exported_and_loaded_into_an_empty_database_is_the_same_field_by_field(
    frozen: time_machine.Traveller,
) -> None:
    with committed():
        load_record(RECORD)
    enrich(frozen)
    negotiation = Negotiation.objects.get(slug="india-us-bta")
    before, exported = snapshot(), export_record(negotiation)
    statuses = dict(Milestone.objects.values_list("slug", "status"))
    health = dict(Track.objects.values_list("slug", "health"))
    rows = sum(m._default_manager.count() for m in RECORD_MODELS if m is not DeadlineRevision)
    assert DeadlineRevision.objects.filter(milestone__slug="interim-deal-concluded").count() == 4
    # The new fields hold more than their defaults, so the comparison below proves them.
    said_on = NOW.date()
    assert Milestone.objects.get(slug="interim-deal-concluded").deadline_said_on == said_on
    assert DeadlineRevision.objects.filter(previous_said_on=said_on).count() == 1
    assert DeadlineRevision.objects.filter(new_said_on=said_on).count() == 2
    assert Track.objects.get(slug="high-level-visits").deadline_said_on == said_on
    assert Observation.objects.filter(approximate=True).count() == 1

    empty_the_database()
    frozen.shift(dt.timedelta(days=3))
    with committed():
        result = load_record_data(json.loads(json.dumps(exported)))

    assert (result.created, result.updated) == (rows, 0)
    assert snapshot() == before
    loaded = Negotiation.objects.get(slug="india-us-bta")
    assert export_record(loaded) == exported
    # The parties' order is a fact the snapshot's sorted lists do not show: the first leads.
    assert services.first_party(loaded) == Party.objects.get(code="US")
    # The US (July here) and India (April) disagree: the track's party decides, not the order.
    assert services.fiscal_year_start_of(loaded) is None
    assert Track.objects.get(slug="high-level-visits").party == Party.objects.get(code="IN")
    assert Milestone.objects.get(slug="interim-deal-concluded").fiscal_year_start == 10
    # Derived columns are not in the file: they are recomputed, and come out the same.
    assert dict(Milestone.objects.values_list("slug", "status")) == statuses
    assert dict(Track.objects.values_list("slug", "health")) == health


@pytest.mark.parametrize("model", RECORD_MODELS, ids=lambda m: m.__name__)
def test_every_stored_field_is_carried_recomputed_or_left_out_for_a_stated_reason(
    model: type[models.Model],
) -> None:
    # A field added to a model fails here until the format carries it (or says why not).
    derived = set(getattr(model, "DERIVED_FIELDS", ()))
    assert stored_fields(model) == set(CARRIED[model]) | set(NOT_CARRIED[model]) | derived
    assert not set(CARRIED[model]) & (set(NOT_CARRIED[model]) | derived)


def test_loading_an_exported_file_a_second_time_changes_nothing() -> None:
    with committed():
        load_record(RECORD)
    exported = export_record(Negotiation.objects.get(slug="india-us-bta"))
    with committed():
        load_record_data(exported)
    before, changes = snapshot(), Change.objects.count()
    revisions = list(DeadlineRevision.objects.values_list("pk", flat=True))
    with committed():
        again = load_record_data(exported)
    assert (again.created, again.updated, again.touched) == (0, 0, [])
    assert snapshot() == before
    assert Change.objects.count() == changes
    assert list(DeadlineRevision.objects.values_list("pk", flat=True)) == revisions


def test_the_india_us_fixture_validates_against_the_schema() -> None:
    assert check_record(json.loads(RECORD.read_text(encoding="utf-8"))) == []


def test_the_schema_names_the_same_choices_as_the_models() -> None:
    defs = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))["$defs"]
    choices = {f.name: f.choices for f in Milestone._meta.fields if f.choices}
    assert defs["milestone"]["properties"]["kind"]["enum"] == [c for c, _ in choices["kind"]]
    assert defs["milestone"]["properties"]["state"]["enum"] == [s.value for s in MilestoneState]
    assert defs["milestone"]["properties"]["completed_precision"]["enum"] == [
        "",
        *(c for c, _ in choices["completed_precision"]),
    ]
    assert defs["precision"]["enum"] == [c for c, _ in choices["deadline_precision"]]
    assert defs["negotiation"]["properties"]["stage"]["enum"] == list(Negotiation.Stage.values)
    assert defs["target"]["properties"]["growth"]["enum"] == [g.value for g in Growth]


def broken_fixture() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(RECORD.read_text(encoding="utf-8"))
    return copy.deepcopy(data)


def nothing_written() -> bool:
    return (
        not any(m._default_manager.exists() for m in RECORD_MODELS) and not Change.objects.exists()
    )


def test_a_file_that_breaks_the_schema_is_refused_with_the_path_of_every_problem() -> None:
    data = broken_fixture()
    data["version"] = 3
    negotiation = data["negotiations"][0]
    negotiation["stage"] = "drafting"
    del negotiation["tracks"][1]["name"]
    negotiation["tracks"][0]["milestones"][0]["kind"] = "call"
    negotiation["tracks"][2]["targets"][0]["baseline_value"] = "lots"
    negotiation["tracks"][3]["milestones"][0]["completed_on"] = "28 February 2025"
    negotiation["colour"] = "blue"

    with pytest.raises(RecordRefused) as refused:
        load_record_data(data)

    paths = [p.path for p in refused.value.problems]
    assert paths == [
        "$.negotiations[0]",
        "$.negotiations[0].stage",
        "$.negotiations[0].tracks[0].milestones[0].kind",
        "$.negotiations[0].tracks[1]",
        "$.negotiations[0].tracks[2].targets[0].baseline_value",
        "$.negotiations[0].tracks[3].milestones[0].completed_on",
        "$.version",
    ]
    messages = {p.path: p.message for p in refused.value.problems}
    assert "Unknown key 'colour'" in messages["$.negotiations[0]"]
    assert "'name' is a required property" in messages["$.negotiations[0].tracks[1]"]
    assert nothing_written()


def test_a_file_citing_what_it_does_not_define_is_refused_whole() -> None:
    data = broken_fixture()
    tracks = data["negotiations"][0]["tracks"]
    tracks[0]["milestones"][0]["sources"].append("no-such-quote")
    tracks[1]["milestones"][0]["deadline"] = "when the moon is blue"
    tracks[1]["milestones"][0]["depends_on"] = ["no-such-milestone"]
    data["negotiations"][0]["parties"].append("EU")

    with pytest.raises(RecordRefused) as refused:
        load_record_data(data)

    assert [str(p) for p in refused.value.problems] == [
        "$.negotiations[0].parties[2]: No party 'EU' in this file.",
        "$.negotiations[0].tracks[0].milestones[0].sources[2]: "
        "No source 'no-such-quote' in this file.",
        "$.negotiations[0].tracks[1].milestones[0].deadline: " + refused.value.problems[2].message,
        "$.negotiations[0].tracks[1].milestones[0].depends_on[0]: "
        "Milestone 'no-such-milestone' is not in this negotiation.",
    ]
    assert "when the moon is blue" in refused.value.problems[2].message
    assert nothing_written()


def test_rules_the_services_hold_refuse_the_file_whole_with_every_path() -> None:
    data = broken_fixture()
    tracks = data["negotiations"][0]["tracks"]
    tracks[1]["milestones"][0].update(state="completed", completed_on="2027-01-01")
    tracks[2]["targets"][0]["deadline"] = "2024"

    with pytest.raises(RecordRefused) as refused:
        load_record_data(data)

    assert [str(p) for p in refused.value.problems] == [
        "$.negotiations[0].tracks[1].milestones[0].completed_on: "
        "A milestone cannot be completed in the future.",
        "$.negotiations[0].tracks[2].targets[0].deadline: "
        "The deadline must end after the baseline date.",
    ]
    assert nothing_written()


def test_load_record_names_each_problem_and_writes_nothing(tmp_path: Path) -> None:
    data = broken_fixture()
    data["negotiations"][0]["stage"] = "drafting"
    data["parties"][0]["code"] = ""
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(data), encoding="utf-8")

    with pytest.raises(CommandError) as refused:
        call_command("load_record", str(path))

    assert "nothing was written" in str(refused.value)
    assert "$.parties[0].code: '' should be non-empty" in str(refused.value)
    assert "$.negotiations[0].stage: 'drafting' is not one of" in str(refused.value)
    assert nothing_written()


def test_load_record_refuses_a_file_that_is_not_json(tmp_path: Path) -> None:
    path = tmp_path / "bad.json"
    path.write_text("{ not json", encoding="utf-8")
    with pytest.raises(CommandError, match=r"\$: Not a JSON file"):
        call_command("load_record", str(path))


def test_a_dry_run_says_what_it_would_create_and_writes_nothing(
    capsys: pytest.CaptureFixture[str],
) -> None:
    call_command("load_record", "--dry-run")
    out = capsys.readouterr().out
    assert "would have created milestone Interim trade deal concluded" in out
    assert "51 created, 0 updated" in out.splitlines()[-1]
    assert nothing_written()


def test_export_record_writes_a_file_that_load_record_reads(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with committed():
        load_record(RECORD)
    path = tmp_path / "india-us.json"
    call_command("export_record", "india-us-bta", "-o", str(path))
    written = json.loads(path.read_text(encoding="utf-8"))
    assert (written["format"], written["version"]) == ("tranche-record", 2)
    interim = written["negotiations"][0]["tracks"][0]["milestones"][0]
    assert interim["deadline"] == {
        "text": "July 8, 2025",
        "earliest": "2025-07-08",
        "latest": "2025-07-08",
        "precision": "day",
        "said_on": None,
    }
    assert interim["deadline_source"] == "interim-deal-by-july-8"
    assert interim["revisions"][0]["source"] == "interim-deal-by-july-8"
    call_command("load_record", str(path))
    assert "0 created, 0 updated" in capsys.readouterr().out
    call_command("export_record", "india-us-bta")
    assert json.loads(capsys.readouterr().out) == written


def test_export_record_names_an_unknown_negotiation() -> None:
    with pytest.raises(CommandError, match="No negotiation with the slug 'nowhere'"):
        call_command("export_record", "nowhere")


def test_a_fiscal_year_deadline_is_read_in_the_fiscal_year_of_the_tracks_party() -> None:
    data = broken_fixture()
    track = data["negotiations"][0]["tracks"][0]
    track["deadline"] = "FY2027"
    track["party"] = "IN"
    with committed():
        load_record_data(data)
    indian = Track.objects.get(slug=track["slug"]).deadline
    data["negotiations"][0]["parties"] = ["US", "IN"]
    track["party"] = "US"
    with committed():
        again = load_record_data(data)
    american = Track.objects.get(slug=track["slug"]).deadline

    assert indian == services.read_deadline("FY2027", fiscal_year_start=4)
    assert american == services.read_deadline("FY2027", fiscal_year_start=10)
    assert again.updated == 2  # the negotiation's parties; the track's party and deadline
    assert export_record(Negotiation.objects.get())["negotiations"][0]["tracks"][0]["party"] == (
        "US"
    )
    assert export_record(Negotiation.objects.get())["negotiations"][0]["parties"] == ["US", "IN"]


def test_a_version_1_file_still_loads_its_articles_without_text_and_its_quotes_without_spans() -> (
    None
):
    data = json.loads(RECORD.read_text(encoding="utf-8"))
    data["version"] = 1
    for article in data["articles"]:
        del article["text"], article["language"]
    for source in data["sources"]:
        del source["start"], source["end"]
    with committed():
        load_record_data(data)
    assert Article.objects.count() == 3
    assert set(Article.objects.values_list("text", flat=True)) == {""}
    quote = Source.objects.get(slug="interim-deal-by-july-8")
    assert quote.article is not None
    assert (quote.start, quote.end) == (None, None)
    assert quote.published_on == quote.article.published_on


def test_a_span_that_does_not_read_as_its_excerpt_is_refused_at_its_path() -> None:
    data = json.loads(RECORD.read_text(encoding="utf-8"))
    data["sources"][0]["start"] += 1
    with pytest.raises(RecordRefused) as refused:
        load_record_data(data)
    assert [str(p) for p in refused.value.problems] == [
        f"$.sources[0].excerpt: The article's text from {data['sources'][0]['start']} to "
        f"{data['sources'][0]['end']} does not read as the excerpt."
    ]
    assert not Article.objects.exists()
