"""Webhooks and change feeds: other systems hear what changed (docs/design.md "Webhooks").

- events.py: the event types and their JSON, written in the transaction of the change by
  the write services and the status refresh, with one outbox row per interested endpoint.
- addresses.py: which hosts an endpoint may point at (no loopback or private networks).
- endpoints.py: registering, re-enabling and re-keying endpoints (the one write path).
- delivery.py: the sender: claim under a lease, POST signed, record the attempt, back off.
- feeds.py: Atom feeds of recent changes, read from the same events.
"""
