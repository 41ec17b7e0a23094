"""Approximate deadlines: every accepted form, the leap years, and the garbage."""

from __future__ import annotations

import pickle
from datetime import date, datetime, timedelta
from typing import Any

import pytest
import time_machine
from dateutil.relativedelta import relativedelta
from hypothesis import given, settings
from hypothesis import strategies as st

from tracker.deadlines import (
    ACCEPTED_FORMS,
    Deadline,
    DeadlineError,
    Precision,
    describe,
    parse_deadline,
)

REFERENCE = date(2025, 5, 26)
ONE_DAY = timedelta(days=1)

DAY = Precision.DAY
MONTH = Precision.MONTH
QUARTER = Precision.QUARTER
HALF = Precision.HALF
SEASON = Precision.SEASON
PERIOD = Precision.PERIOD
YEAR = Precision.YEAR
FISCAL_YEAR = Precision.FISCAL_YEAR


def window(text: str, reference: date = REFERENCE, **reading: Any) -> tuple[date, date, Precision]:
    deadline = parse_deadline(text, reference, **reading)
    return deadline.earliest, deadline.latest, deadline.precision


# --- every form -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "earliest", "latest", "precision"),
    [
        # a day
        ("July 8, 2025", date(2025, 7, 8), date(2025, 7, 8), DAY),
        ("8 July 2025", date(2025, 7, 8), date(2025, 7, 8), DAY),
        ("2025-07-08", date(2025, 7, 8), date(2025, 7, 8), DAY),
        ("Jul 8 2025", date(2025, 7, 8), date(2025, 7, 8), DAY),
        ("Jul. 8, 2025", date(2025, 7, 8), date(2025, 7, 8), DAY),
        ("July 8th, 2025", date(2025, 7, 8), date(2025, 7, 8), DAY),
        ("the 8th of July 2025", date(2025, 7, 8), date(2025, 7, 8), DAY),
        ("Sept 1, 2025", date(2025, 9, 1), date(2025, 9, 1), DAY),
        ("February 29, 2024", date(2024, 2, 29), date(2024, 2, 29), DAY),
        ("1900-01-01", date(1900, 1, 1), date(1900, 1, 1), DAY),
        ("December 31, 2200", date(2200, 12, 31), date(2200, 12, 31), DAY),
        # a span of days
        ("May 27-29, 2025", date(2025, 5, 27), date(2025, 5, 29), DAY),
        ("May 27 to 29, 2025", date(2025, 5, 27), date(2025, 5, 29), DAY),
        ("May 27\u201329 2025", date(2025, 5, 27), date(2025, 5, 29), DAY),
        ("27-29 May 2025", date(2025, 5, 27), date(2025, 5, 29), DAY),
        ("May 27, 2025 - June 2, 2025", date(2025, 5, 27), date(2025, 6, 2), DAY),
        ("May 27 - June 2, 2025", date(2025, 5, 27), date(2025, 6, 2), DAY),
        ("December 29 - January 2, 2026", date(2025, 12, 29), date(2026, 1, 2), DAY),
        ("2025-07-01 - 2025-09-15", date(2025, 7, 1), date(2025, 9, 15), DAY),
        # a month
        ("July 2025", date(2025, 7, 1), date(2025, 7, 31), MONTH),
        ("end of July 2025", date(2025, 7, 1), date(2025, 7, 31), MONTH),
        ("February 2024", date(2024, 2, 1), date(2024, 2, 29), MONTH),
        ("July 2025 - September 2025", date(2025, 7, 1), date(2025, 9, 30), MONTH),
        ("July-September 2025", date(2025, 7, 1), date(2025, 9, 30), MONTH),
        # a quarter
        ("Q3 2025", date(2025, 7, 1), date(2025, 9, 30), QUARTER),
        ("q1 2025", date(2025, 1, 1), date(2025, 3, 31), QUARTER),
        ("Q4-2025", date(2025, 10, 1), date(2025, 12, 31), QUARTER),
        ("third quarter of 2025", date(2025, 7, 1), date(2025, 9, 30), QUARTER),
        ("2nd quarter 2025", date(2025, 4, 1), date(2025, 6, 30), QUARTER),
        ("3Q 2025", date(2025, 7, 1), date(2025, 9, 30), QUARTER),
        # a half
        ("H1 2026", date(2026, 1, 1), date(2026, 6, 30), HALF),
        ("H2 2026", date(2026, 7, 1), date(2026, 12, 31), HALF),
        ("first half of 2026", date(2026, 1, 1), date(2026, 6, 30), HALF),
        ("second half of 2026", date(2026, 7, 1), date(2026, 12, 31), HALF),
        ("1H 2026", date(2026, 1, 1), date(2026, 6, 30), HALF),
        # a season
        ("spring 2025", date(2025, 3, 1), date(2025, 5, 31), SEASON),
        ("summer 2025", date(2025, 6, 1), date(2025, 8, 31), SEASON),
        ("autumn 2025", date(2025, 9, 1), date(2025, 11, 30), SEASON),
        ("fall 2025", date(2025, 9, 1), date(2025, 11, 30), SEASON),
        ("winter 2025", date(2025, 12, 1), date(2026, 2, 28), SEASON),
        ("winter 2025-26", date(2025, 12, 1), date(2026, 2, 28), SEASON),
        ("winter 2025/2026", date(2025, 12, 1), date(2026, 2, 28), SEASON),
        # a part of a year
        ("early 2026", date(2026, 1, 1), date(2026, 4, 30), PERIOD),
        ("mid-2026", date(2026, 5, 1), date(2026, 8, 31), PERIOD),
        ("mid 2026", date(2026, 5, 1), date(2026, 8, 31), PERIOD),
        ("late 2026", date(2026, 9, 1), date(2026, 12, 31), PERIOD),
        # the end of a year is its last month
        ("end of 2026", date(2026, 12, 1), date(2026, 12, 31), MONTH),
        ("year-end 2026", date(2026, 12, 1), date(2026, 12, 31), MONTH),
        ("end-2026", date(2026, 12, 1), date(2026, 12, 31), MONTH),
        ("year end 2026", date(2026, 12, 1), date(2026, 12, 31), MONTH),
        ("end of the year 2026", date(2026, 12, 1), date(2026, 12, 31), MONTH),
        # a year
        ("2030", date(2030, 1, 1), date(2030, 12, 31), YEAR),
        ("by 2030", date(2030, 1, 1), date(2030, 12, 31), YEAR),
    ],
)
def test_it_reads_every_form_with_a_year_as_its_window(text, earliest, latest, precision):
    assert window(text) == (earliest, latest, precision)


