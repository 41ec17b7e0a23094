"""Set-based sending: a batch is claimed in one statement, each message is recorded as
sent the moment the server accepts it, a run keeps one SMTP connection, a backlog fans
out, and the .ics attachment is the calendar feed's event, written by the feed's own text
writer."""

from __future__ import annotations

import datetime as dt
import email
from typing import Any

import pytest
import time_machine
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext
from icalendar import Calendar

from tests.conftest import make_milestone, make_negotiation, make_track
from tests.jobs.test_outbox_reliability import LEASE, NINE, Backend, backend, due_reminders, keys
from tracker.calendar.feeds import milestone_ics, milestones_calendar
from tracker.deadlines import parse_deadline
from tracker.models import Milestone, Negotiation, Reminder
from tracker.reminders import outbox
from tracker.reminders.outbox import send_due_reminders
from tracker.services import milestone_set_deadline

pytestmark = pytest.mark.django_db
__all__ = ["backend"]  # the fixture, shared with the reliability tests


@pytest.fixture(autouse=True)
def fixed_lease(settings: Any) -> None:
    settings.OUTBOX_LEASE_SECONDS = LEASE.total_seconds()


def queries_to_send(count: int, *, batch_size: int = 50) -> list[str]:
    Negotiation.objects.all().delete()  # and with it the last call's reminders
    due_reminders(count, title=f"Run of {count}")
    with time_machine.travel(NINE, tick=False), CaptureQueriesContext(connection) as queries:
        assert send_due_reminders(batch_size=batch_size).sent == count
    return [q["sql"] for q in queries.captured_queries]


def writes(queries: list[str], table: str) -> int:
    return sum(1 for sql in queries if sql.startswith(f'UPDATE "tracker_{table}"'))


# --- claiming a batch, recording each message --------------------------------------------


def test_a_batch_costs_a_fixed_number_of_queries_and_each_message_two_writes() -> None:
    queries_to_send(1)  # the first run creates the /metrics counters
    few, many = queries_to_send(5), queries_to_send(40)
    if connection.vendor == "postgresql":
        # Per message: one statement marks it sent and counts it, not waiting for the disk.
        assert len(many) - len(few) == 35
        assert sum("set_config('synchronous_commit', 'off', true)" in sql for sql in many) == 40
        per_message = 1
    else:
        # Per message: its "sent" and the running count, in one transaction (a savepoint).
        assert len(many) - len(few) == 35 * 4
        assert writes(many, "reminder") - writes(few, "reminder") == 35
        assert writes(many, "deliverycount") - writes(few, "deliverycount") == 35
        per_message = 4
    # Per batch: the claim (in a savepoint), load, prefetch, give back and the counts.
    assert len(few) - 5 * per_message <= 20


def test_each_further_batch_costs_a_handful_of_queries_whatever_its_size() -> None:
    queries_to_send(1)
    one, four = queries_to_send(20, batch_size=20), queries_to_send(20, batch_size=5)
    assert len(four) - len(one) <= 3 * 7


@pytest.mark.skipif(connection.vendor != "postgresql", reason="SKIP LOCKED is PostgreSQL's")
def test_the_claim_is_one_update_of_the_first_due_rows_skipping_those_locked() -> None:
    due_reminders(3)
    with CaptureQueriesContext(connection) as queries:
        rows, claim = outbox._claim(outbox.REMINDERS, NINE, 2)
    [update] = [q["sql"] for q in queries.captured_queries if q["sql"].startswith("UPDATE")]
    assert "IN (SELECT" in update and "LIMIT 2 FOR UPDATE SKIP LOCKED" in update
    assert 'ORDER BY U0."due_at" ASC' in update
    assert [row.claim_token for row in rows] == [claim.token, claim.token]


