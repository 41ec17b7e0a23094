"""/metrics: the outbox in Prometheus's text format (prometheus_client).

Every figure is read from the database when Prometheus scrapes, so any web process
answers for the whole deployment, whichever worker did the work: the running totals
that the senders add to `DeliveryCount`, and gauges of the outbox as it stands.
"""

from __future__ import annotations

from collections.abc import Iterator

from django.db.models import Count
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.exposition import CONTENT_TYPE_LATEST
from prometheus_client.registry import Collector

from tracker import heartbeats
from tracker.health import outbox_figures, webhook_figures
from tracker.models import DeliveryCount, OutboxEmail, OutboxRow, Reminder, WebhookDelivery
from tracker.webhooks.delivery import TALLIED as WEBHOOK_OUTCOMES

# The running totals kept in DeliveryCount, by metric name and help.
COUNTERS = {
    "sent": "Emails accepted by the mail server (reminders, confirmations, alerts).",
    "failed": "Emails marked failed after their last attempt.",
    "retrying": "Failed attempts that will be retried after a backoff.",
    "released": "Rows released after their sender's lease lapsed (a sender died).",
    "returned": "Claimed rows a sender gave back unsent (budget spent, outage or error).",
    "lost": "Claims lost before the row could be marked (never counted as sent).",
    "voided": "Claimed rows no longer wanted when their turn came.",
    "superseded": "Missed reminders replaced by a later one.",
}


class OutboxCollector(Collector):
    def collect(self) -> Iterator[Metric]:
        totals = dict(DeliveryCount.objects.values_list("name", "value"))
        for name, help_text in COUNTERS.items():
            counter = CounterMetricFamily(f"tranche_outbox_{name}", help_text)
            counter.add_metric([], float(totals.get(name, 0)))
            yield counter
        webhooks = CounterMetricFamily(
            "tranche_webhook_deliveries",
            "Webhook delivery attempts and outcomes, by outcome (tracker.webhooks.delivery).",
            labels=["outcome"],
        )
        for outcome in WEBHOOK_OUTCOMES:
            webhooks.add_metric([outcome], float(totals.get(f"webhook_{outcome}", 0)))
        yield webhooks
        hooks = webhook_figures()
        for name, help_text, value in (
            (
                "backlog",
                "Webhook deliveries not yet sent: due, waiting out a retry, or waiting on a "
                "disabled endpoint.",
                hooks.waiting,
            ),
            ("due", "Webhook deliveries due now to enabled endpoints.", hooks.due),
            ("retrying", "Webhook deliveries waiting out a retry backoff.", hooks.retrying),
            (
                "waiting_on_disabled",
                "Webhook deliveries waiting for a disabled endpoint to be enabled.",
                hooks.on_disabled,
            ),
            ("endpoints_disabled", "Webhook endpoints disabled.", hooks.disabled_endpoints),
            (
                "oldest_due_age_seconds",
                "Seconds since the oldest due webhook delivery fell due (0 when none).",
                hooks.oldest_due_age,
            ),
        ):
            gauge = GaugeMetricFamily(f"tranche_webhook_{name}", help_text)
            gauge.add_metric([], float(value))
            yield gauge

        figures = outbox_figures()
        for name, help_text, value in (
            ("backlog", "Rows due, unsent and not waiting out a retry.", figures.backlog),
            (
                "oldest_due_age_seconds",
                "Seconds since the oldest due, unsent row fell due (0 when none).",
                figures.oldest_due_age,
            ),
            (
                "lapsed_leases",
                "Rows in sending whose lease passed more than two minutes ago.",
                figures.lapsed_leases,
            ),
            ("failed_rows", "Rows in the failed state.", figures.failed),
            (
                "circuit_open",
                "1 while the mail server refuses everything (the shared circuit is open).",
                int(figures.circuit != "closed"),
            ),
        ):
            gauge = GaugeMetricFamily(f"tranche_outbox_{name}", help_text)
            gauge.add_metric([], float(value))
            yield gauge

        rows = GaugeMetricFamily(
            "tranche_outbox_rows", "Outbox rows by table and state.", labels=["outbox", "state"]
        )
        for model, label in (
            (Reminder, "reminder"),
            (OutboxEmail, "email"),
            (WebhookDelivery, "webhook"),
        ):
            counts = _state_counts(model)
            for state in OutboxRow.State.values:
                rows.add_metric([label, state], float(counts.get(state, 0)))
        yield rows

        ages = GaugeMetricFamily(
            "tranche_heartbeat_age_seconds",
            "Seconds since the newest heartbeat of a worker or beat process.",
            labels=["role"],
        )
        now = timezone.now()
        for role in (heartbeats.WORKER, heartbeats.BEAT):
            seen = heartbeats.last_seen(role)
            if seen is not None:
                ages.add_metric([role], (now - seen).total_seconds())
        yield ages


def _state_counts(model: type[OutboxRow]) -> dict[str, int]:
    return {
        state: count
        for state, count in model._default_manager.order_by()
        .values_list("state")
        .annotate(count=Count("id"))
        .values_list("state", "count")
    }


REGISTRY = CollectorRegistry(auto_describe=False)
REGISTRY.register(OutboxCollector())


def metrics(request: HttpRequest) -> HttpResponse:
    return HttpResponse(generate_latest(REGISTRY), content_type=CONTENT_TYPE_LATEST)