@pytest.mark.parametrize(
    ("text", "earliest", "latest"),
    [
        ("winter 2023", date(2023, 12, 1), date(2024, 2, 29)),
        ("winter 2024", date(2024, 12, 1), date(2025, 2, 28)),
        ("winter 1999", date(1999, 12, 1), date(2000, 2, 29)),
        ("winter 2099", date(2099, 12, 1), date(2100, 2, 28)),
    ],
)
def test_it_ends_winter_on_the_last_day_of_the_next_february(text, earliest, latest):
    assert window(text) == (earliest, latest, SEASON)


@pytest.mark.parametrize(
    ("text", "reference", "day"),
    [
        ("July 8", date(2025, 5, 26), date(2025, 7, 8)),
        ("July 8", date(2025, 7, 8), date(2025, 7, 8)),
        ("July 8", date(2025, 7, 9), date(2026, 7, 8)),
        ("8 July", date(2025, 12, 31), date(2026, 7, 8)),
        ("January 1", date(2025, 12, 31), date(2026, 1, 1)),
        ("Feb 29", date(2025, 5, 26), date(2028, 2, 29)),
        ("Feb 29", date(2024, 2, 29), date(2024, 2, 29)),
        ("Feb 29", date(2024, 3, 1), date(2028, 2, 29)),
        ("Feb 29", date(2096, 3, 1), date(2104, 2, 29)),
    ],
)
def test_it_reads_a_day_without_a_year_as_the_next_one_on_or_after_the_reference(
    text, reference, day
):
    assert window(text, reference) == (day, day, DAY)


