from __future__ import annotations

from django.urls import URLPattern, URLResolver, path

from tracker.reminders import views

app_name = "reminders"

urlpatterns: list[URLPattern | URLResolver] = [
    path("subscriptions/confirm/<str:token>/", views.confirm, name="confirm"),
    path("unsubscribe/owner/<str:token>/", views.unsubscribe_owner, name="unsubscribe_owner"),
    path("unsubscribe/<str:token>/", views.unsubscribe, name="unsubscribe"),
]
