"""Observations state the period they measure and the series they come from (issue 10).

Rows entered before this knew only a date and no publisher, so nothing is invented for
them: each keeps its date as a one-day period (period_start = period_end = date) and goes
into the series "Series not stated", which becomes the primary series of the targets it
has figures for. An editor can then move them to the right series and period.
"""

import django.db.models.deletion
from django.contrib.auth.management import create_permissions
from django.db import migrations, models

import tracker.models

NOT_STATED = "Series not stated"


def periods_from_dates(apps, schema_editor):
    Observation = apps.get_model("tracker", "Observation")
    Series = apps.get_model("tracker", "Series")
    Target = apps.get_model("tracker", "Target")
    if not Observation.objects.exists():
        return
    series, _ = Series.objects.get_or_create(name=NOT_STATED)
    for observation in Observation.objects.all():
        observation.series = series
        observation.period_start = observation.period_end = observation.date
        observation.save(update_fields=["series", "period_start", "period_end"])
    Target.objects.filter(observations__isnull=False).update(primary_series=series)


def dates_from_periods(apps, schema_editor):
    Observation = apps.get_model("tracker", "Observation")
    # Back to one figure per target and date: the primary series' figure, at its period end.
    for observation in Observation.objects.select_related("target").order_by("id"):
        primary = observation.target.primary_series_id
        if primary is not None and observation.series_id != primary:
            observation.delete()
            continue
        observation.date = observation.period_end
        observation.save(update_fields=["date"])


def let_editors_keep_series(apps, schema_editor):
    """Editors keep the record, and which statistics a figure comes from is part of it."""
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
            codename__in=[f"{a}_series" for a in ("add", "change", "delete", "view")],
        )
    )


class Migration(migrations.Migration):
    dependencies = [("tracker", "0008_fiscal_years")]

    operations: list[migrations.operations.base.Operation] = [
        migrations.CreateModel(
            name="Series",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                (
                    "name",
                    models.CharField(
                        help_text="Publisher and coverage, e.g. “US Census Bureau — goods and services”.",
                        max_length=200,
                        unique=True,
                    ),
                ),
            ],
            options={"ordering": ["name"], "verbose_name_plural": "series"},
        ),
        migrations.AddField(
            model_name="target",
            name="baseline_period_start",
            field=models.DateField(blank=True, null=True, validators=[tracker.models.sensible_date]),
        ),
        migrations.AddField(
            model_name="target",
            name="baseline_period_end",
            field=models.DateField(blank=True, null=True, validators=[tracker.models.sensible_date]),
        ),
        migrations.AddField(
            model_name="target",
            name="baseline_approximate",
            field=models.BooleanField(
                default=False, help_text="The baseline is a rounded or loosely dated figure."
            ),
        ),
        migrations.AddField(
            model_name="target",
            name="primary_series",
            field=models.ForeignKey(
                blank=True,
                help_text="The series the status is judged on; the first series observed unless chosen.",
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="primary_for",
                to="tracker.series",
            ),
        ),
        migrations.AddField(
            model_name="target",
            name="required_pace",
            field=models.FloatField(
                blank=True, help_text="Units a year still needed to reach the target in time.", null=True
            ),
        ),
        migrations.AddConstraint(
            model_name="target",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    ("baseline_period_start__isnull", True),
                    ("baseline_period_end__isnull", True),
                    ("baseline_period_end__gte", models.F("baseline_period_start")),
                    _connector="OR",
                ),
                name="target_baseline_period_in_order",
            ),
        ),
        migrations.RemoveConstraint(model_name="observation", name="observation_one_per_target_date"),
        migrations.AlterField(
            model_name="observation",
            name="date",
            field=models.DateField(null=True, validators=[tracker.models.sensible_date]),
        ),
        migrations.AddField(
            model_name="observation",
            name="series",
            field=models.ForeignKey(
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="observations",
                to="tracker.series",
            ),
        ),
        migrations.AddField(
            model_name="observation",
            name="period_start",
            field=models.DateField(null=True, validators=[tracker.models.sensible_date]),
        ),
        migrations.AddField(
            model_name="observation",
            name="period_end",
            field=models.DateField(
                help_text="The path is compared with the figure on this day.",
                null=True,
                validators=[tracker.models.sensible_date],
            ),
        ),
        migrations.AddField(
            model_name="observation",
            name="approximate",
            field=models.BooleanField(default=False, help_text="A rounded or estimated figure."),
        ),
        migrations.RunPython(periods_from_dates, dates_from_periods),
        migrations.RemoveField(model_name="observation", name="date"),
        migrations.AlterField(
            model_name="observation",
            name="series",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.PROTECT,
                related_name="observations",
                to="tracker.series",
            ),
        ),
        migrations.AlterField(
            model_name="observation",
            name="period_start",
            field=models.DateField(validators=[tracker.models.sensible_date]),
        ),
        migrations.AlterField(
            model_name="observation",
            name="period_end",
            field=models.DateField(
                help_text="The path is compared with the figure on this day.",
                validators=[tracker.models.sensible_date],
            ),
        ),
        migrations.AlterModelOptions(
            name="observation",
            options={"ordering": ["target", "period_end", "series"]},
        ),
        migrations.AddConstraint(
            model_name="observation",
            constraint=models.UniqueConstraint(
                fields=("target", "series", "period_start", "period_end"),
                name="observation_one_per_series_period",
            ),
        ),
        migrations.AddConstraint(
            model_name="observation",
            constraint=models.CheckConstraint(
                condition=models.Q(("period_end__gte", models.F("period_start"))),
                name="observation_period_in_order",
            ),
        ),
        migrations.RunPython(let_editors_keep_series, migrations.RunPython.noop),
    ]
