"""The editors' desk: post an article, read it with each proposal's quote marked beside the
list of proposals, and accept, edit or reject each one.

Views translate forms into one call to tracker.services each and render; the text with its
marked quotes is cut by `quote_segments`, a pure function.
"""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from functools import wraps
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count, Q
from django.http import HttpRequest, HttpResponse, HttpResponseBase, HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from tracker import figures, services
from tracker.dashboard.desk_forms import AcceptForm, ArticleForm, RejectForm
from tracker.models import Article, Milestone, Negotiation, Proposal, Target, Track
from tracker.stale_forms import VERSION, refuse_stale
from tracker.status import day_text

View = Callable[..., HttpResponseBase]

# Who may use the desk: the editors group holds both (migration 0016_sources_into_articles).
DESK_PERMISSIONS = ("tracker.add_article", "tracker.change_proposal")
RECENT_ARTICLES = 20
ALREADY_DECIDED = "Already decided: {why}"


def editors_only(view: View) -> View:
    """Signed-in editors only: anyone else is sent to log in, a signed-in reader gets a 403."""

    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        if not request.user.has_perms(DESK_PERMISSIONS):
            raise PermissionDenied("The desk is for editors.")
        return view(request, *args, **kwargs)

    return wrapped


# --- the text with its quotes marked (pure) ----------------------------------------------


@dataclass(frozen=True)
class Span:
    proposal: int
    start: int
    end: int
    open: bool


@dataclass(frozen=True)
class Segment:
    """A run of the article's text: the open proposals whose quotes cover all of it, and the
    proposals whose quotes begin where it begins (each gets an anchor there)."""

    text: str
    marked: tuple[int, ...]
    starts: tuple[int, ...]


def quote_segments(text: str, spans: Sequence[Span]) -> list[Segment]:
    """The text cut at every quote's start and end, so that overlapping quotes (two dates in
    one sentence) still mark each character once and every quote keeps an anchor."""
    length = len(text)
    cuts = sorted(
        {0, length}
        | {min(max(s.start, 0), length) for s in spans}
        | {min(max(s.end, 0), length) for s in spans}
    )
    segments = []
    for start, end in itertools.pairwise(cuts):
        marked = tuple(s.proposal for s in spans if s.open and s.start <= start and end <= s.end)
        starts = tuple(s.proposal for s in spans if s.start == start)
        segments.append(Segment(text[start:end], marked, starts))
    return segments


# --- what a proposal says, in words ------------------------------------------------------

KIND_WORDS: dict[str, str] = {
    Proposal.Kind.CONFIRMS: "Confirms",
    Proposal.Kind.MOVES: "Moves the deadline",
    Proposal.Kind.COMPLETES: "Completed",
    Proposal.Kind.NEW_MILESTONE: "New milestone",
    Proposal.Kind.FIGURE: "Figure",
    Proposal.Kind.DIFFERS: "Differs from another source",
}


def window_text(earliest: dt.date, latest: dt.date) -> str:
    if earliest == latest:
        return day_text(earliest)
    return f"{day_text(earliest)} – {day_text(latest)}"


def proposed_text(proposal: Proposal) -> str:
    """What accepting it would record: a deadline, a completion or a figure."""
    if proposal.kind == Proposal.Kind.FIGURE and proposal.value is not None:
        figure = figures.amount(float(proposal.value), proposal.unit)
        if proposal.period_start and proposal.period_end:
            return f"{figure} for {figures.period_text(proposal.period_start, proposal.period_end)}"
        return figure
    if proposal.kind == Proposal.Kind.COMPLETES:
        if proposal.completed_on:
            return f"Completed on {day_text(proposal.completed_on)}"
        return f"Completed by {proposal.article.date_text}"
    deadline = proposal.deadline
    if deadline is None:
        return "No date (the article gives none)"
    return f"Deadline “{deadline.text}”: {window_text(deadline.earliest, deadline.latest)}"


def about_text(proposal: Proposal) -> str:
    if proposal.milestone is not None:
        return f"Milestone “{proposal.milestone.title}”"
    if proposal.target is not None:
        return f"Target “{proposal.target.name}”"
    return f"New milestone “{proposal.title}”" if proposal.title else "A milestone not yet recorded"


def state_text(proposal: Proposal) -> str:
    when = f" on {day_text(proposal.decided_at.date())}" if proposal.decided_at else ""
    who = f" by {proposal.decided_by.get_username()}" if proposal.decided_by else ""
    if proposal.state == Proposal.State.ACCEPTED:
        return f"Accepted{who}{when}."
    if proposal.state == Proposal.State.REJECTED:
        why = f": {proposal.rejection_reason}" if proposal.rejection_reason else ""
        return f"Rejected{who}{when}{why}."
    if proposal.state == Proposal.State.SUPERSEDED:
        return (
            f"Superseded{when}: its milestone or target changed after it was made, or another "
            "proposal about it was accepted."
        )
    return "Open"


# --- pages --------------------------------------------------------------------------------


