"""The status rules of docs/design.md, boundary by boundary. Pure values: no database."""

from __future__ import annotations

import math
from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tracker.status import (
    HEALTH_LABELS,
    HEALTH_SEVERITY,
    Dependency,
    Growth,
    Health,
    MilestoneFacts,
    MilestoneState,
    MilestoneStatus,
    Observation,
    SourceDate,
    TargetFacts,
    TargetStatus,
    TrackHealth,
    TrackMilestone,
    TrackTarget,
    assess_milestone,
    assess_negotiation,
    assess_target,
    assess_track,
    deadline_bands,
    expected_value,
    is_stale,
    is_worse,
    is_worsening,
    newest_source_date,
    stale_before,
)

D = date(2025, 6, 1)


def days(n: int) -> date:
    return D + timedelta(days=n)


def milestone(
    *,
    state: MilestoneState = MilestoneState.PLANNED,
    latest: date | None = None,
    completed_on: date | None = None,
    depends_on: tuple[Dependency, ...] = (),
    title: str = "Interim agreement",
) -> MilestoneFacts:
    return MilestoneFacts(title, state, latest, completed_on, depends_on)


def dependency(
    latest: date | None, state: MilestoneState = MilestoneState.IN_PROGRESS
) -> Dependency:
    return Dependency("Market access offer", state, latest)


# Milestones: deadline boundaries


@pytest.mark.parametrize(
    ("offset", "status", "days_remaining", "reason"),
    [
        (-42, MilestoneStatus.OVERDUE, -42, "Interim agreement overdue: due by 20 April 2025"),
        (-1, MilestoneStatus.OVERDUE, -1, "Interim agreement overdue: due by 31 May 2025"),
        (0, MilestoneStatus.DUE_SOON, 0, "Interim agreement due by 1 June 2025"),
        (1, MilestoneStatus.DUE_SOON, 1, "Interim agreement due by 2 June 2025"),
        (3, MilestoneStatus.DUE_SOON, 3, "Interim agreement due by 4 June 2025"),
        (14, MilestoneStatus.DUE_SOON, 14, "Interim agreement due by 15 June 2025"),
        (15, MilestoneStatus.UPCOMING, 15, "Interim agreement due by 16 June 2025"),
        (200, MilestoneStatus.UPCOMING, 200, "Interim agreement due by 18 December 2025"),
    ],
)
def test_an_open_milestone_is_judged_by_the_days_left_to_its_deadline(
    offset: int, status: MilestoneStatus, days_remaining: int, reason: str
) -> None:
    for state in (MilestoneState.PLANNED, MilestoneState.IN_PROGRESS):
        result = assess_milestone(milestone(state=state, latest=days(offset)), D)
        assert result.status == status
        assert result.days_remaining == days_remaining
        assert result.reason == reason
        assert result.completed_late is False


open_states = st.sampled_from([MilestoneState.PLANNED, MilestoneState.IN_PROGRESS])
offsets = st.integers(min_value=-3000, max_value=3000)


@given(open_states, offsets, st.booleans(), st.sampled_from(["", "July 2025"]))
def test_a_reason_holds_from_one_day_to_the_next_while_the_status_does(
    state: MilestoneState, offset: int, stale: bool, words: str
) -> None:
    facts = MilestoneFacts(
        "Interim deal",
        state,
        days(offset),
        deadline_words=words,
        last_confirmed=SourceDate(date(2025, 5, 26)),
        stale=stale,
        depends_on=(dependency(days(offset + 30)),),
    )
    today, tomorrow = assess_milestone(facts, D), assess_milestone(facts, D + timedelta(days=1))
    if today.status == tomorrow.status:
        assert today.reason == tomorrow.reason


@given(open_states, offsets)
def test_the_deadline_bands_give_the_status_of_an_unblocked_open_milestone(
    state: MilestoneState, offset: int
) -> None:
    bands = deadline_bands(D)
    latest = days(offset)
    expected = (
        MilestoneStatus.OVERDUE
        if latest < bands.due_from
        else MilestoneStatus.DUE_SOON
        if latest <= bands.due_soon_until
        else MilestoneStatus.UPCOMING
    )
    assert assess_milestone(milestone(state=state, latest=latest), D).status == expected


@given(offsets, st.integers(min_value=0, max_value=400))
def test_stale_before_is_the_day_is_stale_turns_on(offset: int, after: int) -> None:
    confirmed = SourceDate(days(offset))
    stale = is_stale(is_open=True, last_confirmed=confirmed, today=D, stale_after_days=after)
    assert stale == (confirmed.on < stale_before(D, after))
    assert stale == ((D - confirmed.on).days > after)


def test_a_milestone_fifteen_days_out_is_upcoming() -> None:
    assert assess_milestone(milestone(latest=days(15)), D).status == MilestoneStatus.UPCOMING


def test_a_milestone_is_overdue_the_day_after_its_deadline() -> None:
    facts = milestone(latest=D)
    assert assess_milestone(facts, D).status == MilestoneStatus.DUE_SOON
    assert assess_milestone(facts, D + timedelta(days=1)).status == MilestoneStatus.OVERDUE


@pytest.mark.parametrize(
    ("latest", "completed_on", "late", "reason"),
    [
        (days(-10), days(-6), True, "Interim agreement completed 4 days late"),
        (days(-10), days(-9), True, "Interim agreement completed 1 day late"),
        (days(-10), days(-10), False, "Interim agreement completed"),
        (days(-10), days(-30), False, "Interim agreement completed"),
        (None, days(-3), False, "Interim agreement completed"),
        (days(-10), None, False, "Interim agreement completed"),
    ],
    ids=["late", "one-day-late", "on-the-day", "early", "no-deadline", "no-completion-date"],
)
def test_a_completed_milestone_says_whether_it_was_late(
    latest: date | None, completed_on: date | None, late: bool, reason: str
) -> None:
    result = assess_milestone(
        milestone(state=MilestoneState.COMPLETED, latest=latest, completed_on=completed_on), D
    )
    assert result.status == MilestoneStatus.COMPLETED
    assert result.completed_late is late
    assert result.days_remaining is None
    assert result.reason == reason


