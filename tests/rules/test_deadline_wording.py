"""Deadline wording officials use: early / mid / late in a month, end-March, said-on days,
and a refusal that names the closest form."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.contrib.auth.models import User
from hypothesis import given
from hypothesis import strategies as st
from rest_framework.test import APIClient

from tests.conftest import make_negotiation, make_track
from tracker.deadlines import DeadlineError, Precision, describe, parse_deadline
from tracker.models import Milestone

REFERENCE = dt.date(2026, 12, 7)


def window(text: str, reference: dt.date = REFERENCE) -> tuple[dt.date, dt.date, Precision]:
    deadline = parse_deadline(text, REFERENCE if reference is None else reference)
    return deadline.earliest, deadline.latest, deadline.precision


@pytest.mark.parametrize(
    ("text", "earliest", "latest"),
    [
        ("early December 2026", dt.date(2026, 12, 1), dt.date(2026, 12, 10)),
        ("mid-January 2027", dt.date(2027, 1, 11), dt.date(2027, 1, 20)),
        ("mid January 2027", dt.date(2027, 1, 11), dt.date(2027, 1, 20)),
        ("late February 2028", dt.date(2028, 2, 21), dt.date(2028, 2, 29)),
        ("late Feb 2027", dt.date(2027, 2, 21), dt.date(2027, 2, 28)),
        ("by early-Dec 2026", dt.date(2026, 12, 1), dt.date(2026, 12, 10)),
        ("in late March 2027", dt.date(2027, 3, 21), dt.date(2027, 3, 31)),
    ],
)
def test_early_mid_and_late_in_a_month_are_days_1_to_10_11_to_20_and_21_to_its_end(
    text, earliest, latest
):
    assert window(text) == (earliest, latest, Precision.PERIOD)
    assert parse_deadline(text, REFERENCE).said_on is None


@pytest.mark.parametrize("text", ["end-March 2027", "end of March 2027", "by end-March 2027"])
def test_end_march_2027_means_march_2027_as_end_of_march_2027_always_has(text):
    assert window(text) == (dt.date(2027, 3, 1), dt.date(2027, 3, 31), Precision.MONTH)


def test_a_month_part_without_a_year_is_the_next_one_not_ended_counted_from_the_day_said():
    assert window("early December") == (
        dt.date(2026, 12, 1),
        dt.date(2026, 12, 10),
        Precision.PERIOD,
    )
    assert window("early December", dt.date(2026, 12, 11))[0] == dt.date(2027, 12, 1)
    assert parse_deadline("mid-January", REFERENCE).said_on == REFERENCE
    assert window("end-March")[:2] == (dt.date(2027, 3, 1), dt.date(2027, 3, 31))


@given(
    year=st.integers(1900, 2200),
    month=st.integers(1, 12),
    part=st.sampled_from(["early", "mid", "late"]),
)
def test_a_month_part_reads_back_from_its_description(year, month, part):
    name = dt.date(2000, month, 1).strftime("%B")
    earliest, latest, precision = window(f"{part} {name} {year}")
    described = describe(earliest, latest, precision)
    assert described == f"{part}{'-' if part == 'mid' else ' '}{name} {year}"
    assert window(described) == (earliest, latest, precision)


@pytest.mark.parametrize(
    ("typed", "suggested"),
    [("mid 2026x", "mid-2026"), ("Q5 2025", "Q3 2025"), ("early Decembre 2026", None)],
)
def test_a_refusal_names_the_closest_accepted_form_instead_of_listing_forty(typed, suggested):
    with pytest.raises(DeadlineError) as caught:
        parse_deadline(typed, REFERENCE)
    message = str(caught.value)
    assert message.startswith(f'Cannot read "{typed}" as a deadline.')
    if suggested:
        assert message.endswith(f'Did you mean "{suggested}"?')
    assert message.count('"') <= 12
    assert "Write one of" not in message


def test_text_like_nothing_at_all_gets_a_few_examples():
    with pytest.raises(DeadlineError) as caught:
        parse_deadline("asap", REFERENCE)
    assert str(caught.value) == (
        'Cannot read "asap" as a deadline. Write it like "July 8, 2025", "Q3 2025", '
        '"mid-2026", "FY2026-27" or "within 90 days".'
    )


# --- the day a deadline was said, through the API and the admin ----------------------------


@pytest.fixture
def typed_on_7_december():
    with time_machine.travel(dt.datetime(2026, 12, 7, 12, tzinfo=dt.UTC), tick=False):
        yield


@pytest.fixture
def editor(db, typed_on_7_december) -> User:
    return User.objects.create_superuser("chief", "chief@example.org")


@pytest.fixture
def api(editor) -> APIClient:
    client = APIClient()
    client.force_authenticate(editor)
    return client


def test_within_90_days_said_on_1_november_counts_from_1_november_through_the_api(api):
    track = make_track(make_negotiation())
    response = api.post(
        "/api/v1/milestones/",
        {
            "track": track.id,
            "title": "Tariff schedule",
            "deadline": {"text": "within 90 days", "said_on": "2026-11-01"},
        },
        format="json",
    )
    assert response.status_code == 201, response.json()
    deadline = response.json()["deadline"]
    assert (deadline["latest"], deadline["said_on"]) == ("2027-01-30", "2026-11-01")
    assert deadline["in_words"] == "by 30 Jan 2027 (within 90 days of 1 Nov 2026)"
    revision = response.json()["revisions"][0]
    assert (revision["new_said_on"], revision["new_latest"]) == ("2026-11-01", "2027-01-30")


def test_the_api_counts_july_8_and_next_month_from_the_day_said(api):
    track = make_track(make_negotiation())
    for title, text, latest in (
        ("Deal", "July 8", "2026-07-08"),
        ("Visit", "next month", "2026-02-28"),
    ):
        response = api.post(
            "/api/v1/milestones/",
            {
                "track": track.id,
                "title": title,
                "deadline": {"text": text, "said_on": "2026-01-15"},
            },
            format="json",
        )
        assert response.status_code == 201, response.json()
        assert response.json()["deadline"]["latest"] == latest


@pytest.mark.parametrize(
    ("deadline", "message"),
    [
        ({"text": "within 90 days", "said_on": "2026-12-08"}, "cannot have been said after today"),
        ({"text": "Q3 2026", "earliest": "2026-07-02"}, "“Q3 2026” means 2026-07-01 to"),
        ({"text": "", "said_on": "2026-11-01"}, "may not be blank"),
        (
            {"earliest": "2026-07-01", "latest": "2026-09-30", "precision": "quarter",
             "said_on": "2026-11-01"},
            "said_on goes with a deadline in words",
        ),
    ],
)  # fmt: skip
def test_a_said_on_day_the_api_cannot_use_is_a_400_that_says_why(api, deadline, message):
    track = make_track(make_negotiation())
    response = api.post(
        "/api/v1/milestones/",
        {"track": track.id, "title": "Tariff schedule", "deadline": deadline},
        format="json",
    )
    assert response.status_code == 400
    assert message in str(response.json()["deadline"])
    assert not Milestone.objects.exists()


def test_the_admin_reads_within_90_days_from_the_day_said(client, editor):
    track = make_track(make_negotiation())
    client.force_login(editor)
    response = client.post(
        "/admin/tracker/milestone/add/",
        {
            "track": track.id,
            "title": "Tariff schedule",
            "slug": "tariff-schedule",
            "kind": "deadline",
            "deadline": "within 90 days",
            "deadline_said_on": "2026-11-01",
            "state": "planned",
            "weight": 1,
            "revisions-TOTAL_FORMS": "0",
            "revisions-INITIAL_FORMS": "0",
        },
    )
    assert response.status_code == 302, response.context["adminform"].form.errors
    milestone = Milestone.objects.get(slug="tariff-schedule")
    assert (milestone.deadline_latest, milestone.deadline_said_on) == (
        dt.date(2027, 1, 30),
        dt.date(2026, 11, 1),
    )
    assert milestone.revisions.get().new_said_on == dt.date(2026, 11, 1)
    page = client.get(f"/admin/tracker/milestone/{milestone.id}/change/").content.decode()
    assert 'value="2026-11-01"' in page
    assert "within 90 days of 1 Nov 2026" in page


def test_the_api_refusal_names_the_closest_form(api):
    track = make_track(make_negotiation())
    response = api.post(
        "/api/v1/milestones/",
        {"track": track.id, "title": "Deal", "deadline": "mid 2026x"},
        format="json",
    )
    assert response.status_code == 400
    assert response.json()["deadline"] == [
        'Cannot read "mid 2026x" as a deadline. Did you mean "mid-2026"?'
    ]
