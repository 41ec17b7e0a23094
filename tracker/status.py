"""Status rules for milestones, targets, tracks and negotiations, as of a date D.

Plain values in, plain values out: nothing here touches the database, so every rule in
docs/design.md "Status rules" can be tested exhaustively and reused by models, the API, the
dashboard and the reminder emails alike.
"""

from __future__ import annotations

import functools
import math
import sys
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from enum import StrEnum

from tracker.figures import days, days_until, number, percent, years_left


class MilestoneState(StrEnum):
    """What people say about a milestone; the status below is what the rules conclude."""

    PLANNED = "planned"
    IN_PROGRESS = "in_progress"
    COMPLETED = "completed"
    CANCELLED = "cancelled"


class MilestoneStatus(StrEnum):
    CANCELLED = "cancelled"
    COMPLETED = "completed"
    UNSCHEDULED = "unscheduled"
    OVERDUE = "overdue"
    AT_RISK = "at_risk"
    DUE_SOON = "due_soon"
    UPCOMING = "upcoming"


class Health(StrEnum):
    NOT_STARTED = "not_started"
    ACHIEVED = "achieved"
    # An ongoing framework whose milestones so far are all done: it goes on, so never achieved.
    ACTIVE = "active"
    OFF_TRACK = "off_track"
    AT_RISK = "at_risk"
    # Nothing to judge by: a target without a figure since its baseline, or no open deadline.
    NO_DATA = "no_data"
    ON_TRACK = "on_track"


class TargetStatus(StrEnum):
    NO_DATA = "no_data"
    ACHIEVED = "achieved"
    MISSED = "missed"
    ON_TRACK = "on_track"
    AT_RISK = "at_risk"
    OFF_TRACK = "off_track"


class Growth(StrEnum):
    COMPOUND = "compound"
    LINEAR = "linear"


DUE_SOON_DAYS = 14
ON_TRACK_ATTAINMENT = 0.95
AT_RISK_ATTAINMENT = 0.85

_LOG_FLOAT_MAX = math.log(sys.float_info.max)

# Worst first. "No data" is worse than "on track": a claim without evidence must not hide
# behind a healthy sibling when a negotiation takes the worst of its tracks.
HEALTH_SEVERITY: dict[Health, int] = {
    Health.OFF_TRACK: 6,
    Health.AT_RISK: 5,
    Health.NO_DATA: 4,
    Health.ON_TRACK: 3,
    Health.ACTIVE: 2,
    Health.NOT_STARTED: 1,
    Health.ACHIEVED: 0,
}

# How each health is said to a reader, in words as well as colour.
HEALTH_LABELS: dict[Health, str] = {
    Health.OFF_TRACK: "Off track",
    Health.AT_RISK: "At risk",
    Health.NO_DATA: "No data",
    Health.ON_TRACK: "On track",
    Health.ACTIVE: "Active",
    Health.NOT_STARTED: "Not started",
    Health.ACHIEVED: "Achieved",
}


def is_worse(new: Health, old: Health) -> bool:
    return HEALTH_SEVERITY[new] > HEALTH_SEVERITY[old]


# How much a health asks someone to act, for alerts. The severity order above ranks
# tracks for a negotiation's worst; it puts "on track" above "not started", which is
# progress, not news to alarm anyone with. Only these three ask for action.
HEALTH_CONCERN: dict[Health, int] = {
    Health.OFF_TRACK: 3,
    Health.AT_RISK: 2,
    Health.NO_DATA: 1,
    Health.ON_TRACK: 0,
    Health.ACTIVE: 0,
    Health.NOT_STARTED: 0,
    Health.ACHIEVED: 0,
}


def is_worsening(*, old: Health, new: Health) -> bool:
    """A transition worth an alert: the new health asks for more action than the old.

    "Not started → on track" or "achieved → active" is not worsening (it goes to the
    digest); "on track → no data", "no data → at risk", "at risk → off track" are.
    """
    return HEALTH_CONCERN[new] > HEALTH_CONCERN[old]


@functools.lru_cache(maxsize=8192)  # a refresh words the same few thousand days again and again
def day_text(day: date) -> str:
    """A date as a reader writes it: "8 July 2025"."""
    return f"{day.day} {day:%B} {day.year}"


