"""Thin viewsets: parse, call a serializer or service, answer with the fresh row."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib.auth.signals import user_logged_in
from django.db import models
from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.utils import OpenApiResponse, extend_schema, inline_serializer
from knox.models import AuthToken
from rest_framework import mixins, pagination, serializers, status, viewsets
from rest_framework.authtoken.serializers import AuthTokenSerializer
from rest_framework.decorators import action
from rest_framework.permissions import AllowAny, IsAdminUser, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from tracker import selectors, services
from tracker.api import filters
from tracker.api import serializers as api
from tracker.api.permissions import ChangeWithModelPermission
from tracker.calendar.tokens import calendar_token_revoke, calendar_token_rotate
from tracker.dashboard.views import readable
from tracker.deadlines import DeadlineError
from tracker.models import CalendarFeedToken, Milestone, Subscription
from tracker.reminders.subscriptions import subscription_unsubscribe


class Pages(pagination.PageNumberPagination):
    page_size_query_param = "page_size"
    max_page_size = 200


class RecordViewSet(viewsets.ModelViewSet):  # type: ignore[type-arg]
    """Writes go through tracker.services; the answer is the row as stored after the commit.

    Statuses are refreshed once the service's transaction commits, so the row is read
    again for the answer rather than taken from the object that was written.
    """

    pagination_class = Pages

    def perform_create(self, serializer: serializers.BaseSerializer[Any]) -> None:
        serializer.save()
        serializer.instance = self._reread(serializer.instance)

    def perform_update(self, serializer: serializers.BaseSerializer[Any]) -> None:
        serializer.save()
        serializer.instance = self._reread(serializer.instance)

    def perform_destroy(self, instance: models.Model) -> None:
        services.record_delete(record=instance, by=self.request.user)

    def _reread(self, instance: Any) -> Any:
        return self.get_queryset().get(pk=instance.pk)


class PartyViewSet(RecordViewSet):
    queryset = selectors.parties_list()
    serializer_class = api.PartySerializer
    search_fields = ["code", "name"]
    ordering_fields = ["code", "name"]


class SourceViewSet(RecordViewSet):
    queryset = selectors.sources_list()
    serializer_class = api.SourceSerializer
    search_fields = ["title", "publisher", "excerpt"]
    ordering_fields = ["title", "published_on"]
    filterset_fields = ["publisher", "published_on"]


class NegotiationViewSet(RecordViewSet):
    queryset = selectors.negotiations_list()
    serializer_class = api.NegotiationSerializer
    lookup_field = "slug"
    filterset_class = filters.NegotiationFilter
    search_fields = ["name", "summary"]
    ordering_fields = ["name", "health", "next_deadline", "created_at"]


class TrackViewSet(RecordViewSet):
    queryset = selectors.tracks_list()
    serializer_class = api.TrackSerializer
    filterset_class = filters.TrackFilter
    search_fields = ["name", "summary"]
    ordering_fields = ["name", "position", "health", "next_deadline"]


class MilestoneViewSet(RecordViewSet):
    queryset = selectors.milestones_list()
    serializer_class = api.MilestoneSerializer
    filterset_class = filters.MilestoneFilter
    search_fields = ["title", "consequence", "deadline_text"]
    ordering_fields = ["deadline_latest", "title", "status", "created_at", "updated_at"]

    @extend_schema(
        request=api.MilestoneCompleteSerializer,
        responses={200: api.MilestoneSerializer},
        summary="Mark the milestone completed (default today).",
    )
    @action(detail=True, methods=["post"], permission_classes=[ChangeWithModelPermission])
    def complete(self, request: Request, pk: str | None = None) -> Response:
        milestone = self.get_object()
        body = api.MilestoneCompleteSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        services.milestone_complete(
            milestone=milestone,
            completed_on=body.validated_data.get("completed_on"),
            by=request.user,
        )
        return self._answer(milestone)

    @extend_schema(request=None, responses={200: api.MilestoneSerializer}, summary="Cancel it.")
    @action(detail=True, methods=["post"], permission_classes=[ChangeWithModelPermission])
    def cancel(self, request: Request, pk: str | None = None) -> Response:
        milestone = self.get_object()
        services.milestone_cancel(milestone=milestone, by=request.user)
        return self._answer(milestone)

    def _answer(self, milestone: Milestone) -> Response:
        fresh = self._reread(milestone)
        return Response(self.get_serializer(fresh).data)


class TargetViewSet(RecordViewSet):
    queryset = selectors.targets_list()
    serializer_class = api.TargetSerializer
    filterset_class = filters.TargetFilter
    search_fields = ["name", "unit"]
    ordering_fields = ["name", "deadline_latest", "status"]


class ObservationViewSet(RecordViewSet):
    queryset = selectors.observations_list()
    serializer_class = api.ObservationSerializer
    filterset_class = filters.ObservationFilter
    ordering_fields = ["date", "value"]


class SubscriptionViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.DestroyModelMixin,
    viewsets.GenericViewSet,  # type: ignore[type-arg]
):
    """The caller's own subscriptions. Deleting one unsubscribes it (kept for the history)."""

    serializer_class = api.SubscriptionSerializer
    permission_classes = [IsAuthenticated]
    pagination_class = Pages
    filterset_fields: list[str] = []
    search_fields: list[str] = []
    ordering_fields = ["created_at"]

    def get_queryset(self) -> models.QuerySet[Subscription]:
        if getattr(self, "swagger_fake_view", False):
            return Subscription.objects.none()
        return selectors.subscriptions_of(self.request.user)

    def perform_destroy(self, instance: Subscription) -> None:
        subscription_unsubscribe(subscription=instance)


