"""Articles in, proposals out: post an article, list and decide its proposals.

`POST /api/v1/articles/` takes JSON with the text, or a multipart upload with a `file`
(.txt, .html, .pdf) whose text is extracted; either way the proposals are made in the
request. `POST /api/v1/proposals/<id>/accept/` and `/reject/` decide one; deciding one
twice is a 409. Every write is one call to tracker.services.
"""

from __future__ import annotations

from typing import Any

import django_filters
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import Prefetch, QuerySet
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_field
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.parsers import MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response

from tracker import reading, selectors, services
from tracker.api.pagination import Pages
from tracker.api.parsers import BoundedJSONParser
from tracker.api.permissions import ChangeWithModelPermission
from tracker.models import Article, Milestone, Negotiation, Proposal, Track

# An uploaded file bigger than this cannot hold an article the reader would take.
MAX_UPLOAD_BYTES = 10 * 1024 * 1024


def _refused(error: DjangoValidationError) -> serializers.ValidationError:
    return serializers.ValidationError(serializers.as_serializer_error(error))


# --- proposals ----------------------------------------------------------------------------


class QuoteSerializer(serializers.Serializer[Any]):
    text = serializers.CharField(help_text="The article's words: text[start:end].")
    start = serializers.IntegerField()
    end = serializers.IntegerField()


class ProposedDeadlineSerializer(serializers.Serializer[Any]):
    text = serializers.CharField()
    earliest = serializers.DateField()
    latest = serializers.DateField()
    precision = serializers.CharField()


class ProposalSerializer(serializers.ModelSerializer[Proposal]):
    milestone_title = serializers.SerializerMethodField()
    target_name = serializers.SerializerMethodField()
    negotiation = serializers.SlugRelatedField(slug_field="slug", read_only=True)  # type: ignore[var-annotated]
    quote = serializers.SerializerMethodField()
    deadline = serializers.SerializerMethodField()
    value = serializers.DecimalField(
        max_digits=20, decimal_places=4, coerce_to_string=False, allow_null=True, read_only=True
    )
    decided_by = serializers.SlugRelatedField(slug_field="username", read_only=True)  # type: ignore[var-annotated]

    class Meta:
        model = Proposal
        fields = [
            "id", "article", "kind", "milestone", "milestone_title", "target", "target_name",
            "negotiation", "quote", "deadline", "completed_on", "value", "unit",
            "period_start", "period_end", "title", "confidence", "reason", "state",
            "decided_by", "decided_at", "rejection_reason",
        ]  # fmt: skip
        read_only_fields = fields

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_milestone_title(self, proposal: Proposal) -> str | None:
        return proposal.milestone.title if proposal.milestone else None

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_target_name(self, proposal: Proposal) -> str | None:
        return proposal.target.name if proposal.target else None

    @extend_schema_field(QuoteSerializer)
    def get_quote(self, proposal: Proposal) -> dict[str, Any]:
        return {"text": proposal.quote, "start": proposal.start, "end": proposal.end}

    @extend_schema_field(ProposedDeadlineSerializer(allow_null=True))
    def get_deadline(self, proposal: Proposal) -> dict[str, Any] | None:
        deadline = proposal.deadline
        if deadline is None:
            return None
        return {
            "text": deadline.text,
            "earliest": deadline.earliest.isoformat(),
            "latest": deadline.latest.isoformat(),
            "precision": deadline.precision.value,
        }


class ProposalAcceptSerializer(serializers.Serializer[Any]):
    """Edits made while accepting; all optional."""

    milestone = serializers.PrimaryKeyRelatedField(
        queryset=Milestone.objects.all(),
        required=False,
        help_text="The milestone it is about, when the reader matched another or none.",
    )
    track = serializers.PrimaryKeyRelatedField(
        queryset=Track.objects.all(),
        required=False,
        help_text="For a new milestone: the track it goes in (required then).",
    )
    title = serializers.CharField(required=False, max_length=300, help_text="A new milestone's.")
    deadline = serializers.CharField(
        required=False,
        max_length=200,
        help_text="The deadline in words, read from the article's date (“by the end of 2026”).",
    )


