"""The hand-written Prometheus registry, its text format, and /metrics on a real app."""

import threading
import time

from litestar.testing import TestClient

from noxus_local import package_version
from noxus_local.app import create_app
from noxus_local.config import load_config
from noxus_local.core import ledger
from noxus_local.node.services import prepare
from noxus_local.ops.metrics import Counter, Histogram, Metrics, render


def test_counter_and_histogram_render_in_text_format_004():
    requests = Counter("x_total", "Things.", ("route", "status"))
    requests.inc("/a", "200")
    requests.inc("/a", "200")
    requests.inc("/b/{id}", "404")
    seconds = Histogram("x_seconds", "Time.", ("route",), buckets=(0.1, 1.0))
    seconds.observe("/a", value=0.1)   # le is inclusive
    seconds.observe("/a", value=0.5)
    seconds.observe("/a", value=7.0)
    assert render([requests, seconds]) == (
        "# HELP x_total Things.\n"
        "# TYPE x_total counter\n"
        'x_total{route="/a",status="200"} 2\n'
        'x_total{route="/b/{id}",status="404"} 1\n'
        "# HELP x_seconds Time.\n"
        "# TYPE x_seconds histogram\n"
        'x_seconds_bucket{route="/a",le="0.1"} 1\n'
        'x_seconds_bucket{route="/a",le="1.0"} 2\n'
        'x_seconds_bucket{route="/a",le="+Inf"} 3\n'
        'x_seconds_sum{route="/a"} 7.6\n'
        'x_seconds_count{route="/a"} 3\n')


def test_label_values_are_escaped():
    counter = Counter("x_total", "Help with \\ and\nnewline.", ("v",))
    counter.inc('a"b\\c\nd')
    assert render([counter]).splitlines()[0] == "# HELP x_total Help with \\\\ and\\nnewline."
    assert render([counter]).splitlines()[2] == 'x_total{v="a\\"b\\\\c\\nd"} 1'


def test_counters_are_exact_under_threads():
    counter = Counter("x_total", "n", ("k",))
    seconds = Histogram("x_seconds", "t", ("k",))

    def work() -> None:
        for _ in range(2000):
            counter.inc("a")
            seconds.observe("a", value=0.01)

    threads = [threading.Thread(target=work) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert counter.samples() == [("x_total", {"k": "a"}, 16000.0)]
    assert seconds.samples()[-1] == ("x_seconds_count", {"k": "a"}, 16000)


def test_unknown_methods_share_one_label():
    metrics = Metrics()
    metrics.request_done("unmatched", "BREW", 404, 0.001)
    assert metrics.requests.samples() == [
        ("noxus_http_requests_total", {"route": "unmatched", "method": "other", "status": "404"}, 1.0)]


def test_job_done_counts_outcomes_and_times_only_started_jobs():
    metrics = Metrics()
    metrics.job_done({"tool": "qr", "status": "succeeded", "started_at": 10.0, "finished_at": 10.3})
    metrics.job_done({"tool": "qr", "status": "cancelled", "started_at": None, "finished_at": 11.0})
    assert [s[1:] for s in metrics.jobs.samples()] == [
        ({"tool": "qr", "outcome": "cancelled"}, 1.0), ({"tool": "qr", "outcome": "succeeded"}, 1.0)]
    counts = [s for s in metrics.job_seconds.samples() if s[0].endswith("_count")]
    assert counts == [("noxus_job_duration_seconds_count", {"tool": "qr", "outcome": "succeeded"}, 1)]


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
    lines = Metrics().render(db).splitlines()
    assert "noxus_queue_depth 2" in lines
    assert "noxus_jobs_running 1" in lines
    assert 'noxus_charged_usd_total{environment="live"} 0.0025' in lines
    assert 'noxus_charged_usd_total{environment="test"} 0' in lines
    assert f'noxus_build_info{{version="{package_version()}"}} 1' in lines


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
    assert 'noxus_http_requests_total{route="/api/v1/ping",method="POST",status="200"} 1' in lines
    assert 'noxus_http_requests_total{route="/api/v1/jobs/{job_id}",method="GET",status="404"} 1' in lines
    assert 'noxus_http_requests_total{route="unmatched",method="GET",status="404"} 1' in lines
    assert 'noxus_http_request_duration_seconds_count{route="/api/v1/ping"} 1' in lines
