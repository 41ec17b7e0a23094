"""Deadlines as officials say them (issue 10): quarter and half ends, year-end, numeric
dates, fiscal years, and relative phrases kept with the day they were said."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tracker.deadlines import (
    Deadline,
    DeadlineError,
    Precision,
    describe,
    in_words,
    parse_deadline,
)

REFERENCE = date(2026, 11, 22)
DAY = Precision.DAY
MONTH = Precision.MONTH
FISCAL_YEAR = Precision.FISCAL_YEAR


def window(text: str, reference: date = REFERENCE, **reading: Any) -> tuple[date, date, Precision]:
    deadline = parse_deadline(text, reference, **reading)
    return deadline.earliest, deadline.latest, deadline.precision


@pytest.mark.parametrize(
    ("text", "earliest", "latest", "precision"),
    [
        # the end of a quarter or half: its last month
        ("end of Q1 2027", date(2027, 3, 1), date(2027, 3, 31), MONTH),
        ("by end of Q1 2027", date(2027, 3, 1), date(2027, 3, 31), MONTH),
        ("by the end of Q4 2026", date(2026, 12, 1), date(2026, 12, 31), MONTH),
        ("end of the first quarter of 2027", date(2027, 3, 1), date(2027, 3, 31), MONTH),
        ("end-Q3 2027", date(2027, 9, 1), date(2027, 9, 30), MONTH),
        ("end of H1 2027", date(2027, 6, 1), date(2027, 6, 30), MONTH),
        ("end of H2 2027", date(2027, 12, 1), date(2027, 12, 31), MONTH),
        ("end of Q1 2028", date(2028, 3, 1), date(2028, 3, 31), MONTH),
        # year-end, in the year it was said
        ("by year-end", date(2026, 12, 1), date(2026, 12, 31), MONTH),
        ("by the end of the year", date(2026, 12, 1), date(2026, 12, 31), MONTH),
        ("end of year", date(2026, 12, 1), date(2026, 12, 31), MONTH),
        # numeric days, day first by default
        ("31/03/2027", date(2027, 3, 31), date(2027, 3, 31), DAY),
        ("31.03.2027", date(2027, 3, 31), date(2027, 3, 31), DAY),
        ("31-03-2027", date(2027, 3, 31), date(2027, 3, 31), DAY),
        ("by 1/4/2027", date(2027, 4, 1), date(2027, 4, 1), DAY),
        ("29/02/2028", date(2028, 2, 29), date(2028, 2, 29), DAY),
        ("29.02.2000", date(2000, 2, 29), date(2000, 2, 29), DAY),
        # fiscal years, starting in April (the default)
        ("FY2026-27", date(2026, 4, 1), date(2027, 3, 31), FISCAL_YEAR),
        ("FY 2026–27", date(2026, 4, 1), date(2027, 3, 31), FISCAL_YEAR),
        ("fiscal 2026-27", date(2026, 4, 1), date(2027, 3, 31), FISCAL_YEAR),
        ("FY2026-2027", date(2026, 4, 1), date(2027, 3, 31), FISCAL_YEAR),
        ("FY1999-00", date(1999, 4, 1), date(2000, 3, 31), FISCAL_YEAR),
        ("FY2027", date(2026, 4, 1), date(2027, 3, 31), FISCAL_YEAR),
        ("FY27", date(2026, 4, 1), date(2027, 3, 31), FISCAL_YEAR),
        ("by FY28", date(2027, 4, 1), date(2028, 3, 31), FISCAL_YEAR),
        ("FY2028", date(2027, 4, 1), date(2028, 3, 31), FISCAL_YEAR),
    ],
)
def test_it_reads_each_official_form_as_its_exact_window(text, earliest, latest, precision):
    assert window(text) == (earliest, latest, precision)


@pytest.mark.parametrize(
    ("reference", "earliest"),
    [
        (date(2026, 1, 1), date(2026, 12, 1)),
        (date(2026, 12, 1), date(2026, 12, 1)),
        (date(2026, 12, 31), date(2026, 12, 1)),
        (date(2027, 1, 1), date(2027, 12, 1)),
    ],
)
def test_year_end_is_the_december_of_the_year_it_was_said_in(reference, earliest):
    deadline = parse_deadline("by year-end", reference)
    assert (deadline.earliest, deadline.latest) == (earliest, date(earliest.year, 12, 31))
    assert deadline.said_on == reference


@pytest.mark.parametrize(
    ("text", "order", "day"),
    [
        ("03/04/2027", "dmy", date(2027, 4, 3)),
        ("03/04/2027", "mdy", date(2027, 3, 4)),
        ("03/31/2027", "mdy", date(2027, 3, 31)),
        ("12.31.2027", "mdy", date(2027, 12, 31)),
        ("02-29-2028", "mdy", date(2028, 2, 29)),
    ],
)
def test_numeric_dates_follow_the_configured_order(text, order, day):
    assert window(text, numeric_order=order) == (day, day, DAY)


@pytest.mark.parametrize(
    ("text", "order", "reason"),
    [
        ("31/02/2027", "dmy", "February 31, 2027 does not exist"),
        ("29/02/2027", "dmy", "February 29, 2027 does not exist"),
        ("29.02.1900", "dmy", "February 29, 1900 does not exist"),
        ("13/31/2027", "dmy", "there is no month 31"),
        ("31/03/2027", "mdy", "there is no month 31"),
        ("02/30/2027", "mdy", "February 30, 2027 does not exist"),
        ("00/01/2027", "dmy", "January 0, 2027 does not exist"),
        ("01/00/2027", "dmy", "there is no month 0"),
    ],
)
def test_an_impossible_numeric_date_is_rejected_never_swapped(text, order, reason):
    with pytest.raises(DeadlineError, match=reason) as caught:
        parse_deadline(text, REFERENCE, numeric_order=order)
    assert f'"{text}"' in str(caught.value)
    # The reason is the whole help: no list of forms after it.
    assert str(caught.value).count('"') == 2


@pytest.mark.parametrize(
    ("text", "start", "earliest", "latest"),
    [
        ("FY2027", 4, date(2026, 4, 1), date(2027, 3, 31)),
        ("FY2027", 10, date(2026, 10, 1), date(2027, 9, 30)),
        ("FY2027", 7, date(2026, 7, 1), date(2027, 6, 30)),
        ("FY2027", 1, date(2027, 1, 1), date(2027, 12, 31)),
        ("FY2026-27", 10, date(2026, 10, 1), date(2027, 9, 30)),
        ("FY2026-27", 12, date(2026, 12, 1), date(2027, 11, 30)),
        ("FY2024", 3, date(2023, 3, 1), date(2024, 2, 29)),
    ],
)
def test_a_fiscal_year_starts_in_the_month_it_is_given(text, start, earliest, latest):
    assert window(text, fiscal_year_start=start) == (earliest, latest, FISCAL_YEAR)


@pytest.mark.parametrize(
    ("text", "start", "reason"),
    [
        ("FY2026-28", 4, "two consecutive years"),
        ("FY2026-2026", 4, "two consecutive years"),
        ("FY2026-27", 1, "lies in one year: write FY2026"),
        ("FY2201", 4, "years must be between"),
        ("FY2200-01", 4, "years must be between"),
        ("FY", 4, None),
        ("FY2026-27", 0, "month from 1 to 12"),
        ("FY2026-27", 13, "month from 1 to 12"),
        ("end of Q5 2027", 4, None),
        ("end of H3 2027", 4, None),
        ("31/03/27", 4, None),
        ("31/03.2027", 4, None),
        ("by year-end-ish", 4, None),
    ],
)
def test_it_rejects_malformed_official_forms_with_the_deadline_error(text, start, reason):
    with pytest.raises(DeadlineError, match=reason) as caught:
        parse_deadline(text, REFERENCE, fiscal_year_start=start)
    assert f'"{text}"' in str(caught.value)


def test_it_rejects_an_unknown_numeric_order_with_the_deadline_error():
    with pytest.raises(DeadlineError, match="dmy or mdy"):
        parse_deadline("31/03/2027", REFERENCE, numeric_order="ymd")


# --- relative phrases -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        ("within 90 days", "by 20 Feb 2027 (within 90 days of 22 Nov 2026)"),
        ("in 3 months", "by 22 Feb 2027 (in 3 months, said on 22 Nov 2026)"),
        ("next month", "by December 2026 (next month, said on 22 Nov 2026)"),
        ("by year-end", "by December 2026 (by year-end, said on 22 Nov 2026)"),
        ("tomorrow", "by 23 Nov 2026 (tomorrow, said on 22 Nov 2026)"),
        ("July 8", "by 8 Jul 2027 (July 8, said on 22 Nov 2026)"),
        ("end of Q1 2027", "end of Q1 2027"),
        ("FY2027", "FY2027"),
        ("31/03/2027", "31/03/2027"),
    ],
)
def test_a_relative_phrase_is_shown_with_its_date_and_the_day_it_was_said(text, shown):
    assert in_words(parse_deadline(text, REFERENCE)) == shown


def test_only_a_phrase_that_depends_on_the_day_said_keeps_that_day():
    assert parse_deadline("within 90 days", REFERENCE).said_on == REFERENCE
    assert parse_deadline("spring", REFERENCE).said_on == REFERENCE
    assert parse_deadline("Q3", REFERENCE).said_on == REFERENCE
    assert parse_deadline("spring 2027", REFERENCE).said_on is None
    assert parse_deadline("Q3 2027", REFERENCE).said_on is None
    assert parse_deadline("FY27", REFERENCE).said_on is None


def test_the_words_stay_the_same_however_long_ago_they_were_said():
    deadline = Deadline(
        text="within 90 days",
        earliest=date(2027, 2, 20),
        latest=date(2027, 2, 20),
        precision=DAY,
        said_on=REFERENCE,
    )
    assert in_words(deadline) == "by 20 Feb 2027 (within 90 days of 22 Nov 2026)"


# --- describe(parse(text)) reads back the same window ---------------------------------------

years = st.integers(min_value=1901, max_value=2198)
starts = st.integers(min_value=1, max_value=12)
# Relative phrases count up to a few years ahead; describe then needs a year up to 2200.
references = st.dates(min_value=date(1900, 1, 1), max_value=date(2190, 12, 31))


@st.composite
def official_texts(draw: st.DrawFn) -> str:
    year = draw(years)
    day = draw(st.dates(date(year, 1, 1), date(year, 12, 31)))
    separator = draw(st.sampled_from("/.-"))
    choices = [
        f"end of Q{draw(st.integers(1, 4))} {year}",
        f"by end of H{draw(st.integers(1, 2))} {year}",
        draw(st.sampled_from(["by year-end", "by the end of the year", "year-end"])),
        f"{day.day:02d}{separator}{day.month:02d}{separator}{day.year}",
        f"FY{year}",
        f"FY{year % 100:02d}" if 2000 <= year <= 2099 else f"FY {year}",
        f"FY{year}-{(year + 1) % 100:02d}",
        f"FY {year}\u2013{(year + 1) % 100:02d}",
        f"fiscal {year}-{(year + 1) % 100:02d}",
        f"within {draw(st.integers(1, 365))} days",
        f"in {draw(st.integers(1, 24))} months",
        "next month",
    ]
    return draw(st.sampled_from(choices))


@settings(max_examples=400)
@given(text=official_texts(), start=starts, reference=references)
def test_every_new_form_reads_back_from_its_description_as_the_same_window(text, start, reference):
    try:
        first = parse_deadline(text, reference, fiscal_year_start=start)
    except DeadlineError as error:
        # Only a two-year label for a fiscal year that starts in January is refused.
        assert start == 1
        assert "lies in one year" in str(error)
        return
    again = parse_deadline(
        describe(first.earliest, first.latest, first.precision),
        reference,
        fiscal_year_start=start,
    )
    assert (again.earliest, again.latest, again.precision) == (
        first.earliest,
        first.latest,
        first.precision,
    )


@settings(max_examples=300)
@given(
    text=st.text(alphabet="FYfiscal0123456789/.- –Qqendofbyyear", max_size=20),
    start=starts,
    order=st.sampled_from(["dmy", "mdy"]),
    reference=st.dates(),
)
def test_any_official_looking_text_reads_as_a_window_or_is_rejected(text, start, order, reference):
    try:
        deadline = parse_deadline(text, reference, fiscal_year_start=start, numeric_order=order)
    except DeadlineError:
        return
    assert deadline.earliest <= deadline.latest
