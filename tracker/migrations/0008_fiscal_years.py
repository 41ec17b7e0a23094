from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("tracker", "0007_honest_status")]

    operations: list[migrations.operations.base.Operation] = []
