"""Metrics on prometheus_client (one registry per app), the text format 0.0.4, and /metrics on a real app."""

import threading
import time

from litestar.testing import TestClient

from noxus_local import package_version
from noxus_local.app import create_app
from noxus_local.billing import ledger
from noxus_local.config import load_config
from noxus_local.node.services import prepare
from noxus_local.ops.metrics import Metrics


def samples(metrics: Metrics, name: str) -> list[tuple[str, dict[str, str], float]]:
    """The collected samples of one family, as (series name, labels, value)."""
    return [(s.name, s.labels, s.value) for m in metrics.registry.collect() if m.name == name for s in m.samples]


def test_counter_and_histogram_render_in_text_format_004(db):
    metrics = Metrics(db)
    metrics.request_done("/a", "GET", 200, 0.005)
    metrics.request_done("/a", "GET", 200, 0.005)   # le is inclusive
    metrics.request_done("/b/{id}", "GET", 404, 7.0)
    text = metrics.render().decode()
    assert text.startswith(
        "# HELP noxus_http_requests_total HTTP requests answered, by route template, method and status.\n"
        "# TYPE noxus_http_requests_total counter\n"
        'noxus_http_requests_total{method="GET",route="/a",status="200"} 2.0\n'
        'noxus_http_requests_total{method="GET",route="/b/{id}",status="404"} 1.0\n'
        "# HELP noxus_http_request_duration_seconds Time to answer an HTTP request, by route template.\n"
        "# TYPE noxus_http_request_duration_seconds histogram\n"
        'noxus_http_request_duration_seconds_bucket{le="0.005",route="/a"} 2.0\n'
        'noxus_http_request_duration_seconds_bucket{le="0.01",route="/a"} 2.0\n')
    lines = text.splitlines()
    assert 'noxus_http_request_duration_seconds_bucket{le="+Inf",route="/b/{id}"} 1.0' in lines
    assert 'noxus_http_request_duration_seconds_bucket{le="5.0",route="/b/{id}"} 0.0' in lines
    assert 'noxus_http_request_duration_seconds_count{route="/a"} 2.0' in lines
    assert 'noxus_http_request_duration_seconds_sum{route="/a"} 0.01' in lines
    assert "_created" not in text  # one series per label set, not two


def test_each_app_has_its_own_registry(db):
    first, second = Metrics(db), Metrics(db)
    first.request_done("/a", "GET", 200, 0.1)
    assert samples(first, "noxus_http_requests") == [
        ("noxus_http_requests_total", {"route": "/a", "method": "GET", "status": "200"}, 1.0)]
    assert samples(second, "noxus_http_requests") == []
    assert samples(Metrics(db), "noxus_http_requests") == []  # nothing left in a global registry


def test_label_values_are_escaped(db):
    metrics = Metrics(db)
    metrics.request_done('a"b\\c\nd', "GET", 200, 0.1)
    assert 'noxus_http_requests_total{method="GET",route="a\\"b\\\\c\\nd",status="200"} 1.0' in (
        metrics.render().decode().splitlines())


def test_counters_are_exact_under_threads(db):
    metrics = Metrics(db)

    def work() -> None:
        for _ in range(2000):
            metrics.request_done("/a", "GET", 200, 0.01)

    threads = [threading.Thread(target=work) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert samples(metrics, "noxus_http_requests")[0][2] == 16000.0
    assert ("noxus_http_request_duration_seconds_count", {"route": "/a"}, 16000.0) in samples(
        metrics, "noxus_http_request_duration_seconds")


def test_unknown_methods_share_one_label(db):
    metrics = Metrics(db)
    metrics.request_done("unmatched", "BREW", 404, 0.001)
    assert samples(metrics, "noxus_http_requests") == [
        ("noxus_http_requests_total", {"route": "unmatched", "method": "other", "status": "404"}, 1.0)]


def test_job_done_counts_outcomes_and_times_only_started_jobs(db):
    metrics = Metrics(db)
    metrics.job_done({"tool": "qr", "status": "succeeded", "started_at": 10.0, "finished_at": 10.3})
    metrics.job_done({"tool": "qr", "status": "cancelled", "started_at": None, "finished_at": 11.0})
    assert sorted((s[1]["outcome"], s[2]) for s in samples(metrics, "noxus_jobs")) == [
        ("cancelled", 1.0), ("succeeded", 1.0)]
    counts = [s for s in samples(metrics, "noxus_job_duration_seconds") if s[0].endswith("_count")]
    assert counts == [("noxus_job_duration_seconds_count", {"tool": "qr", "outcome": "succeeded"}, 1.0)]


def test_scraped_values_come_from_sqlite(db):
    with db.write() as conn:
        ledger.credit(conn, "acme", "live", 5_000_000)
        ledger.hold(conn, "acme", "live", 2500, job_id="job_1")
        ledger.settle(conn, "acme", "live", hold_micros=2500, charge_micros=2500, job_id="job_1")
        for i, status in enumerate(("queued", "queued", "running", "succeeded")):
            conn.execute(
                "INSERT INTO jobs (id, account_id, environment, key_id, tool, status, params, files, limits,"
                " estimate_micros, hold_micros, request_id, created_at)"
                " VALUES (?, 'acme', 'test', 'key_x', 'qr', ?, '{}', '[]', '{}', 0, 0, 'req_x', ?)",
                (f"job_{i}", status, time.time()))
    lines = Metrics(db).render().decode().splitlines()
    assert "noxus_queue_depth 2.0" in lines
    assert "noxus_jobs_running 1.0" in lines
    assert "# TYPE noxus_charged_usd_total counter" in lines
    assert 'noxus_charged_usd_total{environment="live"} 0.0025' in lines
    assert 'noxus_charged_usd_total{environment="test"} 0.0' in lines
    assert f'noxus_build_info{{version="{package_version()}"}} 1.0' in lines


def test_metrics_route_counts_route_templates_and_unmatched(tmp_path):
    cfg = load_config(None, {"NOXUS_DATA_DIR": str(tmp_path)})
    key = prepare(cfg)
    with TestClient(create_app(cfg, start_workers=False)) as client:
        auth = {"Authorization": f"Bearer {key}"}
        client.post("/api/v1/ping", headers=auth)
        client.get("/api/v1/jobs/job_nope", headers=auth)
        client.get("/no/such/path")
        response = client.get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/plain; version=0.0.4; charset=utf-8"
    lines = response.text.splitlines()
    assert 'noxus_http_requests_total{method="POST",route="/api/v1/ping",status="200"} 1.0' in lines
    assert 'noxus_http_requests_total{method="GET",route="/api/v1/jobs/{job_id}",status="404"} 1.0' in lines
    assert 'noxus_http_requests_total{method="GET",route="unmatched",status="404"} 1.0' in lines
    assert 'noxus_http_request_duration_seconds_count{route="/api/v1/ping"} 1.0' in lines
