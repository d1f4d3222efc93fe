"""Outputs are bounded by the tier, not only inputs (issue 17, item 4).

``{"text": "a" + "[pause:10]" * 999}`` (10 kB) made 9,990 s of audio, a 480 MB WAV, in 8 s.
Now the speech one request makes has a tier limit (``max_audio_seconds``, estimated
before the hold and enforced while synthesising), one job's outputs a ceiling
(``max_output_mb``), and an account's kept outputs count against its storage quota with
its assets. Every refusal is 413 ``limit_exceeded``, charged 0, with no file left behind;
the audio that is made is measured with PyAV, not with our own result.
"""

from __future__ import annotations

import io
import wave
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import av
import pytest

from tests.e2e.conftest import Server, start_module_server

TTS = "/api/v1/tools/text-to-speech"
ATTACK = "a" + "[pause:10]" * 999  # the request: 9,991 characters, 9,990 s of pauses
MB = 1024 * 1024


@pytest.fixture(scope="module")
def srv(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    server = start_module_server(tmp_path_factory, "output-bounds", """
        [tiers.free]
        requests_per_minute = 0
        [tiers.short]
        requests_per_minute = 0
        max_audio_seconds = 20
        [tiers.small_outputs]
        requests_per_minute = 0
        max_output_mb = 0.5
        [tiers.small_quota]
        requests_per_minute = 0
        storage_quota_mb = 0.8
        [[accounts]]
        id = "short"
        tier = "short"
        initial_test_balance_usd = "1"
        [[accounts]]
        id = "small-outputs"
        tier = "small_outputs"
        initial_test_balance_usd = "1"
        [[accounts]]
        id = "small-quota"
        tier = "small_quota"
        initial_test_balance_usd = "1"
        """, env={"NOXUS_INFERENCE_PREFER_GPU": "false"}, models=("kokoro-82m", "kokoro-voice-ef-dora"))
    yield server
    server.stop()


def ledger_state(srv: Server, key: str) -> tuple[Decimal, Decimal, int]:
    """(balance, available, files under outputs/): what a refused request must leave untouched."""
    balance = srv.get("/api/v1/balance", key=key).json()["balance"]
    files = sum(1 for p in Path(srv.data_dir, "outputs").rglob("*") if p.is_file())
    return Decimal(balance["balance_usd"]), Decimal(balance["available_usd"]), files


def refused(srv: Server, key: str, path: str, limit: str, **kw: Any) -> dict[str, Any]:
    """The call answers 413 ``limit_exceeded`` naming ``limit``; nothing charged, held or kept."""
    before = ledger_state(srv, key)
    r = srv.post(path, key=key, timeout=120, **kw)
    assert r.status_code == 413, r.text[:600]
    body = r.json()
    error = body.get("error")
    if isinstance(error, dict):  # the OpenAI-compatible routes answer in OpenAI's error shape
        assert error["code"] == "limit_exceeded", body
    else:
        assert (body["error_code"], body["details"]["limit"]) == ("limit_exceeded", limit), body
        assert body["billing"]["charged_usd"] == "0"
    assert ledger_state(srv, key) == before
    assert not list(Path(srv.data_dir, "work").glob("*/speech.*"))  # nor a half-made file in a job's folder
    return body


def seconds_of(data: bytes) -> float:
    with av.open(io.BytesIO(data)) as container:
        stream = container.streams.audio[0]
        samples = sum(frame.samples for frame in container.decode(stream))
        return samples / stream.rate


def test_the_pause_tag_request_is_refused_before_the_hold(srv: Server) -> None:
    jobs_before = srv.get("/api/v1/jobs", key=srv.key).json()["pagination"]["total"]
    body = refused(srv, srv.key, TTS, "max_audio_seconds", json={"text": ATTACK})
    assert body["details"]["max"] == 900
    assert body["details"]["estimated_seconds"] == pytest.approx(9990.04)
    assert "max_audio_seconds" in body["error"]
    assert srv.get("/api/v1/jobs", key=srv.key).json()["pagination"]["total"] == jobs_before  # no job row
    refused(srv, srv.key, "/v1/audio/speech", "max_audio_seconds",
            json={"model": "kokoro-82m", "voice": "ef_dora", "input": ATTACK, "response_format": "wav"})


def test_speech_just_under_the_limit_is_made_and_charged(srv: Server) -> None:
    text = "a" + "[pause:10]" * 89  # 890 s of pauses and one letter: under the free tier's 900 s
    r = srv.post(TTS, key=srv.key, json={"text": text, "format": "wav"}, timeout=300)
    assert r.status_code == 200, r.text[:600]
    body = r.json()
    assert Decimal(body["billing"]["charged_usd"]) > 0
    data = srv.get(body["output"]["url"]).content
    assert 890 < seconds_of(data) < 900
    assert len(data) == body["output"]["size_bytes"]


def test_speech_longer_than_its_estimate_stops_while_it_is_synthesised(srv: Server) -> None:
    key = srv.new_key("short")
    # estimated 15 s of pauses + 52 characters at 12.5 a second (speed 0.5) = 19.2 s, under the 20 s
    # allowed; read at half speed the words really take about 8 s, so the speech would pass 20 s
    text = "Hola, buenos días. Esto es una prueba bastante lenta. [pause:10] [pause:5]"
    body = refused(srv, key, TTS, "max_audio_seconds", json={"text": text, "speed": 0.5})
    assert body["details"]["max"] == 20 and body["details"]["synthesised_seconds"] > 20
    job = srv.get(f"/api/v1/jobs/{body['job_id']}", key=key).json()
    assert (job["status"], job["billing"]["charged_usd"], job.get("output")) == ("failed", "0", None)


def test_outputs_over_the_tier_ceiling_fail_uncharged_without_a_file(srv: Server) -> None:
    key = srv.new_key("small-outputs")
    # 20.5 s of 24 kHz 16-bit mono: about 0.94 MB, over the tier's 0.5 MB
    body = refused(srv, key, TTS, "max_output_mb", json={"text": "Hola. [pause:10] [pause:10]"})
    assert body["details"]["max"] == 0.5 and body["details"]["output_mb"] > 0.9
    assert not Path(srv.data_dir, "outputs", body["job_id"]).exists()
    small = srv.post(TTS, key=key, json={"text": "Hola. [pause:5]"}, timeout=120)  # ~0.26 MB: fine
    assert small.status_code == 200, small.text[:600]


def wav_bytes(seconds: float) -> bytes:
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(24000)
        w.writeframes(b"\x00\x01" * int(seconds * 24000))
    return buffer.getvalue()


def test_kept_outputs_count_against_the_storage_quota_with_assets(srv: Server) -> None:
    key = srv.new_key("small-quota")
    speech = {"text": "Hola. [pause:10]", "format": "wav"}  # ~0.48 MB of a 0.8 MB quota
    first = srv.post(TTS, key=key, json=speech, timeout=120)
    assert first.status_code == 200, first.text[:600]
    body = refused(srv, key, TTS, "storage_quota", json=speech)  # a second one would not fit
    details = body["details"]
    assert details["max_mb"] == 0.8 and details["used_mb"] == pytest.approx(first.json()["output"]["size_bytes"] / MB,
                                                                               abs=0.01)
    assert details["output_mb"] > 0.4 and "storage" in body["error"]
    assert not Path(srv.data_dir, "outputs", body["job_id"]).exists()
    # assets see the same quota: the kept output leaves no room for a 0.4 MB upload either
    upload = srv.post("/api/v1/assets", key=key, files={"file": ("tone.wav", wav_bytes(8.5), "audio/wav")},
                      data={"category": "audio"})
    assert upload.status_code == 413, upload.text
    assert (upload.json()["error_code"], upload.json()["details"]["limit"]) == ("limit_exceeded", "storage_quota")
