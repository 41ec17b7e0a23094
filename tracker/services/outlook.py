"""Storing the outlook's back-test: one row per scope each run, the newest read by pages."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from fractions import Fraction

from django.db import transaction

from tracker.models import OutlookScore
from tracker.services.versions import data_version_bump


def outlook_scores_store(
    *, scores: Sequence[tuple[int | None, Fraction | None, int]], on: dt.date
) -> list[OutlookScore]:
    """Record each (negotiation id or None for the whole record, Brier score, forecasts)."""
    with transaction.atomic():
        data_version_bump()  # pages show the score: their cached copies must not outlive it
        return OutlookScore.objects.bulk_create(
            OutlookScore(
                negotiation_id=negotiation,
                brier=float(brier) if brier is not None else None,
                forecasts=count,
                computed_on=on,
            )
            for negotiation, brier, count in scores
        )
