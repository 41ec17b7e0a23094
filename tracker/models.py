"""The trade-negotiation domain: who promised what, by when, and who said so."""

from __future__ import annotations

import calendar
import datetime as dt
import zoneinfo
from collections.abc import Iterable
from decimal import Decimal
from typing import Any, ClassVar, cast

from auditlog.models import AbstractLogEntry
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator
from django.db import models
from django.db.models import Q
from django.db.models.functions import Coalesce
from django.utils import timezone as django_timezone
from django.utils.translation import gettext_lazy as _

from tracker import audit
from tracker.audit import Interface
from tracker.deadlines import (
    MAX_YEAR,
    MIN_YEAR,
    Deadline,
    DeadlineError,
    Precision,
    describe,
    in_words,
)
from tracker.figures import (
    amount,
    by_deadline,
    days_until,
    period_text,
    revision_slip,
    slip_days,
    target_figures,
)
from tracker.freshness import source_date_text
from tracker.reminders.recurrence import DigestRuleError, parse_digest_rule
from tracker.single_line import has_control_characters
from tracker.status import (
    Growth,
    Health,
    MilestoneState,
    MilestoneStatus,
    SourceDate,
    TargetFacts,
    TargetStatus,
    date_in_words,
)
from tracker.status import Observation as ObservationFact
from tracker.status_words import said

# Figures beyond this are typos, and SQLite could not read them back as decimals.
MAX_FIGURE = Decimal(10**12)


def sensible_date(value: dt.date) -> None:
    """Dates outside these years are typos, and would overflow date arithmetic later."""
    if not MIN_YEAR <= value.year <= MAX_YEAR:
        raise ValidationError(f"Give a date between the years {MIN_YEAR} and {MAX_YEAR}.")


def plain_number(value: Decimal) -> str:
    """190.0000 -> "190", 212.5000 -> "212.5": how people write figures."""
    return f"{Decimal(value).normalize():f}"


def aliases_validator(value: Any) -> None:
    """Aliases are a list of names, each on one line: what articles call the item."""
    if not isinstance(value, list) or not all(isinstance(name, str) for name in value):
        raise ValidationError('Give a list of names, e.g. ["first tranche", "interim deal"].')
    for name in value:
        if not name.strip() or len(name) > 200 or has_control_characters(name):
            raise ValidationError(
                "Each alias is a name of up to 200 characters on one line: %(name)s",
                params={"name": repr(name[:40])},
            )


def _choices(enum: Any) -> list[tuple[str, Any]]:
    # The labels are lazy translations (tracker.status_words): said in the reader's language.
    return [(member.value, said(member.value)) for member in enum]


class NamesUniqueClashes:
    """Uniqueness errors that say what to change.

    Django's default reads "The fields track, slug must make a unique set."; editors and API
    clients get "Another milestone in this track already uses the slug “x”. Choose a
    different slug." The last field of the check is the one to change; any before it are its
    scope.
    """

    _meta: Any

    def unique_error_message(
        self, model_class: type[models.Model], unique_check: Iterable[str]
    ) -> ValidationError:
        *scope, name = unique_check
        field = self._meta.get_field(name)
        value = getattr(self, field.attname)
        shown = f"{value:%-d %B %Y}" if isinstance(value, dt.date) else str(value)
        where = "".join(f" in this {self._meta.get_field(s).verbose_name}" for s in scope)
        return ValidationError(
            "Another %(model)s%(where)s already uses the %(field)s “%(value)s”. "
            "Choose a different %(field)s.",
            code="unique",
            params={
                "model": self._meta.verbose_name,
                "where": where,
                "field": field.verbose_name,
                "value": shown,
            },
        )


class Versioned(models.Model):
    """A row editors write: `version` moves on every write (tracker.services.writing.store).

    A writer who read version n may say so (the API's If-Match, the forms' hidden field);
    the write is then refused if another one came between (docs/design.md "Concurrent
    writes"). The audit log keeps the version each change made (`additional_data`), so
    "what changed since version n" is a question it can answer.
    """

    version = models.PositiveIntegerField(default=1, editable=False)

    class Meta:
        abstract = True

    def get_additional_data(self) -> dict[str, Any]:
        # Read by django-auditlog for every Change it writes about this row.
        return {"version": self.version}


MONTHS = [(month, calendar.month_name[month]) for month in range(1, 13)]


class Party(NamesUniqueClashes, Versioned, models.Model):
    code = models.CharField(max_length=10, unique=True, help_text="IN, US, EU, …")
    name = models.CharField(max_length=200)
    fiscal_year_start = models.PositiveSmallIntegerField(
        null=True,
        blank=True,
        choices=MONTHS,
        help_text="The month its fiscal year starts (India April, the United States October); "
        "“FY2027” in its negotiations' deadlines is read with it.",
    )

    class Meta:
        ordering = ["code"]
        verbose_name_plural = "parties"
        constraints = [
            models.CheckConstraint(condition=~Q(code=""), name="party_code_not_empty"),
            models.CheckConstraint(
                condition=Q(fiscal_year_start__isnull=True)
                | Q(fiscal_year_start__gte=1, fiscal_year_start__lte=12),
                name="party_fiscal_year_start_is_a_month",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.code})"


class Article(models.Model):
    """A published text kept whole: quotes (Source rows) are spans of its `text`.

    Articles posted to the editors' desk are read for proposals (tracker.reading); the
    texts behind the record's older quotes were migrated from docs/sources/.
    """

    title = models.CharField(max_length=300)
    publisher = models.CharField(max_length=200, blank=True)
    published_on = models.DateField(null=True, blank=True, validators=[sensible_date])
    published_by = models.DateField(
        null=True,
        blank=True,
        validators=[sensible_date],
        help_text="For an undated text: the date it was published on or before, as its own "
        "words imply (shown as inferred).",
    )
    url = models.URLField(max_length=500, blank=True)
    language = models.CharField(max_length=16, default="en")
    # Empty only for articles known from a version-1 record file, which carried no texts.
    text = models.TextField(blank=True)
    # Quotes are spans of `text` and stay in the article's own language; this is only
    # for readers of the other languages.
    translation = models.TextField(
        blank=True,
        help_text="Optional: the text translated, for readers; quotes stay in the original.",
    )
    created_at = models.DateTimeField(default=django_timezone.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="articles",
    )

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.publisher or self.title}, {self.date_text}"

    @property
    def date(self) -> SourceDate | None:
        return source_date(self.published_on, self.published_by)

    @property
    def date_text(self) -> str:
        return source_date_text(self.date)

    @property
    def anchor(self) -> dt.date | None:
        """The day its relative wording ("within 90 days") counts from."""
        return self.published_on or self.published_by


class Source(NamesUniqueClashes, Versioned, models.Model):
    """A quote: a span of an article, the evidence behind a date or figure.

    The article's title, publisher, URL and dates are kept on each quote too (the write
    service copies them), so v1 clients of /api/v1/sources/ and the freshness refresh read
    them as before; `excerpt` is `article.text[start:end]` when the span is known.
    """

    slug = models.SlugField(max_length=120, unique=True)
    article = models.ForeignKey(
        Article, null=True, blank=True, on_delete=models.PROTECT, related_name="quotes"
    )
    start = models.PositiveIntegerField(
        null=True, blank=True, help_text="Where the quote starts in the article's text."
    )
    end = models.PositiveIntegerField(
        null=True, blank=True, help_text="Where the quote ends in the article's text."
    )
    title = models.CharField(max_length=300)
    publisher = models.CharField(max_length=200, blank=True)
    url = models.URLField(max_length=500, blank=True)
    published_on = models.DateField(null=True, blank=True)
    published_by = models.DateField(
        null=True,
        blank=True,
        help_text="For an undated text: the date it was published on or before, as its own "
        "words imply (shown as inferred).",
    )
    excerpt = models.TextField(help_text="The quoted words.")

    class Meta:
        ordering = ["title", "slug"]
        constraints = [
            models.CheckConstraint(
                condition=Q(start__isnull=True, end__isnull=True)
                | Q(start__isnull=False, end__isnull=False, start__lte=models.F("end")),
                name="source_span_complete_and_in_order",
            ),
            models.CheckConstraint(
                condition=Q(start__isnull=True) | Q(article__isnull=False),
                name="source_span_needs_article",
            ),
        ]

    def __str__(self) -> str:
        return self.label

    @property
    def label(self) -> str:
        """How an editor tells quotes apart in a picker: who, when, then the words.

        A record holds many quotes from one article, so the title alone repeats.
        """
        words = " ".join(self.excerpt.split())
        if len(words) > 70:
            words = words[:69].rstrip() + "…"
        who = self.publisher or (self.title if len(self.title) <= 40 else self.title[:39] + "…")
        return f"{who}, {self.date_text}: “{words}”"

    @property
    def date(self) -> SourceDate | None:
        """When it was published, as far as anyone can tell; None when undated."""
        return source_date(self.published_on, self.published_by)

    @property
    def date_text(self) -> str:
        """ "26 May 2025", "on or before 26 May 2025 (inferred)" or "undated": never a date
        the text does not give or imply."""
        return source_date_text(self.date)


