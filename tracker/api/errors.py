"""Every failure a client can cause is a 400 that says what to fix, never a 500.

Failures a client cannot cause (a broken foreign key, a check the services should have
made) are not disguised: they surface as the server errors they are.
"""

from __future__ import annotations

import sqlite3
from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import DataError, IntegrityError
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

UNIQUE_VIOLATION = "23505"  # PostgreSQL's SQLSTATE


def is_unique_violation(error: IntegrityError) -> bool:
    cause = error.__cause__
    if getattr(cause, "sqlstate", None) == UNIQUE_VIOLATION:
        return True
    return isinstance(cause, sqlite3.IntegrityError) and str(cause).startswith("UNIQUE")


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    if isinstance(exc, DjangoValidationError):
        # A service refused the change; its messages are already written for people.
        return Response(serializers.as_serializer_error(exc), status=status.HTTP_400_BAD_REQUEST)
    if isinstance(exc, IntegrityError) and is_unique_violation(exc):
        # Services check uniqueness first; this is the race between two writers.
        return Response(
            {"detail": "This conflicts with an existing record (a slug or date already used)."},
            status=status.HTTP_400_BAD_REQUEST,
        )
    if isinstance(exc, DataError | OverflowError):
        return Response(
            {"detail": "A value is out of range for the database."},
            status=status.HTTP_400_BAD_REQUEST,
        )
    if isinstance(exc, ValueError) and "NUL" in str(exc):
        # PostgreSQL refuses NUL characters in text, even inside a filter.
        return Response(
            {"detail": "Text cannot contain NUL (0x00) characters."},
            status=status.HTTP_400_BAD_REQUEST,
        )
    response = drf_exception_handler(exc, context)
    if response is not None and isinstance(response.data, list):
        # A refusal that names no field (DRF's search filter on a NUL) is still an object,
        # as the schema promises every 400 is: {"detail": "…"}.
        response.data = {"detail": " ".join(str(message) for message in response.data)}
    return response