def test_cancelled_beats_every_other_rule() -> None:
    facts = milestone(
        title="Talks",
        state=MilestoneState.CANCELLED,
        latest=days(-100),
        depends_on=(dependency(days(-50)),),
    )
    result = assess_milestone(facts, D)
    assert result.status == MilestoneStatus.CANCELLED
    assert result.days_remaining is None
    assert result.completed_late is False
    assert result.reason == "Talks cancelled"


def test_completed_beats_overdue() -> None:
    facts = milestone(state=MilestoneState.COMPLETED, latest=days(-5), completed_on=days(-1))
    assert assess_milestone(facts, D).status == MilestoneStatus.COMPLETED


def test_a_milestone_without_a_deadline_is_unscheduled() -> None:
    result = assess_milestone(milestone(title="Talks", depends_on=(dependency(days(-9)),)), D)
    assert result.status == MilestoneStatus.UNSCHEDULED
    assert result.days_remaining is None
    assert result.reason == "Talks has no deadline"


# Milestones: dependencies


@pytest.mark.parametrize(
    ("dependency_", "own_offset", "status", "reason_tail"),
    [
        (dependency(days(-5)), 60, MilestoneStatus.AT_RISK, "which was due by 27 May 2025"),
        (dependency(days(-1)), 60, MilestoneStatus.AT_RISK, "which was due by 31 May 2025"),
        (dependency(days(0)), 60, MilestoneStatus.UPCOMING, None),
        (dependency(days(61)), 60, MilestoneStatus.AT_RISK, "which is due later, on 1 August 2025"),
        (dependency(days(60)), 60, MilestoneStatus.UPCOMING, None),
        (dependency(None), 60, MilestoneStatus.AT_RISK, "which has no deadline"),
        (dependency(days(90)), 5, MilestoneStatus.AT_RISK, "which is due later, on 30 August 2025"),
        (dependency(days(-5), MilestoneState.COMPLETED), 60, MilestoneStatus.UPCOMING, None),
        (dependency(days(-5), MilestoneState.CANCELLED), 60, MilestoneStatus.UPCOMING, None),
        (dependency(None, MilestoneState.CANCELLED), 5, MilestoneStatus.DUE_SOON, None),
        (
            dependency(days(90), MilestoneState.PLANNED),
            60,
            MilestoneStatus.AT_RISK,
            "on 30 August 2025",
        ),
    ],
    ids=[
        "dependency-overdue",
        "dependency-overdue-by-a-day",
        "dependency-due-today",
        "dependency-ends-a-day-later",
        "dependency-ends-the-same-day",
        "dependency-without-deadline",
        "at-risk-beats-due-soon",
        "completed-dependency-ignored",
        "cancelled-dependency-ignored",
        "cancelled-open-ended-dependency-ignored",
        "planned-dependency-counts-too",
    ],
)
def test_an_unfinished_dependency_puts_a_milestone_at_risk(
    dependency_: Dependency, own_offset: int, status: MilestoneStatus, reason_tail: str | None
) -> None:
    facts = milestone(title="Comprehensive BTA", latest=days(own_offset), depends_on=(dependency_,))
    result = assess_milestone(facts, D)
    assert result.status == status
    assert result.days_remaining == own_offset
    if reason_tail is not None:
        assert result.reason.startswith("Comprehensive BTA waits on Market access offer, ")
        assert reason_tail in result.reason


def test_the_reason_names_the_dependency_that_is_overdue() -> None:
    facts = milestone(
        title="Comprehensive BTA",
        latest=days(60),
        depends_on=(
            Dependency("Rules of origin", MilestoneState.PLANNED, days(90)),
            Dependency("Interim agreement", MilestoneState.IN_PROGRESS, days(-2)),
            Dependency("Tariff schedule", MilestoneState.IN_PROGRESS, days(-5)),
        ),
    )
    assert assess_milestone(facts, D).reason == (
        "Comprehensive BTA waits on Tariff schedule, which was due by 27 May 2025"
    )


def test_an_overdue_milestone_stays_overdue_whatever_its_dependencies() -> None:
    facts = milestone(latest=days(-1), depends_on=(dependency(days(-9)),))
    assert assess_milestone(facts, D).status == MilestoneStatus.OVERDUE


# Targets: expected path


def trade_target(
    *,
    growth: Growth = Growth.COMPOUND,
    baseline: float = 100.0,
    target: float = 400.0,
    observations: tuple[Observation, ...] = (),
    baseline_date: date = date(2020, 1, 1),
    latest: date = date(2020, 1, 1) + timedelta(days=200),
) -> TargetFacts:
    return TargetFacts(
        "Bilateral trade", baseline, baseline_date, target, latest, growth, observations
    )


START = date(2020, 1, 1)
MIDDLE = START + timedelta(days=100)
END = START + timedelta(days=200)


@pytest.mark.parametrize(
    ("growth", "on", "expected"),
    [
        (Growth.COMPOUND, START, 100.0),
        (Growth.COMPOUND, MIDDLE, 200.0),  # 100 * 4 ** 0.5
        (Growth.COMPOUND, START + timedelta(days=50), 100 * 4**0.25),
        (Growth.COMPOUND, END, 400.0),
        (Growth.LINEAR, START, 100.0),
        (Growth.LINEAR, MIDDLE, 250.0),
        (Growth.LINEAR, START + timedelta(days=50), 175.0),
        (Growth.LINEAR, END, 400.0),
        (Growth.COMPOUND, START - timedelta(days=30), 100.0),
        (Growth.COMPOUND, END + timedelta(days=30), 400.0),
        (Growth.LINEAR, END + timedelta(days=365), 400.0),
    ],
)
def test_the_expected_value_follows_the_growth_path(
    growth: Growth, on: date, expected: float
) -> None:
    assert expected_value(trade_target(growth=growth), on) == pytest.approx(expected)


def test_compound_growth_runs_below_linear_growth_in_between() -> None:
    compound = expected_value(trade_target(growth=Growth.COMPOUND), MIDDLE)
    linear = expected_value(trade_target(growth=Growth.LINEAR), MIDDLE)
    assert compound < linear


def test_the_india_us_trade_target_expects_about_230_billion_halfway() -> None:
    facts = TargetFacts(
        "Bilateral trade", 191.0, date(2024, 1, 1), 500.0, date(2030, 12, 31), Growth.COMPOUND
    )
    halfway = date(2024, 1, 1) + (date(2030, 12, 31) - date(2024, 1, 1)) / 2
    assert expected_value(facts, halfway) == pytest.approx((191.0 * 500.0) ** 0.5, rel=1e-3)


