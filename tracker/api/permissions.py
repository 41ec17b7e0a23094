"""Who may read and who may write through the API."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from rest_framework.permissions import SAFE_METHODS, DjangoModelPermissions
from rest_framework.request import Request


class ReadPublicWriteWithModelPermission(DjangoModelPermissions):
    """Reading follows TRACKER_PUBLIC; writing needs the model permission (the `editors` group)."""

    def has_permission(self, request: Request, view: Any) -> bool:
        if request.method in SAFE_METHODS:
            return bool(settings.TRACKER_PUBLIC or request.user.is_authenticated)
        if getattr(view, "queryset", None) is None and not hasattr(view, "get_queryset"):
            # A view without a model (a helper endpoint) has no model permission to ask for.
            return bool(request.user.is_authenticated)
        return super().has_permission(request, view)


class ChangeWithModelPermission(ReadPublicWriteWithModelPermission):
    """For actions such as complete and cancel: a POST that changes an existing row."""

    perms_map = {
        **DjangoModelPermissions.perms_map,
        "POST": ["%(app_label)s.change_%(model_name)s"],
    }