class ReminderViewSet(viewsets.ReadOnlyModelViewSet):  # type: ignore[type-arg]
    """The reminder outbox, for staff."""

    queryset = selectors.reminders_list()
    serializer_class = api.ReminderSerializer
    permission_classes = [IsAdminUser]
    pagination_class = Pages
    filterset_class = filters.ReminderFilter
    search_fields = ["recipient"]
    ordering_fields = ["due_at", "state"]


class ChangeViewSet(viewsets.ReadOnlyModelViewSet):  # type: ignore[type-arg]
    """The audit log: every write to the record, newest first; readable as the record is."""

    queryset = selectors.changes_list()
    serializer_class = api.ChangeSerializer
    pagination_class = Pages
    filterset_class = filters.ChangeFilter
    search_fields = ["object_repr"]
    ordering_fields = ["timestamp"]


class DeadlineParseView(APIView):
    """Read a deadline in words the way the API would store it."""

    @extend_schema(
        parameters=[api.DeadlineParseQuerySerializer],
        responses={
            200: api.DeadlineSerializer,
            400: OpenApiResponse(description="The text cannot be read; the message lists forms."),
        },
    )
    def get(self, request: Request) -> Response:
        query = api.DeadlineParseQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        reference = query.validated_data.get("reference") or timezone.localdate()
        try:
            deadline = services.read_deadline(
                query.validated_data["text"],
                reference=reference,
                negotiation=query.validated_data.get("negotiation"),
                fiscal_year_start=query.validated_data.get("fiscal_year_start"),
            )
        except DeadlineError as error:
            return Response({"text": [str(error)]}, status=status.HTTP_400_BAD_REQUEST)
        return Response(api.DeadlineField().to_representation(deadline))