class ProposalRejectSerializer(serializers.Serializer[Any]):
    reason = serializers.CharField(required=False, allow_blank=True, max_length=300)


class ConflictSerializer(serializers.Serializer[Any]):
    detail = serializers.CharField()


class ProposalFilter(django_filters.FilterSet):
    article = django_filters.NumberFilter(field_name="article_id")
    state = django_filters.ChoiceFilter(choices=Proposal.State.choices)
    kind = django_filters.ChoiceFilter(choices=Proposal.Kind.choices)

    class Meta:
        model = Proposal
        fields = ["article", "state", "kind"]


class ProposalViewSet(viewsets.ReadOnlyModelViewSet):  # type: ignore[type-arg]
    queryset = selectors.proposals_list()
    serializer_class = ProposalSerializer
    pagination_class = Pages
    # Decisions are small JSON bodies; the schema then documents JSON alone.
    parser_classes = [BoundedJSONParser]
    filterset_class = ProposalFilter
    search_fields: list[str] = []
    ordering_fields = ["id", "confidence", "start"]

    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        # A proposal whose milestone or target was edited since is superseded before it is
        # shown, so an editor never accepts a change over a later one.
        services.proposals_supersede_changed(
            proposals=self.filter_queryset(self.get_queryset()).filter(state=Proposal.State.OPEN)
        )
        return super().list(request, *args, **kwargs)

    @extend_schema(
        request=ProposalAcceptSerializer,
        responses={
            200: ProposalSerializer,
            400: OpenApiResponse(description="An edit is missing or wrong (field messages)."),
            409: OpenApiResponse(ConflictSerializer, description="Decided or superseded already."),
        },
        summary="Accept the proposal (with optional edits) through the write services.",
    )
    @action(detail=True, methods=["post"], permission_classes=[ChangeWithModelPermission])
    def accept(self, request: Request, pk: str | None = None) -> Response:
        proposal = self.get_object()
        body = ProposalAcceptSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        try:
            services.proposal_accept(proposal=proposal, by=request.user, edits=body.validated_data)
        except services.ProposalDecided as decided:
            return Response({"detail": str(decided)}, status=status.HTTP_409_CONFLICT)
        except DjangoValidationError as error:
            raise _refused(error) from None
        return Response(self.get_serializer(self.get_queryset().get(pk=proposal.pk)).data)

    @extend_schema(
        request=ProposalRejectSerializer,
        responses={
            200: ProposalSerializer,
            409: OpenApiResponse(ConflictSerializer, description="Decided or superseded already."),
        },
        summary="Reject the proposal, with an optional reason.",
    )
    @action(detail=True, methods=["post"], permission_classes=[ChangeWithModelPermission])
    def reject(self, request: Request, pk: str | None = None) -> Response:
        proposal = self.get_object()
        body = ProposalRejectSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        try:
            services.proposal_reject(
                proposal=proposal, by=request.user, reason=body.validated_data.get("reason", "")
            )
        except services.ProposalDecided as decided:
            return Response({"detail": str(decided)}, status=status.HTTP_409_CONFLICT)
        except DjangoValidationError as error:
            raise _refused(error) from None
        return Response(self.get_serializer(self.get_queryset().get(pk=proposal.pk)).data)


# --- articles -----------------------------------------------------------------------------


class ArticleSummarySerializer(serializers.ModelSerializer[Article]):
    created_by = serializers.SlugRelatedField(slug_field="username", read_only=True)  # type: ignore[var-annotated]
    date_text = serializers.CharField(
        read_only=True, help_text="“26 May 2025”, “on or before 26 May 2025 (inferred)”."
    )

    class Meta:
        model = Article
        fields = [
            "id", "title", "publisher", "published_on", "published_by", "date_text", "url",
            "language", "created_at", "created_by",
        ]  # fmt: skip
        read_only_fields = fields


class ArticleSerializer(ArticleSummarySerializer):
    proposals = ProposalSerializer(many=True, read_only=True)

    class Meta(ArticleSummarySerializer.Meta):
        fields = [*ArticleSummarySerializer.Meta.fields, "text", "proposals"]
        read_only_fields = fields


