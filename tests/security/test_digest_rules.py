"""Issue 11, defect 1: no digest rule can stall a worker or the digest job."""

from __future__ import annotations

import datetime as dt
import time

import pytest
import time_machine
from dateutil.rrule import rrulestr
from django.core import mail
from hypothesis import given
from hypothesis import strategies as st
from rest_framework.test import APIClient

from tests.conftest import make_milestone, make_negotiation, make_track
from tracker.models import Subscription
from tracker.reminders.digests import latest_occurrence, send_digests
from tracker.reminders.recurrence import DigestRuleError, parse_digest_rule

UTC = dt.UTC
NOW = dt.datetime(2026, 3, 2, 12, 0, tzinfo=UTC)  # a Monday

# From the review: a stall until the worker is killed, seconds of CPU, and three ways
# round the daily/weekly/monthly check that stored a SECONDLY rule.
BAD_RULES = [
    "FREQ=DAILY;INTERVAL=0",
    "FREQ=DAILY;BYMONTH=2;BYMONTHDAY=30",
    "FREQ=DAILY;BYHOUR=8\nRRULE:FREQ=SECONDLY",
    "FREQ=DAILY;BYHOUR=8 RRULE:FREQ=SECONDLY",
    "FREQ=WEEKLY;BYDAY=MO DTSTART:20260101T000000 RRULE:FREQ=SECONDLY",
    "FREQ=SECONDLY",
    "FREQ=MONTHLY;BYMONTHDAY=31;INTERVAL=12",
    "FREQ=DAILY;BYHOUR=0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23",
]


@pytest.fixture
def subscriber(db: None) -> APIClient:
    from django.contrib.auth.models import User

    client = APIClient()
    client.force_authenticate(User.objects.create_user("reader", "reader@example.org"))
    return client


@pytest.mark.parametrize("rule", BAD_RULES)
def test_each_bad_digest_rule_is_refused_with_a_400_in_under_100_ms(subscriber, rule):
    track = make_track(make_negotiation())
    subscriber.get("/api/v1/subscriptions/")  # the first request loads code; not timed
    started = time.perf_counter()
    response = subscriber.post(
        "/api/v1/subscriptions/", {"track": track.id, "digest_rule": rule}, format="json"
    )
    elapsed = time.perf_counter() - started
    assert response.status_code == 400
    assert "RRULE" in str(response.json()["digest_rule"])
    assert elapsed < 0.1, f"{rule!r} took {elapsed:.3f} s"
    assert not Subscription.objects.exists()


@pytest.mark.parametrize(
    "rule",
    [
        "FREQ=WEEKLY;BYDAY=MO;BYHOUR=8;BYMINUTE=0;BYSECOND=0",
        "RRULE:FREQ=DAILY;BYDAY=MO,TU,WE,TH,FR;BYHOUR=7",
        "FREQ=MONTHLY;BYDAY=-1FR;BYHOUR=17",
        "FREQ=MONTHLY;INTERVAL=3;BYMONTHDAY=1,-1",
        "FREQ=WEEKLY;INTERVAL=2;WKST=SU;BYDAY=TH",
    ],
)
def test_daily_weekly_and_monthly_rules_are_accepted(subscriber, rule):
    track = make_track(make_negotiation())
    response = subscriber.post(
        "/api/v1/subscriptions/", {"track": track.id, "digest_rule": rule}, format="json"
    )
    assert response.status_code == 201, response.json()
    assert Subscription.objects.get().digest_rule == rule


def _stored(track, rule: str, *, created_at: dt.datetime, email: str) -> Subscription:
    subscription = Subscription.objects.create(
        track=track, email=email, confirmed_at=created_at, created_at=created_at
    )
    # Rows written before these rules, or around the services, are read the same way.
    Subscription.objects.filter(pk=subscription.pk).update(digest_rule=rule)
    subscription.refresh_from_db()
    return subscription


