"""Webhooks (issue 14): events from the write path and the refresh, signed deliveries to a
real HTTP receiver on 127.0.0.1, retries, lease expiry, disabling, SSRF, admin and API."""

from __future__ import annotations

import datetime as dt
import email
import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
import time_machine
from django.contrib.auth.models import Group, User
from django.test import Client
from knox.models import AuthToken
from rest_framework.test import APIClient
from standardwebhooks import Webhook

from tests.conftest import (
    committed,
    figure,
    make_milestone,
    make_negotiation,
    make_target,
    make_track,
)
from tracker import services
from tracker.deadlines import parse_deadline
from tracker.models import (
    Milestone,
    WebhookAttempt,
    WebhookDelivery,
    WebhookEndpoint,
    WebhookEvent,
)
from tracker.refresh import refresh_statuses
from tracker.services.endpoints import endpoint_save
from tracker.services.writing import writing
from tracker.webhooks import delivery
from tracker.webhooks.addresses import RefusedAddress, resolve
from tracker.webhooks.delivery import deliver_due_webhooks
from tracker.webhooks.endpoints import retry_schedule

pytestmark = pytest.mark.django_db
NINE = dt.datetime(2026, 7, 1, 9, tzinfo=dt.UTC)


class Receiver:
    """A real HTTP server on 127.0.0.1 (an ephemeral port) that keeps what it is sent and
    answers with the statuses it is told, the last one repeated."""

    def __init__(self, statuses: list[int]) -> None:
        self.statuses = statuses
        self.received: list[tuple[dict[str, str], bytes]] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                receiver.received.append(({k.lower(): v for k, v in self.headers.items()}, body))
                index = min(len(receiver.received), len(receiver.statuses)) - 1
                status = receiver.statuses[index]
                answer = f"answer {len(receiver.received)}: {status}".encode()
                self.send_response(status)
                self.send_header("Content-Length", str(len(answer)))
                self.end_headers()
                self.wfile.write(answer)

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/hooks/tranche?via=test"

    def bodies(self) -> list[dict[str, Any]]:
        return [json.loads(body) for _, body in self.received]


@pytest.fixture
def receiver(settings: Any) -> Iterator[Receiver]:
    settings.TRACKER_WEBHOOKS_ALLOW_PRIVATE = True
    settings.TRACKER_WEBHOOKS_TIMEOUT = 5
    made = Receiver([200])
    made.thread.start()
    yield made
    made.server.shutdown()
    made.server.server_close()


@pytest.fixture
def editor() -> User:
    user = User.objects.create_user("ana", "ana@example.org", "pw", is_staff=True)
    user.groups.add(Group.objects.get(name="editors"))
    return user


def register(url: str, owner: User, **fields: Any) -> WebhookEndpoint:
    return endpoint_save(endpoint=WebhookEndpoint(url=url, owner=owner, **fields), by=owner)


def move_deadline(milestone: Milestone, text: str) -> None:
    with committed():
        services.milestone_set_deadline(
            milestone=milestone,
            deadline=parse_deadline(text, reference=dt.date(2026, 1, 1)),
            reason="Talks extended",
        )


@pytest.fixture
def interim() -> Milestone:
    with time_machine.travel(NINE - dt.timedelta(days=1), tick=False):
        return make_milestone(make_track(make_negotiation()), "Interim agreement", "July 8, 2026")


# --- delivery ---------------------------------------------------------------------------