def date_in_words(day: date, precision: str = "day") -> str:
    """A date no sharper than it is known: precision "month" gives "February 2025"."""
    if precision == "month":
        return f"{day:%B} {day.year}"
    if precision == "year":
        return str(day.year)
    return day_text(day)


# Freshness: how recently a source confirmed an item's current facts


@dataclass(frozen=True)
class SourceDate:
    """When a source was published: its own date, or an "on or before" date it implies."""

    on: date
    inferred: bool = False


def newest_source_date(dates: Iterable[SourceDate | None]) -> SourceDate | None:
    """The newest of `dates`; of two on one day, the one the source states (not inferred)."""
    known = [d for d in dates if d is not None]
    if not known:
        return None
    return max(known, key=lambda d: (d.on, not d.inferred))


def is_stale(
    *, is_open: bool, last_confirmed: SourceDate | None, today: date, stale_after_days: int
) -> bool:
    """An open item is stale when no dated source confirmed it in the last `stale_after_days`.

    Without any dated source nobody can say it is current, so it is stale too; a closed
    item (completed, cancelled, achieved, missed) is history and never stale.
    """
    if not is_open:
        return False
    if last_confirmed is None:
        return True
    return last_confirmed.on < stale_before(today, stale_after_days)


@functools.lru_cache(maxsize=64)
def stale_before(today: date, stale_after_days: int) -> date:
    """An open item last confirmed before this day is stale on `today`."""
    return today - timedelta(days=stale_after_days)


# Milestones


@dataclass(frozen=True)
class Dependency:
    title: str
    state: MilestoneState
    latest: date | None


@dataclass(frozen=True)
class MilestoneFacts:
    title: str
    state: MilestoneState
    latest: date | None
    completed_on: date | None = None
    depends_on: tuple[Dependency, ...] = ()
    # The deadline as people said it ("autumn 2025"); empty means the day `latest`.
    deadline_words: str = ""
    # The newest source behind its facts, and whether that is too old to vouch for it now.
    last_confirmed: SourceDate | None = None
    stale: bool = False


@dataclass(frozen=True)
class MilestoneAssessment:
    status: MilestoneStatus
    completed_late: bool
    # latest - D in days, negative when overdue; None when there is no live deadline.
    days_remaining: int | None
    reason: str


def assess_milestone(facts: MilestoneFacts, today: date) -> MilestoneAssessment:
    title = facts.title
    if facts.state == MilestoneState.CANCELLED:
        return MilestoneAssessment(MilestoneStatus.CANCELLED, False, None, f"{title} cancelled")

    if facts.state == MilestoneState.COMPLETED:
        late_by = _days_late(facts.completed_on, facts.latest)
        reason = f"{title} completed" + (f" {_days(late_by)} late" if late_by > 0 else "")
        return MilestoneAssessment(MilestoneStatus.COMPLETED, late_by > 0, None, reason)

    if facts.latest is None:
        return MilestoneAssessment(
            MilestoneStatus.UNSCHEDULED, False, None, f"{title} has no deadline"
        )

    remaining = days_until(facts.latest, today)
    bands = deadline_bands(today)
    if facts.latest < bands.due_from:
        return MilestoneAssessment(
            MilestoneStatus.OVERDUE, False, remaining, _overdue_reason(facts)
        )

    blocker = _blocking_dependency(facts.depends_on, facts.latest, today)
    if blocker is not None:
        return MilestoneAssessment(
            MilestoneStatus.AT_RISK,
            False,
            remaining,
            f"{title} waits on {blocker.title}, which {_blocker_problem(blocker, today)}",
        )

    due_soon = facts.latest <= bands.due_soon_until
    status = MilestoneStatus.DUE_SOON if due_soon else MilestoneStatus.UPCOMING
    return MilestoneAssessment(status, False, remaining, f"{title} {_due_by(facts.latest)}")


@dataclass(frozen=True)
class DeadlineBands:
    """Which status the calendar alone gives an open milestone on a day, by its deadline:
    overdue when `latest` < `due_from`, due soon up to `due_soon_until`, upcoming after
    (at risk instead of the last two when a dependency blocks it).

    assess_milestone judges by these, and a refresh uses them in SQL to find the rows a new
    day can change without judging every row (tracker.refresh.candidates)."""

    due_from: date
    due_soon_until: date


