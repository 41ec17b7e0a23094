"""Thin viewsets: parse, call a serializer or service, answer with the fresh row."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any, cast

from django.conf import settings
from django.contrib.auth.signals import user_logged_in
from django.db import models
from django.urls import reverse
from django.utils import timezone
from drf_spectacular.utils import OpenApiResponse, extend_schema, inline_serializer
from drf_spectacular.views import SpectacularSwaggerSplitView
from rest_framework import mixins, pagination, serializers, status, viewsets
from rest_framework.authtoken.serializers import AuthTokenSerializer
from rest_framework.decorators import action
from rest_framework.permissions import AllowAny, IsAdminUser, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from tracker import exports, selectors, services, versions
from tracker.api import filters, preconditions, rows
from tracker.api import serializers as api
from tracker.api.exports import ExportableList, asks_for_file
from tracker.api.pagination import ChangePages, MilestonePages, Pages
from tracker.api.permissions import ChangeWithModelPermission
from tracker.dashboard import fragments
from tracker.dashboard.views import readable
from tracker.deadlines import DeadlineError
from tracker.models import CalendarFeedToken, Milestone, Subscription
from tracker.services.subscriptions import subscription_unsubscribe
from tracker.services.tokens import api_token_create, calendar_token_revoke, calendar_token_rotate

# The code that shapes a cached list answer: a deploy that changes it changes every key.
API_CODE = hashlib.blake2b(
    b"".join(Path(module).read_bytes() for module in (rows.__file__, api.__file__)),
    digest_size=6,
).hexdigest()


class RecordViewSet(viewsets.ModelViewSet):  # type: ignore[type-arg]
    """Writes go through tracker.services; the answer is the row as stored after the commit.

    Statuses are refreshed once the service's transaction commits, so the row is read
    again for the answer rather than taken from the object that was written.

    A detail carries its version as a strong ETag, and writes honour If-Match
    (tracker.api.preconditions): 412 when the row was written since that version.
    """

    pagination_class: type[pagination.BasePagination] | None = Pages
    schema = preconditions.ConditionalSchema()

    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        record = self.get_object()
        response = Response(self.get_serializer(record).data)
        if hasattr(record, "version"):  # series have none: the admin alone edits them
            response["ETag"] = preconditions.etag(record)
        return response

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return self._tagged(super().create(request, *args, **kwargs))

    def update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return self._tagged(super().update(request, *args, **kwargs))

    def perform_create(self, serializer: serializers.BaseSerializer[Any]) -> None:
        serializer.save()
        serializer.instance = self._written = self._reread(serializer.instance)

    def perform_update(self, serializer: serializers.BaseSerializer[Any]) -> None:
        # The service holds the write to this version under the row lock (StaleVersion).
        cast(dict[str, Any], serializer.context)["version"] = preconditions.expected_version(
            self.request, serializer.instance
        )
        serializer.save()
        serializer.instance = self._written = self._reread(serializer.instance)

    def perform_destroy(self, instance: models.Model) -> None:
        version = preconditions.expected_version(self.request, instance)
        try:
            services.record_delete(record=instance, by=self.request.user, version=version)
        except services.StaleVersion as stale:
            raise preconditions.PreconditionFailed(preconditions.etag(stale.record)) from None

    def _tagged(self, response: Response) -> Response:
        written = getattr(self, "_written", None)
        if written is not None and hasattr(written, "version"):
            response["ETag"] = preconditions.etag(written)
        return response

    def _reread(self, instance: Any) -> Any:
        return self.get_queryset().get(pk=instance.pk)


class PartyViewSet(ExportableList, RecordViewSet):
    export_table = exports.PARTIES
    queryset = selectors.parties_list()
    serializer_class = api.PartySerializer
    search_fields = ["code", "name"]
    ordering_fields = ["code", "name"]


class SourceViewSet(ExportableList, RecordViewSet):
    export_table = exports.SOURCES
    queryset = selectors.sources_list()
    serializer_class = api.SourceSerializer
    search_fields = ["title", "publisher", "excerpt"]
    ordering_fields = ["title", "published_on"]
    filterset_fields = ["publisher", "published_on"]


class NegotiationViewSet(ExportableList, RecordViewSet):
    export_table = exports.NEGOTIATIONS
    queryset = selectors.negotiations_list()
    serializer_class = api.NegotiationSerializer
    lookup_field = "slug"
    filterset_class = filters.NegotiationFilter
    search_fields = ["name", "summary"]
    ordering_fields = ["name", "health", "next_deadline", "created_at"]


class TrackViewSet(ExportableList, RecordViewSet):
    export_table = exports.TRACKS
    queryset = selectors.tracks_list()
    serializer_class = api.TrackSerializer
    filterset_class = filters.TrackFilter
    search_fields = ["name", "summary"]
    ordering_fields = ["name", "position", "health", "next_deadline"]


class MilestoneViewSet(ExportableList, RecordViewSet):
    export_table = exports.MILESTONES
    queryset = selectors.milestones_list()
    serializer_class = api.MilestoneSerializer
    filterset_class = filters.MilestoneFilter
    search_fields = ["title", "consequence", "deadline_text"]
    ordering_fields = ["deadline_latest", "title", "status", "created_at", "updated_at"]
    pagination_class = MilestonePages

    def list(self, request: Request, *args: Any, **kwargs: Any) -> Any:
        """Keyset pages of plain rows composed by tracker.api.rows, in the serializer's shape."""
        if asks_for_file(request):
            return super().list(request, *args, **kwargs)
        today = timezone.localdate()

        def build() -> Any:
            milestones = self.filter_queryset(self.get_queryset())
            paginator = self.paginator
            assert paginator is not None
            page = paginator.paginate_queryset(selectors.milestone_rows(milestones), request, self)
            assert page is not None
            relations = selectors.milestone_relations(row["id"] for row in page)
            return paginator.get_paginated_response(rows.milestones(page, relations, today)).data

        # The same for every reader allowed to read (permissions are checked before this):
        # kept on the data version and the day, keyed by the whole URL (its links are
        # absolute), so a polling client costs one version read until the next write.
        url = request.build_absolute_uri()
        return Response(fragments.cached(versions.current(), today, API_CODE, url, build=build))

    @extend_schema(
        request=api.MilestoneCompleteSerializer,
        responses={200: api.MilestoneSerializer, 412: preconditions.PRECONDITION_FAILED},
        summary="Mark the milestone completed (default today).",
    )
    @action(detail=True, methods=["post"], permission_classes=[ChangeWithModelPermission])
    def complete(self, request: Request, pk: str | None = None) -> Response:
        milestone = self.get_object()
        body = api.MilestoneCompleteSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        version = preconditions.expected_version(request, milestone)
        with preconditions.refused_when_stale():
            services.milestone_complete(
                milestone=milestone,
                completed_on=body.validated_data.get("completed_on"),
                by=request.user,
                version=version,
            )
        return self._answer(milestone)

    @extend_schema(
        request=None,
        responses={200: api.MilestoneSerializer, 412: preconditions.PRECONDITION_FAILED},
        summary="Cancel it.",
    )
    @action(detail=True, methods=["post"], permission_classes=[ChangeWithModelPermission])
    def cancel(self, request: Request, pk: str | None = None) -> Response:
        milestone = self.get_object()
        version = preconditions.expected_version(request, milestone)
        with preconditions.refused_when_stale():
            services.milestone_cancel(milestone=milestone, by=request.user, version=version)
        return self._answer(milestone)

    def _answer(self, milestone: Milestone) -> Response:
        fresh = self._reread(milestone)
        response = Response(self.get_serializer(fresh).data)
        response["ETag"] = preconditions.etag(fresh)
        return response


