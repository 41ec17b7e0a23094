from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("tracker", "0009_observation_periods_and_series")]

    operations: list[migrations.operations.base.Operation] = []