@functools.lru_cache(maxsize=64)
def deadline_bands(today: date) -> DeadlineBands:
    return DeadlineBands(due_from=today, due_soon_until=today + timedelta(days=DUE_SOON_DAYS))


def _overdue_reason(facts: MilestoneFacts) -> str:
    """Overdue, said as what is known: with a stale record the tracker cannot tell whether
    it was met, only that no source since the last one says so. Stored reasons name dates,
    never a count of days, so a reason holds from one day to the next."""
    assert facts.latest is not None
    if not facts.stale:
        return f"{facts.title} overdue: {_due_by(facts.latest)}"
    known = overdue_as_known(facts.latest, None, facts.last_confirmed, facts.deadline_words)
    return f"{facts.title} overdue: {known}"


def overdue_as_known(
    latest: date, overdue: int | None, last_confirmed: SourceDate | None, deadline_words: str = ""
) -> str:
    """ "the deadline of 8 July 2025 passed 502 days ago; no source since 26 May 2025 says it
    was met": what a stale record can say about a passed deadline, and no more. Without a
    count (`overdue` None, as in stored reasons) it says "the deadline of 8 July 2025
    passed; …"."""
    deadline = f"the deadline of {day_text(latest)}"
    if deadline_words and deadline_words != day_text(latest):
        deadline = f"the deadline of {deadline_words} (to {day_text(latest)})"
    # An inferred date is an upper bound, so "since" it stays true.
    if last_confirmed is None:
        silence = "no dated source says it was met"
    else:
        silence = f"no source since {day_text(last_confirmed.on)} says it was met"
    passed = "passed" if overdue is None else f"passed {_days(overdue)} ago"
    return f"{deadline} {passed}; {silence}"


def _days_late(completed_on: date | None, latest: date | None) -> int:
    # Without either date nobody can say it was late, so it counts as on time.
    if completed_on is None or latest is None:
        return 0
    return max((completed_on - latest).days, 0)


def _blocking_dependency(
    dependencies: Sequence[Dependency], latest: date, today: date
) -> Dependency | None:
    """The unfinished dependency that puts the milestone at risk, worst first.

    A cancelled dependency no longer blocks anything. An overdue one is worse than one that
    merely ends later, and the most overdue (or latest-ending) is the one worth naming.
    """
    overdue: list[Dependency] = []
    later: list[Dependency] = []
    for dependency in dependencies:
        if dependency.state in (MilestoneState.COMPLETED, MilestoneState.CANCELLED):
            continue
        if dependency.latest is not None and today > dependency.latest:
            overdue.append(dependency)
        # Open-ended work cannot be promised to finish before this milestone's deadline.
        elif dependency.latest is None or dependency.latest > latest:
            later.append(dependency)
    if overdue:
        return min(overdue, key=lambda d: d.latest or date.max)
    if later:
        return max(later, key=lambda d: d.latest or date.max)
    return None


def _blocker_problem(dependency: Dependency, today: date) -> str:
    if dependency.latest is None:
        return "has no deadline"
    if today > dependency.latest:
        return f"was {_due_by(dependency.latest)}"
    return f"is due later, on {day_text(dependency.latest)}"


def _due_by(latest: date) -> str:
    """ "due by 8 July 2025": the date, not the days left, so the words keep from day to day
    (pages count the days when they draw the reason)."""
    return f"due by {day_text(latest)}"


_days = days


# Targets


@dataclass(frozen=True)
class Observation:
    on: date
    value: float


@dataclass(frozen=True)
class TargetFacts:
    name: str
    baseline_value: float
    baseline_date: date
    target_value: float
    latest: date  # the latest day of the target's deadline
    growth: Growth = Growth.COMPOUND
    observations: tuple[Observation, ...] = ()


@dataclass(frozen=True)
class TargetAssessment:
    status: TargetStatus
    latest_observation: Observation | None
    expected_value: float | None
    attainment: float | None
    required_growth_rate: float | None
    reason: str
    # Units a year still needed: how a linear path is read ("+62 USD billion a year").
    required_pace: float | None = None


