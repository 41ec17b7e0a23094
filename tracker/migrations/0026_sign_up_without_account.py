"""A sign-up email names no user: the account is made when its link is followed (issue 22,
equal work for new and known addresses)."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("tracker", "0025_row_versions"),
    ]

    operations = [
        migrations.RemoveConstraint(
            model_name="outboxemail",
            name="outboxemail_names_its_cause",
        ),
        migrations.AddConstraint(
            model_name="outboxemail",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    models.Q(("kind", "confirmation"), ("subscription__isnull", False)),
                    models.Q(("kind", "health_alert"), ("status_change__isnull", False)),
                    models.Q(
                        ("kind", "unconfirmed"),
                        ("subscription__isnull", False),
                        ("week__isnull", False),
                    ),
                    models.Q(("kind__in", ["new_address", "address_note"]), ("user__isnull", False)),
                    ("kind__in", ["reset", "sign_up"]),
                    models.Q(
                        ("kind__in", ["webhook_off", "webhook_warn"]),
                        ("webhook_endpoint__isnull", False),
                    ),
                    models.Q(
                        ("kind", "digest"),
                        ("period_end__isnull", False),
                        ("period_start__isnull", False),
                        ("subscription__isnull", False),
                    ),
                    _connector="OR",
                ),
                name="outboxemail_names_its_cause",
            ),
        ),
    ]
