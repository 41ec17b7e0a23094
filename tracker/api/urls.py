from __future__ import annotations

from django.urls import URLPattern, URLResolver, include, path, re_path
from drf_spectacular.views import SpectacularAPIView
from rest_framework.routers import DefaultRouter

from tracker.api import articles, views
from tracker.api.webhooks import WebhookEndpointViewSet

app_name = "api"

router = DefaultRouter()
router.register("parties", views.PartyViewSet)
router.register("sources", views.SourceViewSet)
router.register("negotiations", views.NegotiationViewSet)
router.register("tracks", views.TrackViewSet)
router.register("milestones", views.MilestoneViewSet)
router.register("targets", views.TargetViewSet)
router.register("observations", views.ObservationViewSet)
router.register("series", views.SeriesViewSet)
router.register("subscriptions", views.SubscriptionViewSet, basename="subscription")
router.register("reminders", views.ReminderViewSet)
router.register("changes", views.ChangeViewSet)
router.register("webhooks", WebhookEndpointViewSet, basename="webhook")
router.register("articles", articles.ArticleViewSet)
router.register("proposals", articles.ProposalViewSet)

urlpatterns: list[URLPattern | URLResolver] = [
    path("v1/auth/token/", views.TokenView.as_view(), name="token"),
    re_path(r"^v1/deadlines/parse/?$", views.DeadlineParseView.as_view(), name="deadline-parse"),
    path("v1/calendar/feed/", views.CalendarFeedView.as_view(), name="calendar-feed"),
    path("v1/", include(router.urls)),
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    path("docs/", views.docs, name="docs"),
]
