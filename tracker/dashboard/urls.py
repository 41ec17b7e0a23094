from __future__ import annotations

from django.contrib.auth import views as auth_views
from django.urls import URLPattern, URLResolver, path

from tracker.dashboard import views

urlpatterns: list[URLPattern | URLResolver] = [
    path("", views.overview, name="overview"),
    path("negotiations/<slug:slug>/", views.negotiation, name="negotiation"),
    path("negotiations/<slug:slug>/tracks/<slug:track_slug>/", views.track, name="track"),
    path("milestones/<int:pk>/", views.milestone, name="milestone"),
    path("targets/<int:pk>/", views.target, name="target"),
    path("upcoming/", views.upcoming, name="upcoming"),
    path("review/", views.needs_review, name="needs_review"),
    path("subscriptions/", views.subscriptions, name="subscriptions"),
    path(
        "subscriptions/<int:pk>/unsubscribe/",
        views.unsubscribe,
        name="subscription_unsubscribe",
    ),
    path("login/", auth_views.LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
]
