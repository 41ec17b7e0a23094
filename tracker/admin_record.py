"""Uploading a record file in the admin: a dry-run preview first, then a confirmed load.

The preview runs the real load (every service and rule) inside a transaction that is
rolled back, so what it lists is what the confirmed load will do, unless someone edits
the record in between. The confirm step loads the very file that was previewed: it comes
back signed, so an edited form cannot load something else than what was shown.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django import forms
from django.contrib import admin, messages
from django.core import signing
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse

from tracker import audit
from tracker.record import LoadResult, Problem, RecordRefused, load_record_data, parse_record

if TYPE_CHECKING:
    _Base = admin.ModelAdmin[Any]
else:
    _Base = object

# Loading may create or change any of these rows; an editor who may not do that by hand
# may not do it by file either.
UPLOAD_PERMISSIONS = [
    f"tracker.{action}_{model}"
    for model in (
        "party",
        "source",
        "negotiation",
        "track",
        "milestone",
        "target",
        "series",
        "observation",
    )
    for action in ("add", "change")
]
# A record of this size loads well within a web worker's timeout (docs/design.md).
MAX_RECORD_BYTES = 2 * 1024 * 1024
SIGNING_SALT = "tracker.admin_record"
# A previewed file may be confirmed for this long.
CONFIRM_WITHIN_SECONDS = 60 * 60


def may_upload(request: HttpRequest) -> bool:
    return request.user.has_perms(UPLOAD_PERMISSIONS)


class RecordFileForm(forms.Form):
    file = forms.FileField(label="Record file (JSON)")

    def clean_file(self) -> Any:
        upload = self.cleaned_data["file"]
        if upload.size > MAX_RECORD_BYTES:
            raise forms.ValidationError(
                f"The file is larger than {MAX_RECORD_BYTES // (1024 * 1024)} MiB."
            )
        return upload


class RecordUpload(_Base):
    """Adds "Upload a record" to a ModelAdmin (the Negotiation changelist links to it)."""

    def get_urls(self) -> list[URLPattern]:
        upload = path(
            "upload-record/",
            self.admin_site.admin_view(self.upload_record_view),  # staff and CSRF checks
            name="tracker_negotiation_upload_record",
        )
        return [upload, *super().get_urls()]

    def changelist_view(
        self, request: HttpRequest, extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        extra_context = {**(extra_context or {}), "may_upload_record": may_upload(request)}
        return super().changelist_view(request, extra_context)

    def upload_record_view(self, request: HttpRequest) -> HttpResponse:
        if not may_upload(request):
            raise PermissionDenied
        context: dict[str, Any] = {"form": RecordFileForm()}
        if request.method == "POST" and "confirm" in request.POST:
            return self._confirm(request, context)
        if request.method == "POST":
            form = RecordFileForm(request.POST, request.FILES)
            context["form"] = form
            if form.is_valid():
                context.update(self._preview(request, form.cleaned_data["file"].read()))
        return self._render(request, context)

    def _preview(self, request: HttpRequest, raw: bytes) -> dict[str, Any]:
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError as error:
            return {"problems": [Problem("$", f"Not a JSON file: {error}")]}
        try:
            data = parse_record(text)
            result = load_record_data(
                data, by=request.user, interface=audit.Interface.ADMIN, dry_run=True
            )
        except RecordRefused as refused:
            return {"problems": refused.problems}
        return {
            "result": result,
            "signed_record": signing.dumps(text, salt=SIGNING_SALT, compress=True),
        }

    def _confirm(self, request: HttpRequest, context: dict[str, Any]) -> HttpResponse:
        try:
            text = signing.loads(
                request.POST.get("record", ""), salt=SIGNING_SALT, max_age=CONFIRM_WITHIN_SECONDS
            )
        except signing.BadSignature:
            messages.error(
                request, "That preview has expired or was altered; upload the file again."
            )
            return self._render(request, context, status=400)
        try:
            result: LoadResult = load_record_data(
                parse_record(text), by=request.user, interface=audit.Interface.ADMIN
            )
        except RecordRefused as refused:
            # The record changed since the preview in a way the file now breaks.
            context["problems"] = refused.problems
            return self._render(request, context)
        messages.success(request, f"Loaded the record: {result}.")
        return HttpResponseRedirect(reverse("admin:tracker_negotiation_changelist"))

    def _render(
        self, request: HttpRequest, context: dict[str, Any], status: int = 200
    ) -> HttpResponse:
        opts = self.model._meta
        context.update(
            self.admin_site.each_context(request),
            title="Upload a record",
            opts=opts,
            max_megabytes=MAX_RECORD_BYTES // (1024 * 1024),
        )
        return TemplateResponse(
            request, "admin/tracker/negotiation/upload_record.html", context, status=status
        )
