"""A real delivery, received on 127.0.0.1, verified by the npm `standardwebhooks` library."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from django.contrib.auth.models import User

from tests.conformance.tools import node, npm_package
from tests.conftest import committed, make_milestone, make_negotiation, make_track
from tracker.models import WebhookEndpoint
from tracker.services.endpoints import endpoint_save
from tracker.webhooks.delivery import deliver_due_webhooks

VERIFY = """
const { Webhook } = require('standardwebhooks');
let input = '';
process.stdin.on('data', (chunk) => { input += chunk; });
process.stdin.on('end', () => {
  const { secret, headers, body } = JSON.parse(input);
  try {
    const payload = new Webhook(secret).verify(body, headers);
    process.stdout.write(JSON.stringify({ ok: true, type: payload.type }));
  } catch (error) {
    process.stdout.write(JSON.stringify({ ok: false, error: String(error) }));
  }
});
"""


def verified(secret: str, headers: dict[str, str], body: str) -> dict[str, Any]:
    npm_package("standardwebhooks")
    done = node(VERIFY, stdin=json.dumps({"secret": secret, "headers": headers, "body": body}))
    assert done.returncode == 0, done.stderr
    return dict(json.loads(done.stdout))


@pytest.fixture
def receiver() -> Iterator[tuple[str, list[tuple[dict[str, str], str]]]]:
    received: list[tuple[dict[str, str], str]] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["Content-Length"])).decode()
            received.append(({k.lower(): v for k, v in self.headers.items()}, body))
            self.send_response(204)
            self.end_headers()

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/hook", received
    server.shutdown()
    server.server_close()


@pytest.fixture
def delivered(db, settings, receiver) -> tuple[WebhookEndpoint, dict[str, str], str]:
    settings.TRACKER_WEBHOOKS_ALLOW_PRIVATE = True
    url, received = receiver
    owner = User.objects.create_user("editor", "editor@example.org", is_staff=True)
    with committed():
        endpoint = endpoint_save(
            endpoint=WebhookEndpoint(url=url, owner=owner, event_types=["milestone.created"]),
            by=owner,
        )
    make_milestone(make_track(make_negotiation()), "Interim agreement", "July 8, 2026")
    assert deliver_due_webhooks().delivered == 1
    [(headers, body)] = received
    return endpoint, headers, body


def test_the_npm_standardwebhooks_library_verifies_a_delivery(delivered):
    endpoint, headers, body = delivered
    answer = verified(endpoint.secret, headers, body)
    assert answer == {"ok": True, "type": "milestone.created"}


def test_a_tampered_delivery_is_caught(delivered):
    endpoint, headers, body = delivered
    answer = verified(endpoint.secret, headers, body.replace("Interim", "Final"))
    assert answer["ok"] is False
