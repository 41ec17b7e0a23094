"""Negotiations, tracks, targets, observations, sources and parties: create, edit, delete.

Each function gives the row a slug from its name or title when it has none
(services.slugs), checks the row (its fields, uniqueness and the rules below), saves it,
replaces the relations it was given, and marks the negotiations whose statuses may
change; they are refreshed once, after the transaction commits (services.followups).
`record_save` and `record_delete` pick the function for a row of any of these kinds,
milestones included: the admin and the API use them for their generic create, edit and
delete. `record_update` edits a row with only the changes given, on the row as read under
its lock; given the version the editor read, it refuses to write over a later one.

`read`, where a function takes it, is what the row's columns held when it was read under
the lock (services.writing.columns): only the columns that differ from it are written.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Max
from django.utils import timezone

from tracker import audit
from tracker.lifecycle import TEMPLATES, Template
from tracker.models import (
    Article,
    Discrepancy,
    Milestone,
    Negotiation,
    Observation,
    Party,
    Series,
    Source,
    Target,
    Track,
)
from tracker.services.archive import negotiation_archive, track_archive
from tracker.services.followups import after_commit
from tracker.services.milestones import milestone_save
from tracker.services.slugs import derive_slug
from tracker.services.writing import check, columns, locked, store, writing
from tracker.webhooks import events

TRACK_IN_OTHER_NEGOTIATION = "The track belongs to another negotiation."
TEMPLATE_ON_EDIT = "A template starts a new negotiation; it cannot be given when editing one."
TRACK_PARTY_NOT_IN_NEGOTIATION = "Choose one of the negotiation's parties."
DEADLINE_NOT_AFTER_BASELINE = "The deadline must end after the baseline date."
TARGET_WITHOUT_DEADLINE = "A target needs a deadline, e.g. “by 2030”."
FIGURE_NOT_POSITIVE = "The {name} must be greater than zero."
OBSERVATION_NEGATIVE = "An observed value cannot be negative."
PERIOD_OUT_OF_ORDER = "The period must end on or after the day it starts."
SERIES_NEEDED = (
    "Name the series this figure belongs to: its target has no primary series yet "
    "(GET /api/v1/series/ lists them; POST there adds one)."
)
TOO_FEW_DIFFERING = "Name at least two sources that differ."
SPAN_OUTSIDE_TEXT = "The quote must lie within the article's text ({length} characters)."


def _previous(model: type[models.Model], pk: Any, field: str) -> Any:
    if pk is None:
        return None
    return model._default_manager.filter(pk=pk).values_list(field, flat=True).first()


def negotiation_save(
    *,
    negotiation: Negotiation,
    by: Any = None,
    parties: Sequence[Party] | None = None,
    sources: Sequence[Source] | None = None,
    template: str = "",
    read: Mapping[str, Any] | None = None,
) -> Negotiation:
    """Create or edit `negotiation`; a new one given a `template` (tracker.lifecycle)
    starts with that template's track of undated milestones."""
    if template and negotiation.pk is not None:
        raise ValidationError({"template": TEMPLATE_ON_EDIT})
    with writing(by):
        derive_slug(negotiation)
        check(negotiation)
        store(negotiation, read=read)
        if parties is not None:
            _link_parties(negotiation, parties)
        if sources is not None:
            negotiation.sources.set(sources)
        if template:
            negotiation_start_lifecycle(negotiation=negotiation, template=template, by=by)
        after_commit(negotiation_ids=[negotiation.pk])
    return negotiation


def lifecycle_template(name: str) -> Template:
    try:
        return TEMPLATES[name]
    except KeyError:
        known = ", ".join(sorted(TEMPLATES))
        raise ValidationError({"template": f"No template {name!r}; choose {known}."}) from None


def negotiation_start_lifecycle(
    *, negotiation: Negotiation, template: str, by: Any = None
) -> Track:
    """Add the template's track to `negotiation`, its milestones undated and chained."""
    chosen = lifecycle_template(template)
    with writing(by):
        if negotiation.tracks.filter(slug=chosen.track_slug).exists():
            raise ValidationError(
                {"template": f"{negotiation} already has a track “{chosen.track_slug}”."}
            )
        last = negotiation.tracks.aggregate(last=Max("position"))["last"]
        track = track_save(
            track=Track(
                negotiation=negotiation,
                slug=chosen.track_slug,
                name=chosen.track_name,
                position=0 if last is None else last + 1,
            ),
            by=by,
        )
        previous: Milestone | None = None
        for step in chosen.steps:
            previous = milestone_save(
                milestone=Milestone(track=track, slug=step.slug, title=step.title, kind=step.kind),
                by=by,
                depends_on=[previous] if previous is not None else [],
            )
    return track