@pytest.mark.parametrize(
    ("text", "reference", "earliest", "latest"),
    [
        ("May 27-29", date(2025, 5, 26), date(2025, 5, 27), date(2025, 5, 29)),
        ("May 27-29", date(2025, 5, 29), date(2025, 5, 27), date(2025, 5, 29)),
        ("May 27-29", date(2025, 5, 30), date(2026, 5, 27), date(2026, 5, 29)),
    ],
)
def test_it_reads_a_span_without_a_year_as_the_next_one_not_yet_ended(
    text, reference, earliest, latest
):
    assert window(text, reference) == (earliest, latest, DAY)


@pytest.mark.parametrize(
    ("text", "reference", "earliest", "latest"),
    [
        ("July", date(2025, 5, 26), date(2025, 7, 1), date(2025, 7, 31)),
        ("July", date(2025, 7, 31), date(2025, 7, 1), date(2025, 7, 31)),
        ("July", date(2025, 8, 1), date(2026, 7, 1), date(2026, 7, 31)),
        ("end of July", date(2025, 8, 1), date(2026, 7, 1), date(2026, 7, 31)),
        ("February", date(2027, 3, 1), date(2028, 2, 1), date(2028, 2, 29)),
    ],
)
def test_it_reads_a_month_without_a_year_as_the_next_one_not_yet_ended(
    text, reference, earliest, latest
):
    assert window(text, reference) == (earliest, latest, MONTH)


@pytest.mark.parametrize(
    ("text", "reference", "earliest", "latest"),
    [
        ("winter", date(2026, 1, 10), date(2025, 12, 1), date(2026, 2, 28)),
        ("winter", date(2025, 3, 1), date(2025, 12, 1), date(2026, 2, 28)),
        ("winter", date(2025, 2, 28), date(2024, 12, 1), date(2025, 2, 28)),
        ("winter", date(2024, 2, 29), date(2023, 12, 1), date(2024, 2, 29)),
        ("winter", date(2023, 3, 1), date(2023, 12, 1), date(2024, 2, 29)),
        ("autumn", date(2025, 5, 26), date(2025, 9, 1), date(2025, 11, 30)),
        ("fall", date(2025, 12, 1), date(2026, 9, 1), date(2026, 11, 30)),
        ("spring", date(2025, 5, 31), date(2025, 3, 1), date(2025, 5, 31)),
        ("spring", date(2025, 6, 1), date(2026, 3, 1), date(2026, 5, 31)),
        ("summer", date(2025, 1, 1), date(2025, 6, 1), date(2025, 8, 31)),
    ],
)
def test_it_reads_a_season_without_a_year_as_the_next_one_not_yet_ended(
    text, reference, earliest, latest
):
    assert window(text, reference) == (earliest, latest, SEASON)


@pytest.mark.parametrize(
    ("text", "reference", "earliest", "latest", "precision"),
    [
        ("Q3", date(2025, 5, 26), date(2025, 7, 1), date(2025, 9, 30), QUARTER),
        ("Q1", date(2025, 5, 26), date(2026, 1, 1), date(2026, 3, 31), QUARTER),
        ("H1", date(2025, 6, 30), date(2025, 1, 1), date(2025, 6, 30), HALF),
        ("H1", date(2025, 7, 1), date(2026, 1, 1), date(2026, 6, 30), HALF),
    ],
)
def test_it_reads_a_quarter_or_half_without_a_year_as_the_next_one_not_yet_ended(
    text, reference, earliest, latest, precision
):
    assert window(text, reference) == (earliest, latest, precision)