def test_a_moved_deadline_is_delivered_once_to_a_local_receiver_that_verifies_the_signature(
    receiver, editor, interim
):
    endpoint = register(receiver.url, editor, event_types=["milestone.deadline_moved"])
    assert endpoint.secret.startswith("whsec_")
    with time_machine.travel(NINE, tick=False):
        move_deadline(interim, "September 30, 2026")
        first = deliver_due_webhooks()
        again = deliver_due_webhooks()

        assert (first.delivered, again.delivered) == (1, 0)
        [(headers, body)] = receiver.received
        payload = Webhook(endpoint.secret).verify(body, headers)
    assert headers["webhook-id"].startswith("msg_")
    assert payload["type"] == "milestone.deadline_moved"
    assert payload["timestamp"] == "2026-07-01T09:00:00Z"
    data = payload["data"]
    assert data["milestone"]["title"] == "Interim agreement"
    assert data["milestone"]["url"].endswith(f"/milestones/{interim.pk}/")
    assert data["negotiation"]["slug"] == "india-us-bta"
    assert data["reason"] == "Talks extended"
    assert data["before"]["deadline"]["latest"] == "2026-07-08"
    assert data["after"]["deadline"] == {
        "text": "September 30, 2026",
        "earliest": "2026-09-30",
        "latest": "2026-09-30",
        "precision": "day",
    }
    row = WebhookDelivery.objects.get()
    assert (row.state, row.attempts, row.response_status) == ("sent", 1, 200)
    assert WebhookAttempt.objects.get().response_body == "answer 1: 200"


def test_a_signature_made_with_another_secret_does_not_verify(receiver, editor, interim):
    from standardwebhooks.webhooks import WebhookVerificationError

    register(receiver.url, editor)
    with time_machine.travel(NINE, tick=False):
        move_deadline(interim, "September 30, 2026")
        deliver_due_webhooks()
        headers, body = receiver.received[-1]
        with pytest.raises(WebhookVerificationError):
            Webhook("whsec_" + "A" * 43 + "=").verify(body, headers)


def test_a_receiver_answering_500_is_retried_after_its_backoff_and_delivered_once(
    receiver, editor, interim
):
    receiver.statuses = [500, 200]
    endpoint = register(receiver.url, editor, event_types=["milestone.deadline_moved"])
    with time_machine.travel(NINE, tick=False):
        move_deadline(interim, "September 30, 2026")
        assert deliver_due_webhooks().retrying == 1
        assert deliver_due_webhooks().delivered == 0  # waiting out the backoff
    first_wait = retry_schedule()[0]
    with time_machine.travel(NINE + dt.timedelta(seconds=first_wait + 1), tick=False):
        assert deliver_due_webhooks().delivered == 1
        assert deliver_due_webhooks().delivered == 0

    assert [b["type"] for b in receiver.bodies()] == ["milestone.deadline_moved"] * 2
    ids = [headers["webhook-id"] for headers, _ in receiver.received]
    assert ids[0] == ids[1]  # a retry is the same message: receivers deduplicate on it
    row = WebhookDelivery.objects.get()
    assert (row.state, row.attempts) == ("sent", 2)
    assert list(row.attempt_log.order_by("attempted_at").values_list("status_code", flat=True)) == [
        500,
        200,
    ]
    assert WebhookDelivery.objects.filter(state="sent").count() == 1
    endpoint.refresh_from_db()
    assert endpoint.consecutive_failures == 0


def test_a_delivery_is_marked_failed_after_its_last_attempt_when_its_endpoint_answers_others(
    receiver, editor, interim, settings
):
    # A receiver that takes other events but refuses this one: not an endpoint that is down,
    # so the endpoint stays enabled and this delivery alone ends failed.
    settings.TRACKER_WEBHOOK_RETRY_SCHEDULE = (10, 20, 40)
    receiver.statuses = [503, 503, 200, 503]
    types = ["milestone.deadline_moved", "milestone.created"]
    endpoint = register(receiver.url, editor, event_types=types)
    moment = NINE
    with time_machine.travel(moment, tick=False):
        move_deadline(interim, "September 30, 2026")  # one event: the one refused
    for wait, another_event in ((0, False), (11, False), (1, True), (20, False), (41, False)):
        moment += dt.timedelta(seconds=wait)
        with time_machine.travel(moment, tick=False):
            if another_event:
                make_milestone(interim.track, "Something else", "July 8, 2027")
            deliver_due_webhooks()  # the success brings the refused one's retry forward
    refused = WebhookDelivery.objects.get(event__type="milestone.deadline_moved")
    assert (refused.state, refused.attempts, refused.last_error) == ("failed", 4, "HTTP 503")
    assert WebhookDelivery.objects.get(event__type="milestone.created").state == "sent"
    endpoint.refresh_from_db()
    assert endpoint.is_active
    assert len(receiver.received) == 5


