"""hey, the HTTP load generator (`/usr/bin/hey`, Debian's package `hey`), run against one URL
for a while; its per-request CSV read into latencies, status codes and a rate."""

from __future__ import annotations

import csv
import io
import shutil
import statistics
import subprocess
from collections import Counter
from dataclasses import dataclass

# hey drops a request slower than this, and its CSV leaves failed requests out without a
# word: so it is far above the slowest answer seen (the calendar feed on main, about 75 s
# with 4 clients on a busy machine), and no slow answer escapes the percentiles.
TIMEOUT_SECONDS = 180


@dataclass(frozen=True)
class Load:
    """What hey saw: one latency and status per answered request, and how long it ran."""

    latencies_ms: tuple[float, ...]
    statuses: Counter[int]
    seconds: float

    @property
    def requests(self) -> int:
        return len(self.latencies_ms)

    @property
    def per_second(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0

    @property
    def p50(self) -> float:
        return self.percentile(50)

    @property
    def p95(self) -> float:
        return self.percentile(95)

    def percentile(self, p: int) -> float:
        if not self.latencies_ms:
            return float("nan")
        if len(self.latencies_ms) == 1:
            return self.latencies_ms[0]
        return statistics.quantiles(self.latencies_ms, n=100, method="inclusive")[p - 1]


def parse_csv(text: str) -> Load:
    """hey's `-o csv`: a header, then per request `response-time,…,status-code,offset` in
    seconds, offset counted from the start of the run."""
    latencies: list[float] = []
    statuses: Counter[int] = Counter()
    end = 0.0
    for row in csv.DictReader(io.StringIO(text)):
        took = float(row["response-time"])
        latencies.append(took * 1000)
        statuses[int(row["status-code"])] += 1
        end = max(end, float(row["offset"]) + took)
    return Load(latencies_ms=tuple(latencies), statuses=statuses, seconds=end)


def installed() -> bool:
    return shutil.which("hey") is not None


def run(
    url: str,
    *,
    seconds: float,
    clients: int,
    rate: float | None = None,
    headers: dict[str, str] | None = None,
) -> Load:
    """`clients` concurrent clients for `seconds`, each at most `rate / clients` requests a
    second (flat out when `rate` is None). Requests still in flight when the time is up
    finish, so a run lasts at most `seconds` plus one timeout."""
    command = ["hey", "-z", f"{seconds}s", "-c", str(clients), "-t", str(TIMEOUT_SECONDS)]
    if rate is not None:
        command += ["-q", f"{rate / clients:g}"]
    command += _header_options(headers)
    output = subprocess.run(
        [*command, "-o", "csv", url],
        capture_output=True,
        text=True,
        check=True,
        timeout=seconds + TIMEOUT_SECONDS + 30,
    ).stdout
    return parse_csv(output)


def warm(url: str, *, requests: int, headers: dict[str, str] | None = None) -> None:
    """A few requests first, so imports and first-request work stay out of the figures."""
    command = ["hey", "-n", str(requests), "-c", "2", "-t", str(TIMEOUT_SECONDS)]
    subprocess.run(
        [*command, *_header_options(headers), url],
        capture_output=True,
        check=True,
        timeout=requests * TIMEOUT_SECONDS,
    )


def _header_options(headers: dict[str, str] | None) -> list[str]:
    return [part for name, value in (headers or {}).items() for part in ("-H", f"{name}: {value}")]
