"""The outlook back-test on a record written through the services, stored by its command."""

from __future__ import annotations

import datetime as dt
from io import StringIO

import pytest
import time_machine
from django.core.management import call_command

from tests.conftest import committed, make_milestone, make_negotiation, make_track
from tracker import deadline_record, services
from tracker.models import Milestone, OutlookScore, Source

pytestmark = pytest.mark.django_db


def _cited(milestone: Milestone, on: dt.date) -> Milestone:
    """The milestone citing a statement of `on`: its deadline was known from that day."""
    source = services.source_save(
        source=Source(
            slug=f"statement-{milestone.pk}", title="Statement", excerpt="…", published_on=on
        )
    )
    milestone.sources.add(source)
    return milestone


def _complete(milestone: Milestone, on: dt.date) -> None:
    with time_machine.travel(dt.datetime.combine(on, dt.time(12), dt.UTC), tick=False), committed():
        services.milestone_complete(milestone=milestone, completed_on=on)


def _known_history() -> None:
    """Eight deadlines of January 2024 stated in December 2023, six met on their day and
    two 30 and 60 days late; then one stated on 15 December 2024 for 31 March 2025 and met
    on 20 March. The outlook said 6 in 8 on 1 January, 1 February and 1 March 2025; it was
    met, so each forecast scores (1 − 0.75)² = 0.0625, and so does their mean."""
    track = make_track(make_negotiation())
    said = dt.date(2023, 12, 1)
    for n, late in enumerate([0, 0, 0, 0, 0, 0, 30, 60]):
        day = dt.date(2024, 1, 10 + n)
        m = make_milestone(track, f"Step {n}", day.isoformat())
        _complete(_cited(m, said), day + dt.timedelta(days=late))
    last = make_milestone(track, "Interim agreement", "2025-03-31")
    _complete(_cited(last, dt.date(2024, 12, 15)), dt.date(2025, 3, 20))


def test_the_command_stores_the_brier_score_of_a_history_whose_answer_is_known(
    frozen: time_machine.Traveller,
) -> None:
    _known_history()
    track = Milestone.objects.get(title="Interim agreement").track
    out = StringIO()

    call_command("outlook_backtest", stdout=out)

    whole = OutlookScore.objects.get(negotiation=None)
    own = OutlookScore.objects.get(negotiation=track.negotiation)
    assert (whole.brier, whole.forecasts) == (0.0625, 3)
    assert (own.brier, own.forecasts) == (0.0625, 3)
    assert "Brier score 0.0625 over 3 forecasts" in out.getvalue()


def test_the_daily_job_stores_the_same_score_as_the_command(
    frozen: time_machine.Traveller,
) -> None:
    from tracker.tasks import score_outlooks

    _known_history()

    assert score_outlooks() == 3
    negotiation = Milestone.objects.get(title="Interim agreement").track.negotiation_id
    stored = OutlookScore.objects.values_list("negotiation", "brier", "forecasts")
    # One score for the whole record (no negotiation) and one for the negotiation's own.
    assert sorted(stored, key=lambda row: row[0] or 0) == [
        (None, 0.0625, 3),
        (negotiation, 0.0625, 3),
    ]


def test_an_open_deadline_shows_its_outlook_beside_the_stored_score(
    frozen: time_machine.Traveller,
) -> None:
    track = make_track(make_negotiation())
    for n, late in enumerate([0, 0, 0, 0, 0, 0, 30, 60]):
        day = dt.date(2024, 1, 10 + n)
        m = make_milestone(track, f"Step {n}", day.isoformat(), reference=dt.date(2023, 12, 1))
        _complete(m, day + dt.timedelta(days=late))
    call_command("outlook_backtest", stdout=StringIO())
    book = deadline_record.book()
    today = dt.date(2026, 11, 21)

    view = book.outlook(track.negotiation_id, dt.date(2027, 3, 31), "planned", today)

    assert view is not None
    assert view.words == (
        "75% chance of being met by the end of its window; 80% likely by 30 April 2027 "
        "(from 8 resolved deadlines of this negotiation)"
    )
    assert view.score_words == "back-test: no past forecast to score yet (21 November 2026)"


def test_with_seven_resolved_deadlines_the_outlook_says_not_enough_history(
    frozen: time_machine.Traveller,
) -> None:
    track = make_track(make_negotiation())
    for n in range(7):
        day = dt.date(2024, 1, 10 + n)
        _complete(make_milestone(track, f"Step {n}", day.isoformat()), day)
    view = deadline_record.book().outlook(
        track.negotiation_id, dt.date(2027, 3, 31), "planned", dt.date(2026, 11, 21)
    )
    assert view is not None and view.words == "not enough history"