@pytest.mark.django_db
def test_a_stored_secondly_rule_costs_the_digest_job_nothing_and_others_still_get_theirs():
    track = make_track(make_negotiation())
    make_milestone(track, "First round", "March 20, 2026", reference=dt.date(2026, 2, 1))
    bad = _stored(
        track,
        "FREQ=WEEKLY;BYDAY=MO DTSTART:20260101T000000 RRULE:FREQ=SECONDLY",
        created_at=NOW - dt.timedelta(days=30),
        email="bad@example.org",
    )
    good = _stored(
        track,
        "FREQ=WEEKLY;BYDAY=MO;BYHOUR=8",
        created_at=NOW - dt.timedelta(days=30),
        email="good@example.org",
    )
    Subscription.objects.update(last_digest_at=NOW - dt.timedelta(days=7))
    with time_machine.travel(NOW, tick=False):
        started = time.perf_counter()
        result = send_digests()
        elapsed = time.perf_counter() - started
    assert elapsed < 1.0
    assert result.sent == 1
    assert [m.to for m in mail.outbox] == [[good.email]]
    assert latest_occurrence(bad, NOW) is None


@pytest.mark.django_db
def test_the_digest_job_never_searches_from_the_subscriptions_creation():
    track = make_track(make_negotiation())
    ancient = _stored(
        track,
        "FREQ=DAILY;BYHOUR=8",
        created_at=dt.datetime(2, 1, 1, 8, 0, tzinfo=UTC),
        email="old@example.org",
    )
    started = time.perf_counter()
    occurrence = latest_occurrence(ancient, NOW)
    # From year 2 a daily search would walk some 740,000 days.
    assert time.perf_counter() - started < 0.1
    assert occurrence == dt.datetime(2026, 3, 2, 8, 0, tzinfo=UTC)


@pytest.mark.django_db
def test_every_other_week_keeps_the_phase_it_started_with_however_long_ago():
    track = make_track(make_negotiation())
    # Monday 2020-01-06 was a digest week; 2026-03-02 is 321 weeks later, an odd number.
    subscription = _stored(
        track,
        "FREQ=WEEKLY;INTERVAL=2;BYDAY=MO;BYHOUR=8",
        created_at=dt.datetime(2020, 1, 6, 8, 0, tzinfo=UTC),
        email="fortnight@example.org",
    )
    assert latest_occurrence(subscription, NOW) == dt.datetime(2026, 2, 23, 8, 0, tzinfo=UTC)


WEEKDAY = st.sampled_from(["MO", "TU", "WE", "TH", "FR", "SA", "SU"])


@st.composite
def digest_rules(draw: st.DrawFn) -> str:
    frequency = draw(st.sampled_from(["DAILY", "WEEKLY", "MONTHLY"]))
    parts = [f"FREQ={frequency}"]
    interval = draw(st.sampled_from([1, 1, 2, 3, 5]))
    if frequency == "DAILY" and draw(st.booleans()):
        parts.append("BYDAY=" + ",".join(draw(st.sets(WEEKDAY, min_size=1))))
        interval = 1
    if frequency == "WEEKLY" and draw(st.booleans()):
        parts.append("BYDAY=" + ",".join(draw(st.sets(WEEKDAY, min_size=1))))
    if frequency == "MONTHLY":
        if draw(st.booleans()):
            days = draw(st.sets(st.integers(1, 28) | st.integers(-28, -1), min_size=1))
            parts.append("BYMONTHDAY=" + ",".join(map(str, days)))
        elif draw(st.booleans()):
            ordinal = draw(st.sampled_from(["", "1", "2", "-1", "4"]))
            parts.append(f"BYDAY={ordinal}{draw(WEEKDAY)}")
    if interval > 1:
        parts.append(f"INTERVAL={interval}")
    if draw(st.booleans()):
        parts.append(f"BYHOUR={draw(st.integers(0, 23))}")
    return ";".join(parts)


@given(
    rule=digest_rules(),
    anchor=st.datetimes(dt.datetime(2019, 1, 1), dt.datetime(2026, 1, 1)),
    later=st.timedeltas(dt.timedelta(0), dt.timedelta(days=5 * 366)),
)
def test_the_bounded_search_finds_what_a_search_from_the_creation_finds(rule, anchor, later):
    anchor = anchor.replace(day=min(anchor.day, 28), second=0, microsecond=0)
    now = anchor + later
    expected = rrulestr(rule, dtstart=anchor).before(now, inc=True)
    assert parse_digest_rule(rule).latest(at_or_before=now, anchor=anchor) == expected


@given(st.text(max_size=60))
def test_reading_any_text_as_a_rule_answers_with_a_rule_or_a_message(text):
    try:
        parse_digest_rule(text)
    except DigestRuleError as error:
        assert "RRULE" in str(error)
