"""Prometheus metrics, by hand: thread-safe counters and histograms, text format 0.0.4.

``Metrics`` is the set one app owns (``Services.metrics``): HTTP requests and
their durations by route template, jobs and their durations by tool and
outcome, plus values read from SQLite when scraped (queue depth, running
jobs, money charged) so they survive restarts and count other processes' work.

Example::

    metrics = Metrics()
    metrics.request_done("/api/v1/jobs/{job_id}", "GET", 200, 0.004)
    metrics.render(db)
    # noxus_http_requests_total{route="/api/v1/jobs/{job_id}",method="GET",status="200"} 1
    # ...
"""

from __future__ import annotations

import bisect
import math
import threading
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from noxus_local import package_version

CONTENT_TYPE = "text/plain; version=0.0.4"  # Litestar adds "; charset=utf-8"
HTTP_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0)
JOB_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0, 300.0, 600.0, 1800.0)
METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})

Sample = tuple[str, dict[str, str], float]


class Counter:
    """A monotonic count per label set."""

    kind = "counter"

    def __init__(self, name: str, help: str, labels: Sequence[str] = ()) -> None:
        self.name, self.help, self.labels = name, help, tuple(labels)
        self._values: dict[tuple[str, ...], float] = {}
        self._lock = threading.Lock()

    def inc(self, *values: str, amount: float = 1.0) -> None:
        with self._lock:
            self._values[values] = self._values.get(values, 0.0) + amount

    def samples(self) -> list[Sample]:
        with self._lock:
            items = sorted(self._values.items())
        return [(self.name, dict(zip(self.labels, key, strict=True)), value) for key, value in items]


class Histogram:
    """Counts per upper bound (``le``), plus sum and count, per label set."""

    kind = "histogram"

    def __init__(self, name: str, help: str, labels: Sequence[str] = (),
                 buckets: Sequence[float] = HTTP_BUCKETS) -> None:
        self.name, self.help, self.labels = name, help, tuple(labels)
        self.buckets = tuple(sorted(buckets))
        self._values: dict[tuple[str, ...], tuple[list[int], list[float]]] = {}
        self._lock = threading.Lock()

    def observe(self, *values: str, value: float) -> None:
        index = bisect.bisect_left(self.buckets, value)  # le is inclusive: 0.005 counts in le="0.005"
        with self._lock:
            counts, total = self._values.setdefault(values, ([0] * (len(self.buckets) + 1), [0.0]))
            counts[index] += 1
            total[0] += value

    def samples(self) -> list[Sample]:
        with self._lock:
            items = sorted((key, (list(counts), total[0])) for key, (counts, total) in self._values.items())
        out: list[Sample] = []
        for key, (counts, total) in items:
            labels = dict(zip(self.labels, key, strict=True))
            running = 0
            for bound, count in zip((*self.buckets, math.inf), counts, strict=True):
                running += count
                out.append((f"{self.name}_bucket", {**labels, "le": _bound(bound)}, running))
            out.append((f"{self.name}_sum", labels, total))
            out.append((f"{self.name}_count", labels, running))
        return out


class Gauge:
    """A value read when scraped: ``read()`` returns (labels, value) pairs.

    ``kind="counter"`` for totals kept elsewhere (SQLite) that only grow.
    """

    def __init__(self, name: str, help: str, read: Callable[[], Iterable[tuple[dict[str, str], float]]],
                 kind: str = "gauge") -> None:
        self.name, self.help, self.read, self.kind = name, help, read, kind

    def samples(self) -> list[Sample]:
        return [(self.name, labels, value) for labels, value in self.read()]


def render(families: Iterable[Counter | Histogram | Gauge]) -> str:
    """The exposition text: HELP, TYPE, then one line per sample."""
    lines: list[str] = []
    for family in families:
        lines.append(f"# HELP {family.name} {_escape(family.help, quotes=False)}")
        lines.append(f"# TYPE {family.name} {family.kind}")
        for name, labels, value in family.samples():
            lines.append(f"{name}{_labels(labels)} {_number(value)}")
    return "\n".join(lines) + "\n"


