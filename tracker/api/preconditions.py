"""ETag and If-Match on the record's details (docs/design.md "Concurrent writes").

A detail answers `ETag: "<version>"`, strong, from the row's version (tracker.models.Versioned),
which moves on every write. PATCH, PUT and DELETE with `If-Match`, and the actions that write
(a milestone's complete and cancel), write only when the row is still at that version: the
service checks it again under the row lock, so of two writers who read the same version
exactly one succeeds. Without If-Match (or with `*`) a write goes ahead as before, and still
changes only the fields it gives.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, inline_serializer
from rest_framework import serializers, status
from rest_framework.exceptions import APIException, ErrorDetail
from rest_framework.request import Request
from rest_framework.settings import api_settings

from tracker import services

STALE = (
    "The record changed after the version you name in If-Match. GET it again, apply your "
    "change to what it holds now, and send that with the new ETag."
)


def etag(record: Any) -> str:
    return f'"{record.version}"'


class PreconditionFailed(APIException):
    """412, with the ETag the record has now."""

    status_code = status.HTTP_412_PRECONDITION_FAILED
    default_code = "precondition_failed"

    def __init__(self, current: str) -> None:
        super().__init__()
        # A dict detail is the body as it stands: {"detail": …, "current": …}.
        self.detail = {"detail": ErrorDetail(STALE), "current": ErrorDetail(current)}


def expected_version(request: Request, record: Any) -> int | None:
    """The version the request's If-Match names, for the service to hold the write to;
    None without If-Match or with `*`; PreconditionFailed when it names another version.

    Weak tags (W/"3") never match: If-Match compares strongly (RFC 9110, 13.1.1).
    """
    header = request.headers.get("If-Match")
    if header is None or not hasattr(record, "version"):
        return None
    tags = {tag.strip() for tag in header.split(",")}
    if "*" in tags:
        return None
    current = etag(record)
    if current in tags:
        return int(record.version)
    raise PreconditionFailed(current)


@contextmanager
def refused_when_stale() -> Iterator[None]:
    """Around a service call given the expected version: its StaleVersion answers 412."""
    try:
        yield
    except services.StaleVersion as stale:
        raise PreconditionFailed(etag(stale.record)) from None


IF_MATCH = OpenApiParameter(
    name="If-Match",
    type=OpenApiTypes.STR,
    location=OpenApiParameter.HEADER,
    required=False,
    description='The ETag of the version you read (e.g. "3"), or *. The write is refused '
    "with 412 when the record has changed since. Left out: the write goes ahead, changing "
    "only the fields you send.",
)

PRECONDITION_FAILED = OpenApiResponse(
    response=inline_serializer(
        "PreconditionFailed",
        {
            "detail": serializers.CharField(),
            "current": serializers.CharField(help_text="The record's ETag now."),
        },
    ),
    description="If-Match names a version the record is no longer at; nothing was written.",
)

ETAG = OpenApiParameter(
    name="ETag",
    type=OpenApiTypes.STR,
    location=OpenApiParameter.HEADER,
    response=[200, 201],
    description='The version of the record answered, e.g. "3": send it back in If-Match.',
)

WRITES = ("PUT", "PATCH", "DELETE")
# Actions that write with POST and honour If-Match as the writes do.
CONDITIONAL_ACTIONS = {"complete", "cancel"}
# The answers that carry the ETag (tracker.api.views.RecordViewSet).
TAGGED = {"retrieve", "create", "update", "partial_update", *CONDITIONAL_ACTIONS}


class ConditionalSchema(api_settings.DEFAULT_SCHEMA_CLASS):  # type: ignore[name-defined]
    """The project's schema class, plus what this module adds to a record's detail: the
    ETag header on answers, the If-Match parameter and the 412 answer on writes."""

    def get_override_parameters(self) -> list[Any]:
        parameters = list(super().get_override_parameters())
        if self._conditional():
            parameters.append(IF_MATCH)
        if getattr(self.view, "action", None) in TAGGED:
            parameters.append(ETAG)
        return parameters

    def get_response_serializers(self) -> Any:
        answered = super().get_response_serializers()
        if not self._conditional():
            return answered
        if not isinstance(answered, dict):
            answered = {204: None} if self.method == "DELETE" else {200: answered}
        return {**answered, 412: PRECONDITION_FAILED}

    def _conditional(self) -> bool:
        action = getattr(self.view, "action", None)
        return self.method in WRITES or action in CONDITIONAL_ACTIONS
