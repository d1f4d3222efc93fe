"""A streamed chat whose job runs on a remote worker (issue 19 × issue 12): token by token to the client.

A real ``redis-server``, an API node that keeps no chat at home (``[workers]``,
chat not in ``local_tools``) and one ``noxus-local worker --api-url`` process
with its own data dir, both with the real Qwen2.5-Coder 0.5B. The worker relays
the pieces over ``/internal/v1/jobs/{id}/stream``; the client reads them while
the job still runs, a hang-up stops the worker's generation, and the job is
charged once for what was generated.
"""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import httpx
import openai
import pytest

from tests.e2e.conftest import Server, free_port, no_server_errors, redis_server

MODEL = "qwen2.5-coder-0.5b-instruct"
TOKEN = "worker-token-for-chat-tests-0123456789"
IN_MICROS, OUT_MICROS = 200, 600  # the default [prices.chat]
LLM = f'[llm]\nmodel = "{MODEL}"\n[inference]\nprefer_gpu = false\n'


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    root = tmp_path_factory.mktemp("chat-remote")
    port = free_port()
    redis = subprocess.Popen([redis_server(), "--port", str(port), "--save", "", "--appendonly", "no",
                              "--dir", str(root)], stdout=subprocess.DEVNULL)
    url = f"redis://127.0.0.1:{port}/0"
    api = Server(root / "A", f"""
[jobs]
queue_backend = "redis"
redis_url = "{url}"
[workers]
tokens = ["{TOKEN}"]
local_tools = ["image-convert"]
heartbeat_timeout_seconds = 5
[tiers.free]
concurrent_jobs = 100
jobs_per_hour = 0
requests_per_minute = 0
{LLM}""")
    api.client.event_hooks = {"request": [], "response": [no_server_errors]}
    fetched = api.cli("models", "fetch", MODEL)  # the API node counts the prompt's tokens before the hold
    assert fetched.returncode == 0, fetched.stderr
    api.start()
    data, cfg = root / "B", root / "B.toml"
    data.mkdir()
    cfg.write_text(f'[jobs]\nqueue_backend = "redis"\nredis_url = "{url}"\n[compute]\ncpu_slots = 1\n'
                   f'[worker]\ntools = ["chat"]\n{LLM}')
    env = {**os.environ, "NOXUS_DATA_DIR": str(data)}
    fetched = subprocess.run([sys.executable, "-m", "noxus_local", "models", "fetch", MODEL, "--config", str(cfg)],
                             env=env, capture_output=True, text=True, timeout=300)
    assert fetched.returncode == 0, fetched.stderr
    log = open(root / "B.log", "w")
    worker = subprocess.Popen([sys.executable, "-m", "noxus_local", "worker", "--config", str(cfg), "--api-url",
                               api.base, "--token", TOKEN, "--name", "worker-B", "--workers", "1"],
                              env=env, stdout=log, stderr=log)
    try:
        deadline = time.monotonic() + 30
        while not [w for w in api.get("/api/v1/status/capacity", key=api.key).json()["remote_workers"] if w["live"]]:
            assert time.monotonic() < deadline, (root / "B.log").read_text()[-2000:]
            time.sleep(0.2)
        yield {"api": api, "root": root}
    finally:
        worker.terminate()
        worker.wait(30)
        api.stop()
        redis.terminate()
        redis.wait(5)


def client_of(api: Server) -> openai.OpenAI:
    return openai.OpenAI(base_url=f"{api.base}/v1", api_key=api.key, max_retries=0, timeout=120)


def job_row(api: Server, job_id: str) -> dict[str, Any]:
    with sqlite3.connect(api.data_dir / "noxus.db") as conn:
        conn.row_factory = sqlite3.Row
        return dict(conn.execute("SELECT status, worker FROM jobs WHERE id = ?", (job_id,)).fetchone())


def charges(api: Server, job_id: str) -> list[str]:
    with sqlite3.connect(api.data_dir / "noxus.db") as conn:
        return [k for (k,) in conn.execute("SELECT kind FROM ledger WHERE job_id = ? ORDER BY id", (job_id,))]


def price(usage: dict[str, int]) -> Decimal:
    micros = -(-(usage["prompt_tokens"] * IN_MICROS + usage["completion_tokens"] * OUT_MICROS) // 1000)
    return Decimal(micros) / 1_000_000


def wait_settled(api: Server, job_id: str) -> dict[str, Any]:
    deadline = time.monotonic() + 120
    while (job := api.get(f"/api/v1/jobs/{job_id}", key=api.key).json())["status"] in ("queued", "running"):
        assert time.monotonic() < deadline, "the job did not end"
        time.sleep(0.2)
    return dict(job)


def test_a_streamed_chat_on_a_worker_arrives_piece_by_piece_while_the_job_runs(cluster: dict[str, Any]) -> None:
    api = cluster["api"]
    ask = {"model": MODEL, "messages": [{"role": "user", "content": "Name five colours of the sea, one per line."}],
           "max_tokens": 60, "temperature": 0}
    plain = client_of(api).chat.completions.with_raw_response.create(**ask)
    assert job_row(api, plain.headers["x-job-id"])["worker"] == "remote:worker-B"
    raw = client_of(api).chat.completions.with_raw_response.create(**ask, stream=True,
                                                                   stream_options={"include_usage": True})
    job_id = raw.headers["x-job-id"]
    chunks, status_at_first = [], None
    for chunk in raw.parse():
        if status_at_first is None and chunk.choices and chunk.choices[0].delta.content:
            status_at_first = job_row(api, job_id)["status"]
        chunks.append(chunk)
    row = job_row(api, job_id)
    assert row["worker"] == "remote:worker-B" and row["status"] == "succeeded"
    assert status_at_first == "running"  # the first piece came while the worker still generated
    assert len([c for c in chunks if c.choices and c.choices[0].delta.content]) > 3
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert text == plain.parse().choices[0].message.content
    assert chunks[-1].usage.completion_tokens == plain.parse().usage.completion_tokens
    assert charges(api, job_id).count("charge") == 1


def test_a_client_that_hangs_up_stops_the_worker_and_is_charged_once_for_what_was_generated(
        cluster: dict[str, Any]) -> None:
    api = cluster["api"]
    body = {"model": MODEL, "messages": [{"role": "user", "content": "Count from 1 to 300, one per line."}],
            "max_tokens": 600, "temperature": 0, "stream": True}
    with httpx.stream("POST", f"{api.base}/v1/chat/completions", json=body, timeout=120,
                      headers={"Authorization": f"Bearer {api.key}"}) as r:
        job_id = r.headers["x-job-id"]
        next(r.iter_raw())
    job = wait_settled(api, job_id)
    usage = job["result"]["usage"]
    assert job["status"] == "succeeded" and 0 < usage["completion_tokens"] < 600  # stopped early, on the worker
    assert job_row(api, job_id)["worker"] == "remote:worker-B"
    kinds = charges(api, job_id)
    assert kinds.count("charge") == 1 and kinds.count("hold") == 1
    assert Decimal(job["billing"]["charged_usd"]) == price(usage) <= Decimal(job["billing"]["estimated_usd"])
