"""Benchmark: sending 10,000 due reminders, and the due query on a million outbox rows.

    DATABASE_URL=postgres://… python benchmarks/sending.py [--reminders 10000]
        [--rows 1000000] [--parallel 2] [--rounds 5] [--due-only]

In a throwaway PostgreSQL test database it creates `--reminders` due reminders (50
tracks, each with its milestones and four confirmed subscribers) and starts an aiosmtpd
sink on a free loopback port in this process. It prints, each beside its in-run baseline:

- the date and the load average, at the start and at the end;
- the time to send them all with `outbox.send_due_reminders(budget=None)` in one process,
  beside the same messages built beforehand and sent over one SMTP connection by Django's
  SMTP backend: `--rounds` of each, alternating, so a shared machine's load falls on
  both; each round's figures, then the medians and their ratio;
- the same with `--parallel` processes sending at once (the worker's concurrency);
- database queries per email;
- the same sending with the sender killed halfway, between a message's SMTP accept and
  its "sent" write, and again with that write on its way: drained by a second sender,
  every reminder arrives, and at most the one message in flight twice;
- the claim statement and the due query (`ready(...)`) on `--rows` outbox rows, most of
  them sent or void and some due, beside the same on a table of `--reminders` rows, with
  the plan PostgreSQL chose.

Every figure is printed through benchmarks/measure.py's `report`. It asserts nothing
except that every reminder arrived once. The machine may be shared: trust the ratios.
"""

from __future__ import annotations

import argparse
import datetime as dt
import multiprocessing
import os
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from measure import median_ms, report  # siblings: the script's own folder is on sys.path
from throwaway import in_throwaway_database

TRACKS = 50
SUBSCRIBERS = 4
DUE_IN_BIG_TABLE = 1_000


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--reminders", type=int, default=10_000, help="a multiple of 200")
    parser.add_argument("--rows", type=int, default=1_000_000, help="0 skips the due query")
    parser.add_argument("--parallel", type=int, default=2, help="0 skips the parallel run")
    parser.add_argument("--rounds", type=int, default=5, help="baseline and outbox, alternating")
    parser.add_argument("--due-only", action="store_true", help="only the due query figures")
    args = parser.parse_args()
    if not os.environ.get("DATABASE_URL", "").startswith("postgres"):
        sys.exit("Set DATABASE_URL to a PostgreSQL server (the claim uses SKIP LOCKED).")
    in_throwaway_database(lambda: run(args))


def build(reminders: int) -> None:
    """`reminders` due reminders: TRACKS tracks × milestones × SUBSCRIBERS subscribers,
    each a week before its milestone's deadline and due a minute ago."""
    from django.utils import timezone

    from tracker.models import Milestone, Negotiation, Reminder, Subscription, Track

    now = timezone.now()
    latest = timezone.localdate() + dt.timedelta(days=7)
    negotiation = Negotiation.objects.create(slug="sending", name="Sending benchmark")
    tracks = Track.objects.bulk_create(
        Track(negotiation=negotiation, slug=f"t{t}", name=f"Track {t}") for t in range(TRACKS)
    )
    per_track = reminders // (TRACKS * SUBSCRIBERS)
    milestones = Milestone.objects.bulk_create(
        Milestone(
            track=track,
            slug=f"t{t}-m{m}",
            title=f"Milestone {m} of track {t}, with a comma; and a semicolon",
            deadline_text=latest.isoformat(),
            deadline_earliest=latest,
            deadline_latest=latest,
            deadline_precision="day",
            consequence="Tariffs on steel, aluminium and autos take full effect.",
        )
        for t, track in enumerate(tracks)
        for m in range(per_track)
    )
    subscriptions = Subscription.objects.bulk_create(
        Subscription(track=track, email=f"s{n}-t{t}@example.org", confirmed_at=now)
        for t, track in enumerate(tracks)
        for n in range(SUBSCRIBERS)
    )
    by_track: dict[int, list[Subscription]] = {}
    for subscription in subscriptions:
        assert subscription.track_id is not None
        by_track.setdefault(subscription.track_id, []).append(subscription)
    Reminder.objects.bulk_create(
        (
            Reminder(
                milestone=milestone,
                subscription=subscription,
                recipient=subscription.email,
                kind=Reminder.Kind.BEFORE,
                offset=7,
                deadline=latest,
                due_at=now - dt.timedelta(minutes=1),
            )
            for milestone in milestones
            for subscription in by_track[milestone.track_id]
        ),
        batch_size=2000,
    )