@pytest.mark.parametrize(
    ("baseline", "target", "expected"),
    [(0.0, 400.0, 200.0), (-100.0, 100.0, 0.0), (100.0, 0.0, 50.0), (100.0, -100.0, 0.0)],
)
def test_compound_growth_through_zero_falls_back_to_a_straight_line(
    baseline: float, target: float, expected: float
) -> None:
    facts = trade_target(baseline=baseline, target=target)
    assert expected_value(facts, MIDDLE) == pytest.approx(expected)


@pytest.mark.parametrize("latest_offset", [0, -10])
def test_a_deadline_on_or_before_the_baseline_expects_the_target_at_once(
    latest_offset: int,
) -> None:
    facts = trade_target(latest=START + timedelta(days=latest_offset))
    assert expected_value(facts, START + timedelta(days=1)) == pytest.approx(400.0)


# Targets: status


@pytest.mark.parametrize(
    ("value", "status", "attainment", "reason"),
    [
        (200.0, TargetStatus.ON_TRACK, 1.0, "Bilateral trade at 100% of the expected path"),
        (190.0, TargetStatus.ON_TRACK, 0.95, "Bilateral trade at 95% of the expected path"),
        (189.99, TargetStatus.AT_RISK, 0.94995, "Bilateral trade at 94% of the expected path"),
        (170.0, TargetStatus.AT_RISK, 0.85, "Bilateral trade at 85% of the expected path"),
        (169.99, TargetStatus.OFF_TRACK, 0.84995, "Bilateral trade at 84% of the expected path"),
        (58.0, TargetStatus.OFF_TRACK, 0.29, "Bilateral trade at 29% of the expected path"),
        (0.0, TargetStatus.OFF_TRACK, 0.0, "Bilateral trade at 0% of the expected path"),
    ],
)
def test_a_rising_target_is_judged_by_attainment_of_the_expected_path(
    value: float, status: TargetStatus, attainment: float, reason: str
) -> None:
    # Linear 100 -> 300 over 200 days expects exactly 200 halfway.
    facts = trade_target(
        growth=Growth.LINEAR, target=300.0, observations=(Observation(MIDDLE, value),)
    )
    result = assess_target(facts, MIDDLE)
    assert result.status == status
    assert result.expected_value == pytest.approx(200.0)
    assert result.attainment == pytest.approx(attainment)
    assert result.latest_observation == Observation(MIDDLE, value)
    assert result.reason == reason


def test_attainment_exactly_at_the_thresholds_counts_as_the_better_status() -> None:
    def status_at(value: float) -> TargetStatus:
        facts = trade_target(
            growth=Growth.LINEAR, target=300.0, observations=(Observation(MIDDLE, value),)
        )
        return assess_target(facts, MIDDLE).status

    assert 190.0 / 200.0 == 0.95 and 170.0 / 200.0 == 0.85
    assert status_at(190.0) == TargetStatus.ON_TRACK
    assert status_at(170.0) == TargetStatus.AT_RISK


@pytest.mark.parametrize(
    "observations",
    [(), (Observation(START, 100.0),), (Observation(START - timedelta(days=9), 90.0),)],
    ids=["no-observations", "baseline-date-only", "before-baseline-only"],
)
def test_a_target_without_an_observation_after_its_baseline_has_no_data(
    observations: tuple[Observation, ...],
) -> None:
    result = assess_target(trade_target(observations=observations), END + timedelta(days=1))
    assert result.status == TargetStatus.NO_DATA
    assert result.latest_observation is None
    assert result.expected_value is None
    assert result.attainment is None
    assert result.required_growth_rate is None
    assert result.reason == "No figure for Bilateral trade since the 100 baseline (1 January 2020)"


@pytest.mark.parametrize(
    ("value", "today", "status"),
    [
        (400.0, END + timedelta(days=30), TargetStatus.ACHIEVED),
        (450.0, END + timedelta(days=30), TargetStatus.ACHIEVED),
        (399.0, END + timedelta(days=1), TargetStatus.MISSED),
        (399.0, END, TargetStatus.ON_TRACK),
        (360.0, END, TargetStatus.AT_RISK),
        (400.0, MIDDLE, TargetStatus.ACHIEVED),
    ],
    ids=[
        "achieved-beats-missed",
        "overshoot-achieved",
        "missed-after-deadline",
        "deadline-day-not-missed",
        "deadline-day-judged-on-path",
        "achieved-early",
    ],
)
def test_achieved_and_missed_come_before_the_path(
    value: float, today: date, status: TargetStatus
) -> None:
    observed_on = min(today, END)
    facts = trade_target(observations=(Observation(observed_on, value),))
    assert assess_target(facts, today).status == status


def test_a_missed_target_names_the_value_and_the_deadline() -> None:
    facts = trade_target(target=500.0, observations=(Observation(END, 212.5),))
    result = assess_target(facts, END + timedelta(days=1))
    assert result.reason == "Bilateral trade missed: 212.5 against a target of 500 due 19 July 2020"
    assert result.required_growth_rate is None


def test_the_latest_observation_is_the_one_with_the_greatest_date() -> None:
    later = Observation(MIDDLE, 200.0)
    facts = trade_target(
        observations=(later, Observation(START + timedelta(days=10), 120.0), Observation(START, 1))
    )
    assert assess_target(facts, MIDDLE).latest_observation == later


def test_of_two_observations_on_one_day_the_last_given_wins() -> None:
    corrected = Observation(MIDDLE, 195.0)
    facts = trade_target(observations=(Observation(MIDDLE, 150.0), corrected))
    result = assess_target(facts, MIDDLE)
    assert result.latest_observation is corrected
    assert result.status == TargetStatus.ON_TRACK


def test_the_required_growth_rate_spreads_the_gap_over_the_years_left() -> None:
    today = date(2025, 6, 1)
    facts = TargetFacts(
        "Bilateral trade",
        191.0,
        date(2024, 1, 1),
        500.0,
        date(2030, 12, 31),
        observations=(Observation(date(2025, 3, 31), 212.0),),
    )
    years_left = (date(2030, 12, 31) - today).days / 365.25
    result = assess_target(facts, today)
    assert result.required_growth_rate == pytest.approx((500 / 212) ** (1 / years_left) - 1)
    assert result.required_growth_rate == pytest.approx(0.166, abs=1e-3)


