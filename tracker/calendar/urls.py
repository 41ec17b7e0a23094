from __future__ import annotations

from django.urls import URLPattern, URLResolver, path

from tracker.calendar import views

app_name = "calendar"

urlpatterns: list[URLPattern | URLResolver] = [
    path("calendar.ics", views.all_feed, name="feed"),
    path("negotiations/<slug:slug>/calendar.ics", views.negotiation_feed, name="negotiation-feed"),
    path("calendar/<str:key>.ics", views.private_feed, name="private-feed"),
    path(
        "calendar/<str:key>/negotiations/<slug:slug>.ics",
        views.private_negotiation_feed,
        name="private-negotiation-feed",
    ),
]
