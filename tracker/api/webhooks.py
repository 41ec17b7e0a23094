"""/api/v1/webhooks/: editors register, edit, re-key and re-enable their endpoints.

Each editor sees and manages the endpoints they own (superusers see all); the secret is
in the answer because only its owner (or a superuser) can read the endpoint at all.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import QuerySet
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, viewsets
from rest_framework.decorators import action
from rest_framework.permissions import DjangoModelPermissions
from rest_framework.request import Request
from rest_framework.response import Response

from tracker.api.pagination import Pages
from tracker.api.serializers import acting_user, as_drf_error
from tracker.models import Negotiation, WebhookEndpoint
from tracker.services.endpoints import (
    endpoint_delete,
    endpoint_enable,
    endpoint_rotate_secret,
    endpoint_save,
)
from tracker.webhooks.events import EVENT_TYPES


class EditorsOnly(DjangoModelPermissions):
    """Reading needs the view permission too: endpoints are the editors' business."""

    perms_map = {
        **DjangoModelPermissions.perms_map,
        "GET": ["%(app_label)s.view_%(model_name)s"],
        "HEAD": ["%(app_label)s.view_%(model_name)s"],
        "OPTIONS": ["%(app_label)s.view_%(model_name)s"],
    }


class ChangeEndpoint(EditorsOnly):
    perms_map = {**EditorsOnly.perms_map, "POST": ["%(app_label)s.change_%(model_name)s"]}


class WebhookEndpointSerializer(serializers.ModelSerializer[WebhookEndpoint]):
    event_types = serializers.ListField(
        child=serializers.ChoiceField(choices=list(EVENT_TYPES)),
        required=False,
        help_text="Event types to send; empty or absent means every type.",
    )
    negotiation = serializers.SlugRelatedField(
        slug_field="slug",
        queryset=Negotiation.objects.all(),
        allow_null=True,
        required=False,
        help_text="Only events about this negotiation (its slug); null for all.",
    )
    owner: serializers.SlugRelatedField[Any] = serializers.SlugRelatedField(
        slug_field="username", read_only=True
    )
    secret = serializers.CharField(
        read_only=True, help_text="whsec_…: verify deliveries with it (Standard Webhooks)."
    )

    class Meta:
        model = WebhookEndpoint
        fields = [
            "id", "url", "description", "event_types", "negotiation", "owner", "secret",
            "is_active", "disabled_reason", "disabled_at", "consecutive_failures",
            "failing_since", "created_at",
        ]  # fmt: skip
        read_only_fields = [
            "disabled_reason", "disabled_at", "consecutive_failures", "failing_since",
            "created_at",
        ]  # fmt: skip

    def create(self, validated_data: dict[str, Any]) -> WebhookEndpoint:
        return self._save(WebhookEndpoint(owner=acting_user(self)), validated_data)

    def update(self, instance: WebhookEndpoint, validated_data: dict[str, Any]) -> WebhookEndpoint:
        return self._save(instance, validated_data)

    def _save(self, endpoint: WebhookEndpoint, data: dict[str, Any]) -> WebhookEndpoint:
        for name, value in data.items():
            setattr(endpoint, name, value)
        try:
            return endpoint_save(endpoint=endpoint, by=acting_user(self))
        except DjangoValidationError as error:
            raise as_drf_error(error) from None


class WebhookEndpointViewSet(viewsets.ModelViewSet):  # type: ignore[type-arg]
    queryset = WebhookEndpoint.objects.select_related("owner", "negotiation")
    serializer_class = WebhookEndpointSerializer
    permission_classes = [EditorsOnly]
    pagination_class = Pages

    def get_queryset(self) -> QuerySet[WebhookEndpoint]:
        endpoints = super().get_queryset()
        if self.request.user.is_superuser:
            return endpoints
        return endpoints.filter(owner_id=self.request.user.pk)

    def perform_destroy(self, instance: WebhookEndpoint) -> None:
        endpoint_delete(endpoint=instance, by=self.request.user)

    @extend_schema(request=None, responses={200: WebhookEndpointSerializer})
    @action(detail=True, methods=["post"], permission_classes=[ChangeEndpoint])
    def rotate_secret(self, request: Request, pk: str | None = None) -> Response:
        """A new secret; the old one stops signing at once."""
        endpoint = endpoint_rotate_secret(endpoint=self.get_object(), by=request.user)
        return Response(self.get_serializer(endpoint).data)

    @extend_schema(request=None, responses={200: WebhookEndpointSerializer})
    @action(detail=True, methods=["post"], permission_classes=[ChangeEndpoint])
    def enable(self, request: Request, pk: str | None = None) -> Response:
        """Enable a disabled endpoint: what waited goes out, failures count from zero."""
        try:
            endpoint = endpoint_enable(endpoint=self.get_object(), by=request.user)
        except DjangoValidationError as error:
            raise as_drf_error(error) from None
        return Response(self.get_serializer(endpoint).data)