def test_no_growth_rate_is_required_on_the_deadline_day() -> None:
    facts = trade_target(observations=(Observation(MIDDLE, 200.0),))
    assert assess_target(facts, END).required_growth_rate is None


def test_a_huge_gap_a_day_before_the_deadline_does_not_overflow() -> None:
    facts = trade_target(target=1e300, observations=(Observation(MIDDLE, 1e-300),))
    result = assess_target(facts, END - timedelta(days=1))
    assert result.required_growth_rate is None
    assert result.status == TargetStatus.OFF_TRACK


# Targets: falling (a tariff rate to cut from 20% to 10%)


def tariff_target(value: float, *, on: date = MIDDLE) -> TargetFacts:
    # Linear 290 -> 90 over 200 days expects exactly 190 halfway.
    return TargetFacts(
        "Average tariff",
        290.0,
        START,
        90.0,
        END,
        Growth.LINEAR,
        (Observation(on, value),),
    )


@pytest.mark.parametrize(
    ("value", "status", "attainment"),
    [
        (150.0, TargetStatus.ON_TRACK, 190 / 150),
        (190.0, TargetStatus.ON_TRACK, 1.0),
        (200.0, TargetStatus.ON_TRACK, 0.95),
        (200.01, TargetStatus.AT_RISK, 190 / 200.01),
        (190 / 0.85, TargetStatus.AT_RISK, 0.85),
        (223.6, TargetStatus.OFF_TRACK, 190 / 223.6),
        (90.0, TargetStatus.ACHIEVED, 190 / 90),
        (50.0, TargetStatus.ACHIEVED, 190 / 50),
    ],
)
def test_a_falling_target_mirrors_the_rules(
    value: float, status: TargetStatus, attainment: float
) -> None:
    result = assess_target(tariff_target(value), MIDDLE)
    assert result.status == status
    assert result.expected_value == pytest.approx(190.0)
    assert result.attainment == pytest.approx(attainment)


def test_a_falling_target_needs_a_negative_growth_rate() -> None:
    result = assess_target(tariff_target(200.0), MIDDLE)
    assert result.required_growth_rate is not None
    assert result.required_growth_rate < 0


def test_a_falling_target_not_reached_by_its_deadline_is_missed() -> None:
    result = assess_target(tariff_target(91.0, on=END), END + timedelta(days=1))
    assert result.status == TargetStatus.MISSED


def test_a_tariff_cut_to_zero_is_achieved_at_zero() -> None:
    facts = TargetFacts(
        "Tariff on almonds", 20.0, START, 0.0, END, observations=(Observation(MIDDLE, 0.0),)
    )
    result = assess_target(facts, MIDDLE)
    assert result.status == TargetStatus.ACHIEVED
    assert result.required_growth_rate is None


@pytest.mark.parametrize(
    ("baseline", "target", "value", "status"),
    [
        (-100.0, 100.0, 10.0, TargetStatus.ON_TRACK),  # expects 0 halfway; ahead of it
        (-100.0, 100.0, -50.0, TargetStatus.OFF_TRACK),
        (100.0, -100.0, -10.0, TargetStatus.ON_TRACK),  # falling below zero, value <= 0
        (100.0, -100.0, 10.0, TargetStatus.OFF_TRACK),
        (0.0, 100.0, 0.0, TargetStatus.OFF_TRACK),
    ],
)
def test_values_at_or_below_zero_never_divide_by_zero(
    baseline: float, target: float, value: float, status: TargetStatus
) -> None:
    facts = trade_target(
        baseline=baseline, target=target, observations=(Observation(MIDDLE, value),)
    )
    result = assess_target(facts, MIDDLE)
    assert result.status == status


# Tracks


def track_milestone(
    status: MilestoneStatus,
    *,
    state: MilestoneState | None = None,
    latest: date | None = None,
    weight: float = 1.0,
    title: str = "Milestone",
    reason: str = "",
) -> TrackMilestone:
    if state is None:
        state = {
            MilestoneStatus.COMPLETED: MilestoneState.COMPLETED,
            MilestoneStatus.CANCELLED: MilestoneState.CANCELLED,
        }.get(status, MilestoneState.IN_PROGRESS)
    return TrackMilestone(title, state, status, weight, latest, reason or f"{title} {status}")


def target_status(status: TargetStatus, name: str = "Bilateral trade") -> TrackTarget:
    return TrackTarget(name, status, f"{name} {status}")


S = MilestoneStatus
T = TargetStatus


@pytest.mark.parametrize(
    ("milestones", "targets", "health"),
    [
        ([], [], Health.NOT_STARTED),
        ([track_milestone(S.CANCELLED)], [], Health.NOT_STARTED),
        ([track_milestone(S.CANCELLED)], [target_status(T.ACHIEVED)], Health.ACHIEVED),
        ([track_milestone(S.CANCELLED)], [target_status(T.ON_TRACK)], Health.ON_TRACK),
        ([track_milestone(S.COMPLETED), track_milestone(S.CANCELLED)], [], Health.ACHIEVED),
        ([], [target_status(T.ACHIEVED)], Health.ACHIEVED),
        ([track_milestone(S.COMPLETED)], [target_status(T.NO_DATA)], Health.NO_DATA),
        ([track_milestone(S.COMPLETED)], [target_status(T.MISSED)], Health.OFF_TRACK),
        ([track_milestone(S.OVERDUE), track_milestone(S.AT_RISK)], [], Health.OFF_TRACK),
        ([track_milestone(S.UPCOMING)], [target_status(T.OFF_TRACK)], Health.OFF_TRACK),
        ([track_milestone(S.AT_RISK)], [], Health.AT_RISK),
        ([track_milestone(S.DUE_SOON, state=MilestoneState.PLANNED)], [], Health.AT_RISK),
        (
            [track_milestone(S.DUE_SOON, state=MilestoneState.IN_PROGRESS, latest=days(3))],
            [],
            Health.ON_TRACK,
        ),
        ([track_milestone(S.UPCOMING)], [target_status(T.AT_RISK)], Health.AT_RISK),
        (
            [track_milestone(S.UPCOMING, state=MilestoneState.PLANNED, latest=days(40))],
            [],
            Health.ON_TRACK,
        ),
        ([track_milestone(S.UNSCHEDULED)], [], Health.NO_DATA),
        (
            [track_milestone(S.CANCELLED), track_milestone(S.UPCOMING, latest=days(40))],
            [],
            Health.ON_TRACK,
        ),
    ],
    ids=[
        "no-milestones-no-targets",
        "all-cancelled",
        "all-cancelled-but-target-achieved",
        "all-cancelled-target-on-track",
        "completed-and-cancelled",
        "target-only-achieved",
        "target-without-data-is-not-achieved",
        "target-missed",
        "overdue-beats-at-risk",
        "target-off-track",
        "milestone-at-risk",
        "due-soon-still-planned",
        "due-soon-in-progress",
        "target-at-risk",
        "upcoming-planned",
        "unscheduled",
        "cancelled-ignored",
    ],
)
def test_track_health_follows_the_first_rule_that_applies(
    milestones: list[TrackMilestone], targets: list[TrackTarget], health: Health
) -> None:
    assert assess_track("Interim agreement", milestones, targets).health == health