def source_date(published_on: dt.date | None, published_by: dt.date | None) -> SourceDate | None:
    if published_on is not None:
        return SourceDate(published_on)
    if published_by is not None:
        return SourceDate(published_by, inferred=True)
    return None


# Written by tracker.refresh on every row that has sources behind it.
FRESHNESS_FIELDS = frozenset({"last_confirmed_on", "last_confirmed_inferred", "stale"})


class Confirmed(models.Model):
    """How recently a source vouched for a row's current facts (docs/design.md "Freshness")."""

    last_confirmed_on = models.DateField(
        null=True,
        blank=True,
        editable=False,
        help_text="The newest source date behind the current facts; empty when none is dated.",
    )
    last_confirmed_inferred = models.BooleanField(
        default=False,
        editable=False,
        help_text="That date is an “on or before” date inferred from an undated text.",
    )
    stale = models.BooleanField(
        default=False,
        editable=False,
        help_text="Open, and no dated source within TRACKER_STALE_AFTER_DAYS.",
    )

    class Meta:
        abstract = True

    @property
    def last_confirmed(self) -> SourceDate | None:
        if self.last_confirmed_on is None:
            return None
        return SourceDate(self.last_confirmed_on, inferred=self.last_confirmed_inferred)


class KeepsDerivedFields(models.Model):
    """A row with status fields that only tracker.refresh writes.

    save() on an instance loaded before the last refresh would otherwise write its
    stale status back over the fresh one, so ordinary saves leave those columns alone.
    """

    DERIVED_FIELDS: ClassVar[frozenset[str]] = frozenset()

    class Meta:
        abstract = True

    def save(self, *args: Any, **kwargs: Any) -> None:
        if (
            not self._state.adding
            and kwargs.get("update_fields") is None
            and not kwargs.get("force_insert")
        ):
            kwargs["update_fields"] = [
                f.name
                for f in self._meta.concrete_fields
                if not f.primary_key and f.name not in self.DERIVED_FIELDS
            ]
        super().save(*args, **kwargs)


def model_property(prop: Any, row: Any) -> Any:
    """A model's property computed for a plain row with the same attributes (a tuple or
    dataclass of columns read by values()), so lists word things as the models do."""
    return prop.fget(row)


class MilestoneWords:
    """A milestone's wording for a plain row of its columns (a dashboard row, a calendar
    row): the model's own properties, read through model_property, so a list says what the
    milestone's page says. Mixed into classes whose attributes are the columns."""

    __slots__ = ()

    @property
    def deadline(self) -> Deadline | None:
        return cast(Deadline | None, model_property(Scheduled.deadline, self))

    @property
    def deadline_in_words(self) -> str:
        return str(model_property(Scheduled.deadline_in_words, self))

    @property
    def deadline_words(self) -> str:
        return str(model_property(Scheduled.deadline_words, self))

    @property
    def last_confirmed(self) -> SourceDate | None:
        return cast(SourceDate | None, model_property(Confirmed.last_confirmed, self))

    @property
    def completed_text(self) -> str:
        return str(model_property(Milestone.completed_text, self))


def window_words(
    earliest: dt.date | None, latest: dt.date | None, precision: str, text: str
) -> str:
    """A window as people say it ("autumn 2025"); empty for a single day or none."""
    if earliest is None or latest is None or earliest == latest:
        return ""
    try:
        return describe(earliest, latest, Precision(precision))
    except (DeadlineError, ValueError):
        return text


class Scheduled(models.Model):
    """An approximate deadline stored as its four parts; all empty means unscheduled."""

    deadline_text = models.CharField(max_length=200, blank=True)
    deadline_earliest = models.DateField(null=True, blank=True, validators=[sensible_date])
    deadline_latest = models.DateField(null=True, blank=True, validators=[sensible_date])
    deadline_precision = models.CharField(max_length=12, blank=True, choices=_choices(Precision))
    # The day a relative deadline ("within 90 days") was said: its window counts from here.
    deadline_said_on = models.DateField(null=True, blank=True)

    class Meta:
        abstract = True
        constraints = [
            models.CheckConstraint(
                condition=(
                    Q(
                        deadline_earliest__isnull=True,
                        deadline_latest__isnull=True,
                        deadline_precision="",
                    )
                    | Q(deadline_earliest__isnull=False, deadline_latest__isnull=False)
                    & ~Q(deadline_precision="")
                ),
                name="%(class)s_deadline_complete_or_empty",
            ),
            models.CheckConstraint(
                condition=Q(deadline_earliest__isnull=True)
                | Q(deadline_earliest__lte=models.F("deadline_latest")),
                name="%(class)s_deadline_earliest_before_latest",
            ),
            models.CheckConstraint(
                condition=Q(deadline_said_on__isnull=True) | Q(deadline_latest__isnull=False),
                name="%(class)s_deadline_said_on_needs_deadline",
            ),
        ]

    @property
    def deadline(self) -> Deadline | None:
        if self.deadline_latest is None or self.deadline_earliest is None:
            return None
        return Deadline(
            text=self.deadline_text,
            earliest=self.deadline_earliest,
            latest=self.deadline_latest,
            precision=Precision(self.deadline_precision),
            said_on=self.deadline_said_on,
        )

    @deadline.setter
    def deadline(self, value: Deadline | None) -> None:
        if value is None:
            self.deadline_text, self.deadline_precision = "", ""
            self.deadline_earliest = self.deadline_latest = self.deadline_said_on = None
        else:
            self.deadline_text = value.text
            self.deadline_earliest = value.earliest
            self.deadline_latest = value.latest
            self.deadline_precision = value.precision.value
            self.deadline_said_on = value.said_on

    @property
    def deadline_in_words(self) -> str:
        """The deadline as shown everywhere: "by 20 Feb 2027 (within 90 days of 22 Nov 2026)"
        for a relative phrase, the words as written otherwise; empty for none."""
        deadline = self.deadline
        return "" if deadline is None else in_words(deadline)

    @property
    def deadline_by(self) -> str:
        """ "by 2030" after a figure, with one "by" however the deadline was typed."""
        return by_deadline(self.deadline_in_words) if self.deadline_in_words else ""

    @property
    def deadline_words(self) -> str:
        """A window as people say it ("autumn 2025"); empty for a single day or none."""
        return window_words(
            self.deadline_earliest,
            self.deadline_latest,
            self.deadline_precision,
            self.deadline_text,
        )


class HealthFields(Confirmed, KeepsDerivedFields):
    DERIVED_FIELDS = frozenset(
        {"health", "health_reason", "progress", "next_deadline", *FRESHNESS_FIELDS}
    )

    health = models.CharField(
        max_length=12, choices=_choices(Health), default=Health.NOT_STARTED.value, db_index=True
    )
    health_reason = models.CharField(max_length=300, blank=True)
    progress = models.FloatField(null=True, blank=True)
    next_deadline = models.DateField(null=True, blank=True)

    class Meta:
        abstract = True


class LiveNegotiations(models.Manager["Negotiation"]):
    """`objects`: what readers see, archived rows left out; `all_objects` has every row."""

    def get_queryset(self) -> models.QuerySet[Negotiation]:
        return super().get_queryset().filter(archived_at__isnull=True)


