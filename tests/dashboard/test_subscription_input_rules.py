"""A subscription's input rules have one source (tracker.subscription_input): the dashboard
form and the API refuse the same offsets and time zones with the same words."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.urls import reverse
from rest_framework.test import APIClient

from tests.conftest import make_negotiation
from tracker.models import Negotiation, Subscription
from tracker.subscription_input import OFFSETS_RULE, timezone_rule

pytestmark = pytest.mark.django_db


@pytest.fixture
def signed_in() -> tuple[Negotiation, Client, APIClient]:
    """A negotiation to follow, and one reader signed in to the dashboard and the API."""
    negotiation = make_negotiation()
    user = get_user_model().objects.create_user("ana", "ana@example.org", "a long passphrase")
    page, api = Client(), APIClient()
    page.force_login(user)
    api.force_authenticate(user)
    return negotiation, page, api


@pytest.mark.parametrize(
    ("typed", "sent"), [("400", [400]), ("7, -1", [7, -1]), ("soon", ["soon"])]
)
def test_the_form_and_the_api_refuse_offsets_with_the_one_message(signed_in, typed, sent) -> None:
    negotiation, page, api = signed_in

    form = page.post(
        reverse("subscriptions"),
        {"subject": f"negotiation:{negotiation.pk}", "timezone": "UTC", "offsets": typed},
    )
    answer = api.post(
        "/api/v1/subscriptions/",
        {"negotiation": negotiation.slug, "offsets": sent},
        format="json",
    )

    assert form.context["form"].errors["offsets"] == [OFFSETS_RULE]
    assert answer.status_code == 400
    assert OFFSETS_RULE in str(answer.json()["offsets"])
    assert not Subscription.objects.exists()


def test_the_form_and_the_api_refuse_an_unknown_time_zone_with_the_one_message(signed_in) -> None:
    negotiation, page, api = signed_in

    form = page.post(
        reverse("subscriptions"),
        {"subject": f"negotiation:{negotiation.pk}", "timezone": "Mars/Olympus", "offsets": "7"},
    )
    answer = api.post(
        "/api/v1/subscriptions/",
        {"negotiation": negotiation.slug, "timezone": "Mars/Olympus"},
        format="json",
    )

    said = timezone_rule("Mars/Olympus")
    assert form.context["form"].errors["timezone"] == [said]
    assert answer.json() == {"timezone": [said]}
