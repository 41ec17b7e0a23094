"""How deadlines have held: tracker.track_record counts, plain values only."""

from __future__ import annotations

import datetime as dt

from tracker.track_record import Held, Kept, Record, first_latest, held, record, slip

D = dt.date


def test_a_deadline_never_moved_was_stated_once_and_never_slipped() -> None:
    assert held(D(2025, 7, 8), []) == Held(stated=1, slips=0, slip_days=0)


def test_a_milestone_without_a_deadline_was_never_stated() -> None:
    assert held(None, []) == Held(stated=0, slips=0, slip_days=0)


def test_two_slips_add_up_and_a_pull_in_is_counted_apart() -> None:
    moves = [
        (D(2025, 3, 31), D(2025, 6, 30)),  # slipped 91 days
        (D(2025, 6, 30), D(2025, 6, 15)),  # brought forward
        (D(2025, 6, 15), D(2025, 8, 15)),  # slipped 61 days
    ]
    assert held(D(2025, 8, 15), moves) == Held(stated=4, slips=2, slip_days=152, pulled_in=1)


def test_a_revision_that_kept_the_last_day_is_not_a_new_statement() -> None:
    assert held(D(2025, 7, 8), [(D(2025, 7, 8), D(2025, 7, 8))]).stated == 1


def test_the_first_stated_day_is_the_first_revisions_previous_day() -> None:
    assert first_latest(D(2025, 9, 1), [(D(2025, 3, 31), D(2025, 9, 1))]) == D(2025, 3, 31)
    assert first_latest(D(2025, 9, 1), []) == D(2025, 9, 1)
    assert first_latest(None, [(None, D(2025, 9, 1))]) == D(2025, 9, 1)


def test_meeting_a_deadline_early_is_no_slip_and_an_open_one_slips_until_today() -> None:
    today = D(2026, 1, 10)
    assert slip(Kept(D(2025, 7, 8), D(2025, 7, 1)), today) == 0
    assert slip(Kept(D(2025, 7, 8), D(2025, 7, 18)), today) == 10
    assert slip(Kept(D(2026, 1, 1), None), today) == 9


def test_the_record_counts_only_deadlines_that_have_passed() -> None:
    today = D(2026, 1, 1)
    deadlines = [
        Kept(D(2025, 1, 31), D(2025, 1, 20)),  # met on time
        Kept(D(2025, 3, 31), D(2025, 3, 31)),  # met on the day
        Kept(D(2025, 3, 31), D(2025, 7, 31)),  # 122 days late
        Kept(D(2025, 6, 30), None),  # open: 185 days so far
        Kept(D(2026, 6, 30), None),  # not yet passed
    ]
    assert record(deadlines, today) == Record(passed=4, met_on_time=2, median_slip_days=0)


def test_the_median_slip_is_a_slip_that_happened() -> None:
    deadlines = [Kept(D(2025, 1, 1), D(2025, 1, 1) + dt.timedelta(days=d)) for d in (10, 30, 50)]
    assert record(deadlines, D(2026, 1, 1)).median_slip_days == 30


def test_no_passed_deadline_has_no_median() -> None:
    assert record([Kept(D(2027, 1, 1), None)], D(2026, 1, 1)) == Record(0, 0, None)