@pytest.mark.parametrize(
    ("text", "reference", "earliest", "latest", "precision"),
    [
        ("within 90 days", date(2025, 5, 26), date(2025, 8, 24), date(2025, 8, 24), DAY),
        ("in 3 months", date(2025, 5, 26), date(2025, 8, 26), date(2025, 8, 26), DAY),
        ("in 1 month", date(2025, 1, 31), date(2025, 2, 28), date(2025, 2, 28), DAY),
        ("in a month", date(2024, 1, 31), date(2024, 2, 29), date(2024, 2, 29), DAY),
        ("within 2 weeks", date(2025, 5, 26), date(2025, 6, 9), date(2025, 6, 9), DAY),
        ("within the next 10 days", date(2025, 5, 26), date(2025, 6, 5), date(2025, 6, 5), DAY),
        ("in 1 year", date(2024, 2, 29), date(2025, 2, 28), date(2025, 2, 28), DAY),
        ("within 3650 days", date(2025, 1, 1), date(2034, 12, 30), date(2034, 12, 30), DAY),
        ("in 10 years", date(2025, 1, 1), date(2035, 1, 1), date(2035, 1, 1), DAY),
        ("next week", date(2025, 5, 26), date(2025, 6, 2), date(2025, 6, 2), DAY),
        ("next month", date(2025, 5, 26), date(2025, 6, 1), date(2025, 6, 30), MONTH),
        ("next month", date(2025, 12, 31), date(2026, 1, 1), date(2026, 1, 31), MONTH),
        ("next month", date(2024, 1, 31), date(2024, 2, 1), date(2024, 2, 29), MONTH),
        ("next year", date(2025, 5, 26), date(2026, 1, 1), date(2026, 12, 31), YEAR),
        ("today", date(2025, 5, 26), date(2025, 5, 26), date(2025, 5, 26), DAY),
        ("tomorrow", date(2025, 12, 31), date(2026, 1, 1), date(2026, 1, 1), DAY),
    ],
)
def test_it_reads_relative_forms_from_the_reference_date(
    text, reference, earliest, latest, precision
):
    assert window(text, reference) == (earliest, latest, precision)


@pytest.mark.parametrize(
    "text",
    [
        "by July 8, 2025",
        "before July 8, 2025",
        "on July 8, 2025",
        "until July 8, 2025",
        "around July 8, 2025",
        "no later than July 8, 2025",
        "not later than July 8, 2025",
        "ending July 8, 2025",
        "due July 8, 2025",
        "by the 8th of July 2025",
        "BY  July   8th,2025",
    ],
)
def test_it_ignores_leading_filler_words(text):
    assert window(text) == (date(2025, 7, 8), date(2025, 7, 8), DAY)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("in July 2025", "July 2025"),
        ("by the end of 2026", "end of 2026"),
        ("before Q3 2025", "Q3 2025"),
        ("in 2030", "2030"),
        ("around mid-2026", "mid-2026"),
        ("by winter", "winter"),
    ],
)
def test_it_ignores_filler_before_any_form(text, expected):
    assert window(text) == window(expected)


def test_it_keeps_in_before_a_count_as_part_of_the_relative_form():
    assert window("in 3 months") == (date(2025, 8, 26), date(2025, 8, 26), DAY)
    with pytest.raises(DeadlineError):
        parse_deadline("3 months", REFERENCE)


@pytest.mark.parametrize(
    "text",
    [
        "  q3   2025  ",
        "Q3, 2025",
        "THIRD QUARTER OF 2025",
        "Q3\t2025",
        "q3\n2025",
        "Q3 \u2013 2025",
        "Q3\u00a02025",
    ],
)
def test_it_is_tolerant_of_case_whitespace_commas_and_dashes(text):
    assert window(text) == (date(2025, 7, 1), date(2025, 9, 30), QUARTER)


def test_it_keeps_the_text_as_written_but_stripped():
    deadline = parse_deadline("  By Q3 2025\n", REFERENCE)
    assert deadline == Deadline(
        text="By Q3 2025",
        earliest=date(2025, 7, 1),
        latest=date(2025, 9, 30),
        precision=QUARTER,
    )


def test_every_example_in_the_accepted_forms_can_be_read():
    for example in ACCEPTED_FORMS:
        deadline = parse_deadline(example, REFERENCE)
        assert deadline.earliest <= deadline.latest


@time_machine.travel(datetime(2026, 1, 10, 12, 0), tick=False)
def test_it_counts_from_today_when_no_reference_is_given():
    assert parse_deadline("winter").earliest == date(2025, 12, 1)
    assert parse_deadline("tomorrow").latest == date(2026, 1, 11)


