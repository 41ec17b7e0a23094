"""How lists are cut into pages.

Most lists are numbered pages. The milestone list, the one that grows to thousands, is
keyset-paged: a cursor holds the sort values of the row a page ended on, and the next page
is the rows after it, so every page costs the same and a walk meets every row exactly once
even while rows are added. A unique last sort key (the id) makes "after" exact.
"""

from __future__ import annotations

import functools
import operator
from base64 import b64decode, b64encode
from collections.abc import Sequence
from typing import Any, NamedTuple
from urllib import parse

import orjson
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import Q, QuerySet
from rest_framework import pagination
from rest_framework.exceptions import ValidationError
from rest_framework.filters import OrderingFilter
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.utils.urls import remove_query_param, replace_query_param
from rest_framework.views import APIView

DEFAULT_PAGE_SIZE = 50


def page_size(asked: str | None, *, default: int, maximum: int) -> int:
    """The page size a `?page_size=` asks for, at most `maximum`; raises ValidationError
    unless it is a whole number of ASCII digits from 1 ("²" and "٣" are digits to Python's
    str.isdigit, not to int)."""
    if asked is None:
        return default
    if not (asked.isascii() and asked.isdigit()) or int(asked) < 1:
        raise ValidationError({"page_size": [f"Give a whole number from 1 to {maximum}."]})
    return min(int(asked), maximum)


class Pages(pagination.PageNumberPagination):
    page_size_query_param = "page_size"
    max_page_size = 200

    def get_page_size(self, request: Request) -> int:
        return page_size(
            request.query_params.get(self.page_size_query_param),
            default=self.page_size or DEFAULT_PAGE_SIZE,
            maximum=self.max_page_size,
        )


def rows_after(ordering: Sequence[str], position: Sequence[Any]) -> Q:
    """Rows that sort after `position` in `ordering` ("-name" descending): for (a, b, id),
    a beyond, or a equal and b beyond, or a and b equal and id beyond."""
    conditions = []
    equal = Q()
    for field, value in zip(ordering, position, strict=True):
        name = field.lstrip("-")
        beyond = "lt" if field.startswith("-") else "gt"
        conditions.append(equal & Q(**{f"{name}__{beyond}": value}))
        equal &= Q(**{name: value})
    # Implied by the OR below, and said on its own so that the index on the first sort key
    # starts the page at the cursor instead of reading from the top and filtering.
    first = ordering[0]
    at_or_beyond = Q(
        **{f"{first.lstrip('-')}__{'lte' if first.startswith('-') else 'gte'}": position[0]}
    )
    return at_or_beyond & functools.reduce(operator.or_, conditions)


def reversed_ordering(ordering: Sequence[str]) -> tuple[str, ...]:
    return tuple(field[1:] if field.startswith("-") else f"-{field}" for field in ordering)


class Keyset(NamedTuple):
    """Where a page starts: after (or, walking back, before) the row with these sort values."""

    position: list[Any]
    reverse: bool