def expected_value(facts: TargetFacts, on: date) -> float:
    """Where the value should be on `on` if it moves from baseline to target on schedule."""
    b, t = facts.baseline_value, facts.target_value
    fraction = _fraction_elapsed(facts, on)
    # A power path only exists between two positive numbers; otherwise draw a straight line.
    if facts.growth == Growth.COMPOUND and b > 0 and t > 0:
        return float(b * (t / b) ** fraction)
    return float(b + (t - b) * fraction)


def _fraction_elapsed(facts: TargetFacts, on: date) -> float:
    span = (facts.latest - facts.baseline_date).days
    if span <= 0:
        # A deadline on or before the baseline leaves no path: the whole change is due at once.
        return 1.0 if on >= facts.latest else 0.0
    return min(max((on - facts.baseline_date).days / span, 0.0), 1.0)


def assess_target(facts: TargetFacts, today: date) -> TargetAssessment:
    name = facts.name
    observation = _latest_observation_after_baseline(facts)
    if observation is None:
        # Without a figure since the baseline, the yearly growth still needed is counted
        # from the baseline: "190 → 500 by 2030 needs 21.4% a year" is worth saying.
        return TargetAssessment(
            TargetStatus.NO_DATA,
            None,
            None,
            None,
            _required_growth_rate(facts.target_value, facts.baseline_value, facts.latest, today),
            no_figure_reason(name, facts.baseline_value, facts.baseline_date),
            _required_pace(facts.target_value, facts.baseline_value, facts.latest, today),
        )

    value = observation.value
    expected = expected_value(facts, observation.on)
    falling = facts.target_value < facts.baseline_value
    attainment = _attainment(value, expected, falling=falling)
    growth_rate = _required_growth_rate(facts.target_value, value, facts.latest, today)
    pace = _required_pace(facts.target_value, value, facts.latest, today)

    def assessed(status: TargetStatus, reason: str) -> TargetAssessment:
        return TargetAssessment(
            status, observation, expected, attainment, growth_rate, reason, pace
        )

    reached = value <= facts.target_value if falling else value >= facts.target_value
    if reached:
        return assessed(
            TargetStatus.ACHIEVED,
            f"{name} achieved: {_number(value)} against a target of {_number(facts.target_value)}",
        )
    if today > facts.latest:
        return assessed(
            TargetStatus.MISSED,
            f"{name} missed: {_number(value)} against a target of "
            f"{_number(facts.target_value)} due {day_text(facts.latest)}",
        )

    if attainment is None:
        # No meaningful ratio (values at or below zero): judge by which side of the path.
        ahead = value <= expected if falling else value >= expected
        if ahead:
            return assessed(TargetStatus.ON_TRACK, f"{name} at or ahead of the expected path")
        return assessed(TargetStatus.OFF_TRACK, f"{name} behind the expected path")

    reason = f"{name} at {_percent(attainment)} of the expected path"
    if attainment >= ON_TRACK_ATTAINMENT:
        return assessed(TargetStatus.ON_TRACK, reason)
    if attainment >= AT_RISK_ATTAINMENT:
        return assessed(TargetStatus.AT_RISK, reason)
    return assessed(TargetStatus.OFF_TRACK, reason)


def no_figure_reason(name: str, baseline_value: float, baseline_date: date) -> str:
    """The evidence missing, named: "No figure for Bilateral trade since the 190 baseline
    (26 May 2025)"."""
    return (
        f"No figure for {name} since the {_number(baseline_value)} baseline "
        f"({day_text(baseline_date)})"
    )


def _latest_observation_after_baseline(facts: TargetFacts) -> Observation | None:
    # The baseline itself is not progress: only later observations say how things moved.
    latest: Observation | None = None
    for observation in facts.observations:
        if observation.on <= facts.baseline_date:
            continue
        # ">=" so that, of two observations on one day, the one given last (the correction) wins.
        if latest is None or observation.on >= latest.on:
            latest = observation
    return latest


