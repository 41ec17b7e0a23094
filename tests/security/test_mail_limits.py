"""Issue 22, finding 5 (rate limits and timing): account emails are limited per recipient
address, whichever clients or accounts ask, in the shared cache; and an unknown address
is counted exactly like a known one, so the limit tells nobody which addresses have
accounts."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
import time_machine
from django.contrib.auth import get_user_model
from django.test import Client
from django.urls import reverse

from tracker import mail_limits
from tracker.models import OutboxEmail

pytestmark = pytest.mark.django_db
NOON = dt.datetime(2026, 3, 2, 12, 0, tzinfo=dt.UTC)
PASSWORD = "a long passphrase 4 tranche"


@pytest.fixture
def frozen() -> Any:
    with time_machine.travel(NOON, tick=False) as traveller:
        yield traveller


def reset(email: str, client_address: str = "192.0.2.1") -> None:
    Client(REMOTE_ADDR=client_address).post(reverse("password_reset"), {"email": email})


def resets_queued(email: str) -> int:
    return OutboxEmail.objects.filter(kind=OutboxEmail.Kind.PASSWORD_RESET, recipient=email).count()


@pytest.mark.parametrize(("kind", "limit"), [("sign_up", 5), ("reset", 5), ("new_address", 3)])
def test_each_kind_of_account_email_stops_at_its_limit_per_address(
    frozen: Any, kind: str, limit: int
) -> None:
    allowed = [
        mail_limits.one_more_mail_allowed(kind=kind, recipient="ana@example.org")
        for _ in range(limit + 2)
    ]
    assert allowed == [True] * limit + [False, False]
    # The address is the key, whatever its case; other addresses keep their own count.
    assert not mail_limits.one_more_mail_allowed(kind=kind, recipient=" ANA@Example.org ")
    assert mail_limits.one_more_mail_allowed(kind=kind, recipient="bo@example.org")


def test_the_limit_lifts_when_its_period_is_over(frozen: Any) -> None:
    for _ in range(5):
        assert mail_limits.one_more_mail_allowed(kind="reset", recipient="ana@example.org")
    assert not mail_limits.one_more_mail_allowed(kind="reset", recipient="ana@example.org")
    frozen.shift(dt.timedelta(hours=2))
    assert mail_limits.one_more_mail_allowed(kind="reset", recipient="ana@example.org")


def test_resets_asked_for_an_address_without_an_account_count_like_any_other(
    frozen: Any,
) -> None:
    # Five clients ask for resets of an address nobody uses yet: one email tells it so,
    # the others wait behind it, and every ask counts as it would for an account's address.
    for n in range(5):
        reset("ana@example.org", f"192.0.2.{n}")
    assert resets_queued("ana@example.org") == 1
    get_user_model().objects.create_user("ana", "ana@example.org", PASSWORD)
    reset("ana@example.org", "198.51.100.7")
    assert resets_queued("ana@example.org") == 1
    frozen.shift(dt.timedelta(hours=2))
    reset("ana@example.org", "198.51.100.7")
    assert resets_queued("ana@example.org") == 2


@pytest.mark.parametrize(("page", "kind"), [("password_reset", "reset"), ("sign_up", "sign_up")])
def test_a_request_counts_once_for_a_known_address_and_once_for_an_unknown_one(
    frozen: Any, page: str, kind: str
) -> None:
    """What a request does before anything tells the addresses apart is the same: one
    count for the address, known or not."""
    get_user_model().objects.create_user("known", "known@example.org", PASSWORD)
    for address in ("known@example.org", "nobody@example.org"):
        for n in range(4):
            Client(REMOTE_ADDR=f"203.0.113.{n}").post(reverse(page), {"email": address})
        assert mail_limits.one_more_mail_allowed(kind=kind, recipient=address), address
        assert not mail_limits.one_more_mail_allowed(kind=kind, recipient=address), address


def outbox_rows_made_by(action: Any) -> list[tuple[str, str]]:
    before = set(OutboxEmail.objects.values_list("pk", flat=True))
    action()
    made = OutboxEmail.objects.exclude(pk__in=before)
    return sorted((row.kind, row.recipient) for row in made)


def test_a_reset_queues_one_email_in_the_outbox_for_a_known_and_an_unknown_address(
    frozen: Any,
) -> None:
    get_user_model().objects.create_user("known", "known@example.org", PASSWORD)
    known = outbox_rows_made_by(lambda: reset("known@example.org"))
    unknown = outbox_rows_made_by(lambda: reset("nobody@example.org"))
    assert known == [("reset", "known@example.org")]
    assert unknown == [("reset", "nobody@example.org")]