def test_a_sender_that_died_holding_its_claim_is_replaced_after_the_lease_and_sends_once(
    receiver, editor, interim, settings
):
    settings.OUTBOX_LEASE_SECONDS = 90
    register(receiver.url, editor, event_types=["milestone.deadline_moved"])
    with time_machine.travel(NINE, tick=False):
        move_deadline(interim, "September 30, 2026")
        rows, dead_token = delivery._claim(NINE, 10)  # then the worker is killed
        assert len(rows) == 1
        assert deliver_due_webhooks().delivered == 0  # its lease still holds
    with time_machine.travel(NINE + dt.timedelta(seconds=91), tick=False):
        result = deliver_due_webhooks()
    assert (result.released, result.delivered) == (1, 1)
    sent = WebhookDelivery.objects.values().get()
    # The dead sender's late writes name its old claim and change nothing: not the row, not
    # its attempt log, not the endpoint's count of failures.
    for answer in (delivery.Answer(status=200), delivery.Answer(status=503)):
        late = delivery.WebhookRun()
        delivery._record(rows[0], dead_token, answer, late)
        assert (late.lost, late.delivered, late.retrying, late.failed) == (1, 0, 0, 0)
    assert WebhookDelivery.objects.values().get() == sent
    assert sent["state"] == "sent"
    log = WebhookDelivery.objects.get().attempt_log.all()
    assert [(a.status_code, a.succeeded) for a in log] == [(200, True)]
    assert WebhookEndpoint.objects.get().consecutive_failures == 0
    assert len(receiver.received) == 1


class Inbox:
    def __init__(self) -> None:
        self.messages: list[email.message.Message] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.messages.append(email.message_from_bytes(envelope.content))
        return "250 OK"


def test_an_enabled_endpoint_gets_what_waited_while_it_was_disabled(receiver, editor, interim):
    endpoint = register(receiver.url, editor, event_types=["milestone.deadline_moved"])
    WebhookEndpoint.objects.filter(pk=endpoint.pk).update(
        is_active=False, disabled_reason="down", disabled_at=NINE
    )
    with time_machine.travel(NINE, tick=False):
        move_deadline(interim, "September 30, 2026")
        assert deliver_due_webhooks().delivered == 0
        client = api_client(editor)
        response = client.post(f"/api/v1/webhooks/{endpoint.pk}/enable/")
        assert response.status_code == 200, response.content
        assert response.json()["is_active"] is True
        assert deliver_due_webhooks().delivered == 1


# --- events -------------------------------------------------------------------------------


def test_creating_completing_and_moving_a_milestone_record_their_events(db):
    track = make_track(make_negotiation())
    with time_machine.travel(NINE, tick=False):
        milestone = make_milestone(track, "Interim agreement", "July 8, 2026")
        move_deadline(milestone, "July 31, 2026")
        with committed():
            services.milestone_complete(milestone=milestone)
    types = list(WebhookEvent.objects.order_by("id").values_list("type", flat=True))
    written = ["milestone.created", "milestone.deadline_moved", "milestone.completed"]
    assert [t for t in types if t in written] == written
    assert "milestone.status_changed" in types[types.index("milestone.completed") :]
    completed = WebhookEvent.objects.get(type="milestone.completed").payload["data"]
    assert completed["after"]["completed_on"] == "2026-07-01"
    assert completed["before"] == {"state": "planned"}


