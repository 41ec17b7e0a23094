# Issue 9 (honest status: freshness, evidence, provenance), written by hand.
from __future__ import annotations

from typing import Any

import django.db.models.deletion
import django.utils.timezone
from django.contrib.auth.management import create_permissions
from django.db import migrations, models

HEALTH_CHOICES = [
    ("not_started", "not started"),
    ("achieved", "achieved"),
    ("active", "active"),
    ("off_track", "off track"),
    ("at_risk", "at risk"),
    ("no_data", "no data"),
    ("on_track", "on track"),
]


def _freshness(model_name: str) -> list[migrations.operations.base.Operation]:
    return [
        migrations.AddField(
            model_name=model_name,
            name="last_confirmed_on",
            field=models.DateField(
                blank=True,
                editable=False,
                help_text="The newest source date behind the current facts; empty when none "
                "is dated.",
                null=True,
            ),
        ),
        migrations.AddField(
            model_name=model_name,
            name="last_confirmed_inferred",
            field=models.BooleanField(
                default=False,
                editable=False,
                help_text="That date is an “on or before” date inferred from an undated text.",
            ),
        ),
        migrations.AddField(
            model_name=model_name,
            name="stale",
            field=models.BooleanField(
                default=False,
                editable=False,
                help_text="Open, and no dated source within TRACKER_STALE_AFTER_DAYS.",
            ),
        ),
    ]


def let_editors_edit_discrepancies(apps: Any, schema_editor: Any) -> None:
    """Editors keep the record, and where its sources differ is part of it."""
    # Permissions are normally made after all migrations; make them now.
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, verbosity=0)
        app_config.models_module = None
    editors = apps.get_model("auth", "Group").objects.filter(name="editors").first()
    if editors is None:
        return
    editors.permissions.add(
        *apps.get_model("auth", "Permission").objects.filter(
            content_type__app_label="tracker",
            codename__in=[f"{a}_discrepancy" for a in ("add", "change", "delete", "view")],
        )
    )


class Migration(migrations.Migration):
    dependencies = [("tracker", "0006_reliability")]

    operations: list[migrations.operations.base.Operation] = [
        # Freshness, written by the status refresh.
        *_freshness("milestone"),
        *_freshness("negotiation"),
        *_freshness("target"),
        *_freshness("track"),
        # Health that needs evidence.
        migrations.AlterField(
            model_name="negotiation",
            name="health",
            field=models.CharField(
                choices=HEALTH_CHOICES, db_index=True, default="not_started", max_length=12
            ),
        ),
        migrations.AlterField(
            model_name="track",
            name="health",
            field=models.CharField(
                choices=HEALTH_CHOICES, db_index=True, default="not_started", max_length=12
            ),
        ),
        migrations.AddField(
            model_name="track",
            name="ongoing",
            field=models.BooleanField(
                default=False,
                help_text="A framework with no end: once its milestones so far are done it is "
                "active, never achieved.",
            ),
        ),
        # Provenance: an "on or before" date for undated texts; a completion's precision.
        migrations.AddField(
            model_name="source",
            name="published_by",
            field=models.DateField(
                blank=True,
                help_text="For an undated text: the date it was published on or before, as its "
                "own words imply (shown as inferred).",
                null=True,
            ),
        ),
        migrations.AddField(
            model_name="milestone",
            name="completed_precision",
            field=models.CharField(
                blank=True,
                choices=[("day", "day"), ("month", "month"), ("year", "year")],
                help_text="Empty or day: completed_on is the day. Month or year: only that month "
                "or year is known, and completed_on is its last day.",
                max_length=10,
            ),
        ),
        # Where the sources behind a milestone disagree ("Sources differ").
        migrations.CreateModel(
            name="Discrepancy",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                (
                    "summary",
                    models.CharField(help_text="What the sources disagree about.", max_length=300),
                ),
                (
                    "milestone",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="discrepancies",
                        to="tracker.milestone",
                    ),
                ),
                (
                    "sources",
                    models.ManyToManyField(related_name="discrepancies", to="tracker.source"),
                ),
            ],
            options={"verbose_name_plural": "discrepancies", "ordering": ["milestone", "id"]},
        ),
        migrations.RunPython(let_editors_edit_discrepancies, migrations.RunPython.noop),
        # When a figure was entered: rows from before stay empty (nobody knows when), and
        # only then does the column get its default for new rows.
        migrations.AddField(
            model_name="observation",
            name="recorded_at",
            field=models.DateTimeField(blank=True, editable=False, null=True),
        ),
        migrations.AlterField(
            model_name="observation",
            name="recorded_at",
            field=models.DateTimeField(
                blank=True, default=django.utils.timezone.now, editable=False, null=True
            ),
        ),
    ]