def test_it_accepts_a_datetime_as_the_reference():
    assert parse_deadline("tomorrow", datetime(2025, 5, 26, 23, 59)).latest == date(2025, 5, 27)


# --- rejection ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "",
        "   ",
        "sometime soonish",
        "soon",
        "by",
        "the",
        "None",
        "asap",
        "July 32, 2025",
        "Feb 30, 2025",
        "Feb 29, 2025",
        "Feb 30",
        "April 31",
        "2025-02-29",
        "2025-13-01",
        "2025-00-10",
        "May 29-27, 2025",
        "May 29, 2025 - May 27, 2025",
        "September 2025 - July 2025",
        "2025-07-09 - 2025-07-08",
        "1899",
        "2201",
        "0999",
        "20300",
        "25",
        "July 8, 25",
        "Q5 2025",
        "Q0 2025",
        "H3 2026",
        "fifth quarter of 2025",
        "winter 2025-27",
        "early",
        "mid-",
        "within 2030",
        "within 0 days",
        "in 3651 days",
        "in 522 weeks",
        "in 121 months",
        "in 11 years",
        "in 99999999999999999999999 days",
        "in -3 days",
        "in 1.5 months",
        "next decade",
        "last month",
        "Q3 2025 or Q4 2025",
        "July 8, 2025 maybe",
        "x" * 201,
        "July\x00 8, 2025",
        "July 8\x1b[31m, 2025",
        "Q3\u200b2025",
        "\u0662\u0660\u0662\u0665",  # Arabic-Indic digits: not a year here
        "\ud800",
    ],
)
def test_it_rejects_text_it_cannot_read_quoting_it_without_listing_every_form(text):
    with pytest.raises(DeadlineError) as caught:
        parse_deadline(text, REFERENCE)
    message = str(caught.value)
    assert caught.value.text == text.strip()
    if text.strip().isprintable() and len(text) <= 80:
        assert f'"{text.strip()}"' in message
    # A reason, one suggestion or a few examples: never the whole list of forms.
    assert sum(f'"{form}"' in message for form in ACCEPTED_FORMS) <= 5
    assert len(message) < 300


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("Feb 30, 2025", "February 30, 2025 does not exist"),
        ("Feb 29, 2025", "February 29, 2025 does not exist"),
        ("Feb 30", "February 30 does not exist"),
        ("May 29-27, 2025", "the span ends before it starts"),
        ("1899", "years must be between 1900 and 2200"),
        ("in 5000 days", "the count must be between 1 and 3650 days"),
        ("x" * 201, "longer than 200 characters"),
        ("July\x07 8", "control characters"),
        ("Q3\u200b 2025", "control characters"),
    ],
)
def test_it_says_why_a_well_shaped_text_is_still_wrong(text, reason):
    with pytest.raises(DeadlineError, match=reason):
        parse_deadline(text, REFERENCE)


def test_it_shortens_a_very_long_text_in_the_message_but_keeps_it_on_the_error():
    text = "y" * 500
    with pytest.raises(DeadlineError) as caught:
        parse_deadline(text, REFERENCE)
    assert caught.value.text == text
    assert text not in str(caught.value)
    assert '"' + "y" * 77 + '..."' in str(caught.value)


@pytest.mark.parametrize("value", [None, 42, b"July 8, 2025", ["Q3 2025"]])
def test_it_rejects_input_that_is_not_text(value):
    with pytest.raises(DeadlineError):
        parse_deadline(value, REFERENCE)


@pytest.mark.parametrize("text", ["tomorrow", "next year", "in 10 years", "July", "winter"])
def test_it_rejects_rather_than_crashes_past_the_end_of_the_calendar(text):
    with pytest.raises(DeadlineError):
        parse_deadline(text, date.max)


def test_the_error_is_a_value_error_that_survives_pickling():
    with pytest.raises(ValueError) as caught:
        parse_deadline("sometime soonish", REFERENCE)
    copy = pickle.loads(pickle.dumps(caught.value))
    assert isinstance(copy, DeadlineError)
    assert copy.text == "sometime soonish"
    assert str(copy) == str(caught.value)


