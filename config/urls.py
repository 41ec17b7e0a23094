from __future__ import annotations

from django.contrib import admin
from django.urls import include, path

from tracker.health import HealthView, WebHealthView
from tracker.metrics import metrics

urlpatterns = [
    path("admin/", admin.site.urls),
    path("health/", HealthView.as_view(), name="health"),
    path("health/web/", WebHealthView.as_view(), name="health-web"),
    path("metrics", metrics, name="metrics"),
    path("api/", include("tracker.api.urls")),
    path("", include("tracker.calendar.urls")),
    path("", include("tracker.webhooks.urls")),
    path("", include("tracker.reminders.urls")),
    path("", include("tracker.dashboard.urls")),
]
