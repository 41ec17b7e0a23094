from __future__ import annotations

from django.contrib.auth import views as auth_views
from django.urls import URLPattern, URLResolver, path, re_path, reverse_lazy

from tracker import password_forms
from tracker.dashboard import accounts, desk, sharing, subscriptions, views
from tracker.dashboard.forms import QueuedPasswordResetForm

urlpatterns: list[URLPattern | URLResolver] = [
    path("", views.overview, name="overview"),
    path("negotiations/<slug:slug>/", views.negotiation, name="negotiation"),
    path("negotiations/<slug:slug>/tracks/<slug:track_slug>/", views.track, name="track"),
    path("milestones/<int:pk>/", views.milestone, name="milestone"),
    path("targets/<int:pk>/", views.target, name="target"),
    path("upcoming/", views.upcoming, name="upcoming"),
    path("roadmap/", views.roadmap_page, name="roadmap"),
    re_path(
        r"^roadmap/export\.(?P<file_format>csv|xlsx)$", views.roadmap_export, name="roadmap_export"
    ),
    path("review/", views.needs_review, name="needs_review"),
    # The editors' desk (issue 19): articles in, proposals decided.
    path("desk/", desk.desk, name="desk"),
    path("desk/articles/<int:pk>/", desk.article, name="desk_article"),
    path("desk/proposals/<int:pk>/accept/", desk.accept, name="desk_accept"),
    path("desk/proposals/<int:pk>/reject/", desk.reject, name="desk_reject"),
    re_path(
        r"^upcoming/export\.(?P<file_format>csv|xlsx)$",
        views.upcoming_export,
        name="upcoming_export",
    ),
    re_path(
        r"^negotiations/(?P<slug>[-a-zA-Z0-9_]+)/(?P<table>milestones|targets)\.(?P<file_format>csv|xlsx)$",
        views.negotiation_export,
        name="negotiation_export",
    ),
    path("subscriptions/", subscriptions.subscriptions, name="subscriptions"),
    path("subscriptions/<int:pk>/", subscriptions.subscription_edit, name="subscription_edit"),
    path(
        "subscriptions/<int:pk>/unsubscribe/",
        subscriptions.unsubscribe,
        name="subscription_unsubscribe",
    ),
    path("search/", views.search, name="search"),
    path("negotiations/<slug:slug>/badge.svg", sharing.negotiation_badge, name="negotiation_badge"),
    path(
        "negotiations/<slug:slug>/tracks/<slug:track_slug>/badge.svg",
        sharing.track_badge,
        name="track_badge",
    ),
    path("embed/negotiations/<slug:slug>/", sharing.negotiation_embed, name="negotiation_embed"),
    path("login/", auth_views.LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    # Accounts (issue 15): sign-up, the account page, Django's password views.
    path("signup/", accounts.sign_up, name="sign_up"),
    path("signup/sent/", accounts.sign_up_sent, name="sign_up_sent"),
    path("signup/verify/<str:token>/", accounts.sign_up_verify, name="sign_up_verify"),
    path("account/", accounts.account, name="account"),
    path("language/<str:code>/", accounts.language_choose, name="set_language"),
    path("account/language/", accounts.account_language, name="account_language"),
    path("accessibility/", views.accessibility, name="accessibility"),
    path(
        "account/address/<str:token>/",
        accounts.account_address_verify,
        name="account_address_verify",
    ),
    path(
        "password/change/",
        auth_views.PasswordChangeView.as_view(
            form_class=password_forms.PasswordChangeForm,
            success_url=reverse_lazy("password_change_done"),
        ),
        name="password_change",
    ),
    path(
        "password/change/done/",
        auth_views.PasswordChangeDoneView.as_view(),
        name="password_change_done",
    ),
    path(
        "password/reset/",
        auth_views.PasswordResetView.as_view(
            form_class=QueuedPasswordResetForm, success_url=reverse_lazy("password_reset_done")
        ),
        name="password_reset",
    ),
    path(
        "password/reset/sent/",
        auth_views.PasswordResetDoneView.as_view(),
        name="password_reset_done",
    ),
    path(
        "password/reset/<uidb64>/<token>/",
        auth_views.PasswordResetConfirmView.as_view(
            form_class=password_forms.SetPasswordForm,
            success_url=reverse_lazy("password_reset_complete"),
        ),
        name="password_reset_confirm",
    ),
    path(
        "password/reset/done/",
        auth_views.PasswordResetCompleteView.as_view(),
        name="password_reset_complete",
    ),
]
