"""text-to-speech through the real server: real Kokoro, espeak-ng and ffmpeg; bad input refused before any charge."""

from collections.abc import Iterator
from decimal import Decimal

import av
import numpy as np
import pytest

from tests.e2e.conftest import Server, start_module_server

TTS = "/api/v1/tools/text-to-speech"


@pytest.fixture(scope="module")
def srv(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    server = start_module_server(tmp_path_factory, "tts", "[tiers.free]\nrequests_per_minute = 0\n",
                                 env={"NOXUS_INFERENCE_PREFER_GPU": "false"})
    fetched = server.cli("models", "fetch", "kokoro-82m", "kokoro-voice-em-alex", "kokoro-voice-bf-emma")
    assert fetched.returncode == 0, fetched.stderr
    yield server
    server.stop()


def balance(srv: Server) -> Decimal:
    return Decimal(srv.get("/api/v1/balance", key=srv.key).json()["balance"]["balance_usd"])


def test_spanish_mp3_with_word_timings_and_a_per_character_charge(srv):
    before = balance(srv)
    text = "Hola, me llamo Alex. [pause:0.4] ¿Qué tal?"
    r = srv.post("/api/v1/tools/texto-a-voz", key=srv.key,
                 json={"text": text, "voice_id": "em_alex", "format": "mp3", "return_base64": False})
    assert r.status_code == 200, r.text
    body = r.json()
    res = body["result"]
    assert (res["language"], res["voice_id"], res["model"], res["timing_source"]) == (
        "es", "em_alex", "kokoro-82m", "estimated_per_phoneme")
    assert body["output"]["mime_type"] == "audio/mpeg"
    audio = srv.get(body["output"]["url"])
    assert audio.status_code == 200
    path = srv.data_dir.parent / "speech.mp3"
    path.write_bytes(audio.content)
    with av.open(str(path)) as container:
        pcm = np.concatenate([f.to_ndarray().reshape(-1) for f in container.decode(audio=0)])
        assert abs(len(pcm) / 24000 - res["duration_seconds"]) < 0.2
    assert np.sqrt(np.mean(pcm ** 2)) > 0.02
    assert [w["word"] for w in res["words"]] == ["Hola,", "me", "llamo", "Alex.", "¿Qué", "tal?"]
    assert res["sentences"][1]["start"] >= res["sentences"][0]["end"] + 0.39  # the pause
    charged = before - balance(srv)
    assert Decimal("0") < charged <= Decimal("0.001")  # the minimum: 42 characters at 0.015 / 1k


def test_english_text_by_a_british_voice_in_flac(srv):
    r = srv.post(TTS, key=srv.key, json={"text": "Good evening.", "voice_id": "bf_emma", "format": "flac",
                                         "sample_rate": 16000})
    assert r.status_code == 200, r.text
    res = r.json()["result"]
    assert (res["language"], res["sample_rate"]) == ("en-gb", 16000)
    assert 0.5 < res["duration_seconds"] < 3


@pytest.mark.parametrize(("body", "status", "code", "field"), [
    ({"text": "   \n "}, 400, "validation_error", "text"),
    ({"text": "🙂🙂 [pause:1]"}, 400, "validation_error", "text"),
    ({"text": "a" * 10_001}, 413, "limit_exceeded", None),
    ({"text": "hola", "voice_id": "nobody"}, 400, "validation_error", "voice_id"),
    ({"text": "hola", "speed": 3}, 400, "validation_error", "speed"),
    ({"text": "hola", "format": "midi"}, 400, "validation_error", "format"),
])
def test_bad_input_is_refused_without_a_charge(srv, body, status, code, field):
    before = balance(srv)
    r = srv.post(TTS, key=srv.key, json={"voice_id": "em_alex", **body})
    assert (r.status_code, r.json()["error_code"]) == (status, code), r.text
    if field:
        assert field in r.json()["details"]["field_errors"]
    if field == "voice_id":
        assert "GET /api/v1/voices" in r.json()["details"]["field_errors"]["voice_id"][0]
    assert balance(srv) == before


def test_a_voice_not_installed_is_503_with_the_fetch_command(srv):
    hooks, srv.client.event_hooks = srv.client.event_hooks, {"request": [], "response": []}  # a 503 expected
    try:
        r = srv.post(TTS, key=srv.key, json={"text": "Hello.", "voice_id": "am_puck"})
    finally:
        srv.client.event_hooks = hooks
    assert r.status_code == 503, r.text
    assert r.json()["error_code"] == "tool_unavailable"
    assert "noxus-local models fetch kokoro-voice-am-puck" in r.json()["error"]