def test_a_track_with_every_milestone_cancelled_is_not_started_not_achieved() -> None:
    result = assess_track("Talks", [track_milestone(S.CANCELLED), track_milestone(S.CANCELLED)])
    assert result.health == Health.NOT_STARTED
    assert result.reason == "Every milestone cancelled"
    assert result.progress is None
    assert result.next_deadline is None


def test_an_empty_track_has_no_progress_and_no_deadline() -> None:
    result = assess_track("TRUST technology", [])
    assert result == assess_track("TRUST technology", [], [])
    assert result.progress is None
    assert result.next_deadline is None


def test_an_off_track_track_names_the_most_overdue_milestone() -> None:
    milestones = [
        track_milestone(S.OVERDUE, title="Tariff schedule", latest=days(-5), reason="a"),
        track_milestone(S.OVERDUE, title="Interim agreement", latest=days(-42), reason="b"),
        track_milestone(S.AT_RISK, title="Rules of origin", latest=days(3), reason="c"),
    ]
    result = assess_track("Interim agreement", milestones, [target_status(T.MISSED)])
    assert result.health == Health.OFF_TRACK
    assert result.reason == "b"


def test_an_off_track_track_prefers_a_missed_target_over_a_lagging_one() -> None:
    targets = [target_status(T.OFF_TRACK, "Exports"), target_status(T.MISSED, "Imports")]
    assert assess_track("Trade", [], targets).reason == "Imports missed"


def test_a_planned_milestone_due_soon_says_it_has_not_started() -> None:
    facts = milestone(title="Interim agreement", latest=days(3))
    assessed = assess_milestone(facts, D)
    result = assess_track(
        "Interim agreement",
        [
            track_milestone(S.UPCOMING, latest=days(40)),
            TrackMilestone(
                facts.title, facts.state, assessed.status, 1.0, facts.latest, assessed.reason
            ),
        ],
    )
    assert result.health == Health.AT_RISK
    assert result.reason == "Interim agreement due by 4 June 2025 and not yet started"


def test_an_at_risk_track_names_the_soonest_risky_milestone() -> None:
    milestones = [
        track_milestone(S.AT_RISK, latest=days(30), reason="later"),
        track_milestone(S.AT_RISK, latest=days(10), reason="sooner"),
    ]
    assert assess_track("Comprehensive BTA", milestones).reason == "sooner"


def test_progress_is_completed_weight_over_non_cancelled_weight() -> None:
    milestones = [
        track_milestone(S.COMPLETED, weight=3),
        track_milestone(S.UPCOMING, weight=1, latest=days(40)),
        track_milestone(S.DUE_SOON, weight=1, latest=days(10)),
        track_milestone(S.CANCELLED, weight=5, latest=days(2)),
        track_milestone(S.COMPLETED, weight=0, latest=days(1)),
    ]
    result = assess_track("Interim agreement", milestones)
    assert result.progress == pytest.approx(3 / 5)
    assert result.next_deadline == days(10)
    assert result.health == Health.ON_TRACK
    assert result.reason == "2 of 4 milestones completed; next due 11 June 2025"


def test_zero_weight_gives_no_progress_instead_of_dividing_by_zero() -> None:
    result = assess_track("Talks", [track_milestone(S.UPCOMING, weight=0, latest=days(30))])
    assert result.progress is None


@pytest.mark.parametrize(
    ("milestones", "targets", "reason"),
    [
        ([track_milestone(S.COMPLETED)], [], "All milestones completed"),
        (
            [track_milestone(S.COMPLETED)],
            [target_status(T.ACHIEVED)],
            "All milestones completed and every target achieved",
        ),
        ([], [target_status(T.ACHIEVED)], "Every target achieved"),
        (
            [track_milestone(S.COMPLETED), track_milestone(S.UPCOMING, latest=days(40))],
            [target_status(T.ON_TRACK), target_status(T.ACHIEVED)],
            "1 of 2 milestones completed; next due 11 July 2025; 2 of 2 targets on track",
        ),
    ],
)
def test_a_healthy_track_summarises_itself(
    milestones: list[TrackMilestone], targets: list[TrackTarget], reason: str
) -> None:
    assert assess_track("Trade", milestones, targets).reason == reason


# Negotiations


def track(health: Health, name: str = "Track") -> TrackHealth:
    return TrackHealth(name, health, f"{name} is {health}")


H = Health


@pytest.mark.parametrize(
    ("healths", "worst"),
    [
        ([], H.NOT_STARTED),
        ([H.ACHIEVED], H.ACHIEVED),
        ([H.ACHIEVED, H.ACHIEVED], H.ACHIEVED),
        ([H.ACHIEVED, H.NOT_STARTED], H.NOT_STARTED),
        ([H.ACHIEVED, H.ON_TRACK, H.NOT_STARTED], H.ON_TRACK),
        ([H.ON_TRACK, H.AT_RISK, H.ACHIEVED], H.AT_RISK),
        ([H.AT_RISK, H.OFF_TRACK, H.ON_TRACK], H.OFF_TRACK),
    ],
)
def test_a_negotiation_is_as_healthy_as_its_worst_track(
    healths: list[Health], worst: Health
) -> None:
    tracks = [track(h, f"Track {i}") for i, h in enumerate(healths)]
    assert assess_negotiation(tracks).health == worst