def _link_parties(negotiation: Negotiation, parties: Sequence[Party]) -> None:
    """Link the parties in the order given: the first one leads (its fiscal year is the
    negotiation's, tracker.services.deadlines). `set()` would keep no order."""
    wanted = list(dict.fromkeys(party.pk for party in parties))
    links = Negotiation.parties.through.objects.filter(negotiation_id=negotiation.pk)
    if list(links.order_by("pk").values_list("party_id", flat=True)) == wanted:
        return
    with audit.relinked(negotiation, "parties"):
        negotiation.parties.clear()
        for party_id in wanted:
            negotiation.parties.add(party_id)


def track_save(
    *,
    track: Track,
    by: Any = None,
    sources: Sequence[Source] | None = None,
    read: Mapping[str, Any] | None = None,
) -> Track:
    with writing(by):
        moved_from = _previous(Track, track.pk, "negotiation_id")
        if (
            track.party_id is not None
            and not Negotiation.parties.through.objects.filter(
                negotiation_id=track.negotiation_id, party_id=track.party_id
            ).exists()
        ):
            raise ValidationError({"party": TRACK_PARTY_NOT_IN_NEGOTIATION})
        derive_slug(track)
        check(track)
        store(track, read=read)
        if sources is not None:
            track.sources.set(sources)
        after_commit(
            negotiation_ids=[track.negotiation_id, moved_from],
            milestone_ids=track.milestones.values_list("pk", flat=True),
        )
    return track


def validate_target(target: Target) -> None:
    """The rules of a target beyond its fields: figures, deadline and track."""
    errors: dict[str, str] = {}
    for name in ("baseline_value", "target_value"):
        value = getattr(target, name)
        if value is not None and value <= 0:
            errors[name] = FIGURE_NOT_POSITIVE.format(name=name.replace("_", " "))
    if target.deadline_latest is None:
        errors["deadline"] = TARGET_WITHOUT_DEADLINE
    elif target.baseline_date is not None and target.deadline_latest <= target.baseline_date:
        errors["deadline"] = DEADLINE_NOT_AFTER_BASELINE
    start, end = target.baseline_period_start, target.baseline_period_end
    if start is not None and end is not None and end < start:
        errors["baseline_period_end"] = PERIOD_OUT_OF_ORDER
    if (
        target.track_id is not None
        and target.negotiation_id is not None
        and not Track.objects.filter(
            pk=target.track_id, negotiation_id=target.negotiation_id
        ).exists()
    ):
        errors["track"] = TRACK_IN_OTHER_NEGOTIATION
    if errors:
        raise ValidationError(errors)


def target_save(
    *,
    target: Target,
    by: Any = None,
    sources: Sequence[Source] | None = None,
    read: Mapping[str, Any] | None = None,
) -> Target:
    with writing(by):
        moved_from = _previous(Target, target.pk, "negotiation_id")
        validate_target(target)
        derive_slug(target)
        check(target)
        store(target, read=read)
        if sources is not None:
            target.sources.set(sources)
        after_commit(negotiation_ids=[target.negotiation_id, moved_from])
    return target