def test_a_rolled_back_write_records_no_event(db):
    track = make_track(make_negotiation())
    with pytest.raises(RuntimeError), writing(None):
        services.milestone_save(milestone=Milestone(track=track, slug="x", title="X"))
        raise RuntimeError("the write is abandoned")
    assert not WebhookEvent.objects.exists()


def test_a_new_figure_and_a_track_turning_off_track_are_events(db):
    negotiation = make_negotiation()
    track = make_track(negotiation)
    target = make_target(negotiation, track)
    with time_machine.travel(NINE, tick=False), committed():
        services.observation_save(observation=figure(target, dt.date(2026, 3, 31), 200))
    event = WebhookEvent.objects.get(type="observation.created")
    assert event.payload["data"]["after"] == {"value": "200"}
    assert event.payload["data"]["observation"]["period_end"] == "2026-03-31"
    assert event.title == (
        "New figure: Bilateral trade, USD 200 billion for 31 March 2026 "
        "(US Census Bureau — goods and services)"
    )

    with time_machine.travel(dt.datetime(2026, 6, 1, 9, tzinfo=dt.UTC), tick=False):
        make_milestone(track, "Interim agreement", "June 30, 2026", reference=dt.date(2026, 6, 1))
    with time_machine.travel(dt.datetime(2026, 8, 1, 9, tzinfo=dt.UTC), tick=False):
        refresh_statuses()
    health = WebhookEvent.objects.filter(type="track.health_changed").first()
    assert health is not None
    assert health.payload["data"]["track"]["slug"] == "interim"
    assert health.payload["data"]["before"]["health"] != health.payload["data"]["after"]["health"]


def test_an_item_going_stale_as_the_days_pass_is_a_record_stale_event(db, settings):
    settings.TRACKER_STALE_AFTER_DAYS = 30
    track = make_track(make_negotiation())
    with time_machine.travel(NINE, tick=False):
        with committed():
            source = services.source_save(source=dated_source("Joint statement", NINE.date()))
        milestone = make_milestone(track, "Interim agreement", "December 31, 2026")
        with committed():
            services.milestone_save(milestone=milestone, sources=[source])
    stale = WebhookEvent.objects.filter(type="record.stale", payload__data__subject="milestone")
    assert not stale.exists()  # stale from its first assessment (no source yet) is no change
    with time_machine.travel(NINE + dt.timedelta(days=45), tick=False):
        refresh_statuses()
    assert stale.count() == 1
    assert stale.get().payload["data"]["last_confirmed_on"] == "2026-07-01"
    with time_machine.travel(NINE + dt.timedelta(days=46), tick=False):
        refresh_statuses()
    assert stale.count() == 1  # once, when it turns stale


def dated_source(title: str, published_on: dt.date) -> Any:
    from tracker.models import Source

    return Source(
        slug=title.lower().replace(" ", "-"),
        title=title,
        url="https://example.org/statement",
        excerpt="The two sides will conclude the first tranche.",
        published_on=published_on,
    )


def test_endpoints_hear_only_the_types_and_negotiation_they_asked_for(editor):
    here, there = make_negotiation("here"), make_negotiation("there")
    everything = register("https://93.184.215.14/all", editor)
    completions = register(
        "https://93.184.215.14/done", editor, event_types=["milestone.completed"]
    )
    only_here = register("https://93.184.215.14/here", editor, negotiation=here)
    make_milestone(make_track(here), "A")
    make_milestone(make_track(there), "B")
    assert everything.deliveries.filter(event__type="milestone.created").count() == 2
    assert everything.deliveries.exclude(event__negotiation=here).exists()
    assert completions.deliveries.count() == 0
    assert only_here.deliveries.exists()
    assert not only_here.deliveries.exclude(event__negotiation=here).exists()