def test_a_negotiation_reason_names_the_worst_track() -> None:
    tracks = [
        TrackHealth("TRUST technology", H.AT_RISK, "Review due in 3 days"),
        TrackHealth("Interim agreement", H.OFF_TRACK, "Interim agreement overdue by 42 days"),
        TrackHealth("Comprehensive BTA", H.OFF_TRACK, "BTA overdue by 1 day"),
    ]
    assert assess_negotiation(tracks).reason == (
        "Interim agreement: Interim agreement overdue by 42 days"
    )


def test_a_negotiation_averages_progress_and_takes_the_earliest_deadline() -> None:
    tracks = [
        TrackHealth("A", H.ON_TRACK, "", next_deadline=days(30), progress=0.5),
        TrackHealth("B", H.ON_TRACK, "", next_deadline=days(7), progress=None),
        TrackHealth("C", H.ON_TRACK, "", next_deadline=None, progress=1.0),
    ]
    result = assess_negotiation(tracks)
    assert result.progress == pytest.approx(0.75)
    assert result.next_deadline == days(7)


def test_a_negotiation_without_tracks_has_nothing_to_report() -> None:
    result = assess_negotiation([])
    assert result.health == H.NOT_STARTED
    assert result.progress is None
    assert result.next_deadline is None


@pytest.mark.parametrize(
    ("new", "old", "worse"),
    [
        (H.OFF_TRACK, H.AT_RISK, True),
        (H.AT_RISK, H.ON_TRACK, True),
        (H.ON_TRACK, H.NOT_STARTED, True),
        (H.NOT_STARTED, H.ACHIEVED, True),
        (H.AT_RISK, H.AT_RISK, False),
        (H.ON_TRACK, H.OFF_TRACK, False),
        (H.ACHIEVED, H.NOT_STARTED, False),
        (H.NO_DATA, H.ON_TRACK, True),
        (H.AT_RISK, H.NO_DATA, True),
        (H.ON_TRACK, H.ACTIVE, True),
        (H.ACTIVE, H.NOT_STARTED, True),
        (H.ACTIVE, H.ACHIEVED, True),
        (H.ACHIEVED, H.ACTIVE, False),
    ],
)
def test_is_worse_follows_the_severity_order(new: Health, old: Health, worse: bool) -> None:
    assert is_worse(new, old) is worse


@pytest.mark.parametrize(
    ("old", "new", "worsening"),
    [
        # Progress or calm: news for the digest, never an alert.
        (H.NOT_STARTED, H.ON_TRACK, False),
        (H.NOT_STARTED, H.ACTIVE, False),
        (H.ON_TRACK, H.ACHIEVED, False),
        (H.ACHIEVED, H.ACTIVE, False),
        (H.ACHIEVED, H.ON_TRACK, False),
        (H.ACTIVE, H.ON_TRACK, False),
        (H.ON_TRACK, H.NOT_STARTED, False),
        (H.OFF_TRACK, H.AT_RISK, False),
        (H.AT_RISK, H.NO_DATA, False),
        (H.NO_DATA, H.ON_TRACK, False),
        (H.OFF_TRACK, H.ACHIEVED, False),
        (H.AT_RISK, H.AT_RISK, False),
        # Something now asks for action, or for more of it.
        (H.ON_TRACK, H.NO_DATA, True),
        (H.NOT_STARTED, H.NO_DATA, True),
        (H.NO_DATA, H.AT_RISK, True),
        (H.ON_TRACK, H.AT_RISK, True),
        (H.AT_RISK, H.OFF_TRACK, True),
        (H.NOT_STARTED, H.OFF_TRACK, True),
        (H.ACHIEVED, H.OFF_TRACK, True),
        (H.ACTIVE, H.AT_RISK, True),
    ],
)
def test_only_a_move_to_a_health_that_asks_for_more_action_is_worsening(
    old: Health, new: Health, worsening: bool
) -> None:
    assert is_worsening(old=old, new=new) is worsening


def test_worsening_never_holds_both_ways() -> None:
    for old in Health:
        for new in Health:
            assert not (is_worsening(old=old, new=new) and is_worsening(old=new, new=old))


def test_every_health_has_a_severity() -> None:
    assert set(HEALTH_SEVERITY) == set(Health)
    assert len(set(HEALTH_SEVERITY.values())) == len(Health)


def test_every_health_has_a_label_a_reader_understands() -> None:
    assert set(HEALTH_LABELS) == set(Health)
    assert HEALTH_LABELS[H.NO_DATA] == "No data"
    assert HEALTH_LABELS[H.ACTIVE] == "Active"


# Whatever the numbers, an assessment comes back


finite = st.floats(min_value=-1e12, max_value=1e12, allow_nan=False, allow_infinity=False)
dates = st.dates(min_value=date(1990, 1, 1), max_value=date(2100, 12, 31))


# Properties of the target rules, over figures a target can hold (positive, at most 10¹²)

figures = st.floats(min_value=1e-3, max_value=1e12, allow_nan=False, allow_infinity=False)
TARGET_RANK = {
    TargetStatus.ACHIEVED: 0,
    TargetStatus.ON_TRACK: 1,
    TargetStatus.AT_RISK: 2,
    TargetStatus.OFF_TRACK: 3,
    TargetStatus.MISSED: 4,
}


@st.composite
def rising_targets(draw: st.DrawFn) -> tuple[TargetFacts, date, date]:
    """A rising target, the date of an observation after its baseline, and a day to judge on."""
    baseline = draw(figures)
    target = draw(figures.filter(lambda t: t > baseline))
    baseline_date = draw(dates)
    latest = baseline_date + timedelta(days=draw(st.integers(1, 20_000)))
    observed_on = baseline_date + timedelta(days=draw(st.integers(1, 25_000)))
    today = draw(dates)
    facts = TargetFacts(
        "Trade", baseline, baseline_date, target, latest, draw(st.sampled_from(Growth))
    )
    return facts, observed_on, today


def observed(facts: TargetFacts, on: date, value: float) -> TargetFacts:
    return TargetFacts(
        facts.name,
        facts.baseline_value,
        facts.baseline_date,
        facts.target_value,
        facts.latest,
        facts.growth,
        (Observation(on, value),),
    )


