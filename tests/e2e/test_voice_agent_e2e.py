"""Seed 002's voice agents over the real server (issue 23 item 6): an agent answers a spoken question.

One server for the module, each test on its own account. The caller's question is spoken by our own
Kokoro (another voice than the agent's) and uploaded; the server hears it with Whisper, answers with
the embedded Qwen2.5-Coder 0.5B (greedy) and speaks with Kokoro; the reply audio is fetched by its
signed URL without a key and heard back by Whisper in this process, and its length read by ffprobe
(PyAV). Money is read from the ledger itself.
"""

from __future__ import annotations

import base64
import hashlib
import io
import json
import re
import sqlite3
import wave
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import av
import numpy as np
import pytest

from noxus_local.config import load_config
from noxus_local.inference.cache import ModelCache
from noxus_local.inference.models.whisper import WhisperModel
from noxus_local.runtime.cancel import CancelToken
from noxus_local.speech import asr, tts
from tests.e2e.conftest import Server, SharedServer, accounts_config, start_module_server

MODEL = "qwen2.5-coder-0.5b-instruct"
MODELS = (MODEL, "whisper-base", "silero-vad", "kokoro-82m", "kokoro-voice-af-heart", "kokoro-voice-am-michael")
CONFIG = f"""
[llm]
model = "{MODEL}"
[inference]
prefer_gpu = false
[tiers.free]
requests_per_minute = 0
jobs_per_hour = 0
[apex]
generation_requests = 0
upload_requests = 0
read_requests = 0
"""
FACT = "You answer calls for the shop Lumen. The shop Lumen opens at nine in the morning and closes at six."
AGENT = {"name": "Lumen front desk", "systemPrompt": FACT, "greeting": "Hello, thanks for calling Lumen!",
         "ttsModel": "kokoro", "llmModel": MODEL}
TURN_MICROS = 40_000  # 40 credits at 0.001 USD
NINE = re.compile(r"\b(nine|9)\b", re.I)


@pytest.fixture(scope="module")
def shared(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SharedServer]:
    toml, keys = accounts_config(8)
    server = start_module_server(tmp_path_factory, "vagent", CONFIG + toml, models=MODELS)
    yield SharedServer(server, keys)
    server.stop()


@pytest.fixture
def srv(shared: SharedServer) -> Server:
    return shared.view()


@pytest.fixture(scope="module")
def models(shared: SharedServer) -> ModelCache:
    """This process's own Kokoro and Whisper (the server's data dir holds the fetched files)."""
    cfg = load_config(None, {"NOXUS_DATA_DIR": str(shared.server.data_dir), "NOXUS_INFERENCE_PREFER_GPU": "false"})
    return ModelCache(cfg)


