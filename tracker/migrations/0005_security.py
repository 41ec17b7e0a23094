# Issue 11 (security hardening), written by hand.
#
# - Calendar feed tokens keep only the SHA-256 of their secret: existing secrets are hashed
#   in place, so feed URLs already handed out keep working.
# - Digest rules are read part by part (tracker.reminders.recurrence). A stored rule that
#   does not read that way (a second RRULE, a DTSTART, a finer frequency, a day not every
#   month has …) is reset to the default, Mondays at 08:00 in the subscriber's time zone.
# - Short text fields hold no control characters: each run of them (and the spaces
#   around it) becomes one space; a unique value that would then collide gets "-<id>".
# - API tokens of Django REST framework's authtoken app were stored in plain text; they
#   are deleted (django-rest-knox's hashed tokens replace them: get a new one).
from __future__ import annotations

import hashlib
from typing import Any

from django.db import IntegrityError, migrations, models, transaction

import tracker.models
from tracker.reminders.recurrence import DigestRuleError, parse_digest_rule
from tracker.single_line import has_control_characters, one_line

DEFAULT_DIGEST_RULE = "FREQ=WEEKLY;BYDAY=MO;BYHOUR=8;BYMINUTE=0;BYSECOND=0"
SINGLE_LINE_MODELS = ["Party", "Source", "Negotiation", "Track", "Milestone", "Target", "Observation"]


def hash_feed_secrets(apps: Any, schema_editor: Any) -> None:
    CalendarFeedToken = apps.get_model("tracker", "CalendarFeedToken")
    for token in CalendarFeedToken.objects.all():
        token.digest = hashlib.sha256(token.digest.encode()).hexdigest()
        token.save(update_fields=["digest"])


def revoke_feed_tokens(apps: Any, schema_editor: Any) -> None:
    # The secrets are gone; a digest taken for a secret would open the feed to its reader.
    apps.get_model("tracker", "CalendarFeedToken").objects.all().delete()


def reset_unreadable_digest_rules(apps: Any, schema_editor: Any) -> None:
    Subscription = apps.get_model("tracker", "Subscription")
    for subscription in Subscription.objects.exclude(digest_rule="").only("digest_rule"):
        try:
            parse_digest_rule(subscription.digest_rule)
        except DigestRuleError:
            subscription.digest_rule = DEFAULT_DIGEST_RULE
            subscription.save(update_fields=["digest_rule"])


def clean_single_line_text(apps: Any, schema_editor: Any) -> None:
    for name in SINGLE_LINE_MODELS:
        model = apps.get_model("tracker", name)
        fields = [f for f in model._meta.concrete_fields if isinstance(f, models.CharField)]
        for row in model._default_manager.only("pk", *(f.attname for f in fields)):
            for field in fields:
                value = getattr(row, field.attname) or ""
                if has_control_characters(value):
                    _store_cleaned(model, row.pk, field.attname, one_line(value))


def _store_cleaned(model: Any, pk: Any, column: str, value: str) -> None:
    try:
        with transaction.atomic():
            model._default_manager.filter(pk=pk).update(**{column: value})
    except IntegrityError:
        model._default_manager.filter(pk=pk).update(**{column: f"{value}-{pk}"})


def delete_plain_api_tokens(apps: Any, schema_editor: Any) -> None:
    connection = schema_editor.connection
    if "authtoken_token" in connection.introspection.table_names():
        with connection.cursor() as cursor:
            cursor.execute("DELETE FROM authtoken_token")


class Migration(migrations.Migration):
    dependencies = [("tracker", "0004_one_write_path_and_audit_log")]

    operations: list[migrations.operations.base.Operation] = [
        migrations.RenameField(model_name="calendarfeedtoken", old_name="key", new_name="digest"),
        migrations.RunPython(hash_feed_secrets, revoke_feed_tokens),
        migrations.AlterField(
            model_name="calendarfeedtoken",
            name="digest",
            field=models.CharField(
                help_text="SHA-256 of the secret in the feed URL.", max_length=64, unique=True
            ),
        ),
        migrations.RunPython(reset_unreadable_digest_rules, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="subscription",
            name="digest_rule",
            field=models.CharField(
                blank=True,
                default="FREQ=WEEKLY;BYDAY=MO;BYHOUR=8;BYMINUTE=0;BYSECOND=0",
                help_text="A daily, weekly or monthly RFC 5545 RRULE, in the subscription's "
                "time zone; empty for no digest.",
                max_length=200,
                validators=[tracker.models.digest_rule_validator],
            ),
        ),
        migrations.RunPython(clean_single_line_text, migrations.RunPython.noop),
        migrations.RunPython(delete_plain_api_tokens, migrations.RunPython.noop),
    ]
