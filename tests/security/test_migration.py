"""Migration 0005 brings rows written before issue 11 in line with its rules."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from typing import Any

import pytest
from django.db import connection

from tests.migrations import migrate, migrated_back_to

BEFORE = ("tracker", "0004_one_write_path_and_audit_log")
AFTER = ("tracker", "0005_security")
DEFAULT_RULE = "FREQ=WEEKLY;BYDAY=MO;BYHOUR=8;BYMINUTE=0;BYSECOND=0"


@pytest.fixture
def before_0005(transactional_db: None) -> Iterator[Any]:
    """The models as they were before 0005; the database is migrated back to the end after."""
    try:
        with migrated_back_to(BEFORE) as apps:
            yield apps
    finally:
        with connection.cursor() as cursor:
            cursor.execute("DROP TABLE IF EXISTS authtoken_token")


@pytest.mark.slow  # migrates the database back and forth
@pytest.mark.django_db(transaction=True)
def test_0005_hashes_feed_secrets_resets_unreadable_rules_and_cleans_names(before_0005):
    old = before_0005
    user = old.get_model("auth", "User").objects.create(username="reader")
    old.get_model("tracker", "CalendarFeedToken").objects.create(user=user, key="s3cret-feed")
    Negotiation = old.get_model("tracker", "Negotiation")
    negotiation = Negotiation.objects.create(slug="india-us", name="India–US\r\nBTA")
    track = old.get_model("tracker", "Track").objects.create(
        negotiation=negotiation, slug="interim", name="Interim\n\nagreement "
    )
    Party = old.get_model("tracker", "Party")
    Party.objects.create(code="IN", name="India")
    clash = Party.objects.create(code="IN\x1b", name="India\x1b")  # (PostgreSQL holds no NUL)
    Subscription = old.get_model("tracker", "Subscription")
    stalls = Subscription.objects.create(
        track=track, email="a@example.org", digest_rule="FREQ=DAILY;INTERVAL=0"
    )
    secondly = Subscription.objects.create(
        track=track,
        email="b@example.org",
        digest_rule="FREQ=DAILY;BYHOUR=8 RRULE:FREQ=SECONDLY",
    )
    fine = Subscription.objects.create(
        track=track, email="c@example.org", digest_rule="FREQ=MONTHLY;BYMONTHDAY=1;BYHOUR=9"
    )
    none = Subscription.objects.create(track=track, email="d@example.org", digest_rule="")
    with connection.cursor() as cursor:
        cursor.execute(
            "CREATE TABLE authtoken_token (key varchar(40) PRIMARY KEY, user_id integer)"
        )
        cursor.execute("INSERT INTO authtoken_token VALUES ('plain-api-token', %s)", [user.pk])

    new = migrate(AFTER)

    token = new.get_model("tracker", "CalendarFeedToken").objects.get()
    assert token.digest == hashlib.sha256(b"s3cret-feed").hexdigest()
    rules = dict(new.get_model("tracker", "Subscription").objects.values_list("pk", "digest_rule"))
    assert rules == {
        stalls.pk: DEFAULT_RULE,
        secondly.pk: DEFAULT_RULE,
        fine.pk: "FREQ=MONTHLY;BYMONTHDAY=1;BYHOUR=9",
        none.pk: "",
    }
    assert new.get_model("tracker", "Negotiation").objects.get().name == "India–US BTA"
    assert new.get_model("tracker", "Track").objects.get().name == "Interim agreement"
    parties = new.get_model("tracker", "Party").objects.order_by("pk")
    assert [(p.code, p.name) for p in parties] == [("IN", "India"), (f"IN-{clash.pk}", "India")]
    with connection.cursor() as cursor:
        cursor.execute("SELECT COUNT(*) FROM authtoken_token")
        assert cursor.fetchone() == (0,)
