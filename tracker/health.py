"""/health/: is every part of Tranche working? 200 when it is, 503 when not.

Built on django-health-check: its database and Redis checks, and checks of our own for
the filesystem broker, the worker and beat heartbeats, and the outbox. `/health/web/`
checks only what one web process needs (the database), for a load balancer's probe.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import connections
from django.db.models import Min
from django.db.models.functions import Coalesce
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from health_check.base import HealthCheck
from health_check.checks import Database
from health_check.exceptions import ServiceUnavailable
from health_check.views import HealthCheckView

from tracker import heartbeats
from tracker.models import OutboxEmail, OutboxRow, Reminder, WebhookDelivery, WebhookEndpoint
from tracker.reminders.outbox import circuit_state, lapsed, lease, ready

# A heartbeat older than this means the process is gone (workers beat every 15 s, but
# a solo-pool worker busy with a send run beats after it, up to a minute later).
WORKER_SILENT_AFTER = dt.timedelta(minutes=2)
BEAT_SILENT_AFTER = dt.timedelta(seconds=90)
# Due rows waiting longer than this mean the outbox is not draining.
BACKLOG_TOO_OLD = dt.timedelta(minutes=10)
# Rows whose lease lapsed this long ago should have been released by a send run.
LEASE_OVERDUE_AFTER = dt.timedelta(minutes=2)
# Rows that ended failed this recently are news for whoever watches the health.
RECENT_FAILURES = dt.timedelta(hours=1)


@dataclasses.dataclass
class Broker(HealthCheck):
    """Redis answers a PING (REDIS_URL), or the filesystem broker's folder is writable."""

    def run(self) -> None:
        if settings.REDIS_URL:
            import redis

            try:
                redis.Redis.from_url(
                    settings.REDIS_URL, socket_connect_timeout=2, socket_timeout=2
                ).ping()
            except redis.RedisError as error:
                raise ServiceUnavailable(f"Redis does not answer: {type(error).__name__}") from None
            return
        options: dict[str, Any] = settings.CELERY_BROKER_TRANSPORT_OPTIONS
        folder = Path(str(options["data_folder_in"]))
        if not (folder.is_dir() and folder.stat().st_mode & 0o200):
            raise ServiceUnavailable("The filesystem broker's queue folder is missing.")


def _silence(role: str, limit: dt.timedelta) -> None:
    seen = heartbeats.last_seen(role)
    if seen is None:
        raise ServiceUnavailable(f"No {role} has ever written a heartbeat.")
    silent = timezone.now() - seen
    if silent > limit:
        raise ServiceUnavailable(f"No {role} heartbeat for {silent.total_seconds():.0f} s.")


class TableCheck(HealthCheck):
    """A check that reads our tables. It runs in one of the view's executor threads,
    which Django's request cycle does not tidy up: close its connection afterwards."""

    def run(self) -> None:
        try:
            self.check()
        finally:
            connections.close_all()

    def check(self) -> None:
        raise NotImplementedError


@dataclasses.dataclass
class Worker(TableCheck):
    def check(self) -> None:
        _silence(heartbeats.WORKER, WORKER_SILENT_AFTER)


@dataclasses.dataclass
class Beat(TableCheck):
    def check(self) -> None:
        _silence(heartbeats.BEAT, BEAT_SILENT_AFTER)


@dataclasses.dataclass(frozen=True)
class OutboxFigures:
    backlog: int  # due, unsent and not waiting out a retry
    oldest_due_age: float  # seconds since the oldest of them fell due (0 without any)
    lapsed_leases: int  # rows in sending whose lease passed more than LEASE_OVERDUE_AFTER ago
    failed: int  # every failed row
    recently_failed: int  # rows that ended failed in the last RECENT_FAILURES
    circuit: str  # closed, open or probe


def outbox_figures(now: dt.datetime | None = None) -> OutboxFigures:
    now = now or timezone.now()
    backlog, lapsed_count, failed, recent = 0, 0, 0, 0
    oldest: dt.datetime | None = None
    models: tuple[type[OutboxRow], ...] = (Reminder, OutboxEmail)
    for model in models:
        due = ready(model, now)
        backlog += due.count()
        first = due.aggregate(first=Min("due_at"))["first"]
        if first is not None and (oldest is None or first < oldest):
            oldest = first
        lapsed_count += lapsed(model, now - LEASE_OVERDUE_AFTER).count()
        failed += model._default_manager.filter(state=OutboxRow.State.FAILED).count()
        recent += model._default_manager.filter(
            state=OutboxRow.State.FAILED, claimed_at__gte=now - RECENT_FAILURES
        ).count()
    return OutboxFigures(
        backlog=backlog,
        oldest_due_age=(now - oldest).total_seconds() if oldest else 0.0,
        lapsed_leases=lapsed_count,
        failed=failed,
        recently_failed=recent,
        circuit=circuit_state(now),
    )