def test_each_message_is_recorded_as_sent_the_moment_the_server_accepts_it(
    backend: type[Backend],
) -> None:
    due_reminders(3)
    states_while_sending: list[list[str]] = []

    def look(sent_before: int, message: Any) -> None:
        states_while_sending.append(sorted(Reminder.objects.values_list("state", flat=True)))

    backend.fault = look
    with time_machine.travel(NINE, tick=False):
        assert send_due_reminders().sent == 3
    assert states_while_sending == [
        ["sending", "sending", "sending"],
        ["sending", "sending", "sent"],
        ["sending", "sent", "sent"],
    ]
    assert set(Reminder.objects.values_list("state", "attempts")) == {("sent", 1)}


def test_a_sender_killed_between_an_accept_and_its_record_sends_only_that_message_again(
    backend: type[Backend], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The one window left: accepted by the server, not yet recorded."""
    rows = due_reminders(3)
    record = outbox._record_accepted
    recorded: list[int] = []

    def killed_at_the_second(lane: Any, row: Any, *args: Any) -> None:
        if len(recorded) == 1:
            raise SystemExit("the worker was killed")
        recorded.append(row.pk)
        record(lane, row, *args)

    monkeypatch.setattr(outbox, "_record_accepted", killed_at_the_second)
    with time_machine.travel(NINE, tick=False), pytest.raises(SystemExit):
        send_due_reminders()
    # The first is sent; the second stays with the dead claim; the third went back.
    states = dict(Reminder.objects.values_list("pk", "state"))
    assert [states[r.pk] for r in rows] == ["sent", "sending", "pending"]
    monkeypatch.undo()
    with time_machine.travel(NINE + LEASE + dt.timedelta(seconds=1), tick=False):
        again = send_due_reminders()
    assert (again.released, again.sent) == (1, 2)
    sent = keys(backend.delivered)
    assert sorted(sent) == sorted([r.key for r in rows] + [rows[1].key])  # one twice, none lost


# --- one SMTP connection per run --------------------------------------------------------


class CountingBackend(Backend):
    opened = 0

    def open(self) -> bool:
        CountingBackend.opened += 1
        return True


def test_one_mail_connection_serves_every_batch_of_a_run(settings: Any) -> None:
    settings.EMAIL_BACKEND = "tests.jobs.test_reminders_sending_in_batches.CountingBackend"
    CountingBackend.opened, Backend.delivered, Backend.fault = 0, [], None
    due_reminders(7)
    with time_machine.travel(NINE, tick=False):
        result = send_due_reminders(batch_size=2)
    assert (result.sent, result.batches) == (7, 4)
    assert CountingBackend.opened == 1
    assert len(Backend.delivered) == 7


# --- fanning out ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("due", "senders", "helpers"),
    [(3, 2, 0), (5, 2, 1), (40, 2, 1), (40, 4, 3), (7, 4, 2), (40, 1, 0)],
)
def test_a_backlog_asks_for_one_helper_per_further_batch_up_to_the_senders_allowed(
    settings: Any, due: int, senders: int, helpers: int
) -> None:
    settings.OUTBOX_SENDERS = senders
    due_reminders(due)
    asked: list[int] = []
    with time_machine.travel(NINE, tick=False):
        result = send_due_reminders(batch_size=2, fan_out=asked.append)
    assert result.sent == due
    assert asked == ([helpers] if helpers else [])
    assert result.helpers == helpers


def test_senders_already_holding_claims_leave_room_for_fewer_helpers(settings: Any) -> None:
    settings.OUTBOX_SENDERS = 3
    due_reminders(20)
    asked: list[int] = []
    with time_machine.travel(NINE, tick=False):
        outbox._claim(outbox.REMINDERS, NINE, 2)  # another run, still sending
        assert outbox.live_senders(NINE) == 1
        send_due_reminders(batch_size=2, fan_out=asked.append)
    assert asked == [1]


def test_a_run_that_stops_with_rows_left_leaves_the_successor_to_a_sender_still_going(
    caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    import logging

    from tracker import tasks

    due_reminders(4)
    queued: list[Any] = []

    def enqueue(task: Any, **kwargs: Any) -> bool:
        queued.append(task)
        return True

    monkeypatch.setattr(tasks, "enqueue", enqueue)
    caplog.set_level(logging.INFO, logger="tracker.tasks")
    original = outbox.send_due_reminders
    monkeypatch.setattr(
        outbox, "send_due_reminders", lambda **kwargs: original(budget=0.0, **kwargs)
    )
    with time_machine.travel(NINE, tick=False):
        tasks.send_due_reminders.run()  # nobody else sends: it queues its successor
        assert queued == [tasks.send_due_reminders]
        outbox._claim(outbox.REMINDERS, NINE, 1)  # another run holds a claim
        tasks.send_due_reminders.run()
    assert len(queued) == 1
    lines = [r.getMessage() for r in caplog.records if r.name == "tracker.tasks"]
    assert "successor=queued" in lines[0] and "successor=others" in lines[1]


# --- the .ics attachment ----------------------------------------------------------------

AWKWARD = (
    'Tariffs; quotas, and "safeguards" \\ with a backslash — '
    "naïve façade 輸入 and an emoji 🚢 repeated " * 3
)


def _events(body: bytes) -> tuple[Any, Any]:
    calendar = Calendar.from_ical(body)
    [event] = calendar.walk("VEVENT")
    return calendar, event


def test_the_attachment_reads_as_the_calendar_feeds_event_property_by_property() -> None:
    track = make_track(make_negotiation("awkward", name="EU, UK; and \\ others"))
    milestone = make_milestone(
        track,
        f"Schedule {AWKWARD}"[:200],
        "July 8, 2025",
        slug="schedule",
        consequence=f"{AWKWARD}\nSecond line",
    )
    milestone_set_deadline(
        milestone=milestone,
        deadline=parse_deadline("July 9, 2025"),
        reason="Slipped a day",
    )
    milestone = Milestone.objects.select_related("track__negotiation").get(pk=milestone.pk)
    revisions = milestone.revisions.count()
    milestone.revision_count = revisions  # type: ignore[attr-defined]
    feed = milestones_calendar([milestone], name=milestone.title)
    ours = milestone_ics(milestone, revisions=revisions)
    feed_calendar, feed_event = _events(feed)
    our_calendar, our_event = _events(ours)
    assert sorted(our_calendar.keys()) == sorted(feed_calendar.keys())
    for name in feed_calendar:
        assert our_calendar.decoded(name) == feed_calendar.decoded(name), name
    assert sorted(our_event.keys()) == sorted(feed_event.keys())
    for name in feed_event:
        if name == "CATEGORIES":
            assert our_event[name].cats == feed_event[name].cats
        else:
            assert our_event.decoded(name) == feed_event.decoded(name), name
    assert our_event.decoded("SEQUENCE") == 1
    assert "Second line" in str(our_event.decoded("DESCRIPTION"))


def test_every_line_of_the_attachment_is_at_most_75_octets_and_ends_in_crlf() -> None:
    track = make_track(make_negotiation())
    milestone = make_milestone(track, f"Long {AWKWARD}"[:200], slug="long", consequence=AWKWARD * 4)
    body = milestone_ics(milestone, revisions=1)
    assert body.endswith(b"\r\n") and b"\n" not in body.replace(b"\r\n", b"")
    lines = body.split(b"\r\n")
    assert max(len(line) for line in lines) <= 75
    for line in lines:
        line.decode()  # no line ends inside a UTF-8 sequence


def test_the_email_carries_the_attachment_as_text_calendar(backend: type[Backend]) -> None:
    due_reminders(1)
    with time_machine.travel(NINE, tick=False):
        send_due_reminders()
    [message] = backend.delivered
    parsed = email.message_from_bytes(message.message().as_bytes())
    [part] = [p for p in parsed.walk() if p.get_content_type() == "text/calendar"]
    _, event = _events(bytes(part.get_payload(decode=True)))
    assert str(event["UID"]).startswith("milestone-") and event.decoded("SEQUENCE") == 0
    assert mail.outbox == []  # delivered through the fault backend only