@dataclass(frozen=True)
class ProposalCard:
    proposal: Proposal
    kind: str
    about: str
    proposed: str
    confidence: str
    state: str
    accept_form: AcceptForm
    reject_form: RejectForm
    editing: bool  # the edit form is open: it came back with errors


@dataclass(frozen=True)
class Mention:
    """The stale item an editor came from "Needs review" to confirm."""

    kind: str
    name: str
    negotiation: Negotiation | None
    query: str


def mention_of(params: Any) -> Mention | None:
    """?milestone=<id>, ?target=<id>, ?track=<id> or ?negotiation=<slug>; None otherwise."""
    for kind, model in (("milestone", Milestone), ("target", Target), ("track", Track)):
        value = params.get(kind, "")
        if value.isdecimal():
            item = model.objects.filter(pk=int(value)).first()
            if isinstance(item, Milestone):
                return Mention(kind, item.title, item.track.negotiation, f"{kind}={item.pk}")
            if isinstance(item, Target):
                return Mention(kind, item.name, item.negotiation, f"{kind}={item.pk}")
            if isinstance(item, Track):
                return Mention(kind, item.name, item.negotiation, f"{kind}={item.pk}")
    slug = params.get("negotiation", "")
    negotiation = Negotiation.objects.filter(slug=slug).first() if slug else None
    if negotiation is not None:
        return Mention("negotiation", negotiation.name, negotiation, f"negotiation={slug}")
    return None


def recent_articles() -> list[Article]:
    return list(
        Article.objects.annotate(
            open_count=Count("proposals", filter=Q(proposals__state=Proposal.State.OPEN)),
            proposal_count=Count("proposals"),
        ).order_by("-created_at", "-id")[:RECENT_ARTICLES]
    )


def _grouped(rows: Iterable[tuple[str, int, str]]) -> list[tuple[str, list[tuple[int, str]]]]:
    """(group, pk, label) rows, ordered by group, as a select's option groups."""
    groups: dict[str, list[tuple[int, str]]] = {}
    for group, pk, label in rows:
        groups.setdefault(group, []).append((pk, label))
    return list(groups.items())


def _choices(negotiation_ids: set[int | None]) -> dict[int | None, dict[str, list[Any]]]:
    """Each negotiation's milestones and tracks as select choices, read once per page; a
    proposal matched to no negotiation may pick from all of them."""
    milestones = Milestone.objects.select_related("track__negotiation").order_by(
        "track__negotiation__name", "track__name", "title"
    )
    tracks = Track.objects.select_related("negotiation").order_by("negotiation__name", "name")
    if None not in negotiation_ids:
        known = [n for n in negotiation_ids if n is not None]
        milestones = milestones.filter(track__negotiation_id__in=known)
        tracks = tracks.filter(negotiation_id__in=known)
    milestone_rows = [
        (m.track.negotiation_id, f"{m.track.negotiation.name} — {m.track.name}", m.pk, m.title)
        for m in milestones
    ]
    track_rows = [(t.negotiation_id, t.negotiation.name, t.pk, t.name) for t in tracks]
    choices: dict[int | None, dict[str, list[Any]]] = {}
    for key in negotiation_ids:
        mine = [(g, pk, label) for n, g, pk, label in milestone_rows if key in (None, n)]
        its_tracks = [(g, pk, label) for n, g, pk, label in track_rows if key in (None, n)]
        choices[key] = {
            "milestone": [("", "As proposed"), *_grouped(mine)],
            "track": [("", "Choose a track"), *_grouped(its_tracks)],
        }
    return choices


def article_page(
    article: Article, *, failed: Proposal | None = None, failed_form: AcceptForm | None = None
) -> dict[str, Any]:
    proposals = list(
        Proposal.objects.filter(article=article)
        .select_related("article", "milestone", "target", "negotiation", "decided_by")
        .order_by("start", "id")
    )
    # Shown as they stand: a proposal whose item was edited since is superseded first, so an
    # editor never accepts a change over a later one.
    services.proposals_supersede_changed(proposals=proposals)
    choices = _choices({p.negotiation_id for p in proposals if p.state == Proposal.State.OPEN})
    cards = []
    for p in proposals:
        editing = failed is not None and failed.pk == p.pk and failed_form is not None
        form = (
            failed_form
            if editing and failed_form is not None
            else AcceptForm(prefix=f"p{p.pk}", initial={VERSION: _item_version(p)})
        )
        for name, offered in choices.get(p.negotiation_id, {}).items():
            field = form.fields[name]
            if isinstance(field, forms.ChoiceField):
                field.choices = offered
        cards.append(
            ProposalCard(
                proposal=p,
                kind=KIND_WORDS.get(p.kind, p.kind),
                about=about_text(p),
                proposed=proposed_text(p),
                confidence=f"{round(p.confidence * 100)}%",
                state=state_text(p),
                accept_form=form,
                reject_form=RejectForm(prefix=f"p{p.pk}"),
                editing=editing,
            )
        )
    spans = [Span(p.pk, p.start, p.end, p.state == Proposal.State.OPEN) for p in proposals]
    return {
        "article": article,
        "segments": quote_segments(article.text, spans),
        "cards": cards,
        "open_count": sum(1 for p in proposals if p.state == Proposal.State.OPEN),
    }