def observation_save(
    *, observation: Observation, by: Any = None, read: Mapping[str, Any] | None = None
) -> Observation:
    """Save a figure; the first series a target is given becomes its primary series, and a
    figure given without a series belongs to its target's primary series (a target without
    one refuses it, asking for `series`)."""
    with writing(by):
        if observation.value is not None and observation.value < 0:
            raise ValidationError({"value": OBSERVATION_NEGATIVE})
        if observation.series_id is None and observation.target_id is not None:
            primary = (
                Target.objects.filter(pk=observation.target_id)
                .values_list("primary_series_id", flat=True)
                .first()
            )
            if primary is None:
                raise ValidationError({"series": SERIES_NEEDED})
            observation.series_id = primary
        start, end = observation.period_start, observation.period_end
        if start is not None and end is not None and end < start:
            raise ValidationError({"period_end": PERIOD_OUT_OF_ORDER})
        previous_target = _previous(Observation, observation.pk, "target_id")
        facts = ("target_id", "series_id", "period_start", "period_end", "value")
        before = (
            Observation.objects.filter(pk=observation.pk).values_list(*facts).first()
            if observation.pk is not None
            else None
        )
        if before != tuple(getattr(observation, name) for name in facts):
            # A new or changed figure is news when it is entered, whatever period it covers.
            observation.recorded_at = timezone.now()
        check(observation)
        store(observation, read=read)
        # Asked of the stored target, not the caller's copy, which may predate the figure
        # that gave the target its primary series.
        if Target.objects.filter(pk=observation.target_id, primary_series=None).exists():
            record_update(
                model=Target,
                pk=observation.target_id,
                changes={"primary_series_id": observation.series_id},
                by=by,
            )
            observation.target.primary_series_id = observation.series_id
        if before is None:
            events.observation_created(observation)
        after_commit(
            negotiation_ids=Target.objects.filter(
                pk__in=[observation.target_id, previous_target]
            ).values_list("negotiation_id", flat=True)
        )
    return observation


def series_save(*, series: Series, by: Any = None, read: Mapping[str, Any] | None = None) -> Series:
    with writing(by):
        check(series)
        store(series, read=read)
    return series


def source_save(*, source: Source, by: Any = None, read: Mapping[str, Any] | None = None) -> Source:
    """Save a quote; one of an article takes the article's title, publisher, URL and
    dates, and, when its span is known, its words from the article's text."""
    with writing(by):
        _as_quoted(source)
        derive_slug(source)
        check(source)
        store(source, read=read)
        # Its date decides how fresh every row that cites it is.
        after_commit(negotiation_ids=_negotiations_citing(source))
    return source


def article_save(
    *, article: Article, by: Any = None, read: Mapping[str, Any] | None = None
) -> Article:
    """Store an article's description or text as given (the record loader's path; posting one
    for proposals is services.articles.article_create); its quotes follow its title, publisher,
    URL and dates."""
    with writing(by):
        check(article, exclude=["created_by"])
        store(article, read=read)
        for quote in article.quotes.all():
            source_save(source=quote, by=by)
    return article


def _as_quoted(source: Source) -> None:
    article = source.article
    if article is None:
        return
    source.title, source.publisher, source.url = article.title, article.publisher, article.url
    source.published_on, source.published_by = article.published_on, article.published_by
    if source.start is not None and source.end is not None:
        if source.end > len(article.text):
            raise ValidationError({"end": SPAN_OUTSIDE_TEXT.format(length=len(article.text))})
        source.excerpt = article.text[source.start : source.end]


def _negotiations_citing(source: Source) -> set[int]:
    ids: set[int] = set(source.negotiations.values_list("pk", flat=True))
    ids.update(source.tracks.values_list("negotiation_id", flat=True))
    ids.update(source.targets.values_list("negotiation_id", flat=True))
    ids.update(source.observations.values_list("target__negotiation_id", flat=True))
    ids.update(source.milestones.values_list("track__negotiation_id", flat=True))
    ids.update(source.revisions.values_list("milestone__track__negotiation_id", flat=True))
    return ids


def validate_differing(sources: Sequence[Source]) -> None:
    if len({s.pk for s in sources}) < 2:
        raise ValidationError({"sources": TOO_FEW_DIFFERING})


def discrepancy_save(
    *,
    discrepancy: Discrepancy,
    by: Any = None,
    sources: Sequence[Source] | None = None,
    read: Mapping[str, Any] | None = None,
) -> Discrepancy:
    """Record where a milestone's sources disagree; it takes two sources to differ."""
    with writing(by):
        if sources is not None or discrepancy.pk is None:
            validate_differing(sources or ())
        check(discrepancy)
        store(discrepancy, read=read)
        if sources is not None:
            discrepancy.sources.set(sources)
    return discrepancy


def party_save(*, party: Party, by: Any = None, read: Mapping[str, Any] | None = None) -> Party:
    with writing(by):
        check(party)
        store(party, read=read)
    return party


