"""The HTTP load benchmark (benchmarks/load.py) end to end, in its smoke size: a tiny
portfolio in a throwaway PostgreSQL database, gunicorn with two workers, hey for a second
per endpoint. Its figures are not checked (CI machines vary), only that every endpoint
answered 200 and was printed beside the baseline, and that the workers kept their database
connections."""

from __future__ import annotations

import importlib.util
import os
import re
import shutil
import signal
import subprocess
import sys
from pathlib import Path
from types import ModuleType
from urllib.parse import urlsplit

import pytest
from django.conf import settings

ENDPOINTS = ("negotiation", "overview", "api", "calendar", "parties")


def _benchmark_module(name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        f"benchmarks_{name}", Path(settings.BASE_DIR) / "benchmarks" / f"{name}.py"
    )
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


def test_heys_csv_gives_percentiles_statuses_and_the_rate_over_the_whole_run() -> None:
    hey = _benchmark_module("hey")
    rows = [(0.010 * (n + 1), 200 if n < 19 else 500, 0.1 * n) for n in range(20)]
    text = "response-time,DNS+dialup,DNS,Request-write,Response-delay,Response-read,"
    text += "status-code,offset\n"
    text += "".join(
        f"{took:.4f},0,0,0,{took:.4f},0,{status},{at:.4f}\n" for took, status, at in rows
    )

    load = hey.parse_csv(text)

    assert load.requests == 20
    assert load.p50 == pytest.approx(105.0)  # ms: halfway between the 10th and 11th
    assert load.p95 == pytest.approx(190.5)
    assert load.statuses == {200: 19, 500: 1}
    assert load.seconds == pytest.approx(1.9 + 0.2)  # the last starts at 1.9 s, takes 0.2 s
    assert load.per_second == pytest.approx(20 / 2.1)


def _why_not() -> str:
    if shutil.which("hey") is None:
        return "hey, the HTTP load generator, is not installed (apt-get install hey)"
    if not os.environ.get("DATABASE_URL", "").startswith(("postgres://", "postgresql://")):
        return "the load benchmark measures PostgreSQL: set DATABASE_URL to postgres://…"
    return ""


def _smoke_database_url() -> str:
    """DATABASE_URL with a database name of the smoke run's own: the benchmark creates and
    drops `test_<name>`, which must not be this session's test database."""
    url = urlsplit(os.environ["DATABASE_URL"])
    return url._replace(path=url.path.rstrip("/") + "_loadsmoke").geturl()


@pytest.mark.integration
@pytest.mark.skipif(bool(_why_not()), reason=_why_not() or "runs")
def test_the_load_benchmark_prints_every_endpoint_beside_its_baseline(tmp_path: Path) -> None:
    env = {**os.environ, "TRANCHE_VAR_DIR": str(tmp_path), "DATABASE_URL": _smoke_database_url()}
    # The default connection age, and caches of the workers' own rather than the shared Redis.
    for name in ("CONN_MAX_AGE", "REDIS_URL"):
        env.pop(name, None)
    process = subprocess.Popen(
        [sys.executable, "benchmarks/load.py", "--smoke"],
        cwd=settings.BASE_DIR,
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        output, _ = process.communicate(timeout=90)
    except subprocess.TimeoutExpired:
        # SIGTERM, not SIGKILL: the benchmark then stops gunicorn and drops its database.
        process.send_signal(signal.SIGTERM)
        output, _ = process.communicate(timeout=30)
        pytest.fail(f"benchmarks/load.py --smoke took over 90 s:\n{output}")

    assert process.returncode == 0, output
    for name in ENDPOINTS:
        for figure in ("p95", "throughput"):
            line = rf"^{name} \(.*\) {figure} +[\d.]+ .*baseline +[\d.]+ .*ratio +[\d.]+×"
            assert re.search(line, output, re.MULTILINE), f"no {name} {figure}:\n{output}"
    revalidated = r"^calendar-304( \(.*\) p95 .*ratio|: skipped, .* sends no ETag)"
    assert re.search(revalidated, output, re.MULTILINE), output
    assert re.search(r"^worker memory after the calendar run: \d+ MiB", output, re.MULTILINE)
    # One kept connection per worker (two workers), not one per request.
    assert re.search(r"^database connections held by the workers: [12]$", output, re.MULTILINE)
    assert not (tmp_path / "load-gunicorn.log").read_text().count("Traceback"), output
