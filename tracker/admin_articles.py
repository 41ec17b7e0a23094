"""The admin's articles and proposals: read an article with its quotes, decide proposals.

Accepting and rejecting are actions that call tracker.services, as the API does; a
proposal that needs an edit to be accepted (a new milestone's track) is accepted through
the API or the dashboard desk, and the admin says so.
"""

from __future__ import annotations

from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest

from tracker import services
from tracker.dashboard import search
from tracker.models import Article, Proposal, Source


class QuoteInline(admin.TabularInline):  # type: ignore[type-arg]
    """The quotes of an article: spans of its text, made by the services, never typed."""

    model = Source
    fields = readonly_fields = ("slug", "start", "end", "excerpt")
    extra = 0
    can_delete = False
    show_change_link = True
    verbose_name = "quote"

    def has_add_permission(self, request: HttpRequest, obj: Article | None = None) -> bool:
        return False


class ProposalInline(admin.TabularInline):  # type: ignore[type-arg]
    model = Proposal
    fields = readonly_fields = (
        "kind", "milestone", "target", "quote_text", "confidence", "reason", "state",
    )  # fmt: skip
    extra = 0
    can_delete = False
    show_change_link = True

    def has_add_permission(self, request: HttpRequest, obj: Article | None = None) -> bool:
        return False

    @admin.display(description="quote")
    def quote_text(self, obj: Proposal) -> str:
        return f"“{obj.quote}”"


@admin.register(Article)
class ArticleAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ["title", "publisher", "published_on", "published_by", "language", "created_at"]
    list_filter = ["publisher", "language"]
    search_fields = ["title", "publisher", "url"]
    readonly_fields = [
        "title", "publisher", "published_on", "published_by", "url", "language", "text",
        "created_at", "created_by",
    ]  # fmt: skip
    inlines = [QuoteInline, ProposalInline]

    # Articles come in through the API or the desk, which read them for proposals.
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Article | None = None) -> bool:
        return False


@admin.register(Proposal)
class ProposalAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ["kind", "item_name", "quote_text", "confidence", "state", "article"]
    list_filter = ["state", "kind"]
    list_select_related = ["article", "milestone", "target"]
    search_fields = ["reason", "title", "milestone__title", "target__name"]
    readonly_fields = [
        "article", "kind", "milestone", "target", "negotiation", "start", "end", "quote_text",
        "deadline_text", "deadline_earliest", "deadline_latest", "deadline_precision",
        "completed_on", "value", "unit", "period_start", "period_end", "title", "confidence",
        "reason", "state", "decided_by", "decided_at", "rejection_reason",
    ]  # fmt: skip
    exclude = ["item_facts", "deadline_said_on"]
    actions = ["accept", "reject"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Proposal | None = None) -> bool:
        return False

    def get_search_results(
        self, request: HttpRequest, queryset: QuerySet[Proposal], search_term: str
    ) -> tuple[QuerySet[Proposal], bool]:
        # The site search's full-text index (its words, article and milestone), not a
        # substring scan of every proposal.
        return search.proposals_matching(queryset, search_term), False

    def get_queryset(self, request: HttpRequest) -> QuerySet[Proposal]:
        proposals = super().get_queryset(request)
        # Stale ones are superseded before an editor sees them as open.
        services.proposals_supersede_changed(proposals=proposals.filter(state="open"))
        return proposals

    @admin.display(description="about")
    def item_name(self, obj: Proposal) -> str:
        if obj.milestone is not None:
            return obj.milestone.title
        if obj.target is not None:
            return obj.target.name
        return f"new: {obj.title}" if obj.title else "new milestone"

    @admin.display(description="quote")
    def quote_text(self, obj: Proposal) -> str:
        return f"“{obj.quote}”"

    @admin.action(description="Accept the selected proposals", permissions=["change"])
    def accept(self, request: HttpRequest, queryset: QuerySet[Proposal]) -> None:
        done = 0
        for proposal in queryset.order_by("article_id", "start", "id"):
            try:
                services.proposal_accept(proposal=proposal, by=request.user)
                done += 1
            except (ValidationError, services.ProposalDecided) as error:
                self.message_user(
                    request, f"{self.item_name(proposal)}: {_said(error)}", messages.ERROR
                )
        if done:
            self.message_user(request, f"{done} proposal(s) accepted.")

    @admin.action(description="Reject the selected proposals", permissions=["change"])
    def reject(self, request: HttpRequest, queryset: QuerySet[Proposal]) -> None:
        done = 0
        for proposal in queryset:
            try:
                services.proposal_reject(proposal=proposal, by=request.user)
                done += 1
            except services.ProposalDecided as error:
                self.message_user(request, f"{self.item_name(proposal)}: {error}", messages.ERROR)
        if done:
            self.message_user(request, f"{done} proposal(s) rejected.")


def _said(error: Exception) -> str:
    if isinstance(error, ValidationError):
        return "; ".join(error.messages)
    return str(error)