@given(rising_targets(), figures, figures)
def test_a_higher_observed_value_never_gives_a_worse_target_status(
    drawn: tuple[TargetFacts, date, date], value: float, other: float
) -> None:
    facts, on, today = drawn
    low, high = sorted((value, other))
    worse = assess_target(observed(facts, on, low), today).status
    better = assess_target(observed(facts, on, high), today).status
    assert TARGET_RANK[better] <= TARGET_RANK[worse]


@given(rising_targets(), figures)
def test_a_target_status_agrees_with_its_attainment(
    drawn: tuple[TargetFacts, date, date], value: float
) -> None:
    facts, on, today = drawn
    result = assess_target(observed(facts, on, value), today)
    if result.status in {TargetStatus.ACHIEVED, TargetStatus.MISSED}:
        assert (result.status == TargetStatus.ACHIEVED) == (value >= facts.target_value)
        return
    assert result.attainment is not None
    assert result.attainment == pytest.approx(value / result.expected_value)  # type: ignore[operator]
    expected_status = (
        TargetStatus.ON_TRACK
        if result.attainment >= 0.95
        else TargetStatus.AT_RISK
        if result.attainment >= 0.85
        else TargetStatus.OFF_TRACK
    )
    assert result.status == expected_status


@given(rising_targets(), figures)
def test_the_required_growth_rate_reaches_the_target_on_its_deadline(
    drawn: tuple[TargetFacts, date, date], value: float
) -> None:
    facts, on, today = drawn
    result = assess_target(observed(facts, on, value), today)
    rate = result.required_growth_rate
    if today >= facts.latest:
        assert rate is None  # no time left to grow in
        return
    years = (facts.latest - today).days / 365.25
    # Otherwise there is no rate only when (T/v)^(1/years) is beyond what a float holds.
    try:
        beyond_a_float = math.isinf((facts.target_value / value) ** (1 / years))
    except OverflowError:
        beyond_a_float = True
    assert (rate is None) == beyond_a_float
    if rate is None:
        return
    assert math.log1p(rate) * years == pytest.approx(math.log(facts.target_value / value))


@given(
    state=st.sampled_from(MilestoneState),
    latest=st.none() | dates,
    completed_on=st.none() | dates,
    depends_on=st.lists(
        st.builds(
            Dependency, st.text(max_size=5), st.sampled_from(MilestoneState), st.none() | dates
        ),
        max_size=3,
    ),
    today=dates,
)
def test_assessing_a_milestone_never_raises_and_counts_days_consistently(
    state: MilestoneState,
    latest: date | None,
    completed_on: date | None,
    depends_on: list[Dependency],
    today: date,
) -> None:
    facts = MilestoneFacts("M", state, latest, completed_on, tuple(depends_on))
    result = assess_milestone(facts, today)
    if result.days_remaining is not None:
        assert latest is not None
        assert result.days_remaining == (latest - today).days
        assert (result.status == MilestoneStatus.OVERDUE) == (result.days_remaining < 0)


def test_a_negotiations_progress_weighs_milestones_across_its_tracks() -> None:
    tracks = [
        TrackHealth("Done", Health.ACHIEVED, "", progress=1.0, completed_weight=2, live_weight=2),
        TrackHealth("Open", Health.ON_TRACK, "", progress=0.0, completed_weight=0, live_weight=7),
    ]
    assert assess_negotiation(tracks).progress == pytest.approx(2 / 9)


def test_without_an_observation_the_required_growth_is_counted_from_the_baseline() -> None:
    facts = TargetFacts(
        "Bilateral trade", 190.0, date(2025, 5, 26), 500.0, date(2030, 12, 31), Growth.COMPOUND
    )
    result = assess_target(facts, date(2025, 12, 31))
    assert result.status == TargetStatus.NO_DATA
    assert result.required_growth_rate is not None
    assert (1 + result.required_growth_rate) ** 5 == pytest.approx(500 / 190, rel=1e-3)
    assert assess_target(facts, date(2031, 1, 1)).required_growth_rate is None


def test_a_wide_gap_the_day_before_the_deadline_gives_no_rate_rather_than_an_overflow() -> None:
    facts = TargetFacts("Exports", 10.0, date(2025, 1, 1), 100.0, date(2026, 1, 1))
    assert assess_target(facts, date(2025, 12, 31)).required_growth_rate is None


# Health that needs evidence


def test_a_track_whose_target_has_no_figure_since_its_baseline_has_no_data() -> None:
    trade = TrackTarget(
        "Bilateral trade",
        T.NO_DATA,
        "whatever the target said",
        baseline_value=190.0,
        baseline_date=date(2025, 5, 26),
    )
    result = assess_track(
        "Bilateral trade to $500B", [track_milestone(S.UPCOMING, latest=days(2000))], [trade]
    )
    assert result.health == Health.NO_DATA
    assert result.reason == "No figure for Bilateral trade since the 190 baseline (26 May 2025)"


def test_a_track_whose_open_milestones_have_no_deadline_has_no_data_and_names_them() -> None:
    one = assess_track("TRUST", [track_milestone(S.UNSCHEDULED, title="TRUST implemented")])
    assert one.health == Health.NO_DATA
    assert one.reason == "No deadline given for its open milestone: TRUST implemented"
    two = assess_track(
        "FATF",
        [
            track_milestone(S.UNSCHEDULED, title="FATF reviews"),
            track_milestone(S.UNSCHEDULED, title="Delegation returns"),
            track_milestone(S.COMPLETED, latest=days(-9), title="Visit"),
        ],
    )
    assert two.health == Health.NO_DATA
    assert two.reason == (
        "No deadline given for any of its 2 open milestones: FATF reviews; Delegation returns"
    )


@pytest.mark.parametrize(
    ("milestones", "health"),
    [
        (
            [track_milestone(S.UNSCHEDULED), track_milestone(S.UPCOMING, latest=days(40))],
            H.ON_TRACK,
        ),
        (
            [track_milestone(S.UNSCHEDULED), track_milestone(S.OVERDUE, latest=days(-1))],
            H.OFF_TRACK,
        ),
        ([track_milestone(S.UNSCHEDULED), track_milestone(S.AT_RISK, latest=days(5))], H.AT_RISK),
        ([track_milestone(S.UNSCHEDULED), track_milestone(S.COMPLETED)], H.NO_DATA),
    ],
    ids=["one-dated-is-evidence", "overdue-beats-no-data", "at-risk-beats-no-data", "done-is-not"],
)
def test_one_dated_open_milestone_is_enough_evidence_and_worse_news_comes_first(
    milestones: list[TrackMilestone], health: Health
) -> None:
    assert assess_track("Talks", milestones).health == health