class LiveTracks(models.Manager["Track"]):
    def get_queryset(self) -> models.QuerySet[Track]:
        return (
            super()
            .get_queryset()
            .filter(archived_at__isnull=True, negotiation__archived_at__isnull=True)
        )


class LiveMilestones(models.Manager["Milestone"]):
    def get_queryset(self) -> models.QuerySet[Milestone]:
        return (
            super()
            .get_queryset()
            .filter(track__archived_at__isnull=True, track__negotiation__archived_at__isnull=True)
        )


class LiveTargets(models.Manager["Target"]):
    def get_queryset(self) -> models.QuerySet[Target]:
        return (
            super()
            .get_queryset()
            .filter(negotiation__archived_at__isnull=True)
            .exclude(track__archived_at__isnull=False)
        )


class Archivable(models.Model):
    """A row that deleting archives: hidden from pages, lists, feeds, search, exports and
    reminders, restorable, its history kept (tracker.services.archive)."""

    archived_at = models.DateTimeField(
        null=True, blank=True, db_index=True, help_text="When it was archived; empty if live."
    )
    archived_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="Who archived it.",
    )

    class Meta:
        abstract = True

    @property
    def is_archived(self) -> bool:
        return self.archived_at is not None


class Negotiation(NamesUniqueClashes, Versioned, Archivable, HealthFields):
    class Stage(models.TextChoices):
        ANNOUNCED = "announced", _("Announced")
        NEGOTIATING = "negotiating", _("Negotiating")
        CONCLUDED = "concluded", _("Concluded")
        SIGNED = "signed", _("Signed")
        IN_FORCE = "in_force", _("in force")
        SUSPENDED = "suspended", _("Suspended")
        ABANDONED = "abandoned", _("Abandoned")

    slug = models.SlugField(max_length=120, unique=True)
    name = models.CharField(max_length=200)
    parties = models.ManyToManyField(Party, related_name="negotiations")
    stage = models.CharField(max_length=12, choices=Stage.choices, default=Stage.NEGOTIATING)
    summary = models.TextField(blank=True)
    sources = models.ManyToManyField(Source, blank=True, related_name="negotiations")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    all_objects = models.Manager()
    objects = LiveNegotiations()

    class Meta:
        ordering = ["name"]
        default_manager_name = "all_objects"
        base_manager_name = "all_objects"

    def __str__(self) -> str:
        return self.name


class Track(NamesUniqueClashes, Versioned, Archivable, Scheduled, HealthFields):
    """A workstream inside a negotiation."""

    negotiation = models.ForeignKey(Negotiation, on_delete=models.CASCADE, related_name="tracks")
    slug = models.SlugField(max_length=120)
    name = models.CharField(max_length=200)
    summary = models.TextField(blank=True)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="owned_tracks",
    )
    party = models.ForeignKey(
        Party,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="tracks",
        help_text="The party whose fiscal year “FY2026-27” means in this track's deadlines; "
        "empty: the negotiation's parties' when they agree.",
    )
    position = models.PositiveIntegerField(default=0)
    ongoing = models.BooleanField(
        default=False,
        help_text="A framework with no end: once its milestones so far are done it is "
        "active, never achieved.",
    )
    sources = models.ManyToManyField(Source, blank=True, related_name="tracks")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    all_objects = models.Manager()
    objects = LiveTracks()

    class Meta(Scheduled.Meta):
        ordering = ["negotiation", "position", "name"]
        default_manager_name = "all_objects"
        base_manager_name = "all_objects"
        constraints = [
            *Scheduled.Meta.constraints,
            models.UniqueConstraint(
                fields=["negotiation", "slug"], name="track_slug_unique_in_negotiation"
            ),
        ]

    def __str__(self) -> str:
        return self.name


# Where a milestone without a deadline sorts: after every dated one.
NO_DEADLINE = dt.date(9999, 12, 31)


class Milestone(NamesUniqueClashes, Versioned, Scheduled, Confirmed, KeepsDerivedFields):
    class Kind(models.TextChoices):
        DEADLINE = "deadline"
        MEETING = "meeting"
        DECISION = "decision"
        PUBLICATION = "publication"

    # How exactly a completion date is known: "February 2025" is a month, not the 28th.
    COMPLETED_PRECISIONS = (Precision.DAY, Precision.MONTH, Precision.YEAR)

    DERIVED_FIELDS = frozenset({"status", "completed_late", "status_reason", *FRESHNESS_FIELDS})

    track = models.ForeignKey(Track, on_delete=models.CASCADE, related_name="milestones")
    slug = models.SlugField(max_length=120)
    title = models.CharField(max_length=300)
    kind = models.CharField(max_length=12, choices=Kind.choices, default=Kind.DEADLINE)
    state = models.CharField(
        max_length=12, choices=_choices(MilestoneState), default=MilestoneState.PLANNED.value
    )
    completed_on = models.DateField(null=True, blank=True, validators=[sensible_date])
    completed_precision = models.CharField(
        max_length=10,
        blank=True,
        choices=[(p.value, p.value) for p in COMPLETED_PRECISIONS],
        help_text="Empty or day: completed_on is the day. Month or year: only that month or "
        "year is known, and completed_on is its last day.",
    )
    fiscal_year_start = models.PositiveSmallIntegerField(
        null=True,
        blank=True,
        choices=MONTHS,
        help_text="The month “FY2026-27” in its deadline starts in; empty: its track's "
        "party's, else the negotiation's parties' when they agree.",
    )
    # What the milestone counts for in progress. Zero: it does not advance the deal (a visit,
    # a framework launch), so progress neither counts it done nor waits for it.
    weight = models.DecimalField(
        max_digits=7,
        decimal_places=2,
        default=1,
        help_text="Its share of progress; 0 for a step that does not advance the deal, "
        "such as a visit or a launch.",
    )
    depends_on = models.ManyToManyField(
        "self", symmetrical=False, blank=True, related_name="dependents"
    )
    consequence = models.TextField(blank=True, help_text="What happens if it is missed.")
    aliases = models.JSONField(
        default=list,
        blank=True,
        validators=[aliases_validator],
        help_text="Other names articles use for it (e.g. “first tranche”), a list of texts.",
    )
    sources = models.ManyToManyField(Source, blank=True, related_name="milestones")
    # Derived by tracker.refresh, stored for fast lists and filters.
    status = models.CharField(
        max_length=12, choices=_choices(MilestoneStatus), default=MilestoneStatus.UNSCHEDULED.value
    )
    completed_late = models.BooleanField(default=False)
    status_reason = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    all_objects = models.Manager()
    objects = LiveMilestones()

    class Meta(Scheduled.Meta):
        default_manager_name = "all_objects"
        base_manager_name = "all_objects"
        ordering = ["deadline_latest", "title"]
        constraints = [
            *Scheduled.Meta.constraints,
            models.UniqueConstraint(
                fields=["track", "slug"], name="milestone_slug_unique_in_track"
            ),
            models.CheckConstraint(
                condition=Q(weight__gte=0), name="milestone_weight_not_negative"
            ),
            models.CheckConstraint(
                condition=Q(fiscal_year_start__isnull=True)
                | Q(fiscal_year_start__gte=1, fiscal_year_start__lte=12),
                name="milestone_fiscal_year_start_is_a_month",
            ),
            models.CheckConstraint(
                condition=Q(state=MilestoneState.COMPLETED.value, completed_on__isnull=False)
                | (~Q(state=MilestoneState.COMPLETED.value) & Q(completed_on__isnull=True)),
                name="milestone_completed_on_exactly_when_completed",
            ),
        ]
        indexes = [
            models.Index(fields=["status", "deadline_latest"], name="milestone_status_due"),
            models.Index(fields=["track", "deadline_latest"], name="milestone_track_due"),
            models.Index(
                fields=["deadline_latest"],
                name="milestone_open_due",
                condition=Q(state__in=["planned", "in_progress"]),
            ),
            # The API's keyset order (tracker.api.pagination): a page is an index range.
            models.Index(
                Coalesce("deadline_latest", models.Value(NO_DEADLINE)),
                models.F("id"),
                name="milestone_due_id",
            ),
            # The periodic refresh's candidates (tracker.refresh.candidates): each way a
            # stored status can stop holding is a range of one of these, never a scan.
            models.Index(fields=["state", "status"], name="milestone_state_status"),
            models.Index(fields=["stale", "state", "last_confirmed_on"], name="milestone_fresh"),
            models.Index(fields=["id"], condition=Q(status_reason=""), name="milestone_unassessed"),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def slip_days(self) -> int:
        """Days the deadline has moved since it was first announced (negative: pulled in)."""
        return slip_days(
            self.deadline_latest, [(r.new_latest, r.previous_latest) for r in self.revisions.all()]
        )

    @property
    def completed_text(self) -> str:
        """When it was completed, no sharper than known: "February 2025", "29 May 2025"."""
        if self.completed_on is None:
            return ""
        return date_in_words(self.completed_on, self.completed_precision or "day")

    def days_remaining(self, today: dt.date | None = None) -> int | None:
        return days_remaining(
            self.deadline_latest, self.state, today or django_timezone.localdate()
        )


def days_remaining(latest: dt.date | None, state: str, today: dt.date) -> int | None:
    """Days from `today` to a milestone's latest date; None when done or unscheduled."""
    if latest is None or state in {"completed", "cancelled"}:
        return None
    return days_until(latest, today)


class Discrepancy(models.Model):
    """Where the sources behind a milestone disagree: the page shows "Sources differ" with
    the quotes, so a reader sees the disagreement instead of the record's reconciliation."""

    milestone = models.ForeignKey(Milestone, on_delete=models.CASCADE, related_name="discrepancies")
    summary = models.CharField(max_length=300, help_text="What the sources disagree about.")
    sources = models.ManyToManyField(Source, related_name="discrepancies")

    class Meta:
        ordering = ["milestone", "id"]
        verbose_name_plural = "discrepancies"

    def __str__(self) -> str:
        return f"{self.milestone}: {self.summary[:60]}"


def revision_words(
    text: str,
    earliest: dt.date | None,
    latest: dt.date | None,
    precision: str,
    said_on: dt.date | None,
) -> str:
    if earliest is None or latest is None or not precision:
        return text
    return in_words(Deadline(text, earliest, latest, Precision(precision), said_on))


class DeadlineRevision(models.Model):
    milestone = models.ForeignKey(Milestone, on_delete=models.CASCADE, related_name="revisions")
    previous_text = models.CharField(max_length=200, blank=True)
    previous_earliest = models.DateField(null=True, blank=True)
    previous_latest = models.DateField(null=True, blank=True)
    previous_precision = models.CharField(max_length=12, blank=True)
    previous_said_on = models.DateField(null=True, blank=True)
    new_text = models.CharField(max_length=200, blank=True)
    new_earliest = models.DateField(null=True, blank=True)
    new_latest = models.DateField(null=True, blank=True)
    new_precision = models.CharField(max_length=12, blank=True)
    new_said_on = models.DateField(null=True, blank=True)
    changed_at = models.DateTimeField(default=django_timezone.now)
    reason = models.CharField(max_length=300, blank=True)
    source = models.ForeignKey(
        Source, null=True, blank=True, on_delete=models.SET_NULL, related_name="revisions"
    )
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )

    class Meta:
        ordering = ["milestone", "changed_at", "id"]
        indexes = [models.Index(fields=["changed_at"], name="revision_changed_at")]

    def __str__(self) -> str:
        return f"{self.milestone}: {self.previous_text or '—'} → {self.new_text or '—'}"

    @property
    def previous_in_words(self) -> str:
        return revision_words(
            self.previous_text,
            self.previous_earliest,
            self.previous_latest,
            self.previous_precision,
            self.previous_said_on,
        )

    @property
    def new_in_words(self) -> str:
        return revision_words(
            self.new_text, self.new_earliest, self.new_latest, self.new_precision, self.new_said_on
        )

    @property
    def slip_days(self) -> int | None:
        return revision_slip(self.previous_latest, self.new_latest)


