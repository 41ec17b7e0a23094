"""Issue 22, findings 4 and 5 (webhook endpoints): the admin writes subscriptions through
the services with their checks, one bad row cannot stop everyone's reminders, and editors
see only their own webhook endpoints and their own receivers' answers."""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

import pytest
import time_machine
from django.contrib.auth.models import Group, User
from django.core.exceptions import ValidationError
from django.test import Client

from tests.conftest import make_milestone, make_negotiation, make_track
from tracker.models import (
    OutboxEmail,
    Reminder,
    Subscription,
    WebhookAttempt,
    WebhookDelivery,
    WebhookEndpoint,
)
from tracker.reminders.planning import plan_reminders
from tracker.services.endpoints import endpoint_save
from tracker.services.subscriptions import subscription_create

pytestmark = pytest.mark.django_db
NOW = dt.datetime(2025, 6, 1, 9, tzinfo=dt.UTC)


def editor(name: str) -> User:
    user = User.objects.create_user(name, f"{name}@example.org", "pw", is_staff=True)
    user.groups.add(Group.objects.get(name="editors"))
    return user


def signed_in(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def superuser() -> User:
    return User.objects.create_superuser("root", "root@example.org", "pw")


def add_form(negotiation_pk: int, **fields: Any) -> dict[str, Any]:
    return {
        "negotiation": negotiation_pk,
        "email": "",
        "timezone": "UTC",
        "offsets": "[30, 7, 1, 0]",
        "digest_rule": "FREQ=WEEKLY;BYDAY=MO;BYHOUR=8;BYMINUTE=0;BYSECOND=0",
        "reminders_on": "on",
        **fields,
    }


def test_a_bogus_time_zone_in_the_subscription_admin_is_a_form_error(superuser: User) -> None:
    negotiation = make_negotiation()
    response = signed_in(superuser).post(
        "/admin/tracker/subscription/add/",
        add_form(negotiation.pk, email="reader@example.org", timezone="Nowhere/Bogus"),
    )
    assert response.status_code == 200
    assert "is not a known time zone" in response.content.decode()
    assert not Subscription.objects.exists()


def test_an_address_added_in_the_admin_is_not_confirmed_until_its_owner_says_so(
    superuser: User,
) -> None:
    negotiation = make_negotiation()
    response = signed_in(superuser).post(
        "/admin/tracker/subscription/add/",
        add_form(negotiation.pk, email="Reader@Example.org", timezone="Asia/Kolkata"),
    )
    assert response.status_code == 302, response.content.decode()
    subscription = Subscription.objects.get()
    assert subscription.email == "reader@example.org"
    assert subscription.confirmed_at is None
    assert not subscription.is_active
    confirmation = OutboxEmail.objects.get(kind=OutboxEmail.Kind.CONFIRMATION)
    assert confirmation.subscription == subscription
    # The admin cannot tick it confirmed either: the form has no such field.
    page = signed_in(superuser).get(f"/admin/tracker/subscription/{subscription.pk}/change/")
    assert 'name="confirmed_at' not in page.content.decode()


def test_a_subscription_edited_in_the_admin_keeps_the_service_s_checks(superuser: User) -> None:
    negotiation = make_negotiation()
    user = User.objects.create_user("ana", "ana@example.org", "pw")
    subscription = subscription_create(negotiation=negotiation, user=user)
    client = signed_in(superuser)
    url = f"/admin/tracker/subscription/{subscription.pk}/change/"
    bogus = client.post(url, add_form(negotiation.pk, user=user.pk, timezone="Nowhere/Bogus"))
    assert "is not a known time zone" in bogus.content.decode()
    good = client.post(url, add_form(negotiation.pk, user=user.pk, timezone="Europe/London"))
    assert good.status_code == 302
    subscription.refresh_from_db()
    assert subscription.timezone == "Europe/London"


def test_the_model_refuses_an_unknown_time_zone() -> None:
    subscription = Subscription(negotiation=make_negotiation(), email="a@example.org")
    subscription.timezone = "Nowhere/Bogus"
    with pytest.raises(ValidationError) as raised:
        subscription.full_clean()
    assert "timezone" in raised.value.message_dict


def test_one_subscription_with_a_bad_time_zone_does_not_stop_the_others_reminders(
    caplog: Any,
) -> None:
    with time_machine.travel(NOW, tick=False):
        negotiation = make_negotiation()
        make_milestone(make_track(negotiation), "Interim agreement", "July 8, 2025")
        good = subscription_create(
            negotiation=negotiation, user=User.objects.create_user("ana", "ana@example.org")
        )
        bad = subscription_create(
            negotiation=negotiation, user=User.objects.create_user("bo", "bo@example.org")
        )
        # A row from before the validator, or written around it.
        Subscription.objects.filter(pk=bad.pk).update(timezone="Nowhere/Bogus")
        with caplog.at_level(logging.ERROR):
            plan_reminders()
    assert Reminder.objects.filter(subscription=good).exists()
    assert not Reminder.objects.filter(subscription=bad).exists()
    assert f"subscription {bad.pk}" in caplog.text and "Nowhere/Bogus" in caplog.text


# --- webhook endpoints in the admin -----------------------------------------------------


def endpoint_of(owner: User, url: str) -> WebhookEndpoint:
    return endpoint_save(endpoint=WebhookEndpoint(url=url, owner=owner), by=owner)


@pytest.fixture
def two_endpoints(settings: Any) -> tuple[User, User, WebhookEndpoint, WebhookEndpoint]:
    settings.TRACKER_WEBHOOKS_ALLOW_PRIVATE = True  # no DNS here: loopback stands in
    ana, bo = editor("ana"), editor("bo")
    return (
        ana,
        bo,
        endpoint_of(ana, "http://127.0.0.1:9/ana-hook"),
        endpoint_of(bo, "http://127.0.0.2:9/bo-hook"),
    )


def test_editors_list_and_open_only_their_own_webhook_endpoints(two_endpoints: Any) -> None:
    ana, _, mine, theirs = two_endpoints
    client = signed_in(ana)
    listing = client.get("/admin/tracker/webhookendpoint/").content.decode()
    assert "ana-hook" in listing and "bo-hook" not in listing
    assert client.get(f"/admin/tracker/webhookendpoint/{mine.pk}/change/").status_code == 200
    other = f"/admin/tracker/webhookendpoint/{theirs.pk}/change/"
    assert client.get(other, follow=True).status_code in {302, 404} or (
        "doesn’t exist" in client.get(other, follow=True).content.decode()
    )
    form = {"url": "http://127.0.0.3:9/evil", "description": "", "is_active": "on"}
    client.post(other, form)
    client.post(f"/admin/tracker/webhookendpoint/{theirs.pk}/delete/", {"post": "yes"})
    theirs.refresh_from_db()
    assert theirs.url == "http://127.0.0.2:9/bo-hook"


def test_superusers_see_every_endpoint(two_endpoints: Any, superuser: User) -> None:
    listing = signed_in(superuser).get("/admin/tracker/webhookendpoint/").content.decode()
    assert "ana-hook" in listing and "bo-hook" in listing


def test_editors_read_only_their_own_receivers_answers(two_endpoints: Any) -> None:
    ana, _, mine, theirs = two_endpoints
    make_milestone(make_track(make_negotiation()), "Interim agreement", "July 8, 2026")
    for endpoint, secret in ((mine, "ANA-RECEIVER-SAID"), (theirs, "BO-RECEIVER-SAID")):
        row = WebhookDelivery.objects.filter(endpoint=endpoint).first()
        assert row is not None
        WebhookAttempt.objects.create(
            delivery=row, attempted_at=NOW, status_code=200, response_body=secret, succeeded=True
        )
    client = signed_in(ana)
    listing = client.get("/admin/tracker/webhookdelivery/").content.decode()
    assert "ana-hook" in listing and "bo-hook" not in listing
    other = WebhookDelivery.objects.filter(endpoint=theirs).first()
    assert other is not None
    page = client.get(f"/admin/tracker/webhookdelivery/{other.pk}/change/", follow=True)
    assert "BO-RECEIVER-SAID" not in page.content.decode()
    own = WebhookDelivery.objects.filter(endpoint=mine).first()
    assert own is not None
    page = client.get(f"/admin/tracker/webhookdelivery/{own.pk}/change/")
    assert "ANA-RECEIVER-SAID" in page.content.decode()