# --- describe -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("earliest", "latest", "precision", "text"),
    [
        (date(2025, 7, 8), date(2025, 7, 8), DAY, "July 8, 2025"),
        (date(2025, 5, 27), date(2025, 5, 29), DAY, "May 27-29, 2025"),
        (date(2025, 5, 27), date(2025, 6, 2), DAY, "May 27, 2025 - June 2, 2025"),
        (date(2025, 12, 29), date(2026, 1, 2), DAY, "December 29, 2025 - January 2, 2026"),
        (date(2025, 7, 1), date(2025, 7, 31), MONTH, "July 2025"),
        (date(2025, 7, 1), date(2025, 9, 30), MONTH, "July 2025 - September 2025"),
        (date(2026, 12, 1), date(2026, 12, 31), MONTH, "December 2026"),
        (date(2025, 7, 1), date(2025, 9, 30), QUARTER, "Q3 2025"),
        (date(2026, 1, 1), date(2026, 6, 30), HALF, "H1 2026"),
        (date(2026, 7, 1), date(2026, 12, 31), HALF, "H2 2026"),
        (date(2025, 9, 1), date(2025, 11, 30), SEASON, "autumn 2025"),
        (date(2025, 12, 1), date(2026, 2, 28), SEASON, "winter 2025"),
        (date(2023, 12, 1), date(2024, 2, 29), SEASON, "winter 2023"),
        (date(2026, 1, 1), date(2026, 4, 30), PERIOD, "early 2026"),
        (date(2026, 5, 1), date(2026, 8, 31), PERIOD, "mid-2026"),
        (date(2026, 9, 1), date(2026, 12, 31), PERIOD, "late 2026"),
        (date(2030, 1, 1), date(2030, 12, 31), YEAR, "2030"),
        (date(2030, 1, 1), date(2030, 12, 31), "year", "2030"),
        (date(2025, 7, 1), date(2025, 9, 30), " Quarter ", "Q3 2025"),
    ],
)
def test_it_describes_a_window_in_its_canonical_text(earliest, latest, precision, text):
    assert describe(earliest, latest, precision) == text


@pytest.mark.parametrize(
    ("earliest", "latest", "precision"),
    [
        (date(2025, 7, 2), date(2025, 7, 31), MONTH),
        (date(2025, 7, 1), date(2025, 7, 30), MONTH),
        (date(2025, 7, 1), date(2025, 9, 15), QUARTER),
        (date(2025, 8, 1), date(2025, 10, 31), QUARTER),
        (date(2025, 1, 1), date(2025, 12, 31), HALF),
        (date(2025, 12, 1), date(2026, 2, 27), SEASON),
        (date(2025, 10, 1), date(2025, 12, 31), SEASON),
        (date(2026, 1, 1), date(2026, 5, 31), PERIOD),
        (date(2030, 1, 1), date(2030, 12, 30), YEAR),
        (date(9999, 12, 1), date(9999, 12, 31), SEASON),
    ],
)
def test_it_describes_bounds_that_do_not_fit_their_precision_as_plain_dates(
    earliest, latest, precision
):
    assert describe(earliest, latest, precision) == f"{earliest} - {latest}"


def test_it_reads_the_plain_dates_fallback_back_as_a_span_of_days():
    text = describe(date(2025, 7, 1), date(2025, 9, 15), QUARTER)
    assert window(text) == (date(2025, 7, 1), date(2025, 9, 15), DAY)


@pytest.mark.parametrize(
    ("earliest", "latest", "precision"),
    [
        (date(2025, 7, 9), date(2025, 7, 8), DAY),
        (date(2025, 7, 1), date(2025, 7, 31), "fortnight"),
        (date(2025, 7, 1), date(2025, 7, 31), ""),
        (date(2025, 7, 1), date(2025, 7, 31), None),
        ("2025-07-01", date(2025, 7, 31), MONTH),
    ],
)
def test_describe_rejects_bounds_out_of_order_or_an_unknown_precision(earliest, latest, precision):
    with pytest.raises(DeadlineError):
        describe(earliest, latest, precision)


