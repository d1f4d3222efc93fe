"""Operations on the real server: /metrics, backup while serving, restore, doctor."""

import json
import re
import sqlite3
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx

from noxus_local.billing import ledger

QR = "/api/v1/tools/qr"
BUSY = """
[bootstrap]
default_tier = "enterprise"
[jobs]
diagnostic_tools = true
workers = 4
"""


def scrape(server) -> dict[str, float]:
    response = server.get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain; version=0.0.4")
    samples = {}
    for line in response.text.splitlines():
        if line and not line.startswith("#"):
            series, value = line.rsplit(" ", 1)
            samples[canon(series)] = float(value)
    return samples


def canon(series: str) -> str:
    """A series with its labels sorted: Prometheus gives label order no meaning."""
    name, _, rest = series.partition("{")
    labels = sorted(re.findall(r'(\w+)="((?:[^"\\]|\\.)*)"', rest))
    return name + ("{" + ",".join(f'{k}="{v}"' for k, v in labels) + "}" if labels else "")


def test_metrics_move_with_real_requests(make_server):
    server = make_server(BUSY)
    before = scrape(server)
    for _ in range(2):
        assert server.post("/api/v1/ping", key=server.key).status_code == 200
    job = server.post(QR, key=server.key, json={"text": "hola"}).json()
    assert server.get(f"/api/v1/jobs/{job['job_id']}", key=server.key).status_code == 200
    assert server.get("/api/v1/jobs/job_missing", key=server.key).status_code == 404
    assert server.get("/wp-login.php").status_code == 404
    time.sleep(0.2)  # the job's hook runs just after the response is sent
    after = scrape(server)

    def moved(series: str) -> float:
        return after.get(canon(series), 0) - before.get(canon(series), 0)

    assert moved('noxus_http_requests_total{route="/api/v1/ping",method="POST",status="200"}') == 2
    assert moved('noxus_http_requests_total{route="/api/v1/jobs/{job_id}",method="GET",status="200"}') == 1
    assert moved('noxus_http_requests_total{route="/api/v1/jobs/{job_id}",method="GET",status="404"}') == 1
    assert moved('noxus_http_requests_total{route="unmatched",method="GET",status="404"}') == 1
    assert moved('noxus_http_request_duration_seconds_count{route="/api/v1/ping"}') == 2
    assert moved('noxus_jobs_total{tool="qr",outcome="succeeded"}') == 1
    assert moved('noxus_job_duration_seconds_count{tool="qr",outcome="succeeded"}') == 1
    assert after['noxus_charged_usd_total{environment="test"}'] == 0.002
    assert (after["noxus_queue_depth"], after["noxus_jobs_running"]) == (0, 0)
    assert [s for s in after if s.startswith("noxus_build_info{version=")] != []


def test_backup_while_serving_is_consistent(make_server, tmp_path):
    server = make_server(BUSY)

    def call(i: int) -> int:
        body = {"seconds": 0.3} if i % 2 else {"text": f"qr {i}"}
        path = "/api/v1/tools/wait" if i % 2 else QR
        return httpx.post(server.base + path, json=body, timeout=60,
                          headers={"Authorization": f"Bearer {server.key}"}).status_code

    with ThreadPoolExecutor(20) as pool:
        answers = [pool.submit(call, i) for i in range(20)]
        time.sleep(0.1)
        backed_up = server.cli("backup", str(tmp_path / "bk"))
        statuses = [a.result() for a in answers]
    assert backed_up.returncode == 0, backed_up.stderr
    assert statuses == [200] * 20
    manifest = json.loads((tmp_path / "bk" / "manifest.json").read_text())
    assert [f["name"] for f in manifest["files"]] == ["noxus.db", "queue.db", "secret.key"]
    for name in ("noxus.db", "queue.db"):
        conn = sqlite3.connect(tmp_path / "bk" / name)
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    rows = conn_rows(tmp_path / "bk" / "noxus.db")
    assert rows  # every balance equals credits - charges, and its holds add up too
    for account, env, balance, held, audited in rows:
        assert (balance, held) == (audited["balance_micros"], audited["held_micros"]), (account, env)


def conn_rows(path: Path) -> list:
    conn = sqlite3.connect(path)
    balances = conn.execute("SELECT account_id, environment, balance_micros, held_micros FROM balances").fetchall()
    return [(*row, ledger.audit(conn, row[0], row[1])) for row in balances]


def test_restore_refuses_while_serving_and_brings_the_old_balance_back(make_server, tmp_path):
    server = make_server("")
    old = server.get("/api/v1/balance", key=server.key).json()["balance"]["balance_usd"]
    assert server.cli("backup", str(tmp_path / "bk")).returncode == 0
    assert server.post(QR, key=server.key, json={"text": "spend"}).status_code == 200
    assert server.get("/api/v1/balance", key=server.key).json()["balance"]["balance_usd"] != old

    refused = server.cli("restore", str(tmp_path / "bk"))
    assert refused.returncode == 1
    assert re.search(r"running on .* \(pid \d+\): stop it first", refused.stderr)

    assert server.stop() == 0
    assert not (server.data_dir / "noxus.pid").exists()
    restored = server.cli("restore", str(tmp_path / "bk"))
    assert restored.returncode == 0, restored.stderr
    server.start()
    assert server.get("/api/v1/balance", key=server.key).json()["balance"]["balance_usd"] == old


def test_doctor_passes_on_a_serving_data_dir_and_fails_on_a_file(make_server, tmp_path):
    server = make_server("")
    result = server.cli("doctor")
    assert result.returncode == 0, result.stdout
    assert "FAIL" not in result.stdout
    assert "OK   ledger: 2 balance(s) agree with the ledger" in result.stdout

    (tmp_path / "not-a-dir").write_text("x")
    broken = make_server("", name="broken", env={"NOXUS_DATA_DIR": str(tmp_path / "not-a-dir")}, start=False)
    result = broken.cli("doctor")
    assert result.returncode == 1
    assert f"FAIL data dir: {tmp_path / 'not-a-dir'} is not a directory" in result.stdout


def test_server_logs_are_json_lines_and_a_jobs_lines_carry_its_id(make_server):
    # regression: Litestar's default logging config replaced the JSON handler with its text format
    server = make_server(BUSY)
    job = server.post("/api/v1/tools/wait", key=server.key, json={"seconds": 0.05, "fail": True}).json()
    server.stop()
    lines = [json.loads(line) for line in (server.data_dir.parent / "data.log").read_text().splitlines()
             if line.startswith("{")]
    failed = [line for line in lines if line.get("job_id") == job["job_id"]]
    assert failed and failed[0]["logger"] == "noxus_local.jobs.runner"
    assert "RuntimeError: requested failure" in failed[0]["exception"]
