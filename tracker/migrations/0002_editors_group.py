"""The `editors` group: may add, change and delete the record, not users or the outbox."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.management import create_permissions
from django.db import migrations

EDITED_MODELS = [
    "party",
    "source",
    "negotiation",
    "track",
    "milestone",
    "target",
    "observation",
    "subscription",
]
READ_ONLY_MODELS = ["deadlinerevision", "statuschange", "reminder"]


def create_editors(apps: Any, schema_editor: Any) -> None:
    # Permissions are normally made after all migrations; make them now.
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, verbosity=0)
        app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    codenames = [
        f"{action}_{model}"
        for model in EDITED_MODELS
        for action in ("add", "change", "delete", "view")
    ]
    codenames += [f"view_{model}" for model in READ_ONLY_MODELS]
    editors, _ = Group.objects.get_or_create(name="editors")
    editors.permissions.set(
        Permission.objects.filter(content_type__app_label="tracker", codename__in=codenames)
    )


def remove_editors(apps: Any, schema_editor: Any) -> None:
    apps.get_model("auth", "Group").objects.filter(name="editors").delete()


class Migration(migrations.Migration):
    dependencies = [
        ("tracker", "0001_initial"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(create_editors, remove_editors)]
