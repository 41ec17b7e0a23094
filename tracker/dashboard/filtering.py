"""The filters of the list pages, read from the query string.

One function per page turns `request.GET` into the rows that page lists, so the page, a
shared link and an export of the same URL all show the same rows. A value that does not
parse is reported in words and left out of the filter; it never fails the page.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from django import forms
from django.db.models import Case, F, IntegerField, QuerySet, Value, When
from django.utils.functional import lazy
from django.utils.http import urlencode
from django.utils.translation import gettext_lazy as _

from tracker.dashboard import wording
from tracker.models import Milestone, Negotiation, Party
from tracker.status import HEALTH_LABELS, HEALTH_SEVERITY

OPEN_STATES = ("planned", "in_progress")
UPCOMING_DAYS = 90
MAX_DAYS = 3660

Row = TypeVar("Row", Negotiation, Milestone)


@dataclass(frozen=True)
class Filtered(Generic[Row]):
    """The rows a list page shows, the form that chose them, and what could not be read."""

    rows: QuerySet[Row]
    form: forms.Form
    errors: list[str] = field(default_factory=list)

    @property
    def active(self) -> bool:
        """Whether any filter narrowed the list (sorting alone does not)."""
        data = self.form.cleaned_data
        return any(data.get(name) not in (None, "") for name in self.form.fields if name != "sort")

    @property
    def chosen(self) -> dict[str, str]:
        """The filters that were read, as query parameters, in the form's order: what links
        to the list's other pages and its downloads keep, and what a cached copy of the
        list is keyed on. Values that could not be read are left out, as from the rows."""
        data = self.form.cleaned_data
        return {
            name: str(data[name]) for name in self.form.fields if data.get(name) not in (None, "")
        }

    @property
    def query(self) -> str:
        return urlencode(self.chosen)


# Lazy: said in the language of each request, not the one the module was imported in.
_health_label = lazy(wording.label, str)


def _party_choices() -> list[tuple[str, Any]]:
    return [("", _("Any party"))] + [(p.code, p.name) for p in Party.objects.order_by("name")]


class OverviewFilterForm(forms.Form):
    party = forms.ChoiceField(required=False, label=_("Party"))
    stage = forms.ChoiceField(
        required=False, label=_("Stage"), choices=[("", _("Any stage")), *Negotiation.Stage.choices]
    )
    health = forms.ChoiceField(
        required=False,
        label=_("Health"),
        choices=[("", _("Any health"))]
        + [(h.value, _health_label(h.value)) for h in HEALTH_LABELS],
    )
    stale = forms.ChoiceField(
        required=False,
        label=_("Freshness"),
        choices=[
            ("", _("Any")),
            ("true", _("Needs review (stale)")),
            ("false", _("Recently confirmed")),
        ],
    )
    sort = forms.ChoiceField(
        required=False,
        label=_("Sort by"),
        choices=[
            ("", _("Name")),
            ("deadline", _("Next deadline")),
            ("health", _("Health, worst first")),
        ],
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _choose(self, "party", _party_choices())


class UpcomingFilterForm(forms.Form):
    negotiation = forms.ChoiceField(required=False, label=_("Negotiation"))
    party = forms.ChoiceField(required=False, label=_("Party"))
    days = forms.IntegerField(
        required=False,
        label=_("Days ahead"),
        min_value=1,
        max_value=MAX_DAYS,
        widget=forms.NumberInput(attrs={"placeholder": str(UPCOMING_DAYS)}),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _choose(self, "party", _party_choices())
        negotiations = Negotiation.objects.order_by("name").values_list("slug", "name")
        _choose(self, "negotiation", [("", _("Any negotiation")), *negotiations])


def _choose(form: forms.Form, name: str, choices: list[tuple[str, Any]]) -> None:
    """Choices read once per request, so validating and drawing the form share one query."""
    field = form.fields[name]
    assert isinstance(field, forms.ChoiceField)
    field.choices = choices


def _read(form: forms.Form) -> list[str]:
    """Validate the form; name each value it could not read, as a reader would see it."""
    form.is_valid()
    errors = []
    for name, messages in form.errors.items():
        value = form.data.get(name, "")
        label = form.fields[name].label or name.capitalize()
        reason = " ".join(str(m) for m in messages).replace("Select a valid choice. ", "")
        errors.append(f"{label} “{value}” was left out: {reason}")
    return errors


_HEALTH_RANK = Case(
    *(When(health=h.value, then=Value(rank)) for h, rank in HEALTH_SEVERITY.items()),
    default=Value(0),
    output_field=IntegerField(),
)


def overview_negotiations(params: Mapping[str, Any]) -> Filtered[Negotiation]:
    """The negotiations the overview lists for these query parameters, in their order."""
    form = OverviewFilterForm(_single_values(params))
    errors = _read(form)
    data = form.cleaned_data
    rows = Negotiation.objects.all()
    if data.get("party"):
        rows = rows.filter(parties__code=data["party"])
    if data.get("stage"):
        rows = rows.filter(stage=data["stage"])
    if data.get("health"):
        rows = rows.filter(health=data["health"])
    if data.get("stale"):
        rows = rows.filter(stale=data["stale"] == "true")
    if data.get("sort") == "deadline":
        rows = rows.order_by(F("next_deadline").asc(nulls_last=True), "name")
    elif data.get("sort") == "health":
        rows = rows.order_by(_HEALTH_RANK.desc(), F("next_deadline").asc(nulls_last=True), "name")
    else:
        rows = rows.order_by("name")
    return Filtered(rows, form, errors)


def upcoming_days(form: forms.Form) -> int:
    """The days ahead a validated upcoming form asks for; 90 when unset or unreadable."""
    days = form.cleaned_data.get("days")
    return int(days) if days else UPCOMING_DAYS


def upcoming_milestones(params: Mapping[str, Any], today: dt.date) -> Filtered[Milestone]:
    """Open milestones overdue or due within `days` (default 90), of one negotiation or
    party if asked, nearest deadline first."""
    form = UpcomingFilterForm(_single_values(params))
    errors = _read(form)
    data = form.cleaned_data
    until = today + dt.timedelta(days=upcoming_days(form))
    rows = Milestone.objects.filter(state__in=OPEN_STATES, deadline_latest__lte=until)
    if data.get("negotiation"):
        rows = rows.filter(track__negotiation__slug=data["negotiation"])
    if data.get("party"):
        rows = rows.filter(track__negotiation__parties__code=data["party"])
    return Filtered(rows.order_by("deadline_latest", "title", "id"), form, errors)


def _single_values(params: Mapping[str, Any]) -> dict[str, str]:
    """The last value of each parameter, as a browser's GET form sends one of each."""
    return {key: str(params.get(key, "")) for key in params}
