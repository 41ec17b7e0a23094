"""The Django admin: the editors' desk for the record."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.contrib.admin.utils import flatten_fieldsets
from django.contrib.auth import admin as auth_admin
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import QuerySet
from django.http import (
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseBase,
    HttpResponseRedirect,
)
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path
from django.utils import timezone
from django.utils.decorators import method_decorator
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString
from django.views.decorators.http import require_POST
from import_export.admin import ImportMixin
from import_export.formats import base_formats
from import_export.forms import ImportForm

from tracker import exports, imports, password_forms, services, stale_forms, subscription_input
from tracker.admin_record import RecordUpload
from tracker.deadlines import Deadline, DeadlineError
from tracker.lifecycle import TEMPLATES
from tracker.models import (
    CalendarFeedToken,
    Change,
    DeadlineRevision,
    Discrepancy,
    Heartbeat,
    ImportJob,
    Milestone,
    Negotiation,
    Observation,
    OutboxEmail,
    OutboxRow,
    Party,
    Reminder,
    Series,
    Source,
    StatusChange,
    Subscription,
    Target,
    Track,
    Versioned,
)
from tracker.refresh import refresh_statuses
from tracker.reminders import outbox
from tracker.services import subscriptions

logger = logging.getLogger(__name__)


def badge(value: str, reason: str = "") -> SafeString:
    """The status in words, coloured by tracker/static/tracker/admin.css (WCAG AA contrast).

    A class, not a style attribute: the Content-Security-Policy allows no inline styles.
    """
    return format_html(
        '<span title="{}" class="tranche-badge tranche-{}">{}</span>',
        reason,
        value,
        value.replace("_", " "),
    )


def describe_window(deadline: Deadline | None) -> str:
    if deadline is None:
        return "No deadline"
    if deadline.earliest == deadline.latest:
        return f"{deadline.latest:%Y-%m-%d} ({deadline.precision})"
    return f"{deadline.earliest:%Y-%m-%d} – {deadline.latest:%Y-%m-%d} ({deadline.precision})"


class DeadlineFormMixin(forms.ModelForm):  # type: ignore[type-arg]
    """Deadlines are typed as text ("by autumn 2025") and shown back as a window.

    A deadline whose words, day said and fiscal year are left as they were is kept as
    stored, not read again: an edit of anything else never moves it or refuses it.
    """

    deadline = forms.CharField(
        required=False,
        max_length=200,
        help_text="e.g. “July 8, 2025”, “by autumn 2025”, “Q3 2026”, “by 2030”; empty for none.",
    )
    deadline_said_on = forms.DateField(
        required=False,
        label="Deadline said on",
        help_text="The day the words were said: “within 90 days”, “next month” and “July 8” "
        "count from it. Empty: today.",
    )
    # The fields besides the words that decide how they are read.
    reading_fields: tuple[str, ...] = ()

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.instance.pk and self.instance.deadline is not None:
            self.initial["deadline"] = self.instance.deadline_text
            self.initial["deadline_said_on"] = self.instance.deadline_said_on
            self.fields["deadline"].help_text = (
                f"Read as {describe_window(self.instance.deadline)}: "
                f"{self.instance.deadline_in_words}."
            )

    def clean(self) -> dict[str, Any]:
        # Read here, not in clean_deadline: "FY2027" needs the negotiation, another field.
        cleaned = super().clean() or {}
        text = cleaned.get("deadline")
        if isinstance(text, str):
            if self._deadline_as_stored(text.strip(), cleaned):
                cleaned["deadline"] = self.instance.deadline
            else:
                cleaned["deadline"] = self._read_deadline(text.strip(), cleaned)
        return cleaned

    def _deadline_as_stored(self, text: str, cleaned: dict[str, Any]) -> bool:
        if self.instance.pk is None or self.instance.deadline is None:
            return False
        return (
            text == self.instance.deadline_text
            and cleaned.get("deadline_said_on") == self.instance.deadline_said_on
            and not any(name in self.changed_data for name in self.reading_fields)
        )

    def _read_deadline(self, text: str, cleaned: dict[str, Any]) -> Deadline | None:
        if not text:
            return None
        negotiation = cleaned.get("negotiation")
        track = cleaned.get("track")
        if negotiation is None and track is not None:
            negotiation = track.negotiation
        party = cleaned["party"] if "party" in cleaned else getattr(track, "party", None)
        try:
            return services.read_deadline(
                text,
                negotiation=negotiation,
                party=party,
                said_on=cleaned.get("deadline_said_on"),
                fiscal_year_start=cleaned.get("fiscal_year_start"),
            )
        except DeadlineError as error:
            self.add_error("deadline", str(error))
            return None

    def _post_clean(self) -> None:
        # The model's constraints are checked against the parsed window.
        if "deadline" in self.cleaned_data and not self.has_error("deadline"):
            self.instance.deadline = self.cleaned_data["deadline"]
        super()._post_clean()  # type: ignore[misc]  # Django's private hook, not in the stubs


class RecordAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    """Saves, deletes and inline rows go through tracker.services, like every other write.

    The form has already shown the rules' messages (its clean calls the same service
    checks); here the admin only hands the row, its relations and the editor over.

    A change form carries the row's version (tracker.stale_forms): one opened before
    another editor saved is refused with what they changed, and a save hands the service
    only the fields this editor changed.
    """

    def get_form(
        self, request: HttpRequest, obj: Any = None, change: bool = False, **kwargs: Any
    ) -> Any:
        if kwargs.get("fields"):
            # The hidden version is the form's own field, not one of the model's editable ones.
            kwargs["fields"] = [name for name in kwargs["fields"] if name != stale_forms.VERSION]
        form = super().get_form(request, obj, change=change, **kwargs)
        if obj is None or not isinstance(obj, Versioned):
            return form
        return type(form.__name__, (stale_forms.VersionChecked, form), {})

    def changeform_view(
        self,
        request: HttpRequest,
        object_id: str | None = None,
        form_url: str = "",
        extra_context: dict[str, Any] | None = None,
    ) -> HttpResponse:
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except services.StaleVersion as stale:
            # Another save landed between this form's check and its write (the form
            # checks first; this is the narrow race): say what changed and show it again.
            messages.error(request, services.stale_message(stale))
            return HttpResponseRedirect(request.get_full_path())

    def service_arguments(self, form: forms.ModelForm) -> dict[str, Any]:  # type: ignore[type-arg]
        many = [f.name for f in form.instance._meta.many_to_many]
        return {name: form.cleaned_data[name] for name in many if name in form.cleaned_data}

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        if not (change and isinstance(form, stale_forms.VersionChecked)):
            services.record_save(record=obj, by=request.user, **self.service_arguments(form))
            return
        changes = {
            name: value for name, value in services.columns(obj).items() if value != form.read[name]
        }
        services.record_update(
            model=type(obj),
            pk=obj.pk,
            changes=changes,
            version=form.cleaned_data.get(stale_forms.VERSION),
            by=request.user,
            **self.service_arguments(form),
        )

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        # The relations went to the service with the row; only the inlines are left.
        for formset in formsets:
            self.save_formset(request, form, formset, change=change)

    def save_formset(self, request: HttpRequest, form: Any, formset: Any, change: bool) -> None:
        rows = formset.save(commit=False)
        services.records_delete(records=formset.deleted_objects, by=request.user)
        # Inline rows that carry their version are held to it, like the change form.
        checked = {
            inline.instance.pk: inline
            for inline in formset.forms
            if isinstance(inline, stale_forms.VersionChecked) and inline.instance.pk is not None
        }
        for row in rows:
            inline = checked.get(row.pk)
            if inline is None:
                services.record_save(record=row, by=request.user)
                continue
            read = inline.read
            services.record_update(
                model=type(row),
                pk=row.pk,
                changes={k: v for k, v in services.columns(row).items() if v != read[k]},
                version=inline.cleaned_data.get(stale_forms.VERSION),
                by=request.user,
            )

    def delete_model(self, request: HttpRequest, obj: Any) -> None:
        services.record_delete(record=obj, by=request.user)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> None:
        services.records_delete(records=queryset, by=request.user)


def export_actions(table: exports.Table) -> list[Callable[..., HttpResponseBase]]:
    """Admin actions that download the selected rows (or, with "select all", every row the
    list's filters match) as CSV or XLSX: the same rows as the API's and dashboard's exports."""

    def action(file_format: str) -> Callable[..., HttpResponseBase]:
        @admin.action(
            description=f"Download selected as {file_format.upper()}", permissions=["view"]
        )
        def download(
            modeladmin: Any, request: HttpRequest, queryset: QuerySet[Any]
        ) -> HttpResponseBase:
            return exports.export_response(
                table, queryset, file_format=file_format, today=timezone.localdate()
            )

        download.__name__ = f"download_{file_format}"
        return download

    return [action("csv"), action("xlsx")]


class DueWindowFilter(admin.SimpleListFilter):
    title = "due"
    parameter_name = "due"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return [
            ("overdue", "Past the deadline"),
            ("7", "In the next 7 days"),
            ("30", "In the next 30 days"),
            ("90", "In the next 90 days"),
            ("later", "Later than 90 days"),
            ("none", "No deadline"),
        ]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        today = timezone.localdate()
        value = self.value()
        if value == "overdue":
            return queryset.filter(deadline_latest__lt=today)
        if value in {"7", "30", "90"}:
            end = today + dt.timedelta(days=int(value))
            return queryset.filter(deadline_latest__gte=today, deadline_latest__lte=end)
        if value == "later":
            return queryset.filter(deadline_latest__gt=today + dt.timedelta(days=90))
        if value == "none":
            return queryset.filter(deadline_latest__isnull=True)
        return queryset


@admin.register(Party)
class PartyAdmin(RecordAdmin):
    list_display = ["code", "name", "fiscal_year_start"]
    search_fields = ["code", "name"]


@admin.register(Source)
class SourceAdmin(RecordAdmin):
    list_display = ["title", "publisher", "published_on", "published_by", "short_excerpt"]
    list_filter = ["publisher", "published_on"]
    search_fields = ["title", "publisher", "excerpt", "slug"]
    prepopulated_fields = {"slug": ["title"]}

    @admin.display(description="excerpt")
    def short_excerpt(self, obj: Source) -> str:
        return f"“{obj.excerpt[:120]}{'…' if len(obj.excerpt) > 120 else ''}”"


class HealthAdminMixin:
    @admin.display(description="health", ordering="health")
    def health_badge(self, obj: Track | Negotiation) -> SafeString:
        return badge(obj.health, obj.health_reason)

    @admin.display(description="progress", ordering="progress")
    def progress_percent(self, obj: Track | Negotiation) -> str:
        return "—" if obj.progress is None else f"{obj.progress:.0%}"


@admin.action(description="Restore the selected archived items")
def restore(modeladmin: Any, request: HttpRequest, queryset: QuerySet[Any]) -> None:
    rows = list(queryset.filter(archived_at__isnull=False))
    for row in rows:
        if isinstance(row, Negotiation):
            services.negotiation_restore(negotiation=row, by=request.user)
        else:
            services.track_restore(track=row, by=request.user)
    modeladmin.message_user(request, f"Restored {len(rows)}.")


@admin.action(description="Delete permanently (history too)…")
def delete_permanently(
    modeladmin: Any, request: HttpRequest, queryset: QuerySet[Any]
) -> HttpResponse | None:
    """Deleting archives; this is the hard delete, for superusers, after a confirmation page."""
    if not request.user.is_superuser:
        modeladmin.message_user(
            request, "Only a superuser may delete permanently.", level=messages.ERROR
        )
        return None
    if request.POST.get("confirmed") == "yes":
        count = services.records_purge(records=list(queryset), by=request.user)
        modeladmin.message_user(request, f"Deleted {count} permanently.")
        return None
    return TemplateResponse(
        request,
        "admin/tracker/confirm_purge.html",
        {
            **modeladmin.admin_site.each_context(request),
            "title": "Delete permanently?",
            "rows": list(queryset),
            "opts": modeladmin.model._meta,
            "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
        },
    )


@admin.action(description="Refresh status now")
def refresh_now(modeladmin: Any, request: HttpRequest, queryset: QuerySet[Any]) -> None:
    model = queryset.model
    if model is Negotiation:
        ids = queryset.values_list("id", flat=True)
    elif model is Milestone:
        ids = queryset.values_list("track__negotiation_id", flat=True)
    else:
        ids = queryset.values_list("negotiation_id", flat=True)
    result = refresh_statuses(negotiation_ids=set(ids))
    modeladmin.message_user(request, f"Refreshed: {result.rows_written} rows changed.")


class TrackInline(admin.TabularInline):  # type: ignore[type-arg]
    model = Track
    fields = ["name", "slug", "owner", "position", "health", "health_reason"]
    readonly_fields = ["health", "health_reason"]
    prepopulated_fields = {"slug": ["name"]}
    extra = 0
    show_change_link = True


class NegotiationForm(forms.ModelForm):  # type: ignore[type-arg]
    template = forms.ChoiceField(
        required=False,
        choices=[("", "No template"), *((name, name.replace("_", " ")) for name in TEMPLATES)],
        help_text="Start with a track of undated milestones, from terms of reference to entry "
        "into force; date them as articles announce them.",
    )

    class Meta:
        model = Negotiation
        fields = ["name", "slug", "parties", "stage", "summary", "sources"]


@admin.register(Negotiation)
class NegotiationAdmin(RecordUpload, HealthAdminMixin, RecordAdmin):
    form = NegotiationForm
    list_display = [
        "name",
        "stage",
        "health_badge",
        "progress_percent",
        "next_deadline",
        "health_reason",
    ]
    list_filter = ["health", "stage", "parties"]
    search_fields = ["name", "slug", "summary"]
    prepopulated_fields = {"slug": ["name"]}
    filter_horizontal = ["parties"]
    autocomplete_fields = ["sources"]
    readonly_fields = [
        "health", "health_reason", "progress", "next_deadline", "last_confirmed_on", "stale",
    ]  # fmt: skip
    inlines = [TrackInline]
    actions = [refresh_now, restore, delete_permanently]

    def get_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        # A template starts a negotiation: offered on "add" only.
        fields = list(super().get_fields(request, obj))
        return fields if obj is None else [f for f in fields if f != "template"]

    def service_arguments(self, form: forms.ModelForm) -> dict[str, Any]:  # type: ignore[type-arg]
        template = form.cleaned_data.get("template") or ""
        return {**super().service_arguments(form), **({"template": template} if template else {})}


class TrackForm(DeadlineFormMixin):
    reading_fields = ("negotiation", "party")

    class Meta:
        model = Track
        exclude = [
            "deadline_text",
            "deadline_earliest",
            "deadline_latest",
            "deadline_precision",
            "deadline_said_on",
        ]


def completion_rules(form: forms.ModelForm, cleaned: dict[str, Any]) -> None:  # type: ignore[type-arg]
    """The service's completion rule, shown on the form (state and completed_on)."""
    if "state" not in cleaned or "completed_on" not in cleaned:
        return
    try:
        cleaned["completed_on"] = services.settled_completion(
            state=cleaned["state"],
            completed_on=cleaned["completed_on"],
            before=services.stored(form.instance),
        )
    except ValidationError as error:
        form.add_error(None, error)


class MilestoneInlineForm(stale_forms.VersionChecked):
    """A track's milestone row: it carries its version, and a row another editor saved
    since the page was opened is refused with what they changed."""

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        completion_rules(self, cleaned)
        return cleaned


class MilestoneInline(admin.TabularInline):  # type: ignore[type-arg]
    model = Milestone
    form = MilestoneInlineForm
    fields = [
        "title", "kind", "deadline_in_words", "state", "completed_on", "status_badge",
        stale_forms.VERSION,
    ]  # fmt: skip
    readonly_fields = ["deadline_in_words", "status_badge"]
    extra = 0
    show_change_link = True

    def get_formset(self, request: HttpRequest, obj: Any = None, **kwargs: Any) -> Any:
        # The hidden version is the form's own field, not one of the model's editable ones.
        fields = kwargs.pop("fields", None) or flatten_fieldsets(self.get_fieldsets(request, obj))
        kwargs["fields"] = [name for name in fields if name != stale_forms.VERSION]
        return super().get_formset(request, obj, **kwargs)

    @admin.display(description="status")
    def status_badge(self, obj: Milestone) -> SafeString:
        return badge(obj.status, obj.status_reason)


@admin.register(Track)
class TrackAdmin(HealthAdminMixin, RecordAdmin):
    form = TrackForm
    list_display = [
        "name",
        "negotiation",
        "owner",
        "health_badge",
        "progress_percent",
        "next_deadline",
        "health_reason",
    ]
    list_filter = ["health", "negotiation", "negotiation__parties", DueWindowFilter]
    list_select_related = ["negotiation", "owner"]
    search_fields = ["name", "slug", "summary", "negotiation__name"]
    prepopulated_fields = {"slug": ["name"]}
    readonly_fields = [
        "health", "health_reason", "progress", "next_deadline", "last_confirmed_on", "stale",
    ]  # fmt: skip
    autocomplete_fields = ["owner", "sources"]
    inlines = [MilestoneInline]
    actions = [refresh_now, restore, delete_permanently]


class RevisionInline(admin.TabularInline):  # type: ignore[type-arg]
    model = DeadlineRevision
    # The history is read-only: every field shown is one the editor cannot change.
    fields = readonly_fields = (
        "changed_at",
        "previous_in_words",
        "new_in_words",
        "slip",
        "reason",
        "source",
        "changed_by",
    )
    extra = 0
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    @admin.display(description="slip")
    def slip(self, obj: DeadlineRevision) -> str:
        return "—" if obj.slip_days is None else f"{obj.slip_days:+d} days"


class MilestoneForm(DeadlineFormMixin):
    reading_fields = ("track", "fiscal_year_start")
    revision_reason = forms.CharField(
        required=False, max_length=300, help_text="Why the deadline changed (kept in its history)."
    )
    revision_source = forms.ModelChoiceField(
        queryset=Source.objects.all(), required=False, help_text="Who reported the change."
    )

    class Meta:
        model = Milestone
        exclude = [
            "deadline_text",
            "deadline_earliest",
            "deadline_latest",
            "deadline_precision",
            "deadline_said_on",
            "status",
            "completed_late",
            "status_reason",
        ]

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        completion_rules(self, cleaned)
        if "depends_on" in cleaned:
            try:
                services.validate_dependencies(self.instance, cleaned["depends_on"])
            except ValidationError as error:
                self.add_error(None, error)
        return cleaned


@admin.register(Milestone)
class MilestoneAdmin(RecordAdmin):
    form = MilestoneForm
    list_display = ["title", "track", "deadline_window", "state", "status_badge", "status_reason"]
    list_filter = [
        "status",
        "state",
        "kind",
        "track__negotiation",
        "track__negotiation__parties",
        "track",
        DueWindowFilter,
    ]
    list_select_related = ["track", "track__negotiation"]
    search_fields = ["title", "slug", "consequence", "deadline_text", "track__name"]
    prepopulated_fields = {"slug": ["title"]}
    autocomplete_fields = ["depends_on", "sources"]
    readonly_fields = [
        "window", "status", "completed_late", "status_reason", "last_confirmed_on", "stale",
    ]  # fmt: skip
    inlines = [RevisionInline]
    actions = ["mark_completed", "cancel", refresh_now, *export_actions(exports.MILESTONES)]

    @admin.display(description="deadline", ordering="deadline_latest")
    def deadline_window(self, obj: Milestone) -> str:
        return f"{obj.deadline_in_words} → {describe_window(obj.deadline)}" if obj.deadline else "—"

    @admin.display(description="parsed window")
    def window(self, obj: Milestone) -> str:
        return describe_window(obj.deadline)

    @admin.display(description="status", ordering="status")
    def status_badge(self, obj: Milestone) -> SafeString:
        label = obj.status + (" (late)" if obj.completed_late else "")
        return badge(label if obj.status != "completed" else obj.status, obj.status_reason)

    def service_arguments(self, form: forms.ModelForm) -> dict[str, Any]:  # type: ignore[type-arg]
        return {
            **super().service_arguments(form),
            "reason": form.cleaned_data.get("revision_reason", ""),
            "source": form.cleaned_data.get("revision_source"),
        }

    @admin.action(description="Mark completed (today)", permissions=["change"])
    def mark_completed(self, request: HttpRequest, queryset: QuerySet[Milestone]) -> None:
        self._report(request, services.milestones_complete(milestones=queryset, by=request.user))

    @admin.action(description="Cancel", permissions=["change"])
    def cancel(self, request: HttpRequest, queryset: QuerySet[Milestone]) -> None:
        self._report(request, services.milestones_cancel(milestones=queryset, by=request.user))

    def _report(self, request: HttpRequest, outcome: services.Outcome) -> None:
        for milestone, error in outcome.refused:
            self.message_user(request, f"{milestone}: {'; '.join(error.messages)}", messages.ERROR)
        if outcome.done:
            self.message_user(request, f"{len(outcome.done)} milestone(s) changed.")


class DiscrepancyForm(forms.ModelForm):  # type: ignore[type-arg]
    class Meta:
        model = Discrepancy
        fields = ["milestone", "summary", "sources"]

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if "sources" in cleaned:
            try:
                services.validate_differing(cleaned["sources"])
            except ValidationError as error:
                self.add_error(None, error)
        return cleaned


@admin.register(Discrepancy)
class DiscrepancyAdmin(RecordAdmin):
    """Where a milestone's sources disagree: its page shows "Sources differ" with the quotes."""

    form = DiscrepancyForm
    list_display = ["milestone", "summary"]
    list_select_related = ["milestone"]
    search_fields = ["summary", "milestone__title"]
    autocomplete_fields = ["milestone", "sources"]


class ObservationInline(admin.TabularInline):  # type: ignore[type-arg]
    model = Observation
    fields = ["series", "period_start", "period_end", "value", "approximate", "source", "note"]
    autocomplete_fields = ["series", "source"]
    extra = 0


class TargetForm(DeadlineFormMixin):
    reading_fields = ("negotiation", "track")

    class Meta:
        model = Target
        exclude = [
            "deadline_text",
            "deadline_earliest",
            "deadline_latest",
            "deadline_precision",
            "deadline_said_on",
            "status",
            "status_reason",
        ]

    def _post_clean(self) -> None:
        super()._post_clean()
        try:
            services.validate_target(self.instance)
        except ValidationError as error:
            self.add_error(None, error)


@admin.register(Target)
class TargetAdmin(RecordAdmin):
    form = TargetForm
    list_display = ["name", "negotiation", "figures", "status_badge", "status_reason"]
    list_filter = ["status", "negotiation", "growth"]
    list_select_related = ["negotiation"]
    search_fields = ["name", "slug", "negotiation__name"]
    prepopulated_fields = {"slug": ["name"]}
    autocomplete_fields = ["sources"]
    readonly_fields = ["window", "status", "status_reason", "last_confirmed_on", "stale"]
    inlines = [ObservationInline]
    actions = [refresh_now, *export_actions(exports.TARGETS)]

    @admin.display(description="figures")
    def figures(self, obj: Target) -> str:
        by = f"{obj.deadline_latest:%Y}" if obj.deadline_latest else "?"
        return f"{obj} by {by}".removeprefix(f"{obj.name}: ")

    @admin.display(description="parsed window")
    def window(self, obj: Target) -> str:
        return describe_window(obj.deadline)

    @admin.display(description="status", ordering="status")
    def status_badge(self, obj: Target) -> SafeString:
        return badge(obj.status, obj.status_reason)


@admin.register(Series)
class SeriesAdmin(RecordAdmin):
    list_display = ["name"]
    search_fields = ["name"]


class LimitedImportForm(ImportForm):
    """The import form, refusing a file over the size limit before anything reads it."""

    def clean_import_file(self) -> Any:
        upload = self.cleaned_data["import_file"]
        if upload.size > imports.MAX_IMPORT_BYTES:
            raise forms.ValidationError(
                f"The file is larger than {imports.MAX_IMPORT_BYTES // 1024} KiB; split it "
                "into several files."
            )
        return upload


@admin.register(Observation)
class ObservationAdmin(ImportMixin, RecordAdmin):
    """Figures one at a time, or many from a CSV or XLSX file (tracker.imports)."""

    resource_classes = [imports.ObservationResource]
    list_display = ["target", "series", "period", "value", "approximate", "source"]
    list_filter = ["target__negotiation", "target", "series"]
    list_select_related = ["target", "series", "source"]
    search_fields = ["target__name", "series__name", "note"]
    autocomplete_fields = ["target", "series", "source"]
    actions = export_actions(exports.OBSERVATIONS)

    def has_import_permission(self, request: HttpRequest) -> bool:
        # An import adds figures and corrects existing ones: it takes both permissions.
        return request.user.has_perms(["tracker.add_observation", "tracker.change_observation"])

    def get_import_data_kwargs(self, **kwargs: Any) -> dict[str, Any]:
        # A row the write service refuses at confirmation undoes the whole file.
        return {**super().get_import_data_kwargs(**kwargs), "rollback_on_validation_errors": True}

    # Limits and previews: tracker.imports (docs/design.md "Imports").
    formats = [base_formats.CSV, base_formats.XLSX]
    import_form_class = LimitedImportForm
    tmp_storage_class = imports.PreviewStorage

    def import_action(self, request: HttpRequest, **kwargs: Any) -> Any:
        imports.previews_clean()  # previews never confirmed, left by earlier visits
        return super().import_action(request, **kwargs)

    def get_confirm_form_initial(self, request: HttpRequest, import_form: Any) -> dict[str, Any]:
        initial: dict[str, Any] = super().get_confirm_form_initial(request, import_form)
        if "import_file_name" in initial:
            name = initial["import_file_name"]
            initial["import_file_name"] = imports.preview_token(name=name, user=request.user)
        return initial

    @method_decorator(require_POST)
    def process_import(self, request: HttpRequest, **kwargs: Any) -> HttpResponseBase:
        """A confirmed file of more than LARGE_IMPORT_ROWS rows becomes a job for a worker
        (tracker.imports), and the editor is sent to its progress page; a smaller one is
        imported here, in the request, as before."""
        if not self.has_import_permission(request):
            raise PermissionDenied
        form = self.create_confirm_form(request)
        if form.is_valid():
            file_format = self.get_import_formats()[int(form.cleaned_data["format"])]
            title = file_format().get_title()
            name = form.cleaned_data["import_file_name"]
            rows = imports.preview_dataset(name, title).height
            if rows > imports.LARGE_IMPORT_ROWS:
                job = imports.import_job_start(
                    preview_name=name, file_format=title, rows=rows, by=request.user
                )
                transaction.on_commit(_wake_import_worker)
                return redirect("admin:tracker_observation_import_job", job_id=job.pk)
        response: HttpResponseBase = super().process_import(request, **kwargs)
        return response

    def get_urls(self) -> list[Any]:
        job = path(
            "import-jobs/<int:job_id>/",
            self.admin_site.admin_view(self.import_job_view),
            name="tracker_observation_import_job",
        )
        return [job, *super().get_urls()]

    def import_job_view(self, request: HttpRequest, job_id: int) -> HttpResponse:
        """The job's progress (the page reloads itself until the job ends), then its result."""
        user: Any = request.user
        job = ImportJob.objects.filter(pk=job_id).first()
        if job is None or not self.has_import_permission(request):
            raise Http404("No such import.")
        if job.created_by_id != user.pk and not user.is_superuser:
            raise Http404("No such import.")
        context = {
            **self.admin_site.each_context(request),
            "title": f"Import of {job.file_name}",
            "opts": self.model._meta,
            "job": job,
        }
        return TemplateResponse(request, "admin/tracker/observation/import_job.html", context)

    def create_confirm_form(self, request: HttpRequest, import_form: Any = None) -> Any:
        form = super().create_confirm_form(request, import_form)
        if import_form is None and form.is_valid():
            token = form.cleaned_data["import_file_name"]
            name = imports.preview_from_token(token, user=request.user)
            if name is None:
                form.add_error(
                    None, "That preview has expired or is not yours; upload the file again."
                )
            else:
                form.cleaned_data["import_file_name"] = name
        return form


def _wake_import_worker() -> None:
    """Tell a worker to look at the import jobs, by name (interface code does not import the
    jobs layer); if the broker is down, beat's periodic run picks the job up."""
    from config.celery import app

    try:
        app.send_task("tracker.tasks.run_import_jobs", retry=False)
    except Exception:
        logger.warning("Could not queue the import job; beat will run it.", exc_info=True)


class GoesWithItsSubject:
    """Rows that are never deleted from their own pages, only along with what they are about.

    Deleting a milestone (or its track or negotiation) takes its revisions, status changes
    and outbox rows with it; the admin asks permission for those, and this gives it.
    """

    opts: Any

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        match = request.resolver_match
        own = f"{self.opts.app_label}_{self.opts.model_name}_"
        return match is not None and not (match.url_name or "").startswith(own)


class LogAdmin(GoesWithItsSubject, admin.ModelAdmin):  # type: ignore[type-arg]
    """A history the system writes, never a person: read only, and never deleted here."""

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(ImportJob)
class ImportJobAdmin(LogAdmin):
    """Imports run as jobs: who, which file, how far, and why one failed."""

    list_display = ["created_at", "file_name", "created_by", "state", "rows_done", "rows_total"]
    list_filter = ["state"]
    readonly_fields = [f.name for f in ImportJob._meta.fields]


# django-auditlog registers its own admin for the log, which allows deleting entries.
if admin.site.is_registered(Change):
    admin.site.unregister(Change)


@admin.register(Change)
class ChangeAdmin(LogAdmin):
    list_display = ["timestamp", "action_name", "content_type", "object_repr", "actor", "interface"]
    list_filter = ["interface", "action", ("content_type", admin.RelatedOnlyFieldListFilter)]
    list_select_related = ["content_type", "actor"]
    search_fields = ["object_repr", "actor__username", "object_pk"]
    date_hierarchy = "timestamp"
    actions = export_actions(exports.CHANGES)
    fields = (
        "timestamp",
        "action_name",
        "content_type",
        "object_id",
        "object_repr",
        "actor",
        "interface",
        "remote_addr",
        "before_and_after",
    )
    readonly_fields = fields

    @admin.display(description="action", ordering="action")
    def action_name(self, obj: Change) -> str:
        return str(obj.get_action_display())

    @admin.display(description="before → after")
    def before_and_after(self, obj: Change) -> SafeString:
        rows = []
        for name, change in (obj.changes or {}).items():
            if isinstance(change, dict):  # a many-to-many change
                objects = ", ".join(change.get("objects", []))
                before, after = "", f"{change.get('operation')}: {objects}"
            else:
                before, after = change
            rows.append((name, before, after))
        return format_html(
            "<table><tr><th>field</th><th>before</th><th>after</th></tr>{}</table>",
            format_html_join("", "<tr><td>{}</td><td>{}</td><td>{}</td></tr>", rows),
        )


@admin.register(DeadlineRevision)
class DeadlineRevisionAdmin(LogAdmin):
    list_display = [
        "milestone",
        "changed_at",
        "previous_in_words",
        "new_in_words",
        "slip_days",
        "reason",
    ]
    list_filter = ["milestone__track__negotiation"]
    list_select_related = ["milestone"]
    search_fields = ["milestone__title", "reason"]


@admin.register(StatusChange)
class StatusChangeAdmin(LogAdmin):
    list_display = [
        "changed_at",
        "subject",
        "negotiation",
        "track",
        "milestone",
        "transition",
        "reason",
    ]
    list_filter = ["subject", "new", "negotiation"]
    list_select_related = ["negotiation", "track", "milestone"]
    date_hierarchy = "changed_at"

    @admin.display(description="transition")
    def transition(self, obj: StatusChange) -> SafeString:
        return format_html("{} → {}", badge(obj.previous), badge(obj.new))


class SubscriptionForm(forms.ModelForm):  # type: ignore[type-arg]
    """What an administrator may set; confirmation stays with the address's owner."""

    class Meta:
        model = Subscription
        fields = [
            "user", "email", "negotiation", "track", "timezone", "offsets", "digest_rule",
            "reminders_on",
        ]  # fmt: skip

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if self.instance.pk and self.instance.unsubscribed_at is not None:
            self.add_error(None, "This subscription was cancelled; subscribe again instead.")
        checks: list[tuple[str, Callable[[Any], Any]]] = [
            ("timezone", subscription_input.validate_timezone),
            ("offsets", subscription_input.validate_offsets),
            ("digest_rule", subscriptions.validate_digest_rule),
        ]
        for name, check in checks:
            if name in cleaned and not self.has_error(name):
                try:
                    cleaned[name] = check(cleaned[name])
                except ValidationError as error:
                    self.add_error(None, error)
        return cleaned


@admin.register(Subscription)
class SubscriptionAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    """Writes through tracker.services.subscriptions: an address added here gets the
    confirmation email and hears nothing until its owner follows the link."""

    form = SubscriptionForm
    list_display = [
        "recipient",
        "negotiation",
        "track",
        "timezone",
        "confirmed_at",
        "unsubscribed_at",
    ]
    list_filter = ["negotiation", "timezone"]
    list_select_related = ["user", "negotiation", "track"]
    search_fields = ["email", "user__email", "user__username"]
    autocomplete_fields = ["user"]
    readonly_fields = ["confirmed_at", "unsubscribed_at", "last_digest_at", "created_at"]

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        # Whom it is for is chosen once: another person subscribes afresh (and confirms).
        return [*self.readonly_fields, *(["user", "email"] if obj is not None else [])]

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        data = form.cleaned_data
        settings_given = {
            "negotiation": data.get("negotiation"),
            "track": data.get("track"),
            "timezone_name": data["timezone"],
            "offsets": data["offsets"],
            "digest_rule": data["digest_rule"],
            "reminders_on": data["reminders_on"],
        }
        if change:
            saved = subscriptions.subscription_update(subscription=obj, **settings_given)
        else:
            saved = subscriptions.subscription_create(
                user=data.get("user"), email=data.get("email") or "", **settings_given
            )
        obj.pk = saved.pk
        obj.refresh_from_db()

    def delete_model(self, request: HttpRequest, obj: Any) -> None:
        subscriptions.subscription_delete(subscription=obj)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> None:
        for subscription in queryset:
            subscriptions.subscription_delete(subscription=subscription)


@admin.register(Reminder)
class ReminderAdmin(GoesWithItsSubject, admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = [
        "due_at",
        "milestone",
        "recipient",
        "kind",
        "offset",
        "state_badge",
        "attempts",
        "claimed_at",
        "lease",
        "sent_at",
        "last_error",
    ]
    list_filter = ["state", "kind", "milestone__track__negotiation"]
    list_select_related = ["milestone"]
    search_fields = ["recipient", "milestone__title", "last_error"]
    readonly_fields = [f.name for f in Reminder._meta.fields]
    actions = ["retry_failed", "release_stuck"]

    @admin.display(description="state", ordering="state")
    def state_badge(self, obj: Reminder) -> SafeString:
        return badge(obj.state, obj.last_error)

    @admin.display(description="lease", ordering="leased_until")
    def lease(self, obj: OutboxRow) -> str:
        """Whether a sender still holds a row in sending, or its lease has lapsed."""
        state = obj.lease_state()
        if not state:
            return ""
        assert obj.leased_until is not None
        return f"{state} until {timezone.localtime(obj.leased_until):%H:%M:%S}"

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    @admin.action(description="Retry failed rows", permissions=["change"])
    def retry_failed(self, request: HttpRequest, queryset: QuerySet[Any]) -> None:
        count = services.outbox_rows_retry(
            model=queryset.model, ids=queryset.values_list("pk", flat=True)
        )
        self.message_user(request, f"{count} failed row(s) queued again.")

    @admin.action(description="Release stuck rows", permissions=["change"])
    def release_stuck(self, request: HttpRequest, queryset: QuerySet[Any]) -> None:
        """Rows in sending whose lease lapsed go back to pending; live leases are kept."""
        count = outbox.release_stuck(queryset)
        self.message_user(request, f"{count} stuck row(s) released; rows with a live lease kept.")


@admin.register(OutboxEmail)
class OutboxEmailAdmin(ReminderAdmin):
    list_display = [
        "due_at",
        "kind",
        "recipient",
        "state_badge",
        "attempts",
        "claimed_at",
        "lease",
        "sent_at",
        "last_error",
    ]
    list_filter = ["state", "kind"]
    list_select_related = []
    search_fields = ["recipient", "last_error"]
    readonly_fields = [f.name for f in OutboxEmail._meta.fields]


@admin.register(Heartbeat)
class HeartbeatAdmin(LogAdmin):
    list_display = ["role", "process", "seen_at"]
    list_filter = ["role"]


@admin.register(CalendarFeedToken)
class CalendarFeedTokenAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ["user", "created_at"]
    # The digest is useless to a reader and the secret is not kept: nothing to show but when.
    fields = ["user", "created_at"]
    readonly_fields = ["user", "created_at"]

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # people make their own (POST /api/v1/calendar/feed/); deleting revokes


# The user pages are Django's, but a password set there goes through the service, which
# also revokes the user's API tokens and calendar feed URL.
class UserAdmin(auth_admin.UserAdmin):  # type: ignore[type-arg]
    change_password_form = password_forms.AdminPasswordChangeForm


User = get_user_model()
if admin.site.is_registered(User):
    admin.site.unregister(User)
admin.site.register(User, UserAdmin)
