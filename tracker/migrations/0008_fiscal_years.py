"""Fiscal years and relative deadlines (issue 10): a party's fiscal-year start month, the
day a relative deadline was said, and room for the `fiscal_year` precision."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("tracker", "0007_honest_status")]

    operations = [
        migrations.AddField(
            model_name="deadlinerevision",
            name="new_said_on",
            field=models.DateField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name="deadlinerevision",
            name="previous_said_on",
            field=models.DateField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name="milestone",
            name="deadline_said_on",
            field=models.DateField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name="party",
            name="fiscal_year_start",
            field=models.PositiveSmallIntegerField(
                blank=True,
                choices=[
                    (1, "January"),
                    (2, "February"),
                    (3, "March"),
                    (4, "April"),
                    (5, "May"),
                    (6, "June"),
                    (7, "July"),
                    (8, "August"),
                    (9, "September"),
                    (10, "October"),
                    (11, "November"),
                    (12, "December"),
                ],
                help_text="The month its fiscal year starts (India April, the United States October); “FY2027” in its negotiations' deadlines is read with it.",
                null=True,
            ),
        ),
        migrations.AddField(
            model_name="target",
            name="deadline_said_on",
            field=models.DateField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name="track",
            name="deadline_said_on",
            field=models.DateField(blank=True, null=True),
        ),
        migrations.AlterField(
            model_name="deadlinerevision",
            name="new_precision",
            field=models.CharField(blank=True, max_length=12),
        ),
        migrations.AlterField(
            model_name="deadlinerevision",
            name="previous_precision",
            field=models.CharField(blank=True, max_length=12),
        ),
        migrations.AlterField(
            model_name="milestone",
            name="deadline_precision",
            field=models.CharField(
                blank=True,
                choices=[
                    ("day", "day"),
                    ("month", "month"),
                    ("quarter", "quarter"),
                    ("half", "half"),
                    ("season", "season"),
                    ("period", "period"),
                    ("year", "year"),
                    ("fiscal_year", "fiscal year"),
                ],
                max_length=12,
            ),
        ),
        migrations.AlterField(
            model_name="target",
            name="deadline_precision",
            field=models.CharField(
                blank=True,
                choices=[
                    ("day", "day"),
                    ("month", "month"),
                    ("quarter", "quarter"),
                    ("half", "half"),
                    ("season", "season"),
                    ("period", "period"),
                    ("year", "year"),
                    ("fiscal_year", "fiscal year"),
                ],
                max_length=12,
            ),
        ),
        migrations.AlterField(
            model_name="track",
            name="deadline_precision",
            field=models.CharField(
                blank=True,
                choices=[
                    ("day", "day"),
                    ("month", "month"),
                    ("quarter", "quarter"),
                    ("half", "half"),
                    ("season", "season"),
                    ("period", "period"),
                    ("year", "year"),
                    ("fiscal_year", "fiscal year"),
                ],
                max_length=12,
            ),
        ),
        migrations.AddConstraint(
            model_name="milestone",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    ("deadline_said_on__isnull", True),
                    ("deadline_latest__isnull", False),
                    _connector="OR",
                ),
                name="milestone_deadline_said_on_needs_deadline",
            ),
        ),
        migrations.AddConstraint(
            model_name="party",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    ("fiscal_year_start__isnull", True),
                    models.Q(("fiscal_year_start__gte", 1), ("fiscal_year_start__lte", 12)),
                    _connector="OR",
                ),
                name="party_fiscal_year_start_is_a_month",
            ),
        ),
        migrations.AddConstraint(
            model_name="target",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    ("deadline_said_on__isnull", True),
                    ("deadline_latest__isnull", False),
                    _connector="OR",
                ),
                name="target_deadline_said_on_needs_deadline",
            ),
        ),
        migrations.AddConstraint(
            model_name="track",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    ("deadline_said_on__isnull", True),
                    ("deadline_latest__isnull", False),
                    _connector="OR",
                ),
                name="track_deadline_said_on_needs_deadline",
            ),
        ),
    ]
