from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("tracker", "0010_webhooks")]

    operations: list[migrations.operations.base.Operation] = []