@dataclasses.dataclass
class Outbox(TableCheck):
    """The outbox drains: no old backlog, no rows stuck past their lease, no new failures."""

    def check(self) -> None:
        figures = outbox_figures()
        problems = []
        if figures.oldest_due_age > BACKLOG_TOO_OLD.total_seconds():
            problems.append(f"{figures.backlog} due, the oldest for {figures.oldest_due_age:.0f} s")
        if figures.lapsed_leases:
            problems.append(
                f"{figures.lapsed_leases} in sending past their lease ({lease().seconds} s)"
            )
        if figures.recently_failed:
            problems.append(f"{figures.recently_failed} failed in the last hour")
        if figures.circuit != "closed":
            problems.append("the mail server refuses mail")
        if problems:
            raise ServiceUnavailable("Outbox: " + "; ".join(problems) + ".")


@dataclasses.dataclass(frozen=True)
class WebhookFigures:
    waiting: int  # every delivery not yet sent: due, waiting out a retry, or on a disabled endpoint
    due: int  # due now to enabled endpoints
    retrying: int  # waiting out a retry backoff, to enabled endpoints
    on_disabled: int  # waiting for a disabled endpoint to be enabled
    disabled_endpoints: int
    oldest_due_age: float  # seconds since the oldest due delivery fell due (0 without any)
    lapsed_leases: int


def webhook_figures(now: dt.datetime | None = None) -> WebhookFigures:
    """The webhook outbox as it stands (one source for /health/ and /metrics)."""
    now = now or timezone.now()
    deliveries = WebhookDelivery.objects.order_by()
    pending = deliveries.filter(state=OutboxRow.State.PENDING)
    enabled = pending.filter(endpoint__is_active=True)
    due = ready(WebhookDelivery, now).filter(endpoint__is_active=True)
    # Since it became due: a retry falls due when its backoff ends, not when its event happened.
    first = due.aggregate(first=Min(Coalesce("retry_at", "due_at")))["first"]
    return WebhookFigures(
        waiting=pending.count() + deliveries.filter(state=OutboxRow.State.SENDING).count(),
        due=due.count(),
        retrying=enabled.filter(retry_at__gt=now).count(),
        on_disabled=pending.filter(endpoint__is_active=False).count(),
        disabled_endpoints=WebhookEndpoint.objects.filter(is_active=False).count(),
        oldest_due_age=(now - first).total_seconds() if first else 0.0,
        lapsed_leases=lapsed(WebhookDelivery, now - LEASE_OVERDUE_AFTER).count(),
    )


@dataclasses.dataclass
class Webhooks(TableCheck):
    """Webhooks drain: nothing waits on a disabled endpoint, no old due deliveries, none stuck
    past their lease. Deliveries waiting out a retry to a failing receiver are normal."""

    def check(self) -> None:
        figures = webhook_figures()
        problems = []
        if figures.on_disabled:
            problems.append(
                f"{figures.on_disabled} deliveries waiting on "
                f"{figures.disabled_endpoints} disabled endpoint(s)"
            )
        if figures.oldest_due_age > BACKLOG_TOO_OLD.total_seconds():
            problems.append(f"{figures.due} due, the oldest for {figures.oldest_due_age:.0f} s")
        if figures.lapsed_leases:
            problems.append(
                f"{figures.lapsed_leases} in sending past their lease ({lease().seconds} s)"
            )
        if problems:
            raise ServiceUnavailable("Webhooks: " + "; ".join(problems) + ".")


class HealthView(HealthCheckView):
    """django-health-check's view, answering 503 (not 500) when a check fails."""

    checks: tuple[type[HealthCheck], ...] = (Database, Broker, Worker, Beat, Outbox, Webhooks)

    async def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        response: HttpResponse = await super().get(request, *args, **kwargs)
        if response.status_code == 500:
            response.status_code = 503
        return response


class WebHealthView(HealthView):
    checks: tuple[type[HealthCheck], ...] = (Database,)