class CalendarFeedView(APIView):
    """The caller's private calendar feed URL: see it, rotate it (POST) or revoke it (DELETE)."""

    permission_classes = [IsAuthenticated]

    @extend_schema(responses={200: api.CalendarFeedStateSerializer, 404: OpenApiResponse()})
    def get(self, request: Request) -> Response:
        # IsAuthenticated has ruled out the anonymous user the stubs allow for.
        token = CalendarFeedToken.objects.filter(user=request.user).first()  # type: ignore[misc]
        if token is None:
            return Response(
                {"detail": "No private feed yet; POST here to create one."},
                status=status.HTTP_404_NOT_FOUND,
            )
        # Only the secret's hash is kept, so the URL itself cannot be shown again.
        return Response(
            {
                "created_at": token.created_at,
                "detail": "Your private feed exists. Its URL was shown when it was made; "
                "POST here for a new one (the old URL then stops working).",
            }
        )

    @extend_schema(request=None, responses={201: api.CalendarFeedSerializer})
    def post(self, request: Request) -> Response:
        token, secret = calendar_token_rotate(user=request.user)
        return Response(self._describe(token, secret), status=status.HTTP_201_CREATED)

    @extend_schema(request=None, responses={204: None})
    def delete(self, request: Request) -> Response:
        calendar_token_revoke(user=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)

    def _describe(self, token: CalendarFeedToken, secret: str) -> dict[str, Any]:
        url = settings.SITE_URL + reverse("calendar:private-feed", args=[secret])
        template = settings.SITE_URL + reverse(
            "calendar:private-negotiation-feed", args=[secret, "slug"]
        )
        return {
            "url": url,
            "negotiation_url_template": template.replace("/slug.ics", "/{slug}.ics"),
            "created_at": token.created_at,
        }


class TokenView(APIView):
    """Exchange a username and password for the token used as `Authorization: Token …`.

    Tokens are django-rest-knox's: only a hash is stored, each expires (REST_KNOX's
    TOKEN_TTL), and a password change revokes them all (tracker.accounts). Wrong
    passwords count towards the login lockout (django-axes), as on every login route.
    """

    authentication_classes: list[type[Any]] = []
    permission_classes = [AllowAny]

    @extend_schema(
        request=AuthTokenSerializer,
        responses={
            200: inline_serializer(
                "AuthToken",
                {"token": serializers.CharField(), "expiry": serializers.DateTimeField()},
            ),
            400: OpenApiResponse(description="Wrong username or password."),
            429: OpenApiResponse(description="Too many failed logins; try again later."),
        },
        auth=[],
    )
    def post(self, request: Request) -> Response:
        # The Django request, not DRF's wrapper: django-axes marks a locked-out request on
        # it, and its middleware then answers 429 whatever the password.
        login = AuthTokenSerializer(data=request.data, context={"request": request._request})
        login.is_valid(raise_exception=True)
        user = login.validated_data["user"]
        instance, token = AuthToken.objects.create(user=user)
        # What a login does: last_login, and django-axes clears the user's failures.
        user_logged_in.send(sender=type(user), request=request._request, user=user)
        return Response({"token": token, "expiry": instance.expiry})


@readable
def docs(request: HttpRequest) -> HttpResponse:
    """A self-contained list of the operations: no script from a CDN, so it works offline."""
    generator = SchemaGenerator()  # type: ignore[no-untyped-call]
    schema = generator.get_schema(request=None, public=True)  # type: ignore[no-untyped-call]
    rows = []
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            summary = operation.get("summary") or operation.get("description", "").split("\n")[0]
            rows.append((method.upper(), path, summary))
    body = format_html_join(
        "\n", "<tr><td><code>{}</code></td><td><code>{}</code></td><td>{}</td></tr>", rows
    )
    page = format_html(
        """<!doctype html><html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Tranche API</title>
<style nonce="{nonce}">
body{{font-family:system-ui,sans-serif;margin:1rem auto;max-width:60rem;padding:0 1rem}}
td{{padding:.2rem .6rem;vertical-align:top}}tr:nth-child(even){{background:#f4f4f4}}</style>
</head><body><h1>Tranche API v1</h1>
<p>The OpenAPI 3 schema: <a href="{yaml}">YAML</a> · <a href="{json}">JSON</a>.
Authenticate with <code>Authorization: Token …</code> from <code>POST /api/v1/auth/token/</code>
or with a session. Lists are paginated (<code>count</code>, <code>next</code>,
<code>previous</code>, <code>results</code>); errors are 400 with a message per field.</p>
<table><thead><tr><th>Method</th><th>Path</th><th>What it does</th></tr></thead>
<tbody>{body}</tbody></table></body></html>""",
        nonce=getattr(request, "csp_nonce", ""),
        yaml=reverse("api:schema"),
        json=reverse("api:schema") + "?format=json",
        body=body,
    )
    return HttpResponse(page)