class ArticleWriteSerializer(serializers.Serializer[Any]):
    """What describes an article, however its text comes."""

    title = serializers.CharField(max_length=300)
    publisher = serializers.CharField(max_length=200, required=False, allow_blank=True)
    published_on = serializers.DateField(required=False, allow_null=True)
    published_by = serializers.DateField(
        required=False, allow_null=True, help_text="For an undated text: on or before this day."
    )
    url = serializers.URLField(max_length=500, required=False, allow_blank=True)
    language = serializers.CharField(max_length=16, required=False, allow_blank=True)
    negotiation = serializers.SlugRelatedField(
        slug_field="slug",
        queryset=Negotiation.objects.all(),
        required=False,
        allow_null=True,
        help_text="Match only this negotiation's milestones and targets (default: all).",
    )


class ArticleTextSerializer(ArticleWriteSerializer):
    # Neither trimmed nor refused here: tracker.reading.check_text says what is wrong.
    text = serializers.CharField(trim_whitespace=False, allow_blank=True)


class ArticleUploadSerializer(ArticleWriteSerializer):
    file = serializers.FileField(help_text="A .txt (UTF-8), .html or .pdf file.")

    def validate_file(self, upload: Any) -> str:
        if upload.size > MAX_UPLOAD_BYTES:
            raise serializers.ValidationError(
                f"The file is larger than {MAX_UPLOAD_BYTES // (1024 * 1024)} MB."
            )
        try:
            return reading.extract_text(
                upload.read(),
                filename=upload.name or "",
                content_type=getattr(upload, "content_type", "") or "",
            )
        except reading.ArticleError as error:
            raise serializers.ValidationError(str(error)) from None


class ArticleViewSet(
    mixins.CreateModelMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,  # type: ignore[type-arg]
):
    queryset = selectors.articles_list()
    pagination_class = Pages
    parser_classes = [BoundedJSONParser, MultiPartParser]
    filterset_fields = ["publisher", "language"]
    search_fields = ["title", "publisher"]
    ordering_fields = ["created_at", "published_on", "title"]

    def get_queryset(self) -> QuerySet[Article]:
        articles = super().get_queryset()
        if self.action == "list":
            return articles
        return articles.prefetch_related(
            Prefetch(
                "proposals",
                queryset=Proposal.objects.select_related(
                    "milestone", "target", "negotiation", "decided_by"
                ).order_by("start", "id"),
            )
        )

    def get_serializer_class(self) -> type[serializers.BaseSerializer[Any]]:
        return ArticleSummarySerializer if self.action == "list" else ArticleSerializer

    @extend_schema(
        request={
            "application/json": ArticleTextSerializer,
            "multipart/form-data": ArticleUploadSerializer,
        },
        responses={
            201: ArticleSerializer,
            400: OpenApiResponse(
                description="Empty, over 200,000 characters, control characters, a binary or "
                "text-less file, or no date (field messages); nothing is written."
            ),
        },
        summary="Store an article and the proposals it supports, made in the request.",
    )
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        uploaded = "file" in request.data or (request.content_type or "").startswith("multipart/")
        body: ArticleWriteSerializer = (
            ArticleUploadSerializer(data=request.data)
            if uploaded
            else ArticleTextSerializer(data=request.data)
        )
        body.is_valid(raise_exception=True)
        data = body.validated_data
        try:
            article = services.article_create(
                title=data["title"],
                text=data["file"] if uploaded else data["text"],
                publisher=data.get("publisher", ""),
                published_on=data.get("published_on"),
                published_by=data.get("published_by"),
                url=data.get("url", ""),
                language=data.get("language") or "en",
                negotiation=data.get("negotiation"),
                by=request.user,
            )
        except DjangoValidationError as error:
            raise _refused(error) from None
        fresh = self.get_queryset().get(pk=article.pk)
        return Response(ArticleSerializer(fresh).data, status=status.HTTP_201_CREATED)