class KeysetPages(pagination.CursorPagination):
    """DRF's cursor pagination made exact: the cursor keeps every sort value of its row
    (DRF's keeps the first and an offset into ties, which loses its place past 1,000 ties).

    `?ordering=` works as on every list (the view's OrderingFilter); `sort_keys` maps an
    ordering name to the never-null value it sorts by. `?count=true` adds the total.
    """

    page_size_query_param = "page_size"
    max_page_size = 1000
    tiebreaker = "id"
    sort_keys: dict[str, str] = {}
    invalid_cursor_message = "Invalid cursor: follow the next and previous links as given."

    def paginate_queryset(  # type: ignore[override]
        self, queryset: QuerySet[Any, Any], request: Request, view: APIView | None = None
    ) -> list[Any]:
        self.request = request
        if "page" in request.query_params:
            raise ValidationError({"page": ["This list is paged by cursor: follow the next link."]})
        self.page_size = self.get_page_size(request)
        self.url = request.build_absolute_uri()
        self.ordering = self.get_ordering(request, queryset, view)
        self.count = queryset.count() if self._counting(request) else None
        self.keyset = self._read_cursor(request)
        backwards = self.keyset is not None and self.keyset.reverse
        order = reversed_ordering(self.ordering) if backwards else self.ordering
        queryset = queryset.order_by(*order)
        if self.keyset is not None:
            try:
                queryset = queryset.filter(rows_after(order, self.keyset.position))
            except (DjangoValidationError, ValueError, TypeError):
                raise ValidationError({"cursor": [self.invalid_cursor_message]}) from None
        rows = list(queryset[: self.page_size + 1])
        more = len(rows) > self.page_size
        self.page = rows[: self.page_size]
        if backwards:
            self.page.reverse()
        self.has_next = more if not backwards else True
        self.has_previous = self.keyset is not None if not backwards else more
        self.display_page_controls = self.has_next or self.has_previous
        return self.page

    def get_page_size(self, request: Request) -> int:
        return page_size(
            request.query_params.get(self.page_size_query_param),
            default=DEFAULT_PAGE_SIZE,
            maximum=self.max_page_size,
        )

    def get_ordering(
        self, request: Request, queryset: QuerySet[Any, Any], view: APIView | None
    ) -> tuple[str, ...]:
        chosen = OrderingFilter().get_ordering(request, queryset, view) if view else None
        ordering = []
        for field in chosen or self.default_ordering(request):
            descending, name = field.startswith("-"), field.lstrip("-")
            name = self.sort_keys.get(name, name)
            ordering.append(f"-{name}" if descending else name)
        if self.tiebreaker not in {field.lstrip("-") for field in ordering}:
            ordering.append(self.tiebreaker)
        return tuple(ordering)

    def default_ordering(self, request: Request) -> Sequence[str]:
        return ("id",)

    def _counting(self, request: Request) -> bool:
        return request.query_params.get("count", "").lower() in {"true", "1", "yes"}

    def _read_cursor(self, request: Request) -> Keyset | None:
        encoded = request.query_params.get(self.cursor_query_param)
        if encoded is None:
            return None
        try:
            tokens = parse.parse_qs(b64decode(encoded.encode("ascii"), validate=True).decode())
            position = orjson.loads(tokens["p"][0])
            reverse = tokens.get("r", ["0"])[0] == "1"
        except (ValueError, KeyError, UnicodeError, orjson.JSONDecodeError):
            raise ValidationError({"cursor": [self.invalid_cursor_message]}) from None
        if not isinstance(position, list) or len(position) != len(self.ordering):
            # A cursor from a differently ordered walk.
            raise ValidationError({"cursor": [self.invalid_cursor_message]})
        return Keyset(position, reverse)

    def _link(self, keyset: Keyset) -> str:
        tokens = {"p": orjson.dumps(keyset.position).decode()}
        if keyset.reverse:
            tokens["r"] = "1"
        encoded = b64encode(parse.urlencode(tokens).encode("ascii")).decode("ascii")
        return str(replace_query_param(self.url, self.cursor_query_param, encoded))

    def position(self, row: Any) -> list[Any]:
        return [_plain(_value(row, field.lstrip("-"))) for field in self.ordering]

    def get_next_link(self) -> str | None:
        if not self.has_next:
            return None
        if self.page:
            return self._link(Keyset(self.position(self.page[-1]), reverse=False))
        # Walked back past the first row (rows were deleted meanwhile): start again.
        return str(remove_query_param(self.url, self.cursor_query_param))

    def get_previous_link(self) -> str | None:
        if not self.has_previous:
            return None
        if self.page:
            return self._link(Keyset(self.position(self.page[0]), reverse=True))
        assert self.keyset is not None  # an empty page past the end: back from its cursor
        return self._link(Keyset(self.keyset.position, reverse=True))

    def get_paginated_response(self, data: Any) -> Response:
        body: dict[str, Any] = {} if self.count is None else {"count": self.count}
        links = {"next": self.get_next_link(), "previous": self.get_previous_link()}
        return Response({**body, **links, "results": data})

    def get_paginated_response_schema(self, schema: dict[str, Any]) -> dict[str, Any]:
        described: dict[str, Any] = super().get_paginated_response_schema(schema)
        described["required"] = ["next", "previous", "results"]
        described["properties"] = {
            "count": {
                "type": "integer",
                "example": 123,
                "description": "How many rows match; only with ?count=true.",
            },
            **described["properties"],
        }
        # DRF's own example for `next` ends in a stray quote, which is not a URI.
        described["properties"]["next"]["example"] = (
            "http://api.example.org/milestones/?cursor=cD00ODY%3D"
        )
        return described

    def get_schema_operation_parameters(self, view: APIView) -> list[dict[str, Any]]:
        parameters: list[dict[str, Any]] = super().get_schema_operation_parameters(view)
        parameters.append(
            {
                "name": "count",
                "required": False,
                "in": "query",
                "description": "true: add `count`, how many rows match (one more query).",
                "schema": {"type": "boolean"},
            }
        )
        return parameters


def _value(row: Any, name: str) -> Any:
    return row[name] if isinstance(row, dict) else getattr(row, name)


def _plain(value: Any) -> Any:
    # A cursor keeps JSON: dates and times as ISO text, which filters read back exactly.
    if isinstance(value, str | int | float | bool) or value is None:
        return value
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return str(value)


class MilestonePages(KeysetPages):
    """Soonest deadline first, unscheduled last; the Needs review list (`stale=true`) oldest
    confirmation first, none at all first. The sort keys are selectors.milestone_rows'."""

    sort_keys = {"deadline_latest": "due", "last_confirmed_on": "confirmed"}

    def default_ordering(self, request: Request) -> Sequence[str]:
        if request.query_params.get("stale") == "true":
            return ("confirmed",)
        return ("due",)


class ChangePages(KeysetPages):
    """The audit log, newest first; both sort keys run the same way, so every page is one
    range of the timestamp index from its cursor, however deep, and no page counts the log."""

    def default_ordering(self, request: Request) -> Sequence[str]:
        return ("-timestamp", "-id")

    def get_ordering(
        self, request: Request, queryset: QuerySet[Any, Any], view: APIView | None
    ) -> tuple[str, ...]:
        ordering = super().get_ordering(request, queryset, view)
        first = ordering[0]
        if first.lstrip("-") == "timestamp":
            # ?ordering=timestamp: the id breaks ties the same way round.
            return (first, "-id" if first.startswith("-") else "id")
        return ordering
