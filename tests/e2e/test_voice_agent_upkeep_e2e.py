"""Voice agents' upkeep over the real server: retention of reply audio, Idempotency-Key on a turn, and a
turn's compute slot (issue 23 item 6, follow-up).

One server with a 1-slot compute pool and the diagnostic ``wait`` tool (it holds that slot while it
runs). Turns are typed (``text``) so no question audio needs making; the server's Qwen2.5-Coder 0.5B
answers and Kokoro speaks. Money is read from the ledger itself; the sweep is the real function the
upkeep thread runs, on the server's own SQLite file and data dir.
"""

from __future__ import annotations

import hashlib
import sqlite3
import time
from collections.abc import Iterator

import httpx
import pytest

from noxus_local.agents.retention import sweep_audio
from noxus_local.store.db import Database
from tests.e2e.conftest import Server, SharedServer, accounts_config, start_module_server

MODEL = "qwen2.5-coder-0.5b-instruct"
MODELS = (MODEL, "kokoro-82m", "kokoro-voice-af-heart")
CONFIG = f"""
[server]
locale = "en"
[llm]
model = "{MODEL}"
[inference]
prefer_gpu = false
[compute]
cpu_slots = 1
voice_turn_wait_seconds = 1
[jobs]
diagnostic_tools = true
[prices]
wait = "0.001"
[tiers.free]
requests_per_minute = 0
jobs_per_hour = 0
concurrent_jobs = 10
[apex]
generation_requests = 0
upload_requests = 0
read_requests = 0
"""
AGENT = {"name": "Lumen", "systemPrompt": "You answer calls for the shop Lumen. It opens at nine.",
         "greeting": "Hello, Lumen here!", "ttsModel": "kokoro", "llmModel": MODEL}


@pytest.fixture(scope="module")
def shared(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SharedServer]:
    toml, keys = accounts_config(4)
    server = start_module_server(tmp_path_factory, "vagent2", CONFIG + toml, models=MODELS)
    yield SharedServer(server, keys)
    server.stop()


@pytest.fixture
def srv(shared: SharedServer) -> Server:
    return shared.view()


def ledger(srv: Server) -> list[tuple[str, int, str]]:
    with sqlite3.connect(srv.data_dir / "noxus.db") as conn:
        return conn.execute("SELECT l.kind, l.amount_micros, l.job_id FROM ledger l JOIN api_keys k"
                            " ON k.account_id = l.account_id WHERE k.key_hash = ? AND l.kind != 'credit'"
                            " ORDER BY l.id", (hashlib.sha256(srv.key.encode()).hexdigest(),)).fetchall()


def agent_of(srv: Server) -> str:
    r = srv.post("/api/voice-agent/agents", key=srv.key, json=AGENT)
    assert r.status_code == 200, r.text
    return str(r.json()["data"]["id"])


def turn(srv: Server, agent: str, headers: dict[str, str] | None = None, **body: object) -> httpx.Response:
    return srv.post(f"/api/voice-agent/agents/{agent}/respond", key=srv.key, timeout=300,
                    json=body or {"text": "When do you open?"}, headers=headers or {})


def test_a_turn_retried_with_its_key_is_replayed_and_charged_once(srv):
    agent = agent_of(srv)
    key = {"Idempotency-Key": "turn-retry-1"}
    first = turn(srv, agent, key)
    assert first.status_code == 200, first.text
    again = turn(srv, agent, key)
    assert again.status_code == 200 and again.content == first.content
    assert again.headers["Idempotent-Replayed"] == "true" and "Idempotent-Replayed" not in first.headers
    assert [kind for kind, _, _ in ledger(srv)] == ["hold", "charge"]  # one turn, charged once
    call = srv.get(f"/api/voice-agent/calls?id={first.json()['data']['callId']}", key=srv.key).json()["data"]
    assert call["turns"] == 1

    other = turn(srv, agent, key, text="Where is the shop?")
    assert other.status_code == 400 and other.json()["code"] == "BAD_REQUEST", other.text
    assert len(ledger(srv)) == 2
    streamed = srv.post(f"/api/voice-agent/agents/{agent}/respond?stream=true", key=srv.key,
                        json={"text": "When do you open?"}, headers={"Idempotency-Key": "turn-stream"})
    assert streamed.status_code == 400 and "Idempotency-Key" in streamed.json()["error"]

    # without a key, the same request twice is two turns, two charges
    a, b = turn(srv, agent), turn(srv, agent)
    assert a.status_code == b.status_code == 200
    assert a.json()["data"]["callId"] != b.json()["data"]["callId"]
    assert [kind for kind, _, _ in ledger(srv)] == ["hold", "charge"] * 3


