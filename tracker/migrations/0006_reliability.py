# Issue 12 (reliability and operations): filled in by hand as that work lands.
from __future__ import annotations

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("tracker", "0005_security")]

    operations: list[migrations.operations.base.Operation] = []