@pytest.mark.parametrize(
    ("earliest", "latest", "precision"),
    [
        (date(2025, 7, 8), date(2025, 7, 8), DAY),
        (date(2025, 5, 27), date(2025, 5, 29), DAY),
        (date(2025, 12, 29), date(2026, 1, 2), DAY),
        (date(2024, 2, 29), date(2024, 2, 29), DAY),
        (date(2025, 7, 1), date(2025, 7, 31), MONTH),
        (date(2025, 11, 1), date(2026, 2, 28), MONTH),
        (date(2025, 10, 1), date(2025, 12, 31), QUARTER),
        (date(2026, 7, 1), date(2026, 12, 31), HALF),
        (date(2025, 3, 1), date(2025, 5, 31), SEASON),
        (date(2025, 6, 1), date(2025, 8, 31), SEASON),
        (date(2025, 9, 1), date(2025, 11, 30), SEASON),
        (date(2023, 12, 1), date(2024, 2, 29), SEASON),
        (date(2026, 1, 1), date(2026, 4, 30), PERIOD),
        (date(2026, 5, 1), date(2026, 8, 31), PERIOD),
        (date(2026, 9, 1), date(2026, 12, 31), PERIOD),
        (date(2030, 1, 1), date(2030, 12, 31), YEAR),
    ],
)
def test_it_reads_back_what_it_describes(earliest, latest, precision):
    assert window(describe(earliest, latest, precision)) == (earliest, latest, precision)


# --- properties -----------------------------------------------------------------------------

VOCABULARY = (
    "by", "before", "in", "within", "the", "end", "of", "next", "to", "-", "\u2013", ",",
    "January", "Feb", "Sept", "July", "8", "8th", "27", "29", "30", "31", "0", "13",
    "Q3", "3Q", "H1", "1H", "first", "third", "quarter", "half",
    "spring", "winter", "fall", "early", "mid", "mid-", "late", "year-end",
    "1899", "1900", "2024", "2025", "2200", "2201", "9999",
    "2025-07-08", "days", "weeks", "months", "year", "90", "3650", "3651",
    "today", "tomorrow", "week", "month", "a",
)  # fmt: skip

any_reference = st.dates()
plausible_reference = st.dates(min_value=date(1900, 1, 1), max_value=date(2200, 12, 31))
years = st.integers(min_value=1900, max_value=2200)


def _reads_as_a_window_or_is_rejected(text: str, reference: date) -> None:
    try:
        deadline = parse_deadline(text, reference)
    except DeadlineError:
        return
    assert deadline.earliest <= deadline.latest
    assert deadline.text == text.strip()
    assert isinstance(deadline.precision, Precision)


@settings(max_examples=300)
@given(text=st.text(max_size=250), reference=any_reference)
def test_it_reads_any_text_as_a_window_or_rejects_it_with_a_deadline_error(text, reference):
    _reads_as_a_window_or_is_rejected(text, reference)


@settings(max_examples=300)
@given(
    words=st.lists(st.sampled_from(VOCABULARY), min_size=1, max_size=6),
    reference=any_reference,
)
def test_it_reads_any_jumble_of_deadline_words_or_rejects_it(words, reference):
    _reads_as_a_window_or_is_rejected(" ".join(words), reference)


@settings(max_examples=300)
@given(
    season=st.sampled_from(["spring", "summer", "autumn", "fall", "winter"]),
    year=st.one_of(st.none(), years),
    reference=plausible_reference,
)
def test_a_season_is_three_whole_months_starting_in_its_month(season, year, reference):
    text = season if year is None else f"{season} {year}"
    earliest, latest, precision = window(text, reference)
    assert precision == SEASON
    assert earliest.day == 1
    assert (
        earliest.month == {"spring": 3, "summer": 6, "autumn": 9, "fall": 9, "winter": 12}[season]
    )
    assert 89 <= (latest - earliest).days + 1 <= 92
    if year is None:
        assert latest >= reference
        # The same season a year earlier must already have ended.
        assert earliest + relativedelta(years=-1, months=3, days=-1) < reference
    else:
        assert earliest.year == year


