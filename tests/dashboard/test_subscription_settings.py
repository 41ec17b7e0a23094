"""Subscriptions people manage themselves: subscribing again never overwrites, every
setting is edited in place, and the page says when the next reminder and digest go out,
in the subscriber's own time zone."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from typing import Any

import pytest
import time_machine
from django.contrib.auth import get_user_model
from django.test import Client
from django.urls import reverse
from hypothesis import given
from hypothesis import strategies as st

from tests.conftest import committed
from tracker.management.commands.load_record import INDIA_US_RECORD
from tracker.models import Negotiation, Reminder, Subscription
from tracker.record import load_record
from tracker.reminders.digests import latest_occurrence, next_occurrence
from tracker.reminders.recurrence import WEEKDAYS, schedule_of, schedule_rule
from tracker.services.subscriptions import subscription_create

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 11, 21, 9, 0, tzinfo=dt.UTC)  # a Saturday


@pytest.fixture
def india_us() -> Iterator[Negotiation]:
    with time_machine.travel(NOW, tick=False):
        with committed():
            load_record(INDIA_US_RECORD)
        yield Negotiation.objects.get(slug="india-us-bta")


@pytest.fixture
def user() -> Any:
    return get_user_model().objects.create_user("ana", "ana@example.org", "a long passphrase")


@pytest.fixture
def signed_in(client: Client, user: Any) -> Client:
    client.force_login(user)
    return client


def form(subject: str, **fields: Any) -> dict[str, Any]:
    """What the subscribe form posts when its defaults are left alone."""
    return {
        "subject": subject,
        "timezone": "UTC",
        "reminders_on": "on",
        "offsets": "30, 7, 1, 0",
        "digest_day": "MO",
        "digest_hour": "8",
        **fields,
    }


def text(response: Any) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", response.content.decode()))


def test_subscribing_again_with_the_defaults_shows_the_existing_subscription_unchanged(
    signed_in: Client, user: Any, india_us: Negotiation
) -> None:
    with committed():
        existing = subscription_create(
            negotiation=india_us, user=user, timezone_name="America/New_York"
        )
    response = signed_in.post(
        reverse("subscriptions"), form(f"negotiation:{india_us.pk}"), follow=True
    )
    assert response.redirect_chain[-1][0] == reverse("subscription_edit", args=[existing.pk])
    assert f"You already follow {india_us}. Nothing was changed" in text(response)
    assert 'value="America/New_York"' in response.content.decode()
    existing.refresh_from_db()
    assert existing.timezone == "America/New_York"
    assert Subscription.objects.filter(user=user).count() == 1


def test_follow_on_a_page_already_followed_opens_that_subscription(
    signed_in: Client, user: Any, india_us: Negotiation
) -> None:
    with committed():
        existing = subscription_create(negotiation=india_us, user=user)
    response = signed_in.get(reverse("subscriptions") + f"?follow=negotiation:{india_us.pk}")
    assert response["Location"] == reverse("subscription_edit", args=[existing.pk])


def test_every_setting_is_edited_in_place(
    signed_in: Client, user: Any, india_us: Negotiation
) -> None:
    with committed():
        subscription = subscription_create(negotiation=india_us, user=user)
    track = india_us.tracks.get(slug="interim-agreement")
    assert Reminder.objects.filter(subscription=subscription, state="pending").exists()
    with committed():
        response = signed_in.post(
            reverse("subscription_edit", args=[subscription.pk]),
            form(
                f"track:{track.pk}",
                timezone="Asia/Kolkata",
                offsets="14, 2",
                digest_day="FR",
                digest_hour="17",
                reminders_on="",
            ),
            follow=True,
        )
    assert f"Saved your subscription to {track}" in text(response)
    subscription.refresh_from_db()
    assert subscription.track == track and subscription.negotiation is None
    assert subscription.timezone == "Asia/Kolkata"
    assert subscription.offsets == [14, 2]
    assert subscription.digest_rule == "FREQ=WEEKLY;BYDAY=FR;BYHOUR=17;BYMINUTE=0;BYSECOND=0"
    assert not subscription.reminders_on
    # Reminders off: nothing planned is left to go out, and the page says so.
    assert not Reminder.objects.filter(subscription=subscription, state="pending").exists()
    assert "Next reminder None: reminders are off." in text(response)
    assert Subscription.objects.filter(user=user).count() == 1


def test_the_digest_can_be_daily_or_off(
    signed_in: Client, user: Any, india_us: Negotiation
) -> None:
    with committed():
        subscription = subscription_create(negotiation=india_us, user=user)
    edit = reverse("subscription_edit", args=[subscription.pk])
    signed_in.post(edit, form(f"negotiation:{india_us.pk}", digest_day="daily", digest_hour="6"))
    subscription.refresh_from_db()
    assert subscription.digest_rule == "FREQ=DAILY;BYHOUR=6;BYMINUTE=0;BYSECOND=0"
    response = signed_in.post(edit, form(f"negotiation:{india_us.pk}", digest_day=""), follow=True)
    subscription.refresh_from_db()
    assert subscription.digest_rule == ""
    assert "Next digest None: the digest is off." in text(response)


def test_a_digest_rule_set_through_the_api_is_kept_when_other_settings_change(
    signed_in: Client, user: Any, india_us: Negotiation
) -> None:
    rule = "FREQ=MONTHLY;BYDAY=1MO;BYHOUR=9"
    with committed():
        subscription = subscription_create(negotiation=india_us, user=user, digest_rule=rule)
    edit = reverse("subscription_edit", args=[subscription.pk])
    assert f"As set: {rule}" in signed_in.get(edit).content.decode()
    signed_in.post(edit, form(f"negotiation:{india_us.pk}", digest_day="custom", offsets="3"))
    subscription.refresh_from_db()
    assert subscription.digest_rule == rule and subscription.offsets == [3]


def test_moving_a_subscription_onto_a_subject_already_followed_is_refused(
    signed_in: Client, user: Any, india_us: Negotiation
) -> None:
    track = india_us.tracks.get(slug="interim-agreement")
    with committed():
        whole = subscription_create(negotiation=india_us, user=user)
        subscription_create(track=track, user=user)
    response = signed_in.post(
        reverse("subscription_edit", args=[whole.pk]), form(f"track:{track.pk}")
    )
    assert "already follow" in text(response)
    whole.refresh_from_db()
    assert whole.negotiation == india_us


def test_nobody_edits_someone_elses_subscription(signed_in: Client, india_us: Negotiation) -> None:
    other = get_user_model().objects.create_user("bo", "bo@example.org", "a long passphrase")
    with committed():
        theirs = subscription_create(negotiation=india_us, user=other)
    edit = reverse("subscription_edit", args=[theirs.pk])
    assert signed_in.get(edit).status_code == 404
    assert signed_in.post(edit, form(f"negotiation:{india_us.pk}")).status_code == 404


@pytest.mark.parametrize(
    ("zone", "digest"),
    [
        ("Asia/Kolkata", "Monday 23 November 2026, 08:00 (Asia/Kolkata)"),
        ("America/New_York", "Monday 23 November 2026, 08:00 (America/New_York)"),
    ],
)
def test_the_page_says_when_the_next_reminder_and_digest_go_out_in_the_subscribers_zone(
    signed_in: Client, user: Any, india_us: Negotiation, zone: str, digest: str
) -> None:
    with time_machine.travel(NOW, tick=False):
        with committed():
            subscription_create(negotiation=india_us, user=user, timezone_name=zone)
        page = text(signed_in.get(reverse("subscriptions")))
    assert "They go to ana@example.org" in page
    # The two overdue deals are stale, so their overdue reminders go on monthly: the next
    # reminder is about one of them, at 08:00 in the subscriber's zone.
    assert f"08:00 ({zone}) about “Comprehensive agreement concluded”, overdue" in page
    assert f"Next digest {digest}, if anything changed" in page


def test_the_next_digest_follows_the_chosen_day_and_hour(user: Any, india_us: Negotiation) -> None:
    with committed():
        subscription = subscription_create(
            negotiation=india_us,
            user=user,
            timezone_name="Asia/Kolkata",
            digest_rule=schedule_rule("FR", 17),
        )
    upcoming = next_occurrence(subscription, NOW)
    assert upcoming == dt.datetime(2026, 11, 27, 17, 0, tzinfo=dt.timezone(dt.timedelta(hours=5.5)))
    # The digest job, reading the same rule, finds that occurrence once it has passed.
    assert upcoming is not None
    assert latest_occurrence(subscription, upcoming + dt.timedelta(minutes=1)) == upcoming
    assert latest_occurrence(subscription, upcoming - dt.timedelta(minutes=1)) != upcoming


@given(day=st.sampled_from(["", "daily", *WEEKDAYS]), hour=st.integers(0, 23))
def test_the_forms_day_and_hour_read_back_from_the_rule_they_write(day: str, hour: int) -> None:
    assert schedule_of(schedule_rule(day, hour)) == (day, hour if day else 8)


def test_a_rule_the_form_cannot_write_is_not_read_as_day_and_hour() -> None:
    assert schedule_of("FREQ=MONTHLY;BYMONTHDAY=1;BYHOUR=8") is None
    assert schedule_of("FREQ=WEEKLY;BYDAY=MO,TH;BYHOUR=8") is None