# --- server-side request forgery ----------------------------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:8000/",
        "http://localhost/hook",
        "http://10.1.2.3/",
        "http://192.168.0.10/",
        "http://169.254.169.254/latest/meta-data/",
        "http://[::1]/",
        "http://[::ffff:127.0.0.1]/",
        "http://0.0.0.0/",
        "http://224.0.0.1/",
        "http://100.64.0.1/",
        "ftp://example.org/",
    ],
)
def test_private_and_loopback_addresses_are_refused(url, settings):
    settings.TRACKER_WEBHOOKS_ALLOW_PRIVATE = False
    with pytest.raises(RefusedAddress):
        resolve(url)


def test_a_public_address_is_accepted(settings):
    settings.TRACKER_WEBHOOKS_ALLOW_PRIVATE = False
    assert resolve("https://93.184.215.14:8443/x?y=1").path == "/x?y=1"


def test_the_api_refuses_a_private_endpoint_with_a_field_message(editor, settings):
    settings.TRACKER_WEBHOOKS_ALLOW_PRIVATE = False
    response = api_client(editor).post(
        "/api/v1/webhooks/", {"url": "http://127.0.0.1:8000/hook"}, format="json"
    )
    assert response.status_code == 400
    assert "loopback" in response.json()["url"][0]
    assert not WebhookEndpoint.objects.exists()


def test_the_admin_form_refuses_a_private_endpoint(editor, settings):
    settings.TRACKER_WEBHOOKS_ALLOW_PRIVATE = False
    desk = Client()
    desk.force_login(editor)
    response = desk.post(
        "/admin/tracker/webhookendpoint/add/",
        {"url": "http://10.0.0.5/hook", "description": "", "is_active": "on"},
    )
    assert response.status_code == 200
    assert "a private address; webhooks go only to public addresses" in response.content.decode()
    assert not WebhookEndpoint.objects.exists()


def test_a_delivery_to_a_host_that_now_resolves_privately_is_refused(
    receiver, editor, interim, settings
):
    register(receiver.url, editor, event_types=["milestone.deadline_moved"])
    settings.TRACKER_WEBHOOKS_ALLOW_PRIVATE = False  # as if DNS now pointed inside
    with time_machine.travel(NINE, tick=False):
        move_deadline(interim, "September 30, 2026")
        assert deliver_due_webhooks().retrying == 1
    assert receiver.received == []
    assert WebhookAttempt.objects.get().error.startswith("Refused: The host 127.0.0.1")


# --- API and admin ------------------------------------------------------------------------


def api_client(user: User) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {AuthToken.objects.create(user=user)[1]}")
    return client


