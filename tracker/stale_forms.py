"""Forms that carry the version of the row they edit (the admin's change forms, the desk's
accept forms), and refuse to write over a later one (docs/design.md "Concurrent writes").

The version travels in a hidden field. A form whose version is stale is shown again with
the editor's input kept and a message saying what changed since, who changed it and when
(tracker.services.writing.changes_since); its hidden version is then the current one, so
saving again, having looked, writes over the other edit on purpose.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.http import QueryDict

from tracker import services

VERSION = "version"


def version_field() -> forms.IntegerField:
    return forms.IntegerField(widget=forms.HiddenInput, required=False)


def refuse_stale(form: forms.BaseForm, stale: services.StaleVersion) -> None:
    """Put the refusal on `form` and move its hidden version to the current one."""
    form.add_error(None, services.stale_message(stale))
    data = QueryDict(mutable=True)
    data.update(form.data)
    data[form.add_prefix(VERSION)] = str(stale.record.version)
    form.data = data


class VersionChecked(forms.ModelForm):  # type: ignore[type-arg]
    """A model form that carries its row's version and refuses a stale one when cleaned.

    `read` holds the row's columns as the form found them, so the admin can hand the
    service only what the editor changed (tracker.admin.RecordAdmin.save_model).
    """

    version = version_field()

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.read = services.columns(self.instance)
        if self.instance.pk is not None:
            self.fields[VERSION].initial = self.instance.version

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        seen = cleaned.get(VERSION)
        if self.instance.pk is not None and seen is not None and seen != self.instance.version:
            refuse_stale(self, services.StaleVersion(self.instance, seen))
        return cleaned
