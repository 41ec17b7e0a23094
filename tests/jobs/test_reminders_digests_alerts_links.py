"""Digests, health alerts, and the confirm and unsubscribe links in emails."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal
from typing import Any

import pytest
import time_machine
from django.contrib.auth import get_user_model
from django.core import mail
from django.core.mail import EmailMultiAlternatives
from django.test import Client

from tests.conftest import (
    committed,
    figure,
    make_milestone,
    make_negotiation,
    make_series,
    make_target,
    make_track,
)
from tracker.deadlines import parse_deadline
from tracker.models import Reminder, StatusChange, Subscription, Target
from tracker.reminders.alerts import send_health_alerts
from tracker.reminders.digests import send_digests
from tracker.reminders.outbox import send_due_reminders
from tracker.reminders.planning import plan_reminders
from tracker.services import milestone_complete, milestone_set_deadline
from tracker.services.subscriptions import subscription_confirm, subscription_create

pytestmark = pytest.mark.django_db
UTC = dt.UTC
# Monday 2026-03-02 08:00 in New York is 13:00 UTC (before the clocks change on March 8).
MONDAY_8_NY = dt.datetime(2026, 3, 2, 13, 0, tzinfo=UTC)


def link_in(text: str, path: str) -> str:
    match = re.search(rf"http://[^\s<>\"]*{path}[^\s<>\"]*", text)
    assert match, f"no {path} link in {text!r}"
    return match.group(0).replace("http://127.0.0.1:8000", "")


@pytest.fixture
def world() -> Any:
    with time_machine.travel(dt.datetime(2026, 2, 1, tzinfo=UTC), tick=False):
        negotiation = make_negotiation()
        track = make_track(negotiation)
        done = make_milestone(
            track, "Terms of reference", "March 1, 2026", reference=dt.date(2026, 2, 1)
        )
        later = make_milestone(
            track, "First round", "March 20, 2026", reference=dt.date(2026, 2, 1)
        )
        target = make_target(negotiation, track)
        subscription = Subscription.objects.create(
            track=track,
            email="d@example.org",
            timezone="America/New_York",
            confirmed_at=dt.datetime(2026, 2, 1, tzinfo=UTC),
            created_at=dt.datetime(2026, 2, 1, tzinfo=UTC),
        )
    return {
        "track": track,
        "done": done,
        "later": later,
        "target": target,
        "subscription": subscription,
    }


def test_a_digest_goes_out_monday_at_eight_local_with_what_changed_and_what_is_due(
    world: Any,
) -> None:
    Subscription.objects.update(last_digest_at=MONDAY_8_NY - dt.timedelta(days=7))
    with time_machine.travel(dt.datetime(2026, 2, 26, 12, tzinfo=UTC), tick=False), committed():
        milestone_complete(milestone=world["done"], completed_on=dt.date(2026, 2, 26))
        milestone_set_deadline(
            milestone=world["later"],
            deadline=parse_deadline("March 25, 2026"),
            reason="Rescheduled",
        )
        # Saved directly, like a figure written by another process: the periodic refresh
        # (not the write) notices it. The target judges its first series.
        figure(world["target"], dt.date(2026, 2, 25), Decimal("200")).save()
        Target.objects.filter(pk=world["target"].pk).update(primary_series=make_series())
    with time_machine.travel(MONDAY_8_NY - dt.timedelta(minutes=1), tick=False):
        assert send_digests().sent == 0
    with time_machine.travel(MONDAY_8_NY, tick=False):
        assert send_digests().sent == 1
        assert send_digests().sent == 0
    [message] = mail.outbox
    assert message.subject.startswith("Tranche digest: Interim")
    body = message.body
    assert "Completed\n- Terms of reference" in body
    assert "First round: March 20, 2026 → March 25, 2026 (+5 days) — Rescheduled" in body
    # Before the figure the target had none since its baseline: no data, not "on track".
    assert "Health changes\n- Interim: no data → at risk" in body
    assert (
        "New figures\n- Bilateral trade, 25 February 2026 "
        "(US Census Bureau — goods and services): USD 200 billion"
    ) in body
    assert (
        "Due in the next 30 days\n- March 25, 2026: First round (upcoming)\n"
        "  Stated twice; slipped once, by 5 days in all; outlook: not enough history\n"
    ) in body
    assert message.extra_headers["List-Unsubscribe"].startswith("<http://")


def test_no_digest_when_there_is_nothing_to_say(world: Any) -> None:
    world["later"].deadline = parse_deadline("December 1, 2026")
    with time_machine.travel(dt.datetime(2026, 2, 1, tzinfo=UTC), tick=False):
        world["later"].save()
    world["done"].delete()
    Subscription.objects.update(last_digest_at=MONDAY_8_NY)
    with time_machine.travel(MONDAY_8_NY + dt.timedelta(days=7), tick=False):
        assert send_digests().sent == 0
    assert mail.outbox == []
    world["subscription"].refresh_from_db()
    # The clocks changed on March 8: 08:00 in New York is now 12:00 UTC.
    assert world["subscription"].last_digest_at == dt.datetime(2026, 3, 9, 12, 0, tzinfo=UTC)


def test_health_getting_worse_alerts_owner_and_subscribers_once(world: Any) -> None:
    owner = get_user_model().objects.create_user("owner", "owner@example.org")
    track = world["track"]
    track.owner = owner
    track.save()
    with time_machine.travel(dt.datetime(2026, 3, 3, 9, tzinfo=UTC), tick=False):
        StatusChange.objects.update(notified_at=dt.datetime(2026, 3, 1, tzinfo=UTC))
        StatusChange.objects.create(
            subject="track",
            negotiation=track.negotiation,
            track=track,
            previous="on_track",
            new="off_track",
            reason="Terms of reference is 2 days overdue",
            as_of=dt.date(2026, 3, 3),
        )
        StatusChange.objects.create(
            subject="track",
            negotiation=track.negotiation,
            track=track,
            previous="off_track",
            new="on_track",
            reason="better",
            as_of=dt.date(2026, 3, 3),
        )
        result = send_health_alerts()
        assert send_health_alerts().alerts == 0
    assert result.alerts == 1
    assert sorted(m.to[0] for m in mail.outbox) == ["d@example.org", "owner@example.org"]
    assert mail.outbox[0].subject == "Interim (India Us Bta): on track → off track"
    assert "Why: Terms of reference is 2 days overdue" in mail.outbox[0].body
    # The world's milestones cite no dated source, and the alert says so.
    assert "Sources: No dated source confirms it — may be out of date" in mail.outbox[0].body


def test_a_track_starting_on_track_alerts_nobody_and_the_digest_lists_it(world: Any) -> None:
    owner = get_user_model().objects.create_user("owner", "owner@example.org")
    track = world["track"]
    track.owner = owner
    track.save()
    Subscription.objects.update(last_digest_at=MONDAY_8_NY - dt.timedelta(days=7))
    with time_machine.travel(dt.datetime(2026, 2, 27, 9, tzinfo=UTC), tick=False):
        StatusChange.objects.update(notified_at=dt.datetime(2026, 2, 1, tzinfo=UTC))
        started = StatusChange.objects.create(
            subject="track",
            negotiation=track.negotiation,
            track=track,
            previous="not_started",
            new="on_track",
            reason="First round due by 20 March 2026",
            as_of=dt.date(2026, 2, 27),
        )
        result = send_health_alerts()
    assert result.alerts == 0 and mail.outbox == []
    started.refresh_from_db()
    assert started.notified_at is not None  # judged: nothing to alert
    with time_machine.travel(MONDAY_8_NY, tick=False):
        assert send_digests().sent == 1
    [digest] = mail.outbox
    assert digest.to == ["d@example.org"]
    assert "Health changes\n- Interim: not started → on track" in digest.body


def test_an_email_subscription_is_confirmed_through_its_link_before_anything_is_sent(
    world: Any, django_capture_on_commit_callbacks: Any
) -> None:
    world["done"].delete()
    client = Client()
    with django_capture_on_commit_callbacks(execute=True):
        subscription = subscription_create(track=world["track"], email="New@Example.org")
    assert mail.outbox == []  # the confirmation waits in the outbox for the sender
    send_due_reminders()
    # Unfrozen, the world's stale overdue milestone also reminds its subscriber monthly.
    [confirmation] = [m for m in mail.outbox if m.to == ["new@example.org"]]
    with time_machine.travel(dt.datetime(2026, 3, 13, 14, tzinfo=UTC), tick=False):
        plan_reminders()
        send_due_reminders()

    def to_new() -> list[Any]:
        return [m for m in mail.outbox if m.to == ["new@example.org"]]

    assert to_new() == [confirmation]
    assert not Reminder.objects.filter(recipient="new@example.org").exists()
    link = link_in(str(confirmation.body), "/subscriptions/confirm/")
    opened = client.get(link)  # e.g. a mail scanner following links
    assert opened.status_code == 200 and b"Confirm your subscription" in opened.content
    assert Subscription.objects.get(email=subscription.email).confirmed_at is None
    response = client.post(link)
    assert response.status_code == 200 and b"confirmed" in response.content
    subscription.refresh_from_db()
    assert subscription.confirmed_at is not None
    with time_machine.travel(dt.datetime(2026, 3, 13, 14, tzinfo=UTC), tick=False):
        plan_reminders()
        send_due_reminders()
    assert len(to_new()) == 2 and to_new()[1].subject == "First round: March 20, 2026, 7 days left"


def test_the_one_click_unsubscribe_link_stops_further_reminders(world: Any) -> None:
    world["done"].delete()
    with time_machine.travel(dt.datetime(2026, 3, 13, 14, tzinfo=UTC), tick=False):
        plan_reminders()
        send_due_reminders()
    [reminder] = mail.outbox
    url = (
        reminder.extra_headers["List-Unsubscribe"].strip("<>").replace("http://127.0.0.1:8000", "")
    )
    client = Client(enforce_csrf_checks=True)
    page = client.get(url)
    assert page.status_code == 200 and b"Unsubscribe" in page.content
    world["subscription"].refresh_from_db()
    assert world["subscription"].unsubscribed_at is None  # a GET (a mail scanner) changes nothing
    assert client.post(url, {"List-Unsubscribe": "One-Click"}).status_code == 200
    world["subscription"].refresh_from_db()
    assert world["subscription"].unsubscribed_at is not None
    with time_machine.travel(dt.datetime(2026, 3, 19, 14, tzinfo=UTC), tick=False):
        plan_reminders()
        assert send_due_reminders().sent == 0
    assert len(mail.outbox) == 1


def test_an_owner_can_unsubscribe_from_a_track_with_the_link(world: Any) -> None:
    owner = get_user_model().objects.create_user("owner", "owner@example.org")
    world["track"].owner = owner
    world["track"].save()
    world["subscription"].delete()
    world["done"].delete()
    with time_machine.travel(dt.datetime(2026, 3, 13, 14, tzinfo=UTC), tick=False):
        plan_reminders()
        send_due_reminders()
    [reminder] = mail.outbox
    url = (
        reminder.extra_headers["List-Unsubscribe"].strip("<>").replace("http://127.0.0.1:8000", "")
    )
    assert Client(enforce_csrf_checks=True).post(url).status_code == 200
    with time_machine.travel(dt.datetime(2026, 3, 19, 14, tzinfo=UTC), tick=False):
        plan_reminders()
        assert send_due_reminders().sent == 0


def test_a_tampered_link_does_nothing() -> None:
    assert Client().post("/unsubscribe/not-a-token/").status_code == 404
    assert Client().get("/subscriptions/confirm/not-a-token/").status_code == 404


def test_subscribing_twice_keeps_one_subscription_so_one_unsubscribe_stops_everything(
    world: Any,
) -> None:
    first = subscription_create(track=world["track"], email="twice@example.org")
    again = subscription_create(
        track=world["track"], email="Twice@example.org", timezone_name="Asia/Kolkata"
    )
    assert again.pk == first.pk
    assert Subscription.objects.get(pk=first.pk).timezone == "Asia/Kolkata"
    assert Subscription.objects.filter(email="twice@example.org").count() == 1


def test_subscribing_plans_the_reminders_of_every_open_milestone_it_covers_after_the_commit(
    world: Any, django_capture_on_commit_callbacks: Any
) -> None:
    follower = get_user_model().objects.create_user("follower", "follower@example.org")
    elsewhere = make_track(make_negotiation("other-deal"))
    make_milestone(elsewhere, "Elsewhere", "March 10, 2026", reference=dt.date(2026, 2, 1))
    # Already followed, but not planned yet: subscribing to another deal leaves it be.
    Subscription.objects.create(track=elsewhere, user=follower, confirmed_at=MONDAY_8_NY)
    planned = Reminder.objects.filter(recipient="follower@example.org")
    with time_machine.travel(dt.datetime(2026, 2, 2, tzinfo=UTC), tick=False):
        with django_capture_on_commit_callbacks(execute=False) as callbacks:
            subscription_create(negotiation=world["track"].negotiation, user=follower)
        assert not planned.exists()  # nothing happens before the commit
        for callback in callbacks:
            callback()
    assert {r.milestone_id for r in planned} == {world["done"].pk, world["later"].pk}


def test_confirming_an_email_subscription_plans_its_reminders_after_the_commit(
    world: Any, django_capture_on_commit_callbacks: Any
) -> None:
    waiting = Subscription.objects.create(track=world["track"], email="late@example.org")
    planned = Reminder.objects.filter(recipient="late@example.org")
    with time_machine.travel(dt.datetime(2026, 2, 2, tzinfo=UTC), tick=False):
        with django_capture_on_commit_callbacks(execute=True):
            subscription_create(track=world["track"], email="late@example.org")
        assert not planned.exists()  # not confirmed yet
        with django_capture_on_commit_callbacks(execute=True):
            subscription_confirm(subscription=waiting)
    assert {r.milestone_id for r in planned} == {world["done"].pk, world["later"].pk}


def test_a_completion_reverted_in_the_window_is_left_out_and_a_late_figure_for_last_year_is_in(
    world: Any,
) -> None:
    from tracker.services import milestone_reopen, observation_save

    Subscription.objects.update(last_digest_at=MONDAY_8_NY - dt.timedelta(days=7))
    with time_machine.travel(dt.datetime(2026, 2, 26, 12, tzinfo=UTC), tick=False), committed():
        milestone_complete(milestone=world["done"], completed_on=dt.date(2026, 2, 26))
    with time_machine.travel(dt.datetime(2026, 2, 27, 12, tzinfo=UTC), tick=False), committed():
        milestone_reopen(milestone=world["done"])
        # Last year's figure, published and entered only now.
        observation_save(observation=figure(world["target"], dt.date(2025, 12, 31), Decimal("205")))
    with time_machine.travel(MONDAY_8_NY, tick=False):
        assert send_digests().sent == 1
    [message] = mail.outbox
    body = message.body
    assert "Completed\n" not in body
    assert "Terms of reference (" not in body
    target_url = f"http://127.0.0.1:8000/targets/{world['target'].pk}/"
    assert (
        "New figures\n- Bilateral trade, 31 December 2025 (US Census Bureau — goods and "
        f"services): USD 205 billion\n  {target_url}" in (body)
    )


def test_each_digest_item_links_to_its_page_and_the_subject_names_the_window(
    world: Any,
) -> None:
    Subscription.objects.update(
        digest_rule="FREQ=DAILY;BYHOUR=8;BYMINUTE=0;BYSECOND=0",
        last_digest_at=MONDAY_8_NY - dt.timedelta(days=1),
    )
    with time_machine.travel(dt.datetime(2026, 3, 1, 14, tzinfo=UTC), tick=False), committed():
        milestone_set_deadline(
            milestone=world["later"], deadline=parse_deadline("March 25, 2026"), reason="Later"
        )
    with time_machine.travel(MONDAY_8_NY, tick=False):
        assert send_digests().sent == 1
    [message] = mail.outbox
    assert message.subject == "Tranche digest: Interim, March 1 to March 2, 2026"
    later_url = f"http://127.0.0.1:8000/milestones/{world['later'].pk}/"
    assert (
        f"- First round: March 20, 2026 → March 25, 2026 (+5 days) — Later\n  {later_url}"
        in message.body
    )
    assert isinstance(message, EmailMultiAlternatives)
    html = str(message.alternatives[0][0])
    assert f'<a href="{later_url}">First round</a>' in html


def test_a_deadline_moved_and_moved_back_in_the_window_did_not_move(world: Any) -> None:
    Subscription.objects.update(last_digest_at=MONDAY_8_NY - dt.timedelta(days=7))
    with time_machine.travel(dt.datetime(2026, 2, 26, 12, tzinfo=UTC), tick=False), committed():
        milestone_set_deadline(milestone=world["later"], deadline=parse_deadline("April 2, 2026"))
    with time_machine.travel(dt.datetime(2026, 2, 27, 12, tzinfo=UTC), tick=False), committed():
        milestone_set_deadline(milestone=world["later"], deadline=parse_deadline("March 20, 2026"))
    with time_machine.travel(MONDAY_8_NY, tick=False):
        send_digests()
    [message] = mail.outbox
    assert "Deadlines moved" not in message.body


def test_an_item_going_stale_in_the_window_is_news_and_is_listed_with_its_last_source(
    world: Any,
) -> None:
    from tracker.models import Source
    from tracker.refresh import refresh_statuses
    from tracker.services import milestone_save

    world["done"].delete()
    with time_machine.travel(dt.datetime(2026, 2, 1, tzinfo=UTC), tick=False), committed():
        report = Source.objects.create(
            slug="report", title="Talks report", published_on=dt.date(2025, 12, 5), excerpt="…"
        )
        world["later"].deadline = parse_deadline("December 1, 2026")
        milestone_save(milestone=world["later"], sources=[report])
    Subscription.objects.update(last_digest_at=MONDAY_8_NY)
    refresh_statuses(today=dt.date(2026, 3, 9))  # the daily refresh: stale from March 6
    with time_machine.travel(MONDAY_8_NY + dt.timedelta(days=7), tick=False):
        assert send_digests().sent == 1
    [message] = mail.outbox
    later_url = f"http://127.0.0.1:8000/milestones/{world['later'].pk}/"
    stale = message.body.split("May be out of date\n")[1]
    # Oldest first: the target with no dated source, then the milestone gone stale on March 6.
    assert stale.startswith("- Bilateral trade: No dated source confirms it")
    assert (
        "- First round: Last confirmed by a source on 5 December 2025 "
        f"(3 months ago) — may be out of date\n  {later_url}"
    ) in stale


def test_a_digest_of_the_india_us_record_says_it_may_be_out_of_date(db: None) -> None:
    from tracker.management.commands.load_record import INDIA_US_RECORD
    from tracker.models import Negotiation, Target
    from tracker.record import load_record
    from tracker.services import observation_save

    with time_machine.travel(dt.datetime(2026, 11, 16, 8, tzinfo=UTC), tick=False), committed():
        load_record(INDIA_US_RECORD)
    Subscription.objects.create(
        negotiation=Negotiation.objects.get(slug="india-us-bta"),
        email="j@example.org",
        confirmed_at=dt.datetime(2026, 11, 16, 8, tzinfo=UTC),
        created_at=dt.datetime(2026, 11, 16, 8, tzinfo=UTC),
        last_digest_at=dt.datetime(2026, 11, 16, 8, tzinfo=UTC),
    )
    with time_machine.travel(dt.datetime(2026, 11, 22, 12, tzinfo=UTC), tick=False), committed():
        observation_save(
            observation=figure(Target.objects.get(), dt.date(2025, 12, 31), Decimal("210"))
        )
    with time_machine.travel(dt.datetime(2026, 11, 23, 8, tzinfo=UTC), tick=False):
        assert send_digests().sent == 1
    [message] = mail.outbox
    assert message.subject == (
        "Tranche digest: India–US Bilateral Trade Agreement, November 16 to November 23, 2026"
    )
    body = message.body
    assert "Last confirmed by a source on 26 May 2025 (18 months ago) — may be out of date." in (
        body
    )
    assert (
        "- Interim trade deal concluded: The deadline of 8 July 2025 passed 503 days ago; "
        "no source since 26 May 2025 says it was met."
    ) in body
    assert "- TRUST initiative implemented (AI and advanced chip collaboration): " in body
