"""Who changed the record and through which interface, for the audit log (tracker.Change).

django-auditlog writes one Change per create, update and delete of a registered model,
with the before and after values. This module supplies what a model signal cannot know:
the person behind the write (services pass their ``by``) and the interface it came
through (the web middleware, the loader and the jobs say which; a shell is the default).

A relink that clears a many-to-many field and adds its items again (to keep their order)
goes through `relinked`: django-auditlog's own handling would log a ``clear()`` as the
removal of every row of the related table, and the items added again as news.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from contextvars import ContextVar
from dataclasses import dataclass, replace
from typing import Any

from django.apps import apps
from django.conf import settings
from django.db import models
from django.http import HttpRequest, HttpResponse


class Interface(models.TextChoices):
    ADMIN = "admin", "admin site"
    API = "api", "API"
    WEB = "web", "dashboard"
    LOADER = "loader", "record loader"
    JOB = "job", "background job"
    PROPOSAL = "proposal", "accepted proposal"
    SHELL = "shell", "shell or command"


@dataclass(frozen=True)
class Context:
    interface: str = Interface.SHELL.value
    actor: Any = None
    remote_addr: str | None = None


_OUTSIDE = Context()
_current: ContextVar[Context | None] = ContextVar("tranche_audit", default=None)


def current() -> Context:
    return _current.get() or _OUTSIDE


@contextlib.contextmanager
def _changed(**changes: Any) -> Iterator[Context]:
    token = _current.set(replace(current(), **changes))
    try:
        yield current()
    finally:
        _current.reset(token)


def through(interface: Interface) -> contextlib.AbstractContextManager[Context]:
    """Writes inside come through `interface` (the loader, a job, …)."""
    return _changed(interface=interface.value)


def acting(by: Any) -> contextlib.AbstractContextManager[Context]:
    """Writes inside are made by `by`; anonymous or missing users keep the outer actor."""
    if getattr(by, "is_authenticated", False):
        return _changed(actor=by)
    return contextlib.nullcontext(current())


def interface_of(path: str) -> Interface:
    if path.startswith("/admin/"):
        return Interface.ADMIN
    if path.startswith("/api/"):
        return Interface.API
    return Interface.WEB


class AuditMiddleware:
    """Marks a request's writes with its interface and address.

    The person is not taken here: API token authentication happens later, in the view,
    and services are told who acts through their ``by`` argument anyway.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        with _changed(
            interface=interface_of(request.path_info).value,
            remote_addr=request.META.get("REMOTE_ADDR") or None,
        ):
            return self.get_response(request)


@contextlib.contextmanager
def relinked(instance: models.Model, field: str) -> Iterator[None]:
    """Log what a relink of ``instance.<field>`` inside really changed.

    One Change for the items removed and one for the items added (django-auditlog's m2m
    shape: ``{field: {type: m2m, operation: delete|add, objects: [...]}}``), each item
    named by its ``str`` as everywhere else; nothing when the set stayed the same.
    """
    from auditlog.context import disable_auditlog
    from auditlog.registry import auditlog

    manager = getattr(instance, field)
    before = {linked.pk: linked for linked in manager.all()}
    with disable_auditlog():
        yield
    if not auditlog.contains(type(instance)):
        return
    after = {linked.pk: linked for linked in manager.all()}
    log = apps.get_model(settings.AUDITLOG_LOGENTRY_MODEL).objects
    removed = [linked for pk, linked in before.items() if pk not in after]
    added = [linked for pk, linked in after.items() if pk not in before]
    if removed:
        log.log_m2m_changes(removed, instance, "delete", field)
    if added:
        log.log_m2m_changes(added, instance, "add", field)