def question_wav(models: ModelCache, text: str) -> bytes:
    with tts.open_voice(models, {"am_michael": 1.0}, "en-us") as voice:
        speech = tts.speak(text, voice, cancel=CancelToken())
    out = io.BytesIO()
    with wave.open(out, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(speech.sample_rate)
        w.writeframes(np.clip(np.rint(speech.samples * 32768), -32768, 32767).astype("<i2").tobytes())
    return out.getvalue()


def heard(models: ModelCache, wav: bytes, folder: Path) -> str:
    path = folder / "reply.wav"
    path.write_bytes(wav)
    with models.use(WhisperModel.for_id("whisper-base")) as whisper:
        found = asr.transcribe(path, model=whisper, language="en", cancel=CancelToken())
    return " ".join(s.text for s in found.segments)


def seconds_of(wav: bytes) -> float:
    with av.open(io.BytesIO(wav)) as container:
        stream = container.streams.audio[0]
        return float(stream.duration * stream.time_base) if stream.duration else float(container.duration) / 1e6


def ledger(srv: Server) -> list[tuple[str, int, str]]:
    """The key's account's ledger rows, credits aside."""
    with sqlite3.connect(srv.data_dir / "noxus.db") as conn:
        return conn.execute("SELECT l.kind, l.amount_micros, l.job_id FROM ledger l JOIN api_keys k"
                            " ON k.account_id = l.account_id WHERE k.key_hash = ? AND l.kind != 'credit'"
                            " ORDER BY l.id", (hashlib.sha256(srv.key.encode()).hexdigest(),)).fetchall()


def balance(srv: Server) -> str:
    return srv.get("/api/v1/balance", key=srv.key).json()["balance"]["balance_usd"]


def create(srv: Server, **more: object) -> dict:
    r = srv.post("/api/voice-agent/agents", key=srv.key, json={**AGENT, **more})
    assert r.status_code == 200, r.text
    return r.json()["data"]


def test_a_spoken_question_gets_the_fact_spoken_back_and_the_call_keeps_its_history(srv, models, tmp_path):
    agent = create(srv)
    assert agent["id"].startswith("agent_") and agent["voiceId"] == "af_heart" and agent["language"] == "en-us"
    assert srv.get(f"/api/voice-agent/agents/{agent['id']}", key=srv.key).json() == {"data": agent}
    wav = question_wav(models, "What time does the shop open?")
    before = balance(srv)
    r = srv.post(f"/api/voice-agent/agents/{agent['id']}/respond", key=srv.key,
                 files={"audio": ("question.wav", wav, "audio/wav")}, timeout=300)
    assert r.status_code == 200, r.text
    turn = r.json()["data"]
    assert turn["turn"] == 1 and turn["callId"].startswith("call_")
    assert "open" in turn["transcript"].lower() and "shop" in turn["transcript"].lower()
    assert NINE.search(turn["reply"]), turn["reply"]
    reply = srv.client.get(turn["audioUrl"].removeprefix(srv.base))  # signed: no key
    assert reply.status_code == 200 and reply.headers["content-type"].startswith("audio/wav")
    assert NINE.search(heard(models, reply.content, tmp_path)), turn["reply"]
    assert abs(seconds_of(reply.content) - turn["durationSeconds"]) < 0.1 and turn["durationSeconds"] > 0.5
    tampered = turn["audioUrl"].removeprefix(srv.base)[:-1] + ("0" if turn["audioUrl"][-1] != "0" else "1")
    assert srv.client.get(tampered).status_code == 404

    # the second turn continues the call: the model sees the first question
    r = srv.post(f"/api/voice-agent/agents/{agent['id']}/respond", key=srv.key, timeout=300,
                 json={"text": "What did I just ask you?", "callId": turn["callId"]})
    assert r.status_code == 200, r.text
    second = r.json()["data"]
    assert second["turn"] == 2 and second["callId"] == turn["callId"]
    assert second["transcript"] == "What did I just ask you?"
    assert "open" in second["reply"].lower(), second["reply"]

    calls = srv.get("/api/voice-agent/calls", key=srv.key).json()["data"]
    assert [c["callId"] for c in calls] == [turn["callId"]]
    call = srv.get(f"/api/voice-agent/calls?id={turn['callId']}", key=srv.key).json()["data"]
    assert call["status"] == "active" and call["turns"] == 2 and call["agentId"] == agent["id"]
    assert [(line["role"], line["text"]) for line in call["transcript"]] == [
        ("agent", AGENT["greeting"]), ("caller", turn["transcript"]), ("agent", turn["reply"]),
        ("caller", second["transcript"]), ("agent", second["reply"])]

    # charged per turn, exactly the turn's price, each hold settled once
    rows = ledger(srv)
    assert [(kind, micros) for kind, micros, _ in rows] == [("hold", TURN_MICROS), ("charge", TURN_MICROS)] * 2
    assert len({job for _, _, job in rows}) == 2
    assert Decimal(before) - Decimal(balance(srv)) == Decimal(2 * TURN_MICROS) / 1_000_000


def test_a_streamed_turn_sends_the_transcript_then_each_sentence_spoken_then_the_turn(srv, models, tmp_path):
    agent = create(srv)
    r = srv.post(f"/api/voice-agent/agents/{agent['id']}/respond?stream=true", key=srv.key, timeout=300,
                 json={"text": "What time does the shop open?"})
    assert r.status_code == 200 and r.headers["content-type"].startswith("application/x-ndjson"), r.text
    lines = [json.loads(line) for line in r.text.splitlines()]
    assert [line["type"] for line in lines][0] == "transcript" and lines[-1]["type"] == "turn"
    sentences = [line for line in lines if line["type"] == "sentence"]
    assert 1 <= len(sentences) <= 3 and len(lines) == len(sentences) + 2
    assert lines[0] == {"type": "transcript", "callId": lines[-1]["data"]["callId"],
                        "text": "What time does the shop open?"}
    first = base64.b64decode(sentences[0]["audio"])
    assert abs(seconds_of(first) - sentences[0]["durationSeconds"]) < 0.1
    assert NINE.search(sentences[0]["text"]) and NINE.search(heard(models, first, tmp_path))
    turn = lines[-1]["data"]
    assert turn["reply"] == " ".join(s["text"] for s in sentences) and turn["turn"] == 1
    whole = srv.client.get(turn["audioUrl"].removeprefix(srv.base)).content
    assert abs(seconds_of(whole) - sum(s["durationSeconds"] for s in sentences)) < 0.1
    assert [(kind, micros) for kind, micros, _ in ledger(srv)] == [("hold", TURN_MICROS), ("charge", TURN_MICROS)]


def test_another_account_sees_nothing_of_the_agent_or_its_calls(shared, srv):
    agent = create(srv)
    r = srv.post(f"/api/voice-agent/agents/{agent['id']}/respond", key=srv.key, timeout=300,
                 json={"text": "When do you close?"})
    assert r.status_code == 200, r.text
    call_id = r.json()["data"]["callId"]
    other = shared.view()
    before = balance(other)
    for method, path, kw in (("GET", f"/api/voice-agent/agents/{agent['id']}", {}),
                             ("DELETE", f"/api/voice-agent/agents/{agent['id']}", {}),
                             ("POST", f"/api/voice-agent/agents/{agent['id']}/respond", {"json": {"text": "Hi"}}),
                             ("GET", f"/api/voice-agent/calls?id={call_id}", {})):
        r = other.request(method, path, key=other.key, **kw)
        assert r.status_code == 404 and r.json()["code"] == "NOT_FOUND", (path, r.text)
    assert other.get("/api/voice-agent/agents", key=other.key).json() == {"data": []}
    assert other.get("/api/voice-agent/calls", key=other.key).json() == {"data": []}
    # and its own agent cannot continue the first account's call
    mine = create(other)
    r = other.post(f"/api/voice-agent/agents/{mine['id']}/respond", key=other.key,
                   json={"text": "Hi", "callId": call_id})
    assert r.status_code == 404 and r.json()["code"] == "NOT_FOUND"
    assert balance(other) == before and ledger(other) == []
    # deleting the agent removes its calls
    assert srv.request("DELETE", f"/api/voice-agent/agents/{agent['id']}", key=srv.key).json() == {
        "data": {"id": agent["id"], "deleted": True}}
    assert srv.get(f"/api/voice-agent/agents/{agent['id']}", key=srv.key).status_code == 404
    assert srv.get("/api/voice-agent/calls", key=srv.key).json() == {"data": []}


@pytest.mark.parametrize(("body", "field"), [
    ({"name": ""}, "name"), ({"name": "   "}, "name"), ({"systemPrompt": "x" * 8001}, "systemPrompt"),
    ({"ttsModel": "elevenlabs-v3"}, "ttsModel"), ({"ttsModel": "fish-audio-s1"}, "ttsModel"),
    ({"llmModel": "gpt-5"}, "llmModel"), ({"voiceId": "zz_nobody"}, "voiceId"),
    ({"voiceId": "custom_0123456789abcdef"}, "voiceId"), ({"language": "xx"}, "language"),
    ({"greeting": None}, "greeting")])
def test_a_bad_agent_is_a_400_naming_the_field(shared, body, field):
    srv = shared.view() if not hasattr(shared, "_bad") else shared._bad
    shared._bad = srv  # one account for the whole table
    r = srv.post("/api/voice-agent/agents", key=srv.key, json={**AGENT, **body})
    assert r.status_code == 400 and r.json()["code"] == "BAD_REQUEST", r.text
    assert field in r.json()["error"], r.text
    if field == "ttsModel":
        assert "kokoro" in r.json()["error"]
    if field == "llmModel":
        assert MODEL in r.json()["error"]


def test_a_bad_turn_is_a_400_or_404_and_charged_nothing(srv, tmp_path):
    agent = create(srv)
    respond = f"/api/voice-agent/agents/{agent['id']}/respond"
    before = balance(srv)
    cases = [
        ({"files": {"audio": ("q.wav", b"this is not audio at all" * 20, "audio/wav")}}, 400, "audio"),
        ({"files": {"audio": ("q.png", _png(), "image/png")}}, 400, "audio"),
        ({"json": {}}, 400, "audio"),
        ({"files": {"callId": (None, "call_0000000000000000")}}, 400, "audio"),
        ({"json": {"text": "Hi", "callId": "call_0000000000000000"}}, 404, "NOT_FOUND"),
        ({"json": {"audioUrl": "http://127.0.0.1:9/q.wav"}}, 400, "audioUrl"),
        ({"json": {"text": ""}}, 400, "text"),
        ({"content": b"hello", "headers": {"Content-Type": "text/plain"}}, 400, "BAD_REQUEST"),
    ]
    for kw, status, named in cases:
        r = srv.post(respond, key=srv.key, **kw)
        assert r.status_code == status and named in r.text, (kw.keys(), r.text)
    assert srv.post("/api/voice-agent/agents/agent_0000000000000000/respond", key=srv.key,
                    json={"text": "Hi"}).status_code == 404
    assert balance(srv) == before and ledger(srv) == []
    assert srv.get("/api/voice-agent/calls", key=srv.key).json() == {"data": []}


def _png() -> bytes:
    from tests.media_samples import png_bytes

    return png_bytes()
