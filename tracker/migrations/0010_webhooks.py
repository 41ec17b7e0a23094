"""Webhooks (issue 14): endpoints, events, the delivery outbox and its attempts; the
outbox email that tells an owner their endpoint was disabled; editors may register
endpoints and read deliveries."""

from __future__ import annotations

from typing import Any

import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.contrib.auth.management import create_permissions
from django.db import migrations, models

EDITED = ["webhookendpoint"]
READ_ONLY = ["webhookevent", "webhookdelivery", "webhookattempt"]


def let_editors_register_webhooks(apps: Any, schema_editor: Any) -> None:
    # Permissions are normally made after all migrations; make them now.
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, verbosity=0)
        app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    codenames = [f"{action}_{m}" for m in EDITED for action in ("add", "change", "delete", "view")]
    codenames += [f"view_{m}" for m in READ_ONLY]
    editors, _ = Group.objects.get_or_create(name="editors")
    editors.permissions.add(
        *Permission.objects.filter(content_type__app_label="tracker", codename__in=codenames)
    )


class Migration(migrations.Migration):
    dependencies = [
        ("tracker", "0009_observation_periods_and_series"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
        ("auth", "0012_alter_user_first_name_max_length"),
    ]

    operations = [
        migrations.CreateModel(
            name="WebhookAttempt",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("attempted_at", models.DateTimeField(default=django.utils.timezone.now)),
                ("status_code", models.PositiveSmallIntegerField(blank=True, null=True)),
                (
                    "response_body",
                    models.TextField(blank=True, help_text="The first 2,000 characters."),
                ),
                ("error", models.TextField(blank=True)),
                ("duration_ms", models.PositiveIntegerField(default=0)),
                ("succeeded", models.BooleanField(default=False)),
            ],
            options={
                "ordering": ["-attempted_at", "-id"],
            },
        ),
        migrations.CreateModel(
            name="WebhookDelivery",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("due_at", models.DateTimeField()),
                (
                    "state",
                    models.CharField(
                        choices=[
                            ("pending", "Pending"),
                            ("sending", "Sending"),
                            ("sent", "Sent"),
                            ("failed", "Failed"),
                            ("void", "Void"),
                            ("superseded", "Superseded"),
                        ],
                        default="pending",
                        max_length=12,
                    ),
                ),
                ("attempts", models.PositiveIntegerField(default=0)),
                ("last_error", models.TextField(blank=True)),
                (
                    "retry_at",
                    models.DateTimeField(
                        blank=True,
                        help_text="After a failed attempt: not before this time.",
                        null=True,
                    ),
                ),
                (
                    "claimed_at",
                    models.DateTimeField(
                        blank=True, help_text="When the latest sender claimed the row.", null=True
                    ),
                ),
                (
                    "leased_until",
                    models.DateTimeField(
                        blank=True,
                        help_text="A sending row whose lease has passed is released to pending.",
                        null=True,
                    ),
                ),
                (
                    "claim_token",
                    models.CharField(blank=True, help_text="The latest claim's id.", max_length=32),
                ),
                ("sent_at", models.DateTimeField(blank=True, null=True)),
                ("created_at", models.DateTimeField(default=django.utils.timezone.now)),
                (
                    "response_status",
                    models.PositiveSmallIntegerField(
                        blank=True, help_text="The HTTP status of the latest attempt.", null=True
                    ),
                ),
            ],
            options={
                "verbose_name": "webhook delivery",
                "verbose_name_plural": "webhook deliveries",
                "ordering": ["-due_at", "-id"],
            },
        ),
        migrations.CreateModel(
            name="WebhookEndpoint",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                (
                    "url",
                    models.URLField(
                        help_text="Where deliveries are POSTed (http or https).", max_length=2000
                    ),
                ),
                ("description", models.CharField(blank=True, max_length=200)),
                ("secret", models.CharField(editable=False, max_length=100)),
                (
                    "event_types",
                    models.JSONField(
                        blank=True,
                        default=list,
                        help_text="The event types to send; empty means every type.",
                    ),
                ),
                ("is_active", models.BooleanField(default=True)),
                ("disabled_reason", models.CharField(blank=True, max_length=300)),
                ("disabled_at", models.DateTimeField(blank=True, null=True)),
                (
                    "consecutive_failures",
                    models.PositiveIntegerField(
                        default=0, help_text="Failed attempts since the last success."
                    ),
                ),
                ("created_at", models.DateTimeField(default=django.utils.timezone.now)),
            ],
            options={
                "verbose_name": "webhook endpoint",
                "ordering": ["id"],
            },
        ),
        migrations.CreateModel(
            name="WebhookEvent",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                (
                    "public_id",
                    models.CharField(help_text="msg_…: `webhook-id`.", max_length=40, unique=True),
                ),
                ("type", models.CharField(db_index=True, max_length=40)),
                (
                    "title",
                    models.CharField(help_text="One line, for the change feeds.", max_length=500),
                ),
                ("payload", models.JSONField(help_text="The JSON body every endpoint receives.")),
                ("occurred_at", models.DateTimeField(default=django.utils.timezone.now)),
            ],
            options={
                "verbose_name": "webhook event",
                "ordering": ["-occurred_at", "-id"],
            },
        ),
        migrations.RemoveConstraint(
            model_name="outboxemail",
            name="outboxemail_names_its_cause",
        ),
        migrations.AlterField(
            model_name="outboxemail",
            name="kind",
            field=models.CharField(
                choices=[
                    ("confirmation", "Confirmation"),
                    ("health_alert", "Health Alert"),
                    ("webhook_off", "Webhook Disabled"),
                ],
                max_length=12,
            ),
        ),
        migrations.AddField(
            model_name="webhookattempt",
            name="delivery",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.CASCADE,
                related_name="attempt_log",
                to="tracker.webhookdelivery",
            ),
        ),
        migrations.AddField(
            model_name="webhookendpoint",
            name="negotiation",
            field=models.ForeignKey(
                blank=True,
                help_text="Only events about this negotiation; empty means every negotiation.",
                null=True,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="webhook_endpoints",
                to="tracker.negotiation",
            ),
        ),
        migrations.AddField(
            model_name="webhookendpoint",
            name="owner",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.CASCADE,
                related_name="webhook_endpoints",
                to=settings.AUTH_USER_MODEL,
            ),
        ),
        migrations.AddField(
            model_name="webhookdelivery",
            name="endpoint",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.CASCADE,
                related_name="deliveries",
                to="tracker.webhookendpoint",
            ),
        ),
        migrations.AddField(
            model_name="outboxemail",
            name="webhook_endpoint",
            field=models.ForeignKey(
                blank=True,
                help_text="For a disabled webhook: the endpoint its owner is told about.",
                null=True,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="emails",
                to="tracker.webhookendpoint",
            ),
        ),
        migrations.AddConstraint(
            model_name="outboxemail",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    models.Q(("kind", "confirmation"), ("subscription__isnull", False)),
                    models.Q(("kind", "health_alert"), ("status_change__isnull", False)),
                    models.Q(("kind", "webhook_off"), ("webhook_endpoint__isnull", False)),
                    _connector="OR",
                ),
                name="outboxemail_names_its_cause",
            ),
        ),
        migrations.AddField(
            model_name="webhookevent",
            name="negotiation",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="events",
                to="tracker.negotiation",
            ),
        ),
        migrations.AddField(
            model_name="webhookdelivery",
            name="event",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.CASCADE,
                related_name="deliveries",
                to="tracker.webhookevent",
            ),
        ),
        migrations.AddIndex(
            model_name="webhookevent",
            index=models.Index(fields=["occurred_at"], name="webhookevent_occurred_at"),
        ),
        migrations.AddIndex(
            model_name="webhookdelivery",
            index=models.Index(
                condition=models.Q(("state", "pending")),
                fields=["due_at"],
                name="webhookdelivery_pending_due",
            ),
        ),
        migrations.AddIndex(
            model_name="webhookdelivery",
            index=models.Index(
                condition=models.Q(("state", "sending")),
                fields=["leased_until"],
                name="webhookdelivery_sending_lease",
            ),
        ),
        migrations.AddConstraint(
            model_name="webhookdelivery",
            constraint=models.UniqueConstraint(
                fields=("event", "endpoint"), name="webhookdelivery_once_per_endpoint"
            ),
        ),
        migrations.RunPython(let_editors_register_webhooks, migrations.RunPython.noop),
    ]