def _item_version(proposal: Proposal) -> int | None:
    item = proposal.milestone or proposal.target
    return item.version if item is not None else None


# --- views --------------------------------------------------------------------------------


@editors_only
def desk(request: HttpRequest) -> HttpResponse:
    mention = mention_of(request.GET)
    if request.method == "POST":
        form = ArticleForm(request.POST, request.FILES)
        if form.is_valid():
            article = _post_article(request, form)
            if article is not None:
                count = article.proposals.count()
                messages.success(
                    request,
                    f"“{article.title}” is read: {count} proposal{'s' if count != 1 else ''}.",
                )
                return HttpResponseRedirect(reverse("desk_article", args=[article.pk]))
        status = 400
    else:
        initial = {"negotiation": mention.negotiation} if mention and mention.negotiation else {}
        form, status = ArticleForm(initial=initial), 200
    context = {"form": form, "mention": mention, "articles": recent_articles()}
    return render(request, "tracker/desk.html", context, status=status)


def _post_article(request: HttpRequest, form: ArticleForm) -> Article | None:
    data = form.cleaned_data
    try:
        return services.article_create(
            title=data["title"],
            text=data["article_text"],
            publisher=data["publisher"],
            published_on=data["published_on"],
            published_by=data["published_by"],
            url=data["url"],
            language=data["language"] or "en",
            negotiation=data["negotiation"],
            by=request.user,
        )
    except ValidationError as error:
        _errors_onto(form, error, renamed={"text": "file"} if form.uploaded else {})
        return None


def _errors_onto(form: Any, error: ValidationError, renamed: dict[str, str]) -> None:
    """A service's refusal on the form: each message by the field it names when the form
    has that field, else above the form."""
    if not hasattr(error, "error_dict"):
        form.add_error(None, error)
        return
    for field, errors in error.error_dict.items():
        name = renamed.get(field, field)
        form.add_error(name if name in form.fields else None, errors)


@editors_only
def article(request: HttpRequest, pk: int) -> HttpResponse:
    found = get_object_or_404(Article, pk=pk)
    return render(request, "tracker/desk_article.html", article_page(found))


def _next_open(proposal: Proposal) -> str:
    """The page anchor to return to: the next open proposal in the text, else this one."""
    after = (
        Proposal.objects.filter(article_id=proposal.article_id, state=Proposal.State.OPEN)
        .filter(Q(start__gt=proposal.start) | Q(start=proposal.start, pk__gt=proposal.pk))
        .order_by("start", "id")
        .values_list("pk", flat=True)
        .first()
    )
    return f"#proposal-{after or proposal.pk}"


def _back(proposal: Proposal, *, here: bool = False) -> HttpResponseRedirect:
    anchor = f"#proposal-{proposal.pk}" if here else _next_open(proposal)
    url = reverse("desk_article", args=[proposal.article_id]) + anchor
    return HttpResponseRedirect(url)


@require_POST
@editors_only
def accept(request: HttpRequest, pk: int) -> HttpResponse:
    proposal = get_object_or_404(Proposal.objects.select_related("article"), pk=pk)
    form = AcceptForm(request.POST, prefix=f"p{proposal.pk}")
    if form.is_valid():
        try:
            services.proposal_accept(
                proposal=proposal,
                by=request.user,
                edits=form.edits(),
                version=form.cleaned_data.get(VERSION),
            )
        except services.StaleVersion as stale:
            refuse_stale(form, stale)
        except services.ProposalDecided as decided:
            messages.error(request, ALREADY_DECIDED.format(why=decided))
            return _back(proposal, here=True)
        except ValidationError as error:
            _errors_onto(form, error, renamed={})
        else:
            messages.success(request, f"Accepted: {about_text(proposal)}.")
            return _back(proposal)
    context = article_page(proposal.article, failed=proposal, failed_form=form)
    return render(request, "tracker/desk_article.html", context, status=400)


@require_POST
@editors_only
def reject(request: HttpRequest, pk: int) -> HttpResponse:
    proposal = get_object_or_404(Proposal.objects.select_related("article"), pk=pk)
    form = RejectForm(request.POST, prefix=f"p{proposal.pk}")
    if not form.is_valid():
        messages.error(request, " ".join(str(e) for e in form.errors.get("reason", [])))
        return _back(proposal, here=True)
    try:
        services.proposal_reject(
            proposal=proposal, by=request.user, reason=form.cleaned_data["reason"]
        )
    except services.ProposalDecided as decided:
        messages.error(request, ALREADY_DECIDED.format(why=decided))
        return _back(proposal, here=True)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return _back(proposal, here=True)
    else:
        messages.success(request, f"Rejected: {about_text(proposal)}.")
    return _back(proposal)