@settings(max_examples=300)
@given(quarter=st.integers(1, 4), year=years, style=st.sampled_from(["Q{q} {y}", "{q}Q {y}"]))
def test_a_quarter_is_its_three_months(quarter, year, style):
    earliest, latest, precision = window(style.format(q=quarter, y=year))
    assert precision == QUARTER
    assert earliest == date(year, 3 * quarter - 2, 1)
    assert latest.year == year
    assert latest.month == 3 * quarter
    assert (latest + ONE_DAY).day == 1


@settings(max_examples=300)
@given(day=st.dates(min_value=date(1900, 1, 1), max_value=date(2200, 12, 31)))
def test_a_written_day_reads_back_as_that_day_in_every_style(day):
    month = day.strftime("%B")
    for text in (
        f"{month} {day.day}, {day.year}",
        f"{day.day} {month} {day.year}",
        day.isoformat(),
        f"by {month[:3]} {day.day} {day.year}",
    ):
        assert window(text) == (day, day, DAY)


@settings(max_examples=300)
@given(
    day=st.dates(min_value=date(1900, 1, 1), max_value=date(2200, 12, 31)),
    reference=plausible_reference,
)
def test_a_day_without_a_year_is_the_first_such_day_on_or_after_the_reference(day, reference):
    earliest, latest, precision = window(f"{day.strftime('%B')} {day.day}", reference)
    assert (earliest, precision) == (latest, DAY)
    assert (earliest.month, earliest.day) == (day.month, day.day)
    assert earliest >= reference
    assert earliest.year - reference.year <= 8


@settings(max_examples=300)
@given(
    count=st.integers(1, 120),
    unit=st.sampled_from(["days", "weeks", "months"]),
    reference=plausible_reference,
)
def test_a_count_ahead_lands_after_the_reference(count, unit, reference):
    earliest, latest, precision = window(f"within {count} {unit}", reference)
    assert earliest == latest
    assert precision == DAY
    assert earliest > reference


@st.composite
def exact_windows(draw: st.DrawFn) -> tuple[date, date, Precision]:
    precision = draw(st.sampled_from(list(Precision)))
    year = draw(st.integers(1900, 2199))
    if precision is DAY:
        earliest = draw(st.dates(date(year, 1, 1), date(year, 12, 31)))
        latest = draw(st.dates(earliest, date(2200, 12, 31)))
        return earliest, latest, precision
    starts = {
        MONTH: range(1, 13),
        QUARTER: (1, 4, 7, 10),
        HALF: (1, 7),
        SEASON: (3, 6, 9, 12),
        PERIOD: (1, 5, 9),
        YEAR: (1,),
        FISCAL_YEAR: range(1, 13),
    }[precision]
    lengths = {QUARTER: 3, HALF: 6, SEASON: 3, PERIOD: 4, YEAR: 12, FISCAL_YEAR: 12}
    month = draw(st.sampled_from(list(starts)))
    length = draw(st.integers(1, 24)) if precision is MONTH else lengths[precision]
    earliest = date(year, month, 1)
    after = date(year + (month - 1 + length) // 12, (month - 1 + length) % 12 + 1, 1)
    return earliest, after - ONE_DAY, precision


@settings(max_examples=300)
@given(bounds=exact_windows())
def test_it_reads_back_what_it_describes_for_any_exact_window(bounds):
    earliest, latest, precision = bounds
    # A fiscal year reads back in its own start month, as its negotiation would read it.
    start = earliest.month if precision is FISCAL_YEAR else 4
    assert window(describe(earliest, latest, precision), fiscal_year_start=start) == bounds


@settings(max_examples=300)
@given(
    earliest=st.dates(),
    latest=st.dates(),
    precision=st.one_of(st.sampled_from(list(Precision)), st.text(max_size=10)),
)
def test_describe_returns_text_or_raises_a_deadline_error(earliest, latest, precision):
    try:
        text = describe(earliest, latest, precision)
    except DeadlineError:
        return
    assert earliest <= latest
    assert text
