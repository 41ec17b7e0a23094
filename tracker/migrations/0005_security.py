# Issue 11 (security hardening): filled in by hand as that work lands.
from __future__ import annotations

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("tracker", "0004_one_write_path_and_audit_log")]

    operations: list[migrations.operations.base.Operation] = []
