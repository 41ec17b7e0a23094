"""Issue 15: account emails in the outbox, and reminders that can be switched off.

The digest's day and hour need no new column: they are the subscription's `digest_rule`,
which the digest job already reads (tracker.reminders.digests).
"""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("tracker", "0010_webhooks"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.RemoveConstraint(
            model_name="outboxemail",
            name="outboxemail_names_its_cause",
        ),
        migrations.AddField(
            model_name="outboxemail",
            name="user",
            field=models.ForeignKey(
                blank=True,
                help_text="For account emails: whose sign-up, address or password it is about.",
                null=True,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="outbox_emails",
                to=settings.AUTH_USER_MODEL,
            ),
        ),
        migrations.AddField(
            model_name="subscription",
            name="reminders_on",
            field=models.BooleanField(
                default=True,
                help_text="Off: only the digest is sent, no reminders before deadlines.",
            ),
        ),
        migrations.AlterField(
            model_name="outboxemail",
            name="kind",
            field=models.CharField(
                choices=[
                    ("confirmation", "Confirmation"),
                    ("health_alert", "Health Alert"),
                    ("sign_up", "Sign Up"),
                    ("new_address", "New Address"),
                    ("reset", "Password Reset"),
                ],
                max_length=12,
            ),
        ),
        migrations.AddConstraint(
            model_name="outboxemail",
            constraint=models.UniqueConstraint(
                condition=models.Q(("kind__in", ["sign_up", "new_address", "reset"])),
                fields=("user", "kind", "sequence"),
                name="outboxemail_account_once_per_sequence",
            ),
        ),
        migrations.AddConstraint(
            model_name="outboxemail",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    models.Q(("kind", "confirmation"), ("subscription__isnull", False)),
                    models.Q(("kind", "health_alert"), ("status_change__isnull", False)),
                    models.Q(
                        ("kind__in", ["sign_up", "new_address", "reset"]), ("user__isnull", False)
                    ),
                    _connector="OR",
                ),
                name="outboxemail_names_its_cause",
            ),
        ),
    ]
