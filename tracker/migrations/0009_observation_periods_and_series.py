from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("tracker", "0008_fiscal_years")]

    operations: list[migrations.operations.base.Operation] = []