def sink_settings(port: int) -> dict[str, Any]:
    return {
        "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
        "EMAIL_HOST": "127.0.0.1",
        "EMAIL_PORT": port,
        "EMAIL_USE_TLS": False,
        "EMAIL_USE_SSL": False,
        "EMAIL_HOST_USER": "",
        "EMAIL_HOST_PASSWORD": "",
        "EMAIL_TIMEOUT": 30,
    }


def seconds(run: Callable[[], Any]) -> float:
    began = time.perf_counter()
    run()
    return time.perf_counter() - began


def send_in_parallel(processes: int) -> None:
    """`processes` senders at once, as the worker's pool processes run them."""
    from django.db import connections

    connections.close_all()  # each child opens its own
    context = multiprocessing.get_context("fork")
    children = [context.Process(target=_sender) for _ in range(processes)]
    for child in children:
        child.start()
    for child in children:
        child.join()


def _sender() -> None:
    from tracker.reminders import outbox

    outbox.send_due_reminders(budget=None)


def run(args: argparse.Namespace) -> None:
    from tracker.models import Reminder

    began = time.perf_counter()
    build(args.reminders)
    count = Reminder.objects.count()
    print(f"{count} due reminders built in {time.perf_counter() - began:.1f} s", flush=True)

    if args.due_only:
        Reminder.objects.update(state="sent")
    else:
        send(args, count)
    if args.rows:
        due_query(count, args.rows)


def machine() -> str:
    """When, and how loaded the machine was: a shared machine's figures need both."""
    one, five, fifteen = os.getloadavg()
    now = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    return f"{now}, load average {one:.2f} {five:.2f} {fifteen:.2f} on {os.cpu_count()} cores"


