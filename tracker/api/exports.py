"""`?format=csv` and `?format=xlsx` on the list endpoints: the same rows as every export.

The renderers exist so that DRF's content negotiation (the `format` query parameter, or
an Accept header) chooses the format and the schema lists it. The list itself is not
rendered from serialized data: it is streamed from the filtered queryset by
tracker.exports, unpaginated, after the endpoint's permissions and filters have run.
"""

from __future__ import annotations

from typing import Any, ClassVar

from django.utils import timezone
from rest_framework.renderers import BaseRenderer, JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.viewsets import GenericViewSet

from tracker.api.renderers import ORJSONRenderer
from tracker.exports import FORMATS, Table, export_response


class FileRenderer(BaseRenderer):
    charset = None

    def render(
        self, data: Any, accepted_media_type: str | None = None, renderer_context: Any = None
    ) -> bytes:
        # Only reached for an error answer, which ExportableList renders as JSON instead.
        return JSONRenderer().render(data)


class CSVRenderer(FileRenderer):
    media_type = "text/csv"
    format = "csv"


class XLSXRenderer(FileRenderer):
    media_type = FORMATS["xlsx"]
    format = "xlsx"


def asks_for_file(request: Request) -> bool:
    return getattr(request.accepted_renderer, "format", None) in FORMATS


class ExportableList(GenericViewSet):  # type: ignore[type-arg]
    """For a viewset: its list answers `?format=csv` and `?format=xlsx` with `export_table`."""

    export_table: ClassVar[Table]

    def get_renderers(self) -> list[BaseRenderer]:
        renderers: list[BaseRenderer] = super().get_renderers()
        if self.action == "list":
            renderers += [CSVRenderer(), XLSXRenderer()]
        return renderers

    # Any: a Response for JSON, a streamed file response for the file formats.
    def list(self, request: Request, *args: Any, **kwargs: Any) -> Any:
        if not asks_for_file(request):
            return super().list(request, *args, **kwargs)  # type: ignore[misc]
        file_format = request.accepted_renderer.format
        queryset = self.filter_queryset(self.get_queryset())
        return export_response(
            self.export_table, queryset, file_format=file_format, today=timezone.localdate()
        )

    def handle_exception(self, exc: Exception) -> Response:
        # A refused filter or permission is a JSON error, whatever format was asked for.
        request = getattr(self, "request", None)
        if request is not None and isinstance(
            getattr(request, "accepted_renderer", None), FileRenderer
        ):
            request.accepted_renderer = ORJSONRenderer()
            request.accepted_media_type = ORJSONRenderer.media_type
        return super().handle_exception(exc)
