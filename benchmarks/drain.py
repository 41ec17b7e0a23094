"""Benchmark: how long the outbox takes to drain when a worker is killed mid-send.

    DATABASE_URL=postgres://… python benchmarks/drain.py [--reminders 2000] [--kill-after 300]

Builds a throwaway PostgreSQL test database with `--reminders` reminders all due, starts
a redis-server of its own on a free loopback port, an SMTP sink (aiosmtpd) and Celery as
the Procfile runs it (a prefork worker with two processes, and beat) with the production
lease (OUTBOX_LEASE_SECONDS=90). Once `--kill-after` emails have arrived it kills the
worker with SIGKILL, starts another, and prints how long it took until every reminder
had arrived, and how many arrived twice. It prints; it asserts nothing. The issue's
target: under 3 minutes for 2,000 reminders (before leases: about 17).
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from throwaway import in_throwaway_database  # a sibling: the script's own folder is on sys.path


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--reminders", type=int, default=2000, help="a multiple of 4")
    parser.add_argument("--kill-after", type=int, default=300)
    args = parser.parse_args()
    if not os.environ.get("DATABASE_URL", "").startswith("postgres"):
        sys.exit("Set DATABASE_URL to a PostgreSQL server: workers and this script share it.")

    in_throwaway_database(lambda: run(args))


def run(args: argparse.Namespace) -> None:
    from celery import Celery as CeleryApp

    from tests.processes import (
        Celery,
        RedisServer,
        Sink,
        SmtpSink,
        due_outbox,
        outbox_settled,
        process_env,
        wait_until,
    )

    keys = due_outbox(milestones=args.reminders // 4, recipients=4)
    folder = Path(tempfile.mkdtemp(prefix="tranche-drain-"))
    redis = RedisServer(folder)
    redis.start()
    sink = Sink()
    processes: list[Celery] = []
    try:
        with SmtpSink(sink) as smtp:
            env = process_env(REDIS_URL=redis.url, EMAIL_URL=smtp.url, OUTBOX_LEASE_SECONDS="90")
            worker_args = ("--concurrency=2", "--without-mingle", "--without-gossip")
            first = Celery("worker", env, *worker_args, log=folder / "worker-1.log").start()
            beat = Celery("beat", env, f"--schedule={folder / 'beat'}", log=folder / "beat.log")
            processes += [first, beat.start()]
            time.sleep(5)  # let the worker connect before the first run is queued
            started = time.monotonic()
            CeleryApp("kick", broker=redis.url, set_as_current=False).send_task(
                "tracker.tasks.send_due_reminders"
            )
            wait_until(lambda: sink.count >= args.kill_after, timeout=600)
            first.kill()
            killed = time.monotonic()
            at_kill = sink.count
            second = Celery("worker", env, *worker_args, log=folder / "worker-2.log").start()
            processes.append(second)
            wait_until(lambda: set(keys) <= set(sink.keys) and outbox_settled(), timeout=1200)
            done = time.monotonic()
    finally:
        for process in processes:
            process.stop()
        redis.stop()
    print(f"{len(keys)} reminders due; worker killed (kill -9) after {at_kill} had arrived")
    print(f"drain after the kill:   {done - killed:6.1f} s (lease 90 s; target under 180 s)")
    print(f"drain from the start:   {done - started:6.1f} s")
    print(f"duplicates:             {sink.duplicates()}")
    print(f"logs:                   {folder}")


if __name__ == "__main__":
    main()