def test_a_missing_figure_is_no_data_even_with_a_dated_milestone_on_track() -> None:
    result = assess_track(
        "Trade", [track_milestone(S.UPCOMING, latest=days(40))], [target_status(T.NO_DATA)]
    )
    assert result.health == Health.NO_DATA
    assert result.reason == "Bilateral trade no_data"  # without a baseline, the target's own


@pytest.mark.parametrize(
    ("milestones", "targets", "health"),
    [
        ([track_milestone(S.COMPLETED, title="COMPACT launched")], [], H.ACTIVE),
        ([track_milestone(S.COMPLETED), track_milestone(S.CANCELLED)], [], H.ACTIVE),
        ([], [target_status(T.ACHIEVED)], H.ACTIVE),
        ([track_milestone(S.COMPLETED), track_milestone(S.UNSCHEDULED)], [], H.NO_DATA),
        ([track_milestone(S.COMPLETED), track_milestone(S.OVERDUE)], [], H.OFF_TRACK),
        ([track_milestone(S.CANCELLED)], [], H.NOT_STARTED),
        ([], [], H.NOT_STARTED),
    ],
)
def test_an_ongoing_framework_is_active_never_achieved(
    milestones: list[TrackMilestone], targets: list[TrackTarget], health: Health
) -> None:
    assert assess_track("COMPACT", milestones, targets, ongoing=True).health == health


def test_an_active_track_says_what_was_done_and_that_nothing_later_is_recorded() -> None:
    result = assess_track(
        "COMPACT", [track_milestone(S.COMPLETED, title="COMPACT launched")], ongoing=True
    )
    assert (
        result.reason
        == "An ongoing framework: COMPACT launched completed, no later milestone recorded"
    )
    assert result.progress == 1.0


def test_the_next_deadline_is_the_nearest_open_one_still_ahead_not_an_overdue_one() -> None:
    milestones = [
        track_milestone(S.OVERDUE, latest=days(-500)),
        track_milestone(S.COMPLETED, latest=days(3)),
        track_milestone(S.UPCOMING, latest=days(400)),
        track_milestone(S.DUE_SOON, latest=days(0)),
    ]
    assert assess_track("Trade", milestones).next_deadline == days(0)
    assert assess_track("Trade", milestones[:3]).next_deadline == days(400)
    assert assess_track("Trade", milestones[:2]).next_deadline is None


@pytest.mark.parametrize(
    ("healths", "worst"),
    [
        ([H.ACHIEVED, H.ACTIVE], H.ACTIVE),
        ([H.ACTIVE, H.ON_TRACK], H.ON_TRACK),
        ([H.ON_TRACK, H.NO_DATA], H.NO_DATA),
        ([H.NO_DATA, H.AT_RISK], H.AT_RISK),
        ([H.ACTIVE, H.NOT_STARTED], H.ACTIVE),
    ],
)
def test_a_negotiation_with_an_ongoing_or_unevidenced_track_says_so(
    healths: list[Health], worst: Health
) -> None:
    tracks = [track(h, f"Track {i}") for i, h in enumerate(healths)]
    assert assess_negotiation(tracks).health == worst


# Freshness


@pytest.mark.parametrize(
    ("age", "stale"), [(0, False), (89, False), (90, False), (91, True), (600, True)]
)
def test_an_open_item_is_stale_once_its_newest_source_is_older_than_the_limit(
    age: int, stale: bool
) -> None:
    confirmed = SourceDate(D - timedelta(days=age))
    assert is_stale(is_open=True, last_confirmed=confirmed, today=D, stale_after_days=90) is stale


def test_a_closed_item_is_never_stale_and_an_open_one_without_a_dated_source_always_is() -> None:
    old = SourceDate(D - timedelta(days=900))
    assert not is_stale(is_open=False, last_confirmed=old, today=D, stale_after_days=90)
    assert not is_stale(is_open=False, last_confirmed=None, today=D, stale_after_days=90)
    assert is_stale(is_open=True, last_confirmed=None, today=D, stale_after_days=90)


def test_the_newest_source_date_prefers_a_stated_date_over_an_inferred_one_on_the_same_day() -> (
    None
):
    inferred = SourceDate(date(2025, 5, 26), inferred=True)
    stated = SourceDate(date(2025, 5, 26))
    older = SourceDate(date(2025, 2, 1))
    assert newest_source_date([inferred, None, stated, older]) == stated
    assert newest_source_date([older, inferred]) == inferred
    assert newest_source_date([None]) is None


@pytest.mark.parametrize(
    ("deadline_words", "confirmed", "reason"),
    [
        (
            "",
            SourceDate(date(2025, 5, 26)),
            "Interim deal overdue: the deadline of 8 July 2025 passed; "
            "no source since 26 May 2025 says it was met",
        ),
        (
            "8 July 2025",
            SourceDate(date(2025, 5, 26), inferred=True),
            "Interim deal overdue: the deadline of 8 July 2025 passed; "
            "no source since 26 May 2025 says it was met",
        ),
        (
            "July 2025",
            None,
            "Interim deal overdue: the deadline of July 2025 (to 8 July 2025) passed; "
            "no dated source says it was met",
        ),
    ],
)
def test_an_overdue_stale_milestone_is_worded_as_what_is_known(
    deadline_words: str, confirmed: SourceDate | None, reason: str
) -> None:
    facts = MilestoneFacts(
        "Interim deal",
        MilestoneState.IN_PROGRESS,
        date(2025, 7, 8),
        deadline_words=deadline_words,
        last_confirmed=confirmed,
        stale=True,
    )
    result = assess_milestone(facts, date(2026, 11, 22))
    assert result.status == MilestoneStatus.OVERDUE
    assert result.reason == reason


def test_an_overdue_milestone_with_a_fresh_source_names_its_deadline() -> None:
    facts = MilestoneFacts(
        "Interim deal",
        MilestoneState.IN_PROGRESS,
        date(2025, 7, 8),
        last_confirmed=SourceDate(date(2025, 7, 1)),
        stale=False,
    )
    assert assess_milestone(facts, date(2025, 7, 10)).reason == (
        "Interim deal overdue: due by 8 July 2025"
    )