def send(args: argparse.Namespace, count: int) -> None:
    from django.core.mail import get_connection
    from django.db import connection
    from django.test.utils import override_settings
    from django.utils import timezone

    from tests.processes import Sink, SmtpSink
    from tracker.models import Reminder
    from tracker.reminders import outbox
    from tracker.reminders.emails import reminder_email

    sink = Sink()
    with SmtpSink(sink) as smtp, override_settings(**sink_settings(smtp.port)):
        # The baseline: the same messages, built beforehand, over one SMTP connection by
        # Django's SMTP backend (smtplib); none of the outbox's code runs in it.
        rows = list(
            Reminder.objects.select_related(*outbox.REMINDERS.related).prefetch_related(
                *outbox.REMINDERS.prefetch
            )
        )
        now = timezone.now()
        messages = [reminder_email(row, now) for row in rows]
        mail = get_connection(fail_silently=False)

        def send_prebuilt() -> None:
            mail.open()
            mail.send_messages(messages)
            mail.close()

        queries: list[str] = []

        def counted(execute: Any, sql: str, *args: Any) -> Any:
            queries.append(sql)
            return execute(sql, *args)

        print(f"began {machine()}", flush=True)
        baselines: list[float] = []
        figures: list[float] = []
        for n in range(1, args.rounds + 1):
            # Alternating, so load from others on a shared machine falls on both alike.
            before = sink.count
            baselines.append(seconds(send_prebuilt))
            assert sink.count - before == count
            Reminder.objects.update(state="pending", sent_at=None, claim_token="", attempts=0)
            before = sink.count
            with connection.execute_wrapper(counted):
                began = time.perf_counter()
                result = outbox.send_due_reminders(budget=None)
                figures.append(time.perf_counter() - began)
            assert result.sent == count, result
            assert sink.count - before == count
            print(
                f"  round {n}: baseline {baselines[-1]:.2f} s, outbox {figures[-1]:.2f} s,"
                f" ratio {figures[-1] / baselines[-1]:.2f}×",
                flush=True,
            )
        figure, baseline = statistics.median(figures), statistics.median(baselines)
        print(f"ended {machine()}")
        report(
            f"send {count} due reminders, one process (median of {args.rounds})",
            figure,
            baseline=baseline,
            goal="≤ 1.5×",
            unit="s",
        )
        report(
            "  emails per second (baseline: pre-built, one SMTP)",
            count / figure,
            baseline=count / baseline,
            unit="/s",
        )
        report(
            "  database queries per 1,000 emails",
            1000 * len(queries) / (count * args.rounds),
            goal="≈ 1,000 on PostgreSQL: one statement an email, and a few a batch",
            unit="q",
        )

        crash(count, sink, "after-accept")
        crash(count, sink, "write-in-flight")

        if args.parallel:
            Reminder.objects.update(state="pending", sent_at=None, claim_token="", attempts=0)
            before, doubled = sink.count, sink.duplicates()
            parallel = seconds(lambda: send_in_parallel(args.parallel))
            arrived = sink.count - before
            assert arrived == count, (arrived, count)
            assert sink.duplicates() - doubled == count  # each once more, none twice
            report(
                f"send {count}, {args.parallel} processes at once",
                parallel,
                baseline=baseline,
                goal="≤ 1.5× (one process's baseline)",
                unit="s",
            )


