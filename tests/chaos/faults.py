"""A sender with one fault injected at an exact point, run as its own process:

    python -m tests.chaos.faults POINT N[,N…]

It sends what the outbox holds (`send_due_reminders`) on the database and mail server its
environment names (DATABASE_URL, EMAIL_URL), and each Nth time it reaches POINT:

- after-accept: the server has accepted a message, its "sent" is not yet written → kill -9;
- write-in-flight: the "sent" write has gone to the database, its answer is not yet
  read (the next message is being built) → kill -9;
- after-claim: a batch is claimed, nothing of it sent yet → kill -9;
- mid-renewal: the lease renewal's UPDATE has run, its commit has not → kill -9;
- record-cut-off: the server has accepted a message → the process's own database
  connection is terminated (pg_terminate_backend) just as its "sent" is to be written,
  and it goes on.

It exits 0 when the run ended without the fault firing, so a test can tell "the fault did
not happen" from "the process died of it" (-9)."""

from __future__ import annotations

import os
import signal
import sys
from collections.abc import Callable
from typing import Any


def _kill() -> None:
    os.kill(os.getpid(), signal.SIGKILL)


def inject(point: str, times: set[int]) -> Callable[[], int]:
    """Patch the sender so the fault fires at POINT's Nth passes; returns a function that
    says how many times POINT was reached. Django must be set up."""
    import psycopg
    from django.db import connection, transaction

    from tracker.reminders import outbox

    reached = 0

    def now_is_the_time() -> bool:
        nonlocal reached
        reached += 1
        return reached in times

    if point == "after-accept":
        record = outbox._record_accepted

        def record_after_kill(*args: Any) -> None:
            if now_is_the_time():
                _kill()
            record(*args)

        outbox._record_accepted = record_after_kill  # type: ignore[assignment]
    elif point == "write-in-flight":
        start = outbox._record_accepted

        def record_then_kill(*args: Any) -> None:
            start(*args)
            if now_is_the_time():
                _kill()

        outbox._record_accepted = record_then_kill  # type: ignore[assignment]
    elif point == "after-claim":
        claim = outbox._claim

        def claim_then_kill(*args: Any) -> Any:
            claimed = claim(*args)
            if claimed[0] and now_is_the_time():
                _kill()
            return claimed

        outbox._claim = claim_then_kill  # type: ignore[assignment]
    elif point == "mid-renewal":
        renew = outbox._renew

        def renew_uncommitted(*args: Any) -> None:
            if not now_is_the_time():
                renew(*args)
                return
            with transaction.atomic():
                renew(*args)
                _kill()

        outbox._renew = renew_uncommitted  # type: ignore[assignment]
    elif point == "record-cut-off":
        write_sent = outbox._write_sent

        def cut_off_then_write(*args: Any) -> Callable[[], bool]:
            if now_is_the_time():
                db = connection.settings_dict
                with psycopg.connect(
                    dbname=db["NAME"], user=db["USER"], password=db["PASSWORD"] or None,
                    host=db["HOST"], port=db["PORT"] or 5432, autocommit=True,
                ) as admin:  # fmt: skip
                    pid = connection.connection.info.backend_pid
                    admin.execute("SELECT pg_terminate_backend(%s)", [pid])
            return write_sent(*args)

        outbox._write_sent = cut_off_then_write  # type: ignore[assignment]
    else:
        raise ValueError(f"unknown fault point {point!r}")
    return lambda: reached


def main(point: str, times: set[int]) -> None:
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    django.setup()
    from tracker.reminders import outbox

    reached = inject(point, times)
    result = outbox.send_due_reminders(budget=None)
    print(f"fault {point}: reached {reached()} time(s); {result.as_fields()}", flush=True)


if __name__ == "__main__":
    main(sys.argv[1], {int(n) for n in sys.argv[2].split(",")})