def record_save(
    *,
    record: models.Model,
    by: Any = None,
    read: Mapping[str, Any] | None = None,
    **relations: Any,
) -> models.Model:
    """Create or edit a row of the record through the service for its kind."""
    match record:
        case Milestone():
            return milestone_save(milestone=record, by=by, read=read, **relations)
        case Negotiation():
            return negotiation_save(negotiation=record, by=by, read=read, **relations)
        case Track():
            return track_save(track=record, by=by, read=read, **relations)
        case Target():
            return target_save(target=record, by=by, read=read, **relations)
        case Observation():
            return observation_save(observation=record, by=by, read=read)
        case Series():
            return series_save(series=record, by=by, read=read)
        case Source():
            return source_save(source=record, by=by, read=read)
        case Article():
            return article_save(article=record, by=by, read=read)
        case Party():
            return party_save(party=record, by=by, read=read)
        case Discrepancy():
            return discrepancy_save(discrepancy=record, by=by, read=read, **relations)
    raise TypeError(f"No write service for {type(record).__name__}")


def record_update(
    *,
    model: type[models.Model],
    pk: Any,
    changes: Mapping[str, Any],
    version: int | None = None,
    by: Any = None,
    **relations: Any,
) -> models.Model:
    """Edit one row: `changes` ({field: value}, fields or properties such as `deadline`)
    are applied to the row as read under its lock in this transaction, the rules of its
    kind are checked, and only the columns that changed are written. Two editors changing
    different fields at once therefore both keep their change.

    `version`, when given, is the version the editor read: a row at another one is not
    written (services.writing.StaleVersion says what changed since). `relations` go to
    the kind's service as they are (`sources`, `depends_on`, `reason`, …).
    """
    with writing(by):
        record = locked(model, pk, version=version)
        read = columns(record)
        for name, value in changes.items():
            setattr(record, name, value)
        return record_save(record=record, by=by, read=read, **relations)


def _negotiations_of(records: Sequence[models.Model]) -> set[int]:
    """The negotiations whose statuses depend on these rows (before they go)."""
    ids: set[int] = set()
    for kind, path in (
        (Track, "negotiation_id"),
        (Target, "negotiation_id"),
        (Milestone, "track__negotiation_id"),
        (Observation, "target__negotiation_id"),
    ):
        pks = [r.pk for r in records if isinstance(r, kind)]
        if pks:
            ids.update(kind._default_manager.filter(pk__in=pks).values_list(path, flat=True))
    milestones = [r.pk for r in records if isinstance(r, Milestone)]
    if milestones:
        # Milestones elsewhere that depended on these lose a dependency.
        ids.update(
            Milestone.objects.filter(depends_on__in=milestones).values_list(
                "track__negotiation_id", flat=True
            )
        )
    return ids


def records_delete(*, records: Iterable[models.Model], by: Any = None) -> int:
    """Delete rows (and what cascades from them); one refresh for what remains. Tracks and
    negotiations are archived instead (services.archive); `records_purge` deletes them."""
    records = list(records)
    with writing(by):
        touched = _negotiations_of(records)
        for record in records:
            if isinstance(record, Track):
                track_archive(track=record, by=by)
            elif isinstance(record, Negotiation):
                negotiation_archive(negotiation=record, by=by)
            else:
                record.delete()
        # A deleted negotiation is simply not found by the refresh.
        after_commit(negotiation_ids=touched)
    return len(records)


def records_purge(*, records: Iterable[Negotiation | Track], by: Any = None) -> int:
    """Delete tracks or negotiations for good, with everything that cascades from them
    (milestones, deadline history); the audit log keeps its entries."""
    records = list(records)
    with writing(by):
        touched = _negotiations_of(records)
        for record in records:
            record.delete()
        # A deleted negotiation is simply not found by the refresh.
        after_commit(negotiation_ids=touched)
    return len(records)


def record_delete(*, record: models.Model, by: Any = None, version: int | None = None) -> None:
    """Delete (or archive) one row; given the `version` the editor read, a row written
    since is kept (services.writing.StaleVersion)."""
    with writing(by):
        if version is not None:
            locked(type(record), record.pk, version=version)
        records_delete(records=[record], by=by)
