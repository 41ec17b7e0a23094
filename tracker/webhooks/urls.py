"""The change feeds' addresses (public, per negotiation, and by private token)."""

from __future__ import annotations

from django.urls import URLPattern, path

from tracker.calendar.urls import FeedSecret  # noqa: F401  (registers the "feedsecret" converter)
from tracker.webhooks.feeds import (
    all_changes,
    negotiation_changes,
    private_changes,
    private_negotiation_changes,
)

urlpatterns: list[URLPattern] = [
    path("changes.atom", all_changes, name="changes-feed"),
    path(
        "negotiations/<slug:slug>/changes.atom",
        negotiation_changes,
        name="negotiation-changes-feed",
    ),
    path("changes/<feedsecret:key>.atom", private_changes, name="private-changes-feed"),
    path(
        "changes/<feedsecret:key>/negotiations/<slug:slug>.atom",
        private_negotiation_changes,
        name="private-negotiation-changes-feed",
    ),
]