def _attainment(value: float, expected: float, *, falling: bool) -> float | None:
    """How far along the path the value is, 1.0 being exactly on it, higher being ahead.

    For a falling target being below the path is good, so the ratio is turned over. The
    ratio only means something with a positive denominator; otherwise there is none.
    """
    if falling:
        return expected / value if value > 0 else None
    return value / expected if expected > 0 else None


def _required_growth_rate(target: float, value: float, latest: date, today: date) -> float | None:
    years = years_left(latest, today)
    if years <= 0 or value <= 0 or target < 0:
        return None
    ratio = target / value
    # A ratio that underflows to zero means "fall to nothing": the whole value goes.
    if ratio <= 0:
        return -1.0
    # Through logarithms, because (T/v) ** (1/years) overflows a float when a few days are
    # left and the gap is wide; such a rate says nothing useful, so there is none.
    exponent = math.log(ratio) / years
    if exponent >= _LOG_FLOAT_MAX:
        return None
    return math.expm1(exponent)


def _required_pace(target: float, value: float, latest: date, today: date) -> float | None:
    years = years_left(latest, today)
    if years <= 0:
        return None
    return (target - value) / years


_percent = percent
_number = number


# Tracks


@dataclass(frozen=True)
class TrackMilestone:
    title: str
    state: MilestoneState
    status: MilestoneStatus
    weight: float
    latest: date | None
    reason: str


@dataclass(frozen=True)
class TrackTarget:
    name: str
    status: TargetStatus
    reason: str
    # The baseline a figure is awaited since, to name the missing evidence.
    baseline_value: float | None = None
    baseline_date: date | None = None


@dataclass(frozen=True)
class TrackAssessment:
    health: Health
    progress: float | None
    next_deadline: date | None
    reason: str
    # The two sums behind `progress`, so a negotiation can weigh its tracks by them.
    completed_weight: float = 0.0
    live_weight: float = 0.0


@dataclass(frozen=True)
class TrackFacts:
    """What the track rules read, worked out once: its milestones, the live ones (not
    cancelled), the open ones (live and not completed), its targets and its next deadline."""

    milestones: Sequence[TrackMilestone]
    targets: Sequence[TrackTarget]
    ongoing: bool
    live: Sequence[TrackMilestone]
    open_milestones: Sequence[TrackMilestone]
    next_deadline: date | None


# A rule's verdict: the health and the reason that names its evidence; None when it does
# not apply, so the next rule is asked.
Verdict = tuple[Health, str] | None


@dataclass(frozen=True)
class TrackRule:
    """One numbered rule of docs/design.md "Track `health`": the health it concludes and the
    function that decides whether it applies (the achieved rule says `active` instead for an
    ongoing framework, as the contract's rule 2 does)."""

    health: Health
    judge: Callable[[TrackFacts], Verdict]


def _not_started(track: TrackFacts) -> Verdict:
    if not track.milestones and not track.targets:
        return Health.NOT_STARTED, "No milestones or targets yet"
    if not track.live and not track.targets:
        # Nothing was delivered, so calling this "achieved" would mislead.
        return Health.NOT_STARTED, "Every milestone cancelled"
    return None


def _achieved(track: TrackFacts) -> Verdict:
    if track.open_milestones or any(t.status != TargetStatus.ACHIEVED for t in track.targets):
        return None
    if track.ongoing:
        return Health.ACTIVE, _active_reason(track.live)
    return Health.ACHIEVED, _achieved_reason(track.live, track.targets)


def _off_track(track: TrackFacts) -> Verdict:
    overdue = [m for m in track.live if m.status == MilestoneStatus.OVERDUE]
    if overdue:
        return Health.OFF_TRACK, min(overdue, key=lambda m: m.latest or date.max).reason
    failing = [
        t for t in track.targets if t.status in (TargetStatus.MISSED, TargetStatus.OFF_TRACK)
    ]
    if failing:
        # A missed target is final, so it explains the health better than a lagging one.
        worst = next((t for t in failing if t.status == TargetStatus.MISSED), failing[0])
        return Health.OFF_TRACK, worst.reason
    return None