class TargetViewSet(ExportableList, RecordViewSet):
    export_table = exports.TARGETS
    queryset = selectors.targets_list()
    serializer_class = api.TargetSerializer
    filterset_class = filters.TargetFilter
    search_fields = ["name", "unit"]
    ordering_fields = ["name", "deadline_latest", "status"]


class ObservationViewSet(ExportableList, RecordViewSet):
    export_table = exports.OBSERVATIONS
    queryset = selectors.observations_list()
    serializer_class = api.ObservationSerializer
    filterset_class = filters.ObservationFilter
    ordering_fields = ["date", "value"]


class SeriesViewSet(RecordViewSet):
    """Series: anyone who may read lists them; editors add them (no edits or deletes here:
    figures point at a series, and renaming one is the admin's)."""

    queryset = selectors.series_list()
    serializer_class = api.SeriesSerializer
    http_method_names = ["get", "post", "head", "options"]
    search_fields = ["name"]
    ordering_fields = ["name"]


class SubscriptionViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    mixins.DestroyModelMixin,
    viewsets.GenericViewSet,  # type: ignore[type-arg]
):
    """The caller's own subscriptions. PATCH changes its time zone, reminder days or digest;
    deleting one unsubscribes it (kept for the history)."""

    # PATCH only: a subscription's subject never changes, so there is nothing to PUT.
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]

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


class ChangeViewSet(ExportableList, viewsets.ReadOnlyModelViewSet):  # type: ignore[type-arg]
    """The audit log: every write to the record, newest first; readable as the record is."""

    export_table = exports.CHANGES

    queryset = selectors.changes_list()
    serializer_class = api.ChangeSerializer
    pagination_class = ChangePages
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
        changes = settings.SITE_URL + reverse("private-changes-feed", args=[secret])
        return {
            "url": url,
            "negotiation_url_template": template.replace("/slug.ics", "/{slug}.ics"),
            "changes_url": changes,
            "created_at": token.created_at,
        }


class TokenView(APIView):
    """Exchange a username and password for the token used as `Authorization: Token …`.

    Tokens are django-rest-knox's: only a hash is stored, each expires (REST_KNOX's
    TOKEN_TTL), and a password change revokes them all (tracker.services.passwords). Wrong
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
        instance, token = api_token_create(user=user)
        # What a login does: last_login, and django-axes clears the user's failures.
        user_logged_in.send(sender=type(user), request=request._request, user=user)
        return Response({"token": token, "expiry": instance.expiry})


class DocsView(SpectacularSwaggerSplitView):
    """The interactive reference (Swagger UI), served from our own static files: no CDN.

    The split view answers the page, and with ?script its start-up script, so the page
    runs under the site's Content-Security-Policy without inline scripts.
    """

    template_name = "tracker/api_docs.html"
    title = "Tranche API"


# Anonymous visitors of a private tracker are sent to log in, as on every page.
docs = readable(DocsView.as_view(url_name="api:schema"))
