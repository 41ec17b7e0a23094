"""The admin's webhook pages: endpoints (registered through the service), events, and
deliveries with every attempt and a "Redeliver" action. Imported by tracker/admin.py."""

from __future__ import annotations

import json
from typing import Any

from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.html import format_html

from tracker.admin import badge
from tracker.models import WebhookAttempt, WebhookDelivery, WebhookEndpoint, WebhookEvent
from tracker.reminders import outbox
from tracker.services.endpoints import (
    endpoint_delete,
    endpoint_enable,
    endpoint_save,
    validate_url,
)
from tracker.webhooks import delivery
from tracker.webhooks.events import EVENT_TYPES

HIDDEN = "(only its owner can read the secret)"
READ_ONLY = [
    "owner",
    "disabled_reason",
    "disabled_at",
    "consecutive_failures",
    "failing_since",
    "warned_at",
    "created_at",
]


class WebhookEndpointForm(forms.ModelForm):  # type: ignore[type-arg]
    url = forms.URLField(
        max_length=2000, assume_scheme="https", help_text="Where deliveries are POSTed."
    )
    event_types = forms.MultipleChoiceField(
        choices=[(t, t) for t in EVENT_TYPES],
        widget=forms.CheckboxSelectMultiple,
        required=False,
        help_text="None ticked means every type.",
    )

    class Meta:
        model = WebhookEndpoint
        fields = ["url", "description", "event_types", "negotiation", "is_active"]

    def clean_url(self) -> str:
        url: str = self.cleaned_data["url"]
        try:
            validate_url(url)
        except ValidationError as error:
            raise ValidationError(error.message_dict["url"]) from None
        return url


@admin.register(WebhookEndpoint)
class WebhookEndpointAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    form = WebhookEndpointForm
    list_display = ["url", "owner", "negotiation", "types", "active", "consecutive_failures"]
    list_filter = ["is_active", "negotiation"]
    search_fields = ["url", "description", "owner__username", "owner__email"]
    actions = ["enable"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[WebhookEndpoint]:
        """Editors see, change and delete their own endpoints; superusers every one."""
        endpoints = super().get_queryset(request).select_related("owner", "negotiation")
        return endpoints if request.user.is_superuser else endpoints.filter(owner=request.user.pk)

    @admin.display(description="secret")
    def secret_shown(self, obj: WebhookEndpoint) -> str:
        return obj.secret or "Made when the endpoint is saved."

    @admin.display(description="secret")
    def secret_hidden(self, obj: WebhookEndpoint) -> str:
        return HIDDEN

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        """The secret is shown to the endpoint's owner and to superusers only (and others
        reach no endpoint but their own: get_queryset)."""
        user: Any = request.user
        mine = obj is None or user.is_superuser or user.pk == obj.owner_id
        return [*READ_ONLY, "secret_shown" if mine else "secret_hidden"]

    @admin.display(description="event types")
    def types(self, obj: WebhookEndpoint) -> str:
        return ", ".join(obj.event_types) or "all"

    @admin.display(description="active", ordering="is_active")
    def active(self, obj: WebhookEndpoint) -> Any:
        if obj.is_active:
            return badge("on_track", "Delivering")
        return badge("off_track", obj.disabled_reason or "Disabled")

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        if not change:
            obj.owner = request.user
        endpoint_save(endpoint=obj, by=request.user)

    def delete_model(self, request: HttpRequest, obj: Any) -> None:
        endpoint_delete(endpoint=obj, by=request.user)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[WebhookEndpoint]) -> None:
        for endpoint in queryset:
            endpoint_delete(endpoint=endpoint, by=request.user)

    @admin.action(description="Enable (send what waited)", permissions=["change"])
    def enable(self, request: HttpRequest, queryset: QuerySet[WebhookEndpoint]) -> None:
        enabled = 0
        for endpoint in queryset.filter(is_active=False):
            try:
                endpoint_enable(endpoint=endpoint, by=request.user)
                enabled += 1
            except ValidationError as error:
                self.message_user(request, f"{endpoint.url}: {error.messages[0]}", "error")
        self.message_user(request, f"{enabled} endpoint(s) enabled.")


class AttemptInline(admin.TabularInline):  # type: ignore[type-arg]
    model = WebhookAttempt
    fields = ["attempted_at", "status_code", "duration_ms", "error", "response_body"]
    readonly_fields = ["attempted_at", "status_code", "duration_ms", "error", "response_body"]
    extra = 0
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = [
        "due_at", "event_type", "endpoint", "state_badge", "attempts", "response_status",
        "retry_at", "lease", "sent_at", "last_error",
    ]  # fmt: skip
    list_filter = ["state", "event__type", ("endpoint", admin.RelatedOnlyFieldListFilter)]
    list_select_related = ["event", "endpoint"]
    search_fields = ["endpoint__url", "event__title", "last_error"]
    readonly_fields = [f.name for f in WebhookDelivery._meta.fields] + ["payload"]
    inlines = [AttemptInline]
    actions = ["redeliver", "release_stuck"]

    @admin.display(description="event", ordering="event__type")
    def event_type(self, obj: WebhookDelivery) -> str:
        return obj.event.type

    @admin.display(description="state", ordering="state")
    def state_badge(self, obj: WebhookDelivery) -> Any:
        return badge(obj.state, obj.last_error)

    @admin.display(description="lease", ordering="leased_until")
    def lease(self, obj: WebhookDelivery) -> str:
        return obj.lease_state()

    @admin.display(description="body sent")
    def payload(self, obj: WebhookDelivery) -> Any:
        return format_html("<pre>{}</pre>", json.dumps(obj.event.payload, indent=2))

    def get_queryset(self, request: HttpRequest) -> QuerySet[WebhookDelivery]:
        """A receiver's answers are its owner's to read: editors see their own endpoints'
        deliveries, superusers every one."""
        rows = super().get_queryset(request)
        return rows if request.user.is_superuser else rows.filter(endpoint__owner=request.user.pk)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    @admin.action(description="Redeliver", permissions=["change"])
    def redeliver(self, request: HttpRequest, queryset: QuerySet[WebhookDelivery]) -> None:
        count = delivery.redeliver(queryset)
        self.message_user(
            request, f"{count} delivery(ies) queued again; rows waiting or being sent were left."
        )

    @admin.action(description="Release stuck rows", permissions=["change"])
    def release_stuck(self, request: HttpRequest, queryset: QuerySet[WebhookDelivery]) -> None:
        count = outbox.release_stuck(queryset)
        self.message_user(request, f"{count} stuck row(s) released; rows with a live lease kept.")


@admin.register(WebhookEvent)
class WebhookEventAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ["occurred_at", "type", "title", "negotiation"]
    list_filter = ["type", "negotiation"]
    search_fields = ["title", "public_id"]
    readonly_fields = ["public_id", "type", "negotiation", "title", "occurred_at", "body"]
    exclude = ["payload"]

    @admin.display(description="body")
    def body(self, obj: WebhookEvent) -> Any:
        return format_html("<pre>{}</pre>", json.dumps(obj.payload, indent=2))

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