def crash(count: int, sink: Any, point: str) -> None:
    """The same sending, with the sender killed (kill -9) halfway at a fault point of
    tests/chaos/faults.py: after-accept (the server accepted a message, its "sent" is
    not written) or write-in-flight (that write is on its way, its answer unread); a
    second sender drains the rest after the lease. Speed and at most the message in
    flight, from the same code."""
    import datetime as dt

    from django.db import connections
    from django.utils import timezone

    from tracker.models import Reminder
    from tracker.reminders import outbox

    Reminder.objects.update(state="pending", sent_at=None, claim_token="", attempts=0)
    before = list(sink.keys)
    connections.close_all()
    child = multiprocessing.get_context("fork").Process(
        target=_killed_sender, args=(point, count // 2)
    )
    child.start()
    child.join()
    assert child.exitcode == -9, child.exitcode
    later = timezone.now() + outbox.lease() + dt.timedelta(seconds=1)
    drained = outbox.send_due_reminders(now=later, budget=None)
    arrived = sink.keys[len(before) :]
    duplicates = len(arrived) - len(set(arrived))
    assert set(arrived) == set(before), "a reminder was lost"
    print(
        f"kill -9 at {point}, message {count // 2:,}: {len(set(arrived)):,} of {count:,}"
        f" delivered, {duplicates} duplicate(s) (goal ≤ 1), {drained.released} released"
    )


def _killed_sender(point: str, at: int) -> None:
    from tests.chaos.faults import inject
    from tracker.reminders import outbox

    inject(point, {at})
    outbox.send_due_reminders(budget=None)


# --- the due query on a big outbox --------------------------------------------------------


def due_query(small: int, rows: int) -> None:
    """The claim and the due query on the outbox as built (`small` rows), then again after
    adding old sent and void rows up to `rows`; DUE_IN_BIG_TABLE rows are due both times."""
    from django.db import connection
    from django.utils import timezone

    from tracker.models import Reminder

    now = timezone.now()
    due = list(Reminder.objects.order_by("id").values_list("id", flat=True)[:DUE_IN_BIG_TABLE])
    Reminder.objects.exclude(id__in=due).update(state="sent")
    Reminder.objects.filter(id__in=due).update(state="pending", claim_token="", attempts=0)
    with connection.cursor() as cursor:
        cursor.execute(f"ANALYZE {Reminder._meta.db_table}")
    small_claim, small_ready = _time_due(now)
    began = time.perf_counter()
    _add_old_rows(rows - Reminder.objects.count())
    total = Reminder.objects.count()
    print(f"outbox grown to {total} rows in {time.perf_counter() - began:.1f} s", flush=True)
    big_claim, big_ready = _time_due(now)
    report(
        f"claim a batch of 50, {total:,} rows ({DUE_IN_BIG_TABLE} due)",
        big_claim,
        baseline=small_claim,
        goal=f"≈ 1× (baseline: {small:,} rows)",
    )
    report(
        f"due query (ready, first 50), {total:,} rows",
        big_ready,
        baseline=small_ready,
        goal=f"≈ 1× (baseline: {small:,} rows)",
    )
    print("plan of the claim statement:")
    print(_explain_claim(now))


def _time_due(now: dt.datetime) -> tuple[float, float]:
    from django.db import transaction

    from tracker.models import Reminder
    from tracker.reminders import outbox

    def claim() -> None:
        with transaction.atomic():
            rows, _ = outbox._claim(outbox.REMINDERS, now, outbox.BATCH_SIZE)
            assert len(rows) == outbox.BATCH_SIZE
            transaction.set_rollback(True)

    def first_due() -> None:
        ready = outbox.ready(Reminder, now).order_by("due_at", "pk")
        assert len(ready.values_list("pk", flat=True)[: outbox.BATCH_SIZE]) == outbox.BATCH_SIZE

    return median_ms(claim, repeat=15), median_ms(first_due, repeat=15)


def _add_old_rows(count: int) -> None:
    """`count` reminders sent (nine in ten) or voided long ago, in one INSERT … SELECT."""
    from django.db import connection
    from django.utils import timezone

    from tracker.models import Milestone, Reminder

    if count <= 0:
        return
    milestones = list(Milestone.objects.values_list("id", flat=True))
    quote = connection.ops.quote_name
    columns = {
        "due_at": "now() - make_interval(mins => g)",
        "state": "CASE WHEN g %% 10 = 0 THEN 'void' ELSE 'sent' END",
        "attempts": "1",
        "last_error": "''",
        "claim_token": "''",
        "sent_at": "now() - make_interval(mins => g)",
        "created_at": "now() - make_interval(mins => g)",
        "milestone_id": "(%s::bigint[])[1 + g %% %s]",
        "recipient": "'old' || g || '@example.org'",
        "kind": "'before'",
        "offset": "7",
        "deadline": "%s",
    }
    fields = {
        f.name if f.name in columns else f.attname: str(f.column) for f in Reminder._meta.fields
    }
    names = ", ".join(quote(fields[name]) for name in columns)
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {quote(Reminder._meta.db_table)} ({names}) "
            f"SELECT {', '.join(columns.values())} FROM generate_series(1, %s) AS g",
            [milestones, len(milestones), timezone.localdate(), count],
        )
        cursor.execute(f"ANALYZE {quote(Reminder._meta.db_table)}")


def _explain_claim(now: dt.datetime) -> str:
    from django.db import connection, transaction
    from django.test.utils import CaptureQueriesContext

    from tracker.reminders import outbox

    with transaction.atomic():
        with CaptureQueriesContext(connection) as queries:
            outbox._claim(outbox.REMINDERS, now, outbox.BATCH_SIZE)
        transaction.set_rollback(True)
    [claim] = [q["sql"] for q in queries.captured_queries if q["sql"].startswith("UPDATE")]
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF) {claim}")
        plan = "\n".join(f"    {line}" for (line,) in cursor.fetchall())
        transaction.set_rollback(True)
    return f"    {claim}\n{plan}"


if __name__ == "__main__":
    main()
