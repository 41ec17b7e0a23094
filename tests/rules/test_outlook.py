"""The outlook of an open deadline and its back-test: tracker.outlook, plain values only."""

from __future__ import annotations

import datetime as dt
from fractions import Fraction

from tracker.outlook import (
    NEGOTIATION,
    WHOLE_RECORD,
    Forecast,
    History,
    Outlook,
    Revision,
    backtest,
    brier,
    forecast,
    months,
)

D = dt.date
TODAY = D(2026, 1, 1)


def test_seven_resolved_deadlines_are_not_enough_history() -> None:
    assert forecast(D(2026, 3, 31), [0] * 7, [0] * 7, TODAY) is None


def test_the_negotiations_own_record_is_used_when_it_has_eight() -> None:
    own = [0, 0, 0, 0, 0, 0, 30, 60]
    whole = [100] * 20
    assert forecast(D(2026, 3, 31), own, whole, TODAY) == Outlook(
        chance=Fraction(6, 8), likely_by=D(2026, 4, 30), scope=NEGOTIATION, history=8
    )


def test_the_whole_record_stands_in_when_the_negotiation_has_too_few() -> None:
    found = forecast(D(2026, 3, 31), [0] * 3, [-10] * 4 + [10] * 6, TODAY)
    assert found == Outlook(Fraction(4, 10), D(2026, 4, 10), WHOLE_RECORD, 10)


def test_the_80_percent_day_is_the_earliest_by_which_eight_in_ten_futures_fall() -> None:
    slips = list(range(0, 100, 10))  # ten futures, 0 to 90 days late
    found = forecast(D(2026, 3, 1), slips, [], TODAY)
    assert found is not None
    assert found.likely_by == D(2026, 3, 1) + dt.timedelta(days=70)  # the 8th of ten


def test_futures_that_would_have_ended_before_today_do_not_count() -> None:
    # The window ended 20 days ago; of slips 0..90, only 20 and more are still possible.
    slips = list(range(0, 100, 10))
    found = forecast(D(2025, 12, 12), slips, [], TODAY)
    assert found is not None
    assert found.chance == 0
    # Eight futures remain (20 to 90 days late); 80% of eight is 6.4, so the 7th: 80 days.
    assert found.likely_by == D(2025, 12, 12) + dt.timedelta(days=80)


def test_a_deadline_later_than_every_resolved_future_has_no_80_percent_day() -> None:
    found = forecast(D(2025, 1, 1), [0] * 8, [], TODAY)
    assert found == Outlook(Fraction(0), None, NEGOTIATION, 8)


def test_the_same_history_gives_the_same_outlook_every_time() -> None:
    slips = [3, -5, 40, 0, 12, 90, 7, 7, 200]
    assert len({forecast(D(2026, 2, 1), slips, [], TODAY) for _ in range(5)}) == 1


def test_months_are_the_firsts_after_the_start_and_before_today() -> None:
    assert months(D(2025, 10, 15), D(2026, 1, 1)) == [D(2025, 11, 1), D(2025, 12, 1)]


def _resolved(n: int, slip: int) -> History:
    first = D(2024, 1, 10) + dt.timedelta(days=n)
    return History(n, 1, D(2023, 12, 1), first, completed_on=first + dt.timedelta(days=slip))


def test_the_back_test_scores_a_history_whose_answer_is_known() -> None:
    """Eight deadlines met by February 2024, six on their day and two late; then one open
    from mid-December 2024 to 31 March 2025, met on 20 March. On 1 January, 1 February
    and 1 March 2025 the outlook says 6 in 8; it was met: each forecast scores (1 − 3/4)²."""
    history = [*(_resolved(n, 0) for n in range(6)), _resolved(6, 30), _resolved(7, 60)]
    history.append(History(100, 1, D(2024, 12, 15), D(2025, 3, 31), completed_on=D(2025, 3, 20)))
    forecasts = backtest(history, D(2026, 1, 1))
    assert forecasts == [
        Forecast(100, 1, D(2025, 1, 1), Fraction(3, 4), True),
        Forecast(100, 1, D(2025, 2, 1), Fraction(3, 4), True),
        Forecast(100, 1, D(2025, 3, 1), Fraction(3, 4), True),
    ]
    assert brier(forecasts) == Fraction(1, 16)


def test_the_back_test_uses_the_deadline_as_it_was_known_that_day() -> None:
    """Stated as 31 January, moved on 10 February to 31 March, never met. On 1 January the
    outlook is about 31 January; on 1 February that window is over and nothing is forecast;
    on 1 March it is about 31 March. Both said certain, both were missed: a score of 1."""
    history = [_resolved(n, 0) for n in range(8)]
    history.append(
        History(
            100,
            1,
            D(2024, 12, 15),
            D(2025, 1, 31),
            revisions=(Revision(D(2025, 2, 10), D(2025, 3, 31)),),
        )
    )
    forecasts = backtest(history, D(2026, 1, 1))
    assert [(f.on, f.chance, f.met) for f in forecasts] == [
        (D(2025, 1, 1), Fraction(1), False),
        (D(2025, 3, 1), Fraction(1), False),
    ]
    assert brier(forecasts) == 1


def test_no_forecast_has_no_score() -> None:
    assert brier([]) is None