def test_editors_register_an_endpoint_and_only_its_owner_reads_the_secret(editor, settings):
    settings.TRACKER_WEBHOOKS_ALLOW_PRIVATE = False
    negotiation = make_negotiation()
    response = api_client(editor).post(
        "/api/v1/webhooks/",
        {
            "url": "https://93.184.215.14/hooks",
            "event_types": ["milestone.completed", "milestone.created"],
            "negotiation": negotiation.slug,
        },
        format="json",
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["secret"].startswith("whsec_")
    assert body["owner"] == "ana"
    assert body["event_types"] == ["milestone.created", "milestone.completed"]

    other = User.objects.create_user("ben", "ben@example.org")
    other.groups.add(Group.objects.get(name="editors"))
    assert api_client(other).get("/api/v1/webhooks/").json()["results"] == []
    assert api_client(other).get(f"/api/v1/webhooks/{body['id']}/").status_code == 404

    rotated = api_client(editor).post(f"/api/v1/webhooks/{body['id']}/rotate_secret/")
    assert rotated.json()["secret"] not in ("", body["secret"])
    patched = api_client(editor).patch(
        f"/api/v1/webhooks/{body['id']}/", {"is_active": False}, format="json"
    )
    assert patched.json()["disabled_reason"] == "Paused by ana."
    assert api_client(editor).delete(f"/api/v1/webhooks/{body['id']}/").status_code == 204
    assert not WebhookEndpoint.objects.exists()


def test_readers_may_not_see_or_register_endpoints(db):
    reader = User.objects.create_user("reader")
    assert api_client(reader).get("/api/v1/webhooks/").status_code == 403
    assert APIClient().get("/api/v1/webhooks/").status_code in (401, 403)


def test_an_unknown_event_type_is_refused(editor):
    response = api_client(editor).post(
        "/api/v1/webhooks/",
        {"url": "https://93.184.215.14/h", "event_types": ["milestone.exploded"]},
        format="json",
    )
    assert response.status_code == 400
    assert "event_types" in response.json()


def test_the_admin_shows_a_delivery_s_attempts_and_redelivers_it(receiver, editor, interim):
    admin = User.objects.create_superuser("root", "root@example.org", "pw")
    register(receiver.url, editor, event_types=["milestone.deadline_moved"])
    with time_machine.travel(NINE, tick=False):
        move_deadline(interim, "September 30, 2026")
        deliver_due_webhooks()
    row = WebhookDelivery.objects.get()
    desk = Client()
    desk.force_login(admin)
    page = desk.get(f"/admin/tracker/webhookdelivery/{row.pk}/change/").content.decode()
    assert "answer 1: 200" in page
    assert "milestone.deadline_moved" in page
    listing = desk.get("/admin/tracker/webhookdelivery/").content.decode()
    assert "Redeliver" in listing

    response = desk.post(
        "/admin/tracker/webhookdelivery/", {"action": "redeliver", "_selected_action": [row.pk]}
    )
    assert response.status_code == 302
    deliver_due_webhooks()
    assert len(receiver.received) == 2
    assert receiver.received[0][0]["webhook-id"] == receiver.received[1][0]["webhook-id"]
    row.refresh_from_db()
    assert row.state == "sent"
    assert row.attempt_log.count() == 2


def test_the_admin_shows_the_secret_to_its_owner_only(editor):
    endpoint = register("https://93.184.215.14/h", editor)
    owner = Client()
    owner.force_login(editor)
    page = owner.get(f"/admin/tracker/webhookendpoint/{endpoint.pk}/change/").content.decode()
    assert endpoint.secret in page
    colleague = User.objects.create_user("ben", "ben@example.org", "pw", is_staff=True)
    colleague.groups.add(Group.objects.get(name="editors"))
    other = Client()
    other.force_login(colleague)
    # Another editor does not even see the endpoint (tests/security: own endpoints only).
    response = other.get(f"/admin/tracker/webhookendpoint/{endpoint.pk}/change/", follow=True)
    assert endpoint.secret not in response.content.decode()
    assert "doesn’t exist" in response.content.decode()


def test_metrics_count_webhook_deliveries(receiver, editor, interim, client):
    register(receiver.url, editor, event_types=["milestone.deadline_moved"])
    with time_machine.travel(NINE, tick=False):
        move_deadline(interim, "September 30, 2026")
        deliver_due_webhooks()
    text = client.get("/metrics").content.decode()
    assert 'tranche_webhook_deliveries_total{outcome="delivered"} 1.0' in text
    assert 'tranche_outbox_rows{outbox="webhook",state="sent"} 1.0' in text
    assert "tranche_webhook_backlog 0.0" in text


def test_the_deliver_webhooks_command_posts_what_is_due(receiver, editor, interim):
    from io import StringIO

    from django.core.management import call_command

    register(receiver.url, editor, event_types=["milestone.deadline_moved"])
    with time_machine.travel(NINE, tick=False):
        move_deadline(interim, "September 30, 2026")
        out = StringIO()
        call_command("deliver_webhooks", "--max-seconds", "30", stdout=out)
    assert out.getvalue().startswith("Delivered 1; 0 to retry, 0 failed")
    assert len(receiver.received) == 1
