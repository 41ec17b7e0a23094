from __future__ import annotations

from django.urls import URLPattern, URLResolver, path, register_converter

from tracker.calendar import views

app_name = "calendar"


class FeedSecret:
    """The characters of secrets.token_urlsafe: anything else is not found, before any query."""

    regex = "[A-Za-z0-9_-]{16,128}"

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value: str) -> str:
        return value


register_converter(FeedSecret, "feedsecret")

urlpatterns: list[URLPattern | URLResolver] = [
    path("calendar.ics", views.all_feed, name="feed"),
    path("negotiations/<slug:slug>/calendar.ics", views.negotiation_feed, name="negotiation-feed"),
    path("calendar/<feedsecret:key>.ics", views.private_feed, name="private-feed"),
    path(
        "calendar/<feedsecret:key>/negotiations/<slug:slug>.ics",
        views.private_negotiation_feed,
        name="private-negotiation-feed",
    ),
]