def _at_risk(track: TrackFacts) -> Verdict:
    risky = [m for m in track.live if _puts_track_at_risk(m)]
    if risky:
        soonest = min(risky, key=lambda m: m.latest or date.max)
        if soonest.status == MilestoneStatus.DUE_SOON:
            return Health.AT_RISK, f"{soonest.reason} and not yet started"
        return Health.AT_RISK, soonest.reason
    at_risk_target = next((t for t in track.targets if t.status == TargetStatus.AT_RISK), None)
    if at_risk_target is not None:
        return Health.AT_RISK, at_risk_target.reason
    return None


def _no_data(track: TrackFacts) -> Verdict:
    reason = _no_data_reason(track.open_milestones, track.targets)
    return (Health.NO_DATA, reason) if reason else None


def _on_track(track: TrackFacts) -> Verdict:
    return Health.ON_TRACK, _on_track_reason(track.live, track.targets, track.next_deadline)


# docs/design.md "Track `health`, first rule that applies", in its order (a test holds the
# two together): the first rule whose verdict is not None gives the health.
TRACK_HEALTH_RULES: tuple[TrackRule, ...] = (
    TrackRule(Health.NOT_STARTED, _not_started),
    TrackRule(Health.ACHIEVED, _achieved),
    TrackRule(Health.OFF_TRACK, _off_track),
    TrackRule(Health.AT_RISK, _at_risk),
    TrackRule(Health.NO_DATA, _no_data),
    TrackRule(Health.ON_TRACK, _on_track),
)


def _first_verdict(track: TrackFacts) -> tuple[Health, str]:
    for rule in TRACK_HEALTH_RULES:
        verdict = rule.judge(track)
        if verdict is not None:
            return verdict
    raise AssertionError("the last rule, on_track, always applies")


def assess_track(
    name: str,
    milestones: Sequence[TrackMilestone],
    targets: Sequence[TrackTarget] = (),
    *,
    ongoing: bool = False,
) -> TrackAssessment:
    """The track's health by the first rule of TRACK_HEALTH_RULES that applies.

    `ongoing` marks a framework with no end: once its milestones so far are done it is
    active, not achieved.
    """
    live = [m for m in milestones if not _is_cancelled(m)]
    open_milestones = [m for m in live if not _is_completed(m)]
    # The nearest deadline still ahead: an overdue one is counted on its own, not "next".
    next_deadline = min(
        (
            m.latest
            for m in open_milestones
            if m.latest is not None and m.status != MilestoneStatus.OVERDUE
        ),
        default=None,
    )
    facts = TrackFacts(milestones, targets, ongoing, live, open_milestones, next_deadline)
    health, reason = _first_verdict(facts)
    return TrackAssessment(
        health,
        _progress(live),
        next_deadline,
        reason,
        completed_weight=sum(m.weight for m in live if _is_completed(m)),
        live_weight=sum(m.weight for m in live),
    )


def _no_data_reason(
    open_milestones: Sequence[TrackMilestone], targets: Sequence[TrackTarget]
) -> str:
    """Why nothing can be judged, naming the missing evidence; empty when something can.

    A target without a figure since its baseline says nothing about progress; open
    milestones none of which has a deadline cannot be late or on time.
    """
    blind = next((t for t in targets if t.status == TargetStatus.NO_DATA), None)
    if blind is not None:
        if blind.baseline_value is not None and blind.baseline_date is not None:
            return no_figure_reason(blind.name, blind.baseline_value, blind.baseline_date)
        return blind.reason
    if open_milestones and all(m.latest is None for m in open_milestones):
        titles = "; ".join(m.title for m in open_milestones)
        if len(open_milestones) == 1:
            return f"No deadline given for its open milestone: {titles}"
        return f"No deadline given for any of its {len(open_milestones)} open milestones: {titles}"
    return ""


def _active_reason(live: Sequence[TrackMilestone]) -> str:
    if not live:
        return "An ongoing framework; no milestone recorded"
    if len(live) == 1:
        done = f"{live[0].title} completed"
    else:
        done = f"all {len(live)} milestones so far completed"
    return f"An ongoing framework: {done}, no later milestone recorded"


def _is_cancelled(milestone: TrackMilestone) -> bool:
    return (
        milestone.state == MilestoneState.CANCELLED or milestone.status == MilestoneStatus.CANCELLED
    )


def _is_completed(milestone: TrackMilestone) -> bool:
    return (
        milestone.state == MilestoneState.COMPLETED or milestone.status == MilestoneStatus.COMPLETED
    )