class Series(models.Model):
    """Who publishes a run of figures and what it counts.

    US and Indian statistics for the same trade differ by tens of billions, and goods differ
    from goods and services, so every observation says which series it belongs to.
    """

    name = models.CharField(
        max_length=200,
        unique=True,
        help_text="Publisher and coverage, e.g. “US Census Bureau — goods and services”.",
    )

    class Meta:
        ordering = ["name"]
        verbose_name_plural = "series"

    def __str__(self) -> str:
        return self.name


class Target(NamesUniqueClashes, Versioned, Scheduled, Confirmed, KeepsDerivedFields):
    """A number to reach by a deadline, e.g. bilateral trade of USD 500 billion by 2030."""

    DERIVED_FIELDS = frozenset(
        {
            "status",
            "status_reason",
            "observed_on",
            "observed_value",
            "expected_value",
            "attainment",
            "required_growth_rate",
            "required_pace",
            *FRESHNESS_FIELDS,
        }
    )

    negotiation = models.ForeignKey(Negotiation, on_delete=models.CASCADE, related_name="targets")
    track = models.ForeignKey(
        Track, null=True, blank=True, on_delete=models.SET_NULL, related_name="targets"
    )
    slug = models.SlugField(max_length=120)
    name = models.CharField(max_length=200)
    unit = models.CharField(max_length=50, help_text="e.g. USD billion")
    aliases = models.JSONField(
        default=list,
        blank=True,
        validators=[aliases_validator],
        help_text="Other names articles use for it (e.g. “first tranche”), a list of texts.",
    )
    baseline_value = models.DecimalField(
        max_digits=20, decimal_places=4, validators=[MaxValueValidator(MAX_FIGURE)]
    )
    baseline_date = models.DateField(validators=[sensible_date])
    target_value = models.DecimalField(
        max_digits=20, decimal_places=4, validators=[MaxValueValidator(MAX_FIGURE)]
    )
    growth = models.CharField(
        max_length=10, choices=_choices(Growth), default=Growth.COMPOUND.value
    )
    # The baseline is usually a flow over a period (a calendar or fiscal year), dated at
    # baseline_date, the day the path starts from.
    baseline_period_start = models.DateField(null=True, blank=True, validators=[sensible_date])
    baseline_period_end = models.DateField(null=True, blank=True, validators=[sensible_date])
    baseline_approximate = models.BooleanField(
        default=False, help_text="The baseline is a rounded or loosely dated figure."
    )
    primary_series = models.ForeignKey(
        Series,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="primary_for",
        help_text="The series the status is judged on; the first series observed unless chosen.",
    )
    sources = models.ManyToManyField(Source, blank=True, related_name="targets")
    status = models.CharField(
        max_length=10, choices=_choices(TargetStatus), default=TargetStatus.NO_DATA.value
    )
    status_reason = models.CharField(max_length=300, blank=True)
    # The figures behind the status, from tracker.status.assess_target via tracker.refresh:
    # the API, the pages, the chart and the digests read these and compute none of them.
    observed_on = models.DateField(
        null=True, blank=True, help_text="Date of the latest observation after the baseline."
    )
    observed_value = models.FloatField(null=True, blank=True)
    expected_value = models.FloatField(
        null=True, blank=True, help_text="Where the value should have been on that date."
    )
    attainment = models.FloatField(null=True, blank=True)
    required_growth_rate = models.FloatField(
        null=True, blank=True, help_text="Yearly growth still needed to reach the target in time."
    )
    required_pace = models.FloatField(
        null=True, blank=True, help_text="Units a year still needed to reach the target in time."
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    all_objects = models.Manager()
    objects = LiveTargets()

    class Meta(Scheduled.Meta):
        default_manager_name = "all_objects"
        base_manager_name = "all_objects"
        ordering = ["negotiation", "name"]
        constraints = [
            *Scheduled.Meta.constraints,
            models.UniqueConstraint(
                fields=["negotiation", "slug"], name="target_slug_unique_in_negotiation"
            ),
            models.CheckConstraint(
                condition=Q(baseline_value__gt=0), name="target_baseline_positive"
            ),
            models.CheckConstraint(condition=Q(target_value__gt=0), name="target_value_positive"),
            models.CheckConstraint(
                condition=Q(deadline_latest__isnull=False), name="target_has_deadline"
            ),
            models.CheckConstraint(
                condition=Q(deadline_latest__gt=models.F("baseline_date")),
                name="target_deadline_after_baseline",
            ),
            models.CheckConstraint(
                condition=Q(baseline_period_start__isnull=True)
                | Q(baseline_period_end__isnull=True)
                | Q(baseline_period_end__gte=models.F("baseline_period_start")),
                name="target_baseline_period_in_order",
            ),
        ]

    def __str__(self) -> str:
        baseline, target = plain_number(self.baseline_value), plain_number(self.target_value)
        return f"{self.name}: {baseline} → {target} {self.unit}"

    @property
    def figures_text(self) -> str:
        """ "From USD 190 billion to USD 500 billion by 2030" (tracker.figures)."""
        return target_figures(
            float(self.baseline_value),
            float(self.target_value),
            self.unit,
            self.deadline_in_words,
        )

    def facts(self, observations: Iterable[tuple[dt.date, Decimal]]) -> TargetFacts:
        """The plain values tracker.status judges, given (date, value) observations."""
        assert self.deadline_latest is not None  # a database constraint
        return TargetFacts(
            name=self.name,
            baseline_value=float(self.baseline_value),
            baseline_date=self.baseline_date,
            target_value=float(self.target_value),
            latest=self.deadline_latest,
            growth=Growth(self.growth),
            observations=tuple(ObservationFact(on, float(value)) for on, value in observations),
        )


class Observation(NamesUniqueClashes, Versioned, models.Model):
    """A published figure: the value a series gives for a period (calendar 2025, FY 2025-26)."""

    target = models.ForeignKey(Target, on_delete=models.CASCADE, related_name="observations")
    series = models.ForeignKey(Series, on_delete=models.PROTECT, related_name="observations")
    period_start = models.DateField(validators=[sensible_date])
    period_end = models.DateField(
        validators=[sensible_date], help_text="The path is compared with the figure on this day."
    )
    value = models.DecimalField(
        max_digits=20, decimal_places=4, validators=[MaxValueValidator(MAX_FIGURE)]
    )
    approximate = models.BooleanField(default=False, help_text="A rounded or estimated figure.")
    source = models.ForeignKey(
        Source, null=True, blank=True, on_delete=models.SET_NULL, related_name="observations"
    )
    note = models.CharField(max_length=300, blank=True)
    # When the figure was entered (or last changed), not the period it describes: digests
    # report late-published statistics when they arrive. Empty for rows older than the field.
    recorded_at = models.DateTimeField(
        null=True, blank=True, default=django_timezone.now, editable=False
    )

    class Meta:
        ordering = ["target", "period_end", "series"]
        constraints = [
            # One figure per series and period: importing the same file again changes nothing.
            models.UniqueConstraint(
                fields=["target", "series", "period_start", "period_end"],
                name="observation_one_per_series_period",
            ),
            models.CheckConstraint(
                condition=Q(period_end__gte=models.F("period_start")),
                name="observation_period_in_order",
            ),
            models.CheckConstraint(
                condition=Q(value__gte=0), name="observation_value_not_negative"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.target.name}, {self.series}, {self.period}: {plain_number(self.value)}"

    @property
    def period(self) -> str:
        return period_text(self.period_start, self.period_end)

    @property
    def value_text(self) -> str:
        """ "about 186", "191.8": the figure as every page says it (tracker.figures)."""
        return amount(float(self.value), "", approximate=self.approximate)

    def unique_error_message(
        self, model_class: type[models.Model], unique_check: Iterable[str]
    ) -> ValidationError:
        if set(unique_check) != {"target", "series", "period_start", "period_end"}:
            return super().unique_error_message(model_class, unique_check)
        return ValidationError(
            "This target already has a figure from “%(series)s” for %(period)s. Edit that "
            "figure, or choose another series or period.",
            code="unique",
            params={"series": self.series, "period": self.period},
        )


# --- articles in, proposals out (issue 19) ------------------------------------------------


class Proposal(Scheduled):
    """A change an article supports, waiting for an editor: accepted through the write
    services (tracker.services.proposals), rejected, or superseded by a later edit."""

    class Kind(models.TextChoices):
        CONFIRMS = "confirms"
        MOVES = "moves"
        COMPLETES = "completes"
        NEW_MILESTONE = "new_milestone", "new milestone"
        FIGURE = "figure"
        DIFFERS = "differs"

    class State(models.TextChoices):
        OPEN = "open"
        ACCEPTED = "accepted"
        REJECTED = "rejected"
        SUPERSEDED = "superseded"

    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="proposals")
    kind = models.CharField(max_length=14, choices=Kind.choices)
    milestone = models.ForeignKey(
        Milestone, null=True, blank=True, on_delete=models.CASCADE, related_name="proposals"
    )
    target = models.ForeignKey(
        Target, null=True, blank=True, on_delete=models.CASCADE, related_name="proposals"
    )
    negotiation = models.ForeignKey(
        Negotiation, null=True, blank=True, on_delete=models.CASCADE, related_name="proposals"
    )
    start = models.PositiveIntegerField(help_text="Where the quote starts in the article's text.")
    end = models.PositiveIntegerField(help_text="Where the quote ends in the article's text.")
    completed_on = models.DateField(null=True, blank=True)
    value = models.DecimalField(
        max_digits=20,
        decimal_places=4,
        null=True,
        blank=True,
        validators=[MaxValueValidator(MAX_FIGURE)],
    )
    unit = models.CharField(max_length=50, blank=True)
    period_start = models.DateField(null=True, blank=True)
    period_end = models.DateField(null=True, blank=True)
    title = models.CharField(
        max_length=300, blank=True, help_text="For a new milestone: a title from the sentence."
    )
    confidence = models.FloatField()
    reason = models.CharField(max_length=500)
    state = models.CharField(max_length=12, choices=State.choices, default=State.OPEN)
    # What the milestone or target said when the proposal was made: a proposal about facts
    # that have changed since is superseded rather than applied over the newer edit.
    item_facts = models.JSONField(default=dict, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="decided_proposals",
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    rejection_reason = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(default=django_timezone.now)

    class Meta(Scheduled.Meta):
        ordering = ["article", "start", "id"]
        constraints = [
            *Scheduled.Meta.constraints,
            models.CheckConstraint(
                condition=Q(start__lte=models.F("end")), name="proposal_span_in_order"
            ),
            models.CheckConstraint(
                condition=Q(confidence__gte=0, confidence__lte=1),
                name="proposal_confidence_between_0_and_1",
            ),
            models.CheckConstraint(
                condition=Q(kind="new_milestone")
                | Q(milestone__isnull=False)
                | Q(target__isnull=False),
                name="proposal_names_its_item",
            ),
        ]
        indexes = [
            models.Index(fields=["state", "article"], name="proposal_state_article"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.reason[:60]}"

    @property
    def quote(self) -> str:
        return self.article.text[self.start : self.end]

    @property
    def item(self) -> Milestone | Target | None:
        return self.milestone or self.target


def digest_rule_validator(value: str) -> None:
    """The admin's form check: the same reading of the rule that the digest job uses."""
    try:
        parse_digest_rule(value)
    except DigestRuleError as error:
        raise ValidationError(str(error)) from None


def timezone_validator(value: str) -> None:
    """A zone the reminder planner can read: one typo must not stop everyone's reminders."""
    try:
        zoneinfo.ZoneInfo(value)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        raise ValidationError(f"“{value}” is not a known time zone, e.g. Asia/Kolkata.") from None


def default_offsets() -> list[int]:
    return [30, 7, 1, 0]


class Subscription(models.Model):
    """Someone who wants reminders and digests for a negotiation or one of its tracks."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="subscriptions",
    )
    email = models.EmailField(blank=True, help_text="For subscribers without an account.")
    negotiation = models.ForeignKey(
        Negotiation, null=True, blank=True, on_delete=models.CASCADE, related_name="subscriptions"
    )
    track = models.ForeignKey(
        Track, null=True, blank=True, on_delete=models.CASCADE, related_name="subscriptions"
    )
    timezone = models.CharField(max_length=64, default="UTC", validators=[timezone_validator])
    offsets = models.JSONField(default=default_offsets, help_text="Days before the deadline.")
    digest_rule = models.CharField(
        max_length=200,
        default="FREQ=WEEKLY;BYDAY=MO;BYHOUR=8;BYMINUTE=0;BYSECOND=0",
        blank=True,
        validators=[digest_rule_validator],
        help_text="A daily, weekly or monthly RFC 5545 RRULE, in the subscription's time "
        "zone; empty for no digest.",
    )
    reminders_on = models.BooleanField(
        default=True,
        help_text="Off: only the digest is sent, no reminders before deadlines.",
    )
    # The language its emails are written in (settings.LANGUAGES).
    language = models.CharField(max_length=8, choices=settings.LANGUAGES, default="en")
    confirmed_at = models.DateTimeField(null=True, blank=True)
    unsubscribed_at = models.DateTimeField(null=True, blank=True)
    last_digest_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=django_timezone.now)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(negotiation__isnull=False, track__isnull=True)
                | Q(negotiation__isnull=True, track__isnull=False),
                name="subscription_names_negotiation_or_track",
            ),
            models.CheckConstraint(
                condition=Q(user__isnull=False) | ~Q(email=""),
                name="subscription_has_recipient",
            ),
            # One active subscription per person and subject (see subscription_create).
            models.UniqueConstraint(
                fields=["user", "negotiation"],
                condition=Q(
                    unsubscribed_at__isnull=True, user__isnull=False, negotiation__isnull=False
                ),
                name="subscription_one_active_per_user_negotiation",
            ),
            models.UniqueConstraint(
                fields=["user", "track"],
                condition=Q(unsubscribed_at__isnull=True, user__isnull=False, track__isnull=False),
                name="subscription_one_active_per_user_track",
            ),
            models.UniqueConstraint(
                fields=["email", "negotiation"],
                condition=Q(
                    unsubscribed_at__isnull=True, user__isnull=True, negotiation__isnull=False
                ),
                name="subscription_one_active_per_email_negotiation",
            ),
            models.UniqueConstraint(
                fields=["email", "track"],
                condition=Q(unsubscribed_at__isnull=True, user__isnull=True, track__isnull=False),
                name="subscription_one_active_per_email_track",
            ),
        ]
        indexes = [
            models.Index(
                fields=["negotiation", "track"],
                name="subscription_active",
                condition=Q(unsubscribed_at__isnull=True, confirmed_at__isnull=False),
            )
        ]

    def __str__(self) -> str:
        return f"{self.recipient} → {self.subject}"

    @property
    def subject(self) -> Negotiation | Track:
        """What is followed: the track, or else the whole negotiation (one of them is set)."""
        subject = self.track or self.negotiation
        assert subject is not None
        return subject

    @property
    def recipient(self) -> str:
        return (self.user.email if self.user_id and self.user else "") or self.email

    @property
    def is_active(self) -> bool:
        return self.confirmed_at is not None and self.unsubscribed_at is None


class AccountLanguage(models.Model):
    """The interface language an account chose; it wins over the browser's."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="language_choice"
    )
    language = models.CharField(max_length=8, choices=settings.LANGUAGES)

    def __str__(self) -> str:
        return f"{self.user} → {self.language}"


class OutboxRow(models.Model):
    """What every outbox row shares: its state, its attempts and its lease.

    A sender claims rows by moving them from pending to sending under a fresh claim
    token, with a lease (`leased_until`) that it renews while it works. Every later
    write names the token, so a sender whose lease lapsed, and whose row was released
    and taken by another, can no longer mark it sent.
    """

    class State(models.TextChoices):
        PENDING = "pending"
        SENDING = "sending"
        SENT = "sent"
        FAILED = "failed"
        VOID = "void"
        SUPERSEDED = "superseded"

    due_at = models.DateTimeField()
    state = models.CharField(max_length=12, choices=State.choices, default=State.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.TextField(blank=True)
    retry_at = models.DateTimeField(
        null=True, blank=True, help_text="After a failed attempt: not before this time."
    )
    claimed_at = models.DateTimeField(
        null=True, blank=True, help_text="When the latest sender claimed the row."
    )
    leased_until = models.DateTimeField(
        null=True,
        blank=True,
        help_text="A sending row whose lease has passed is released to pending.",
    )
    claim_token = models.CharField(max_length=32, blank=True, help_text="The latest claim's id.")
    sent_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=django_timezone.now)

    class Meta:
        abstract = True

    def lease_state(self, now: dt.datetime | None = None) -> str:
        """Whether a sender holds this row: "held", "expired" once its lease lapsed, or ""."""
        if self.state != self.State.SENDING or self.leased_until is None:
            return ""
        return "held" if self.leased_until > (now or django_timezone.now()) else "expired"


class Reminder(OutboxRow):
    """The outbox: one row per email that should go out, keyed so it goes out once."""

    class Kind(models.TextChoices):
        BEFORE = "before"
        OVERDUE = "overdue"

    milestone = models.ForeignKey(Milestone, on_delete=models.CASCADE, related_name="reminders")
    subscription = models.ForeignKey(
        Subscription, null=True, blank=True, on_delete=models.SET_NULL, related_name="reminders"
    )
    recipient = models.EmailField()
    kind = models.CharField(max_length=10, choices=Kind.choices)
    offset = models.IntegerField(help_text="Days before the deadline; negative once overdue.")
    deadline = models.DateField(help_text="The deadline's latest date when planned.")

    class Meta:
        ordering = ["due_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["milestone", "recipient", "kind", "offset", "deadline"],
                name="reminder_once_per_key",
            ),
        ]
        indexes = [
            # The claim reads due rows in (due_at, id) order and stops after a batch: with
            # the id in the index it never sorts the whole due backlog (benchmarks/sending.py).
            models.Index(
                fields=["due_at", "id"], name="reminder_pending_due", condition=Q(state="pending")
            ),
            models.Index(fields=["state", "due_at"], name="reminder_state_due"),
            models.Index(
                fields=["leased_until"], name="reminder_sending_lease", condition=Q(state="sending")
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.offset:+d}d {self.milestone} → {self.recipient}"

    @property
    def key(self) -> str:
        return f"{self.milestone_id}:{self.recipient}:{self.kind}:{self.offset}:{self.deadline}"


class OutboxEmail(OutboxRow):
    """An email in the outbox that is not a reminder: a confirmation or a health alert.

    It is written in the same transaction as what causes it (a subscription, a health
    transition), so a broker outage delays it and never loses it.
    """

    class Kind(models.TextChoices):
        CONFIRMATION = "confirmation"
        HEALTH_ALERT = "health_alert"
        # The weekly "still unconfirmed" list for an editor following a negotiation or
        # track (tracker.reminders.escalation); one per subscription and `week`.
        UNCONFIRMED = "unconfirmed"
        # Account emails (tracker.services.accounts); each names its `user`, but a reset
        # to an address that no account uses and a sign-up (no account exists before its
        # link is followed).
        SIGN_UP = "sign_up"
        NEW_ADDRESS = "new_address"
        ADDRESS_NOTICE = "address_note"  # to the old address: a change was asked for
        PASSWORD_RESET = "reset"

        WEBHOOK_DISABLED = "webhook_off"
        # Before disabling: "failing since …, will be disabled on …" (tracker.webhooks.schedule).
        WEBHOOK_FAILING = "webhook_warn"
        # A subscriber's periodic digest (tracker.reminders.digests) for the window from
        # `period_start` to `period_end`; one per subscription and window end.
        DIGEST = "digest"

    ACCOUNT_KINDS = (Kind.SIGN_UP, Kind.NEW_ADDRESS, Kind.ADDRESS_NOTICE, Kind.PASSWORD_RESET)

    kind = models.CharField(max_length=12, choices=Kind.choices)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="outbox_emails",
        help_text="For account emails: whose sign-up, address or password it is about.",
    )
    subscription = models.ForeignKey(
        Subscription,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="outbox_emails",
        help_text="The subscription to confirm, or the subscriber an alert goes to.",
    )
    status_change = models.ForeignKey(
        "StatusChange",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="alert_emails",
    )
    webhook_endpoint = models.ForeignKey(
        "WebhookEndpoint",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="emails",
        help_text="For a disabled webhook: the endpoint its owner is told about.",
    )
    recipient = models.EmailField()
    sequence = models.PositiveSmallIntegerField(
        default=0, help_text="For confirmations: 0 for the first, 1 for the first resend, …"
    )
    week = models.DateField(
        null=True,
        blank=True,
        help_text="For a “still unconfirmed” list: the Monday of the week it is for.",
    )
    period_start = models.DateTimeField(
        null=True, blank=True, help_text="For a digest: the start of the window it reports."
    )
    period_end = models.DateTimeField(
        null=True,
        blank=True,
        help_text="For a digest: the end of its window, the occurrence of the rule it is for.",
    )

    class Meta:
        ordering = ["due_at", "id"]
        verbose_name = "outbox email"
        constraints = [
            models.UniqueConstraint(
                fields=["subscription", "sequence"],
                condition=Q(kind="confirmation"),
                name="outboxemail_confirmation_once_per_sequence",
            ),
            models.UniqueConstraint(
                fields=["status_change", "recipient"],
                condition=Q(kind="health_alert"),
                name="outboxemail_alert_once_per_recipient",
            ),
            models.UniqueConstraint(
                fields=["user", "kind", "sequence"],
                condition=Q(kind__in=["sign_up", "new_address", "address_note", "reset"]),
                name="outboxemail_account_once_per_sequence",
            ),
            models.UniqueConstraint(
                fields=["subscription", "week"],
                condition=Q(kind="unconfirmed"),
                name="outboxemail_unconfirmed_once_a_week",
            ),
            models.UniqueConstraint(
                fields=["subscription", "period_end"],
                condition=Q(kind="digest"),
                name="outboxemail_digest_once_per_window",
            ),
            models.CheckConstraint(
                condition=Q(kind="confirmation", subscription__isnull=False)
                | Q(kind="health_alert", status_change__isnull=False)
                | Q(kind="unconfirmed", subscription__isnull=False, week__isnull=False)
                | Q(kind__in=["new_address", "address_note"], user__isnull=False)
                # A reset asked for an address no account uses names no user: it tells the
                # address so, and the request did the same work as for a known one. A
                # sign-up names none either: the account is made when its link is followed.
                | Q(kind__in=["reset", "sign_up"])
                | Q(kind__in=["webhook_off", "webhook_warn"], webhook_endpoint__isnull=False)
                | Q(
                    kind="digest",
                    subscription__isnull=False,
                    period_start__isnull=False,
                    period_end__isnull=False,
                ),
                name="outboxemail_names_its_cause",
            ),
        ]
        indexes = [
            models.Index(
                fields=["due_at"], name="outboxemail_pending_due", condition=Q(state="pending")
            ),
            models.Index(
                fields=["leased_until"],
                name="outboxemail_sending_lease",
                condition=Q(state="sending"),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} → {self.recipient}"

    @property
    def key(self) -> str:
        confirmation = self.kind == self.Kind.CONFIRMATION
        cause = self.subscription_id if confirmation else self.status_change_id
        if self.kind in (self.Kind.WEBHOOK_DISABLED, self.Kind.WEBHOOK_FAILING):
            cause = self.webhook_endpoint_id
        if self.kind == self.Kind.DIGEST and self.period_end is not None:
            window_end = self.period_end.astimezone(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
            return f"{self.kind}:{self.subscription_id}:{self.recipient}:{window_end}"
        return f"{self.kind}:{cause}:{self.recipient}:{self.sequence}"


class Heartbeat(models.Model):
    """The last sign of life of a worker or beat process, for /health/."""

    class Role(models.TextChoices):
        WORKER = "worker"
        BEAT = "beat"

    role = models.CharField(max_length=8, choices=Role.choices)
    process = models.CharField(max_length=200, help_text="Host name and process id.")
    seen_at = models.DateTimeField()

    class Meta:
        ordering = ["role", "-seen_at"]
        constraints = [
            models.UniqueConstraint(fields=["role", "process"], name="heartbeat_one_per_process")
        ]

    def __str__(self) -> str:
        return f"{self.role} {self.process} at {self.seen_at:%Y-%m-%d %H:%M:%S}"


class MailCircuit(models.Model):
    """One row per mail server: open while it refuses everything, probed until it answers.

    Shared by every sender, so an outage is one warning and one probe at a time
    instead of every worker retrying every row.
    """

    name = models.CharField(max_length=40, unique=True, default="smtp")
    opened_at = models.DateTimeField(null=True, blank=True)
    probe_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)

    def __str__(self) -> str:
        return f"{self.name}: {'open since ' + str(self.opened_at) if self.opened_at else 'closed'}"


class DeliveryCount(models.Model):
    """Running totals of what the senders did (sent, failed, retried, released, …).

    Kept in the database so every web process serves the same /metrics, whichever
    worker did the work.
    """

    name = models.CharField(max_length=40, unique=True)
    value = models.BigIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.name}: {self.value}"


class StatusChange(models.Model):
    """A log of every status and health transition, for digests, alerts and history."""

    class Subject(models.TextChoices):
        NEGOTIATION = "negotiation"
        TRACK = "track"
        MILESTONE = "milestone"
        TARGET = "target"

    subject = models.CharField(max_length=12, choices=Subject.choices)
    negotiation = models.ForeignKey(
        Negotiation, on_delete=models.CASCADE, related_name="status_changes"
    )
    track = models.ForeignKey(
        Track, null=True, blank=True, on_delete=models.CASCADE, related_name="status_changes"
    )
    milestone = models.ForeignKey(
        Milestone, null=True, blank=True, on_delete=models.CASCADE, related_name="status_changes"
    )
    target = models.ForeignKey(
        Target, null=True, blank=True, on_delete=models.CASCADE, related_name="status_changes"
    )
    previous = models.CharField(max_length=12)
    new = models.CharField(max_length=12)
    reason = models.CharField(max_length=300, blank=True)
    as_of = models.DateField()
    changed_at = models.DateTimeField(default=django_timezone.now)
    notified_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-changed_at", "-id"]
        indexes = [
            models.Index(fields=["changed_at"], name="statuschange_changed_at"),
            models.Index(
                fields=["changed_at"],
                name="statuschange_unnotified",
                condition=Q(notified_at__isnull=True, subject="track"),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.subject} {self.previous} → {self.new} ({self.as_of})"


class CalendarFeedToken(models.Model):
    """A revocable secret in a private calendar feed URL (when TRACKER_PUBLIC is off)."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="calendar_token"
    )
    # Only a hash: the URL carries the secret, which is shown once, when it is made, so
    # someone who reads the database cannot read anyone's calendar with it.
    digest = models.CharField(
        max_length=64, unique=True, help_text="SHA-256 of the secret in the feed URL."
    )
    created_at = models.DateTimeField(default=django_timezone.now)

    def __str__(self) -> str:
        return f"calendar feed of {self.user}"


class Change(AbstractLogEntry):
    """The audit log: one row per create, update or delete of the record, never edited.

    Written by django-auditlog (settings.AUDITLOG_LOGENTRY_MODEL) with the before and
    after values in ``changes``; the person and the interface come from tracker.audit.
    """

    interface = models.CharField(
        max_length=10, choices=Interface.choices, default=Interface.SHELL, db_index=True
    )

    class Meta(AbstractLogEntry.Meta):
        ordering = ["-timestamp", "-id"]
        verbose_name = "change"
        verbose_name_plural = "changes (audit log)"
        indexes = [
            models.Index(fields=["content_type", "object_id"], name="change_object"),
        ]

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self._state.adding:
            context = audit.current()
            self.interface = context.interface
            if self.actor_id is None and context.actor is not None:
                self.actor = context.actor
                self.actor_email = getattr(context.actor, "email", None) or None
            if self.remote_addr is None:  # type: ignore[has-type]
                self.remote_addr = context.remote_addr
        super().save(*args, **kwargs)


# --- webhooks (issue 14) -------------------------------------------------------------------


class WebhookEndpoint(models.Model):
    """A URL that other systems registered to hear about changes (docs/design.md "Webhooks").

    The secret signs every delivery (Standard Webhooks, `whsec_…`); it is made on the
    server and readable only by the endpoint's owner and staff.
    """

    url = models.URLField(max_length=2000, help_text="Where deliveries are POSTed (http or https).")
    description = models.CharField(max_length=200, blank=True)
    secret = models.CharField(max_length=100, editable=False)
    event_types = models.JSONField(
        default=list, blank=True, help_text="The event types to send; empty means every type."
    )
    negotiation = models.ForeignKey(
        Negotiation,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="webhook_endpoints",
        help_text="Only events about this negotiation; empty means every negotiation.",
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="webhook_endpoints"
    )
    is_active = models.BooleanField(default=True)
    disabled_reason = models.CharField(max_length=300, blank=True)
    disabled_at = models.DateTimeField(null=True, blank=True)
    consecutive_failures = models.PositiveIntegerField(
        default=0, help_text="Failed attempts since the last success."
    )
    failing_since = models.DateTimeField(
        null=True,
        blank=True,
        help_text="The first failed attempt since the last success; empty while it succeeds.",
    )
    warned_at = models.DateTimeField(
        null=True,
        blank=True,
        help_text="When its owner was told it will be disabled if it keeps failing.",
    )
    created_at = models.DateTimeField(default=django_timezone.now)

    class Meta:
        ordering = ["id"]
        verbose_name = "webhook endpoint"

    def __str__(self) -> str:
        return self.url

    def wants(self, event_type: str, negotiation_id: int | None) -> bool:
        """Does this endpoint take events of this type about this negotiation?"""
        if self.event_types and event_type not in self.event_types:
            return False
        return self.negotiation_id is None or self.negotiation_id == negotiation_id


class WebhookEvent(models.Model):
    """Something that happened to the record, as other systems hear it; the change feeds
    read it too. Written in the transaction of the change, so it is never lost."""

    public_id = models.CharField(max_length=40, unique=True, help_text="msg_…: `webhook-id`.")
    type = models.CharField(max_length=40, db_index=True)
    negotiation = models.ForeignKey(
        Negotiation, null=True, blank=True, on_delete=models.SET_NULL, related_name="events"
    )
    title = models.CharField(max_length=500, help_text="One line, for the change feeds.")
    payload = models.JSONField(help_text="The JSON body every endpoint receives.")
    occurred_at = models.DateTimeField(default=django_timezone.now)

    class Meta:
        ordering = ["-occurred_at", "-id"]
        verbose_name = "webhook event"
        indexes = [models.Index(fields=["occurred_at"], name="webhookevent_occurred_at")]

    def __str__(self) -> str:
        return f"{self.type}: {self.title}"


class WebhookDelivery(OutboxRow):
    """The outbox for webhooks: one row per event and endpoint, sent once by a leased claim."""

    event = models.ForeignKey(WebhookEvent, on_delete=models.CASCADE, related_name="deliveries")
    endpoint = models.ForeignKey(
        WebhookEndpoint, on_delete=models.CASCADE, related_name="deliveries"
    )
    response_status = models.PositiveSmallIntegerField(
        null=True, blank=True, help_text="The HTTP status of the latest attempt."
    )

    class Meta:
        ordering = ["-due_at", "-id"]
        verbose_name = "webhook delivery"
        verbose_name_plural = "webhook deliveries"
        constraints = [
            models.UniqueConstraint(
                fields=["event", "endpoint"], name="webhookdelivery_once_per_endpoint"
            )
        ]
        indexes = [
            models.Index(
                fields=["due_at"], name="webhookdelivery_pending_due", condition=Q(state="pending")
            ),
            models.Index(
                fields=["leased_until"],
                name="webhookdelivery_sending_lease",
                condition=Q(state="sending"),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.event.type} → {self.endpoint.url}"


class WebhookAttempt(models.Model):
    """One try at a delivery: what the receiver answered, or why it could not be reached."""

    delivery = models.ForeignKey(
        WebhookDelivery, on_delete=models.CASCADE, related_name="attempt_log"
    )
    attempted_at = models.DateTimeField(default=django_timezone.now)
    status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    response_body = models.TextField(blank=True, help_text="The first 2,000 characters.")
    error = models.TextField(blank=True)
    duration_ms = models.PositiveIntegerField(default=0)
    succeeded = models.BooleanField(default=False)

    class Meta:
        ordering = ["-attempted_at", "-id"]

    def __str__(self) -> str:
        return f"{self.status_code or self.error[:40]} at {self.attempted_at:%Y-%m-%d %H:%M:%S}"


# --- the data version (issue 13) ---------------------------------------------------------


class DataVersion(models.Model):
    """One row whose counter moves on every write to the record (tracker.versions).

    Cached feeds and page fragments are keyed on it, and it gives their ETag and
    Last-Modified: a write service or a refresh that changes something bumps it in the
    same transaction, so a reader never sees new data under an old version.
    """

    counter = models.BigIntegerField(default=0)
    changed_at = models.DateTimeField(default=django_timezone.now)

    class Meta:
        constraints = [models.CheckConstraint(condition=Q(id=1), name="dataversion_one_row")]

    def __str__(self) -> str:
        return f"data version {self.counter}"


# --- observation imports run as a job (issue 22) -------------------------------------------


class ImportJob(models.Model):
    """A confirmed import of a large file, run by a worker (tracker.imports.import_job_run).

    The confirmation writes the row and moves the previewed file aside (named by the row,
    never by a form); a worker claims the row by compare-and-set, imports the file in
    chunks and counts the rows done, so the admin's job page can show the progress. A job
    that fails keeps its row and says why; a job whose worker died is taken up again.
    """

    class State(models.TextChoices):
        QUEUED = "queued"
        RUNNING = "running"
        DONE = "done"
        FAILED = "failed"

    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="import_jobs"
    )
    created_at = models.DateTimeField(default=django_timezone.now)
    file_name = models.CharField(max_length=200, help_text="The uploaded file's own name.")
    file_format = models.CharField(max_length=8, help_text="csv or xlsx")
    state = models.CharField(max_length=8, choices=State.choices, default=State.QUEUED)
    rows_total = models.PositiveIntegerField()
    rows_done = models.PositiveIntegerField(default=0)
    new = models.PositiveIntegerField(default=0)
    updated = models.PositiveIntegerField(default=0)
    skipped = models.PositiveIntegerField(default=0)
    error = models.TextField(blank=True, help_text="Why the job failed, in words.")
    started_at = models.DateTimeField(null=True, blank=True)
    # Moved on each chunk: a running job whose worker stopped moving it is taken up again.
    progressed_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(
                fields=["created_at"],
                name="importjob_waiting",
                condition=Q(state__in=["queued", "running"]),
            )
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(rows_done__lte=models.F("rows_total")),
                name="importjob_done_within_total",
            )
        ]

    def __str__(self) -> str:
        return f"import of {self.file_name} ({self.state}, {self.rows_done}/{self.rows_total})"

    @property
    def finished(self) -> bool:
        return self.state in {self.State.DONE, self.State.FAILED}

    @property
    def percent_done(self) -> int:
        return 100 * self.rows_done // self.rows_total if self.rows_total else 100


class OutlookScore(models.Model):
    """The outlook's back-test as last computed (`manage.py outlook_backtest`): its Brier
    score over the forecasts it would have made, for one negotiation or (negotiation null)
    the whole record. Pages show the newest beside each outlook."""

    negotiation = models.ForeignKey(
        Negotiation, null=True, blank=True, on_delete=models.CASCADE, related_name="outlook_scores"
    )
    brier = models.FloatField(null=True, blank=True, help_text="None: no forecast to score.")
    forecasts = models.PositiveIntegerField(default=0)
    computed_on = models.DateField()
    computed_at = models.DateTimeField(default=django_timezone.now)

    class Meta:
        ordering = ["-computed_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(brier__isnull=True) | Q(brier__gte=0, brier__lte=1),
                name="outlookscore_brier_between_0_and_1",
            )
        ]

    def __str__(self) -> str:
        scope = self.negotiation.name if self.negotiation else "the whole record"
        return f"outlook back-test of {scope}: {self.brier} over {self.forecasts} forecasts"
