"""The editors' desk forms: an article pasted or uploaded, and the edits made while accepting
a proposal. They translate input and nothing more; tracker.services holds every rule."""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from tracker import reading
from tracker.models import Milestone, Negotiation, Track
from tracker.stale_forms import VERSION, version_field

# The same bound as the API's upload: a bigger file cannot hold an article the reader takes.
MAX_UPLOAD_BYTES = 10 * 1024 * 1024
NO_TEXT = "Paste the article's text, or upload a .txt, .html or .pdf file."
BOTH = "Paste the text or upload a file, not both."


class ArticleForm(forms.Form):
    title = forms.CharField(max_length=300, label=_("Title"))
    publisher = forms.CharField(max_length=200, required=False, label=_("Publisher"))
    published_on = forms.DateField(
        required=False,
        label=_("Published on"),
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text=_("The day it was published; its relative wording counts from it."),
    )
    published_by = forms.DateField(
        required=False,
        label=_("Or published on or before"),
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text=_("For an undated text: the last day it can have been published."),
    )
    url = forms.URLField(
        max_length=500, required=False, label=_("Address (URL)"), assume_scheme="https"
    )
    language = forms.CharField(max_length=16, required=False, initial="en", label=_("Language"))
    negotiation = forms.ModelChoiceField(
        queryset=Negotiation.objects.order_by("name"),
        to_field_name="slug",
        required=False,
        label=_("Negotiation"),
        empty_label=_("Every negotiation"),
        help_text=_("Match only this negotiation's milestones and targets."),
    )
    # Neither trimmed nor bounded here: tracker.reading.check_text says what is wrong.
    text = forms.CharField(
        required=False,
        strip=False,
        widget=forms.Textarea(attrs={"rows": 14}),
        label=_("Text"),
        help_text=_("The whole article, as published."),
    )
    file = forms.FileField(
        required=False,
        label=_("Or upload a file"),
        help_text=_("A .txt (UTF-8), .html or .pdf file."),
        widget=forms.ClearableFileInput(attrs={"accept": ".txt,.html,.htm,.pdf"}),
    )

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        upload = data.get("file")
        pasted = data.get("text") or ""
        if upload and pasted.strip():
            raise ValidationError(BOTH)
        if upload:
            if upload.size > MAX_UPLOAD_BYTES:
                self.add_error(
                    "file", f"The file is larger than {MAX_UPLOAD_BYTES // (1024 * 1024)} MB."
                )
                return data
            try:
                data["article_text"] = reading.extract_text(
                    upload.read(),
                    filename=upload.name or "",
                    content_type=getattr(upload, "content_type", "") or "",
                )
            except reading.ArticleError as error:
                self.add_error("file", str(error))
        elif not pasted.strip():
            self.add_error("text", NO_TEXT)
        else:
            # tracker.reading.check_text (in the service) words any other refusal.
            data["article_text"] = pasted
        return data

    @property
    def uploaded(self) -> bool:
        return bool(self.cleaned_data.get("file"))


class AcceptForm(forms.Form):
    """Edits made while accepting a proposal; every one optional. Prefixed per proposal so
    that each proposal's fields have ids of their own on the page."""

    milestone = forms.ModelChoiceField(
        queryset=Milestone.objects.all(),
        required=False,
        label=_("Milestone"),
        empty_label=_("As proposed"),
        help_text=_("The milestone it is about, when the reader matched another or none."),
    )
    track = forms.ModelChoiceField(
        queryset=Track.objects.all(),
        required=False,
        label=_("Track"),
        empty_label=_("Choose a track"),
        help_text=_("For a new milestone: the track it goes in."),
    )
    title = forms.CharField(
        max_length=300, required=False, label=_("Title"), help_text=_("A new milestone's title.")
    )
    deadline = forms.CharField(
        max_length=200,
        required=False,
        help_text=_("In words, read from the article's date (“by the end of 2026”)."),
    )
    # The version of the proposal's milestone or target the page showed (tracker.stale_forms).
    version = version_field()

    def edits(self) -> dict[str, Any]:
        """The edits given, as tracker.services.proposal_accept takes them."""
        return {
            name: value for name, value in self.cleaned_data.items() if value and name != VERSION
        }


class RejectForm(forms.Form):
    reason = forms.CharField(max_length=300, required=False, label=_("Reason (optional)"))