def _puts_track_at_risk(milestone: TrackMilestone) -> bool:
    if milestone.status == MilestoneStatus.AT_RISK:
        return True
    # Due within two weeks and nobody has begun: work in progress may still make it.
    return (
        milestone.status == MilestoneStatus.DUE_SOON and milestone.state == MilestoneState.PLANNED
    )


@dataclass(frozen=True)
class ProgressCount:
    """Progress as a page says it: the steps that advance the deal (a weight above zero,
    not cancelled) and how many are done, beside the weighted share the refresh stores."""

    done: int
    steps: int
    share: float | None

    @property
    def text(self) -> str:
        """ "2 of 7 steps that advance the deal"."""
        noun = "step that advances" if self.steps == 1 else "steps that advance"
        return f"{self.done} of {self.steps} {noun} the deal"

    @property
    def percent(self) -> int:
        """The share as a whole percentage, rounded as tracker.figures.percent rounds."""
        return 0 if self.share is None else int(percent(self.share).rstrip("%"))


def count_steps(
    milestones: Iterable[tuple[str, float | Decimal]], share: float | None
) -> ProgressCount:
    """The steps among (state, weight) pairs: a visit or a launch weighs 0 and is no step."""
    steps = [state for state, weight in milestones if weight > 0 and state != "cancelled"]
    return ProgressCount(sum(1 for state in steps if state == "completed"), len(steps), share)


def _progress(live: Sequence[TrackMilestone]) -> float | None:
    total = sum(m.weight for m in live)
    if total <= 0:
        return None
    return sum(m.weight for m in live if _is_completed(m)) / total


def _achieved_reason(live: Sequence[TrackMilestone], targets: Sequence[TrackTarget]) -> str:
    if live and targets:
        return "All milestones completed and every target achieved"
    if live:
        return "All milestones completed"
    return "Every target achieved"


def _on_track_reason(
    live: Sequence[TrackMilestone], targets: Sequence[TrackTarget], next_deadline: date | None
) -> str:
    parts: list[str] = []
    if live:
        completed = sum(1 for m in live if _is_completed(m))
        parts.append(f"{completed} of {len(live)} milestones completed")
    if next_deadline is not None:
        parts.append(f"next due {day_text(next_deadline)}")
    if targets:
        good = (TargetStatus.ON_TRACK, TargetStatus.ACHIEVED)
        fine = sum(1 for t in targets if t.status in good)
        parts.append(f"{fine} of {len(targets)} targets on track")
    return "; ".join(parts)


# Negotiations


@dataclass(frozen=True)
class TrackHealth:
    name: str
    health: Health
    reason: str
    next_deadline: date | None = None
    progress: float | None = None
    completed_weight: float = 0.0
    live_weight: float = 0.0


@dataclass(frozen=True)
class NegotiationAssessment:
    health: Health
    progress: float | None
    next_deadline: date | None
    reason: str


def assess_negotiation(tracks: Sequence[TrackHealth]) -> NegotiationAssessment:
    # Completed weight over live weight across all tracks, as for a single track; a
    # caller that only knows each track's progress gets their plain mean instead.
    live_weight = sum(t.live_weight for t in tracks)
    progresses = [t.progress for t in tracks if t.progress is not None]
    if live_weight > 0:
        progress: float | None = sum(t.completed_weight for t in tracks) / live_weight
    else:
        progress = sum(progresses) / len(progresses) if progresses else None
    next_deadline = min(
        (t.next_deadline for t in tracks if t.next_deadline is not None), default=None
    )

    def assessed(health: Health, reason: str) -> NegotiationAssessment:
        return NegotiationAssessment(health, progress, next_deadline, reason)

    if not tracks:
        return assessed(Health.NOT_STARTED, "No tracks yet")
    if all(t.health == Health.ACHIEVED for t in tracks):
        return assessed(Health.ACHIEVED, "Every track achieved")
    # max() keeps the first of equals, so ties go to the track listed first.
    worst = max(tracks, key=lambda t: HEALTH_SEVERITY[t.health])
    return assessed(worst.health, f"{worst.name}: {worst.reason}")