class Metrics:
    """NOXUS Local's metrics; the SQLite-backed ones are read from ``db`` at render time."""

    def __init__(self) -> None:
        self.requests = Counter("noxus_http_requests_total",
                                "HTTP requests answered, by route template, method and status.",
                                ("route", "method", "status"))
        self.request_seconds = Histogram("noxus_http_request_duration_seconds",
                                         "Time to answer an HTTP request, by route template.", ("route",))
        self.jobs = Counter("noxus_jobs_total", "Jobs that ended in this process, by tool and outcome.",
                            ("tool", "outcome"))
        self.job_seconds = Histogram("noxus_job_duration_seconds",
                                     "Run time of jobs that ended in this process (start to end).",
                                     ("tool", "outcome"), JOB_BUCKETS)

    def request_done(self, route: str, method: str, status: int, seconds: float) -> None:
        method = method if method in METHODS else "other"  # client-chosen: keep the label set bounded
        self.requests.inc(route, method, str(status))
        self.request_seconds.observe(route, value=seconds)

    def job_done(self, row: Any) -> None:
        """From a job row at its end (``JobRunner.hooks``); jobs cancelled before starting have no run time."""
        self.jobs.inc(row["tool"], row["status"])
        if row["started_at"] is not None and row["finished_at"] is not None:
            self.job_seconds.observe(row["tool"], row["status"],
                                     value=max(0.0, row["finished_at"] - row["started_at"]))

    def render(self, db: Any) -> str:
        return render([self.requests, self.request_seconds, self.jobs, self.job_seconds,
                       *scraped(db), build_info()])


def scraped(db: Any) -> list[Gauge]:
    """Values that live in SQLite: right after a restart, and including other workers' jobs."""
    def count(status: str) -> Callable[[], list[tuple[dict[str, str], float]]]:
        return lambda: [({}, db.one("SELECT COUNT(*) FROM jobs WHERE status = ?", (status,))[0])]

    return [Gauge("noxus_queue_depth", "Jobs accepted and waiting for a worker.", count("queued")),
            Gauge("noxus_jobs_running", "Jobs running now.", count("running")),
            Gauge("noxus_charged_usd_total", "USD charged since the data dir was created, by environment.",
                  lambda: charged_usd(db), kind="counter")]


def charged_usd(db: Any) -> list[tuple[dict[str, str], float]]:
    # balances.lifetime_spent_micros grows in the same transaction as each ledger
    # 'charge' row, so it equals their sum, and reading it costs one row per account
    sums = dict.fromkeys(("live", "test"), 0)
    for row in db.all("SELECT environment, SUM(lifetime_spent_micros) FROM balances GROUP BY environment"):
        sums[row[0]] = row[1] or 0
    return [({"environment": env}, micros / 1_000_000) for env, micros in sorted(sums.items())]


def build_info() -> Gauge:
    return Gauge("noxus_build_info", "The running NOXUS Local version (always 1).",
                 lambda: [({"version": package_version()}, 1)])


def _labels(labels: dict[str, str]) -> str:
    if not labels:
        return ""
    return "{" + ",".join(f'{k}="{_escape(str(v))}"' for k, v in labels.items()) + "}"


def _escape(text: str, quotes: bool = True) -> str:
    text = text.replace("\\", "\\\\").replace("\n", "\\n")
    return text.replace('"', '\\"') if quotes else text


def _number(value: float) -> str:
    """Counts print as integers, sums and USD as Python floats (which Prometheus parses)."""
    if isinstance(value, int) or (value.is_integer() and abs(value) < 2**53):
        return str(int(value))
    return repr(value)


def _bound(bound: float) -> str:
    """``le`` values as the official clients write them: 0.005, 1.0, +Inf."""
    return "+Inf" if bound == math.inf else repr(float(bound))