def test_a_failed_turn_frees_its_key(srv):
    agent = agent_of(srv)
    key = {"Idempotency-Key": "turn-after-404"}
    r = turn(srv, agent, key, text="Hello?", callId="call_0000000000000000")
    assert r.status_code == 404 and ledger(srv) == []
    r = turn(srv, agent, key, text="Hello?")  # another request, but the first left nothing behind
    assert r.status_code == 200, r.text


def test_a_turn_waits_for_a_compute_slot_and_answers_503_when_none_frees(srv):
    agent = agent_of(srv)
    job = srv.post("/api/v1/tools/wait", key=srv.key, headers={"Prefer": "respond-async"},
                   json={"seconds": 60, "cpu": 1})
    assert job.status_code == 202, job.text
    job_id = job.json()["job_id"]
    try:
        for _ in range(400):
            if srv.get(f"/api/v1/jobs/{job_id}", key=srv.key).json()["status"] == "running":
                break
            time.sleep(0.05)
        busy = httpx.post(f"{srv.base}/api/voice-agent/agents/{agent}/respond", json={"text": "Open today?"},
                          headers={"Authorization": f"Bearer {srv.key}"}, timeout=60)
        assert busy.status_code == 503, busy.text
        assert busy.json()["code"] == "SERVICE_UNAVAILABLE" and int(busy.headers["Retry-After"]) > 0
        assert [row for row in ledger(srv) if row[2] != job_id] == []  # the turn: charged 0, never held
    finally:
        srv.request("DELETE", f"/api/v1/jobs/{job_id}", key=srv.key)
    for _ in range(200):  # the cancelled job gives its slot back; the next turn gets it
        if srv.get("/api/v1/status/capacity", key=srv.key).json()["resources"]["cpu"]["busy"] == 0:
            break
        time.sleep(0.05)
    r = turn(srv, agent)
    assert r.status_code == 200, r.text
    assert srv.get("/api/v1/status/capacity", key=srv.key).json()["resources"]["cpu"]["busy"] == 0


def test_reply_audio_older_than_retention_is_swept_and_its_transcript_stays(srv):
    agent = agent_of(srv)
    old, new = turn(srv, agent).json()["data"], turn(srv, agent).json()["data"]
    with sqlite3.connect(srv.data_dir / "noxus.db") as conn:  # the first call happened two hours ago
        conn.execute("UPDATE voice_agent_turns SET at = at - 7200 WHERE call_id = ?", (old["callId"],))
        conn.execute("UPDATE voice_agent_calls SET started_at = started_at - 7200, last_at = last_at - 7200"
                     " WHERE id = ?", (old["callId"],))
    folder = srv.data_dir / "voice-agent"
    assert (folder / old["callId"]).is_dir() and (folder / new["callId"]).is_dir()
    db = Database(srv.data_dir / "noxus.db")
    try:
        assert sweep_audio(db, srv.data_dir, retention_hours=1) == 1  # one run: the old reply (the server keeps 24 h)
        assert sweep_audio(db, srv.data_dir, retention_hours=1) == 0  # already swept
    finally:
        db.close()
    assert not (folder / old["callId"]).exists()
    assert list((folder / new["callId"]).glob("*.wav"))
    gone = srv.client.get(old["audioUrl"].removeprefix(srv.base))
    assert gone.status_code == 404 and gone.json()["code"] == "NOT_FOUND"
    assert "retention" in gone.json()["error"]
    kept = srv.client.get(new["audioUrl"].removeprefix(srv.base))
    assert kept.status_code == 200 and kept.headers["content-type"].startswith("audio/wav")
    call = srv.get(f"/api/voice-agent/calls?id={old['callId']}", key=srv.key).json()["data"]
    assert [line["text"] for line in call["transcript"]] == [AGENT["greeting"], old["transcript"], old["reply"]]
