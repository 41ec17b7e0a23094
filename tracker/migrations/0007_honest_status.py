# Issue 9 (honest status: freshness, evidence, provenance): filled in by hand as that work lands.
from __future__ import annotations

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("tracker", "0006_reliability")]

    operations: list[migrations.operations.base.Operation] = []
