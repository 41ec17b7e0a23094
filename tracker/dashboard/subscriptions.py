"""The subscriptions pages: what someone follows, when they next hear, and the forms to
subscribe, edit and cancel. Every change is one call to tracker.services.subscriptions."""

from __future__ import annotations

import datetime as dt
import zoneinfo
from dataclasses import dataclass
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from tracker.dashboard import pages
from tracker.dashboard.forms import (
    COMMON_TIMEZONES,
    CUSTOM_DAY,
    SubscriptionForm,
    digest_rule_of,
    subscription_initial,
)
from tracker.models import Reminder, Subscription
from tracker.reminders.digests import next_occurrence
from tracker.reminders.recurrence import schedule_of
from tracker.services.subscriptions import (
    AlreadySubscribed,
    subscription_create,
    subscription_unsubscribe,
    subscription_update,
)


@dataclass(frozen=True)
class Following:
    """One subscription as its page shows it: dates are in the subscriber's time zone."""

    subscription: Subscription
    next_reminder: Reminder | None
    next_reminder_at: dt.datetime | None
    next_digest_at: dt.datetime | None


def following(user: Any, now: dt.datetime) -> list[Following]:
    """The user's active subscriptions with their next planned reminder and digest."""
    rows = []
    for subscription in pages.user_subscriptions(user):
        zone = zoneinfo.ZoneInfo(subscription.timezone)
        reminder = (
            subscription.reminders.filter(state=Reminder.State.PENDING)
            .select_related("milestone")
            .order_by("due_at", "id")
            .first()
        )
        digest = next_occurrence(subscription, now)
        rows.append(
            Following(
                subscription=subscription,
                next_reminder=reminder,
                next_reminder_at=reminder.due_at.astimezone(zone) if reminder else None,
                next_digest_at=digest.astimezone(zone) if digest else None,
            )
        )
    return rows


def _subject_key(subscription: Subscription) -> str:
    subject: str = subscription_initial(subscription)["subject"]
    return subject


@login_required
def subscriptions(request: HttpRequest) -> HttpResponse:
    options = pages.subscribable()
    current = pages.user_subscriptions(request.user)
    preset = request.GET.get("follow", "")
    # "Follow" on a page the user already follows leads to that subscription, not a new one.
    for s in current:
        if preset and _subject_key(s) == preset:
            return redirect("subscription_edit", pk=s.pk)
    form = SubscriptionForm(
        request.POST or None,
        negotiations=options,
        initial={"subject": preset} if preset else {},
        browser_zone=request.method != "POST",
    )
    if request.method == "POST" and form.is_valid():
        try:
            subscription = subscription_create(
                **form.cleaned_data["subject"],
                user=request.user,
                timezone_name=form.cleaned_data["timezone"],
                offsets=form.cleaned_data["offsets"],
                digest_rule=digest_rule_of(form),
                reminders_on=form.cleaned_data["reminders_on"],
                replace=False,
                language=get_language(),
            )
        except AlreadySubscribed as already:
            messages.info(
                request,
                _(
                    "You already follow %(subject)s. Nothing was changed; "
                    "here are its settings to edit."
                )
                % {"subject": already.existing.subject},
            )
            return redirect("subscription_edit", pk=already.existing.pk)
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(
                request, _("Subscribed to %(subject)s.") % {"subject": subscription.subject}
            )
            return redirect("subscriptions")
    return render(
        request,
        "tracker/subscriptions.html",
        {
            "form": form,
            "following": following(request.user, timezone.now()),
            "timezones": COMMON_TIMEZONES,
        },
    )


@login_required
def subscription_edit(request: HttpRequest, pk: int) -> HttpResponse:
    subscription = get_object_or_404(
        Subscription, pk=pk, user=request.user, unsubscribed_at__isnull=True
    )
    custom = "" if schedule_of(subscription.digest_rule) else subscription.digest_rule
    form = SubscriptionForm(
        request.POST or None,
        negotiations=pages.subscribable(),
        initial=subscription_initial(subscription),
        custom_rule=custom,
    )
    if request.method == "POST" and form.is_valid():
        try:
            subscription = subscription_update(
                subscription=subscription,
                **form.cleaned_data["subject"],
                timezone_name=form.cleaned_data["timezone"],
                offsets=form.cleaned_data["offsets"],
                digest_rule=digest_rule_of(form),
                reminders_on=form.cleaned_data["reminders_on"],
            )
        except AlreadySubscribed as already:
            form.add_error(
                "subject",
                f"You already follow {already.existing.subject} in another subscription; "
                "change or cancel that one.",
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(
                request,
                _("Saved your subscription to %(subject)s.") % {"subject": subscription.subject},
            )
            return redirect("subscriptions")
    return render(
        request,
        "tracker/subscription_edit.html",
        {
            "form": form,
            "subscription": subscription,
            "custom_day": CUSTOM_DAY,
            "timezones": COMMON_TIMEZONES,
        },
    )


@login_required
@require_POST
def unsubscribe(request: HttpRequest, pk: int) -> HttpResponse:
    subscription = get_object_or_404(Subscription, pk=pk, user=request.user)
    subscription_unsubscribe(subscription=subscription)
    messages.success(
        request, _("Unsubscribed from %(subject)s.") % {"subject": subscription.subject}
    )
    return redirect("subscriptions")
