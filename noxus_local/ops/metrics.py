"""Prometheus metrics through ``prometheus_client``, one registry per app, text format 0.0.4.

``Metrics`` is the set one app owns (``Services.metrics``), on its own
``CollectorRegistry`` (never the library's global one: tests build several
apps in one process): HTTP requests and their durations by route template,
jobs and their durations by tool and outcome, plus values a custom collector
reads from SQLite at scrape time (queue depth, running jobs, money charged)
so they survive restarts and count other processes' work.

Example::

    metrics = Metrics(db)
    metrics.request_done("/api/v1/jobs/{job_id}", "GET", 200, 0.004)
    metrics.render()
    # noxus_http_requests_total{method="GET",route="/api/v1/jobs/{job_id}",status="200"} 1.0
    # ...
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import prometheus_client
from prometheus_client import CollectorRegistry, Counter, Histogram
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.exposition import CONTENT_TYPE_PLAIN_0_0_4, generate_latest
from prometheus_client.registry import Collector

from noxus_local import package_version

# Litestar's Response takes the media type without the charset it adds itself
CONTENT_TYPE = CONTENT_TYPE_PLAIN_0_0_4.removesuffix("; charset=utf-8")
HTTP_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0)
JOB_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0, 300.0, 600.0, 1800.0)
METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})

# The `<name>_created` series (a timestamp per label set) doubles every series
# for nothing a dashboard here uses. The switch is process-wide in the library;
# every registry in this process wants it off.
prometheus_client.disable_created_metrics()


class Metrics:
    """NOXUS Local's metrics on a private registry; ``db`` feeds the SQLite-read ones."""

    def __init__(self, db: Any) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter("noxus_http_requests_total",
                                "HTTP requests answered, by route template, method and status.",
                                ("route", "method", "status"), registry=self.registry)
        self.request_seconds = Histogram("noxus_http_request_duration_seconds",
                                         "Time to answer an HTTP request, by route template.", ("route",),
                                         buckets=HTTP_BUCKETS, registry=self.registry)
        self.jobs = Counter("noxus_jobs_total", "Jobs that ended in this process, by tool and outcome.",
                            ("tool", "outcome"), registry=self.registry)
        self.job_seconds = Histogram("noxus_job_duration_seconds",
                                     "Run time of jobs that ended in this process (start to end).",
                                     ("tool", "outcome"), buckets=JOB_BUCKETS, registry=self.registry)
        self.registry.register(SqliteCollector(db))

    def request_done(self, route: str, method: str, status: int, seconds: float) -> None:
        method = method if method in METHODS else "other"  # client-chosen: keep the label set bounded
        self.requests.labels(route, method, str(status)).inc()
        self.request_seconds.labels(route).observe(seconds)

    def job_done(self, row: Any) -> None:
        """From a job row at its end (``JobRunner.hooks``); jobs cancelled before starting have no run time."""
        self.jobs.labels(row["tool"], row["status"]).inc()
        if row["started_at"] is not None and row["finished_at"] is not None:
            self.job_seconds.labels(row["tool"], row["status"]).observe(
                max(0.0, row["finished_at"] - row["started_at"]))

    def render(self) -> bytes:
        """The exposition text, SQLite read now."""
        return generate_latest(self.registry)


class SqliteCollector(Collector):
    """Values that live in SQLite: right after a restart, and including other workers' jobs.

    ``describe`` is empty so registering it runs no query; ``collect`` runs at each scrape.
    """

    def __init__(self, db: Any) -> None:
        self.db = db

    def describe(self) -> list[Metric]:
        return []

    def collect(self) -> Iterator[Metric]:
        yield GaugeMetricFamily("noxus_queue_depth", "Jobs accepted and waiting for a worker.",
                                value=self._count("queued"))
        yield GaugeMetricFamily("noxus_jobs_running", "Jobs running now.", value=self._count("running"))
        charged = CounterMetricFamily("noxus_charged_usd", "USD charged since the data dir was created, "
                                      "by environment.", labels=("environment",))
        for env, usd in charged_usd(self.db):
            charged.add_metric((env,), usd)
        yield charged
        info = GaugeMetricFamily("noxus_build_info", "The running NOXUS Local version (always 1).",
                                 labels=("version",))
        info.add_metric((package_version(),), 1)
        yield info

    def _count(self, status: str) -> int:
        return int(self.db.one("SELECT COUNT(*) FROM jobs WHERE status = ?", (status,))[0])


def charged_usd(db: Any) -> list[tuple[str, float]]:
    # balances.lifetime_spent_micros grows in the same transaction as each ledger
    # 'charge' row, so it equals their sum, and reading it costs one row per account
    sums = dict.fromkeys(("live", "test"), 0)
    for row in db.all("SELECT environment, SUM(lifetime_spent_micros) FROM balances GROUP BY environment"):
        sums[row[0]] = row[1] or 0
    return [(env, micros / 1_000_000) for env, micros in sorted(sums.items())]
