"""Account-private voices (issue 11): POST /api/v1/voices makes a mix that speaks, for its account only.

Also Piper's voice, once installed: listed with model ``piper``, speaking through the same tool.
"""

import io
import wave
from collections.abc import Iterator

import numpy as np
import pytest

from tests.e2e.conftest import Server, start_module_server

VOICES = "/api/v1/voices"
TTS = "/api/v1/tools/text-to-speech"
MIX = {"ef_dora": 0.7, "em_alex": 0.3}


@pytest.fixture(scope="module")
def srv(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    server = start_module_server(tmp_path_factory, "custom_voices", """
        [tiers.free]
        requests_per_minute = 0
        [[accounts]]
        id = "other"
        """, env={"NOXUS_INFERENCE_PREFER_GPU": "false"})
    fetched = server.cli("models", "fetch", "kokoro-82m", "kokoro-voice-ef-dora", "kokoro-voice-em-alex",
                         "piper-en-us-joe")
    assert fetched.returncode == 0, fetched.stderr
    yield server
    server.stop()


@pytest.fixture(scope="module")
def other(srv: Server) -> str:
    return srv.new_key("other")


def create(srv: Server, key: str, body: object) -> dict:
    r = srv.post(VOICES, key=key, json=body)
    assert r.status_code == 201, r.text
    return r.json()["voice"]


def speak(srv: Server, voice_id: str, key: str | None = None) -> np.ndarray:
    r = srv.post(TTS, key=key or srv.key, json={"text": "Hola, ¿qué tal estás hoy?", "voice_id": voice_id})
    assert r.status_code == 200, r.text
    with wave.open(io.BytesIO(srv.get(r.json()["output"]["url"]).content)) as w:
        return np.frombuffer(w.readframes(w.getnframes()), dtype="<i2").astype(np.float32) / 32768


def spectrum(pcm: np.ndarray) -> np.ndarray:
    """The mean log-magnitude spectrum over 40 ms frames: a voice's colour, whatever the timing."""
    frames = pcm[: len(pcm) // 960 * 960].reshape(-1, 960) * np.hanning(960)
    return np.log(np.abs(np.fft.rfft(frames, axis=1)) + 1e-4).mean(axis=0)


def test_a_mix_is_made_listed_and_shown(srv):
    voice = create(srv, srv.key, {"name": "  Narradora  ", "mix": {"em_alex": 1, "ef_dora": 3}})
    assert voice["voice_id"].startswith("custom_")
    assert {k: voice[k] for k in ("name", "category", "language", "gender", "accent", "model", "mix",
                                  "installed", "age")} == {
        "name": "Narradora", "category": "custom", "language": "es", "gender": "female", "accent": "spanish",
        "model": "kokoro-82m", "mix": {"em_alex": 0.25, "ef_dora": 0.75}, "installed": True, "age": None}
    shown = srv.get(f"{VOICES}/{voice['voice_id']}", key=srv.key).json()["voice"]
    assert {k: v for k, v in shown.items() if k != "preview_url"} == {
        k: v for k, v in voice.items() if k != "preview_url"}
    listed = [v["voice_id"] for v in srv.get(VOICES, key=srv.key, params={"gender": "female"}).json()["voices"]]
    assert listed[0] == "ef_dora" and voice["voice_id"] in listed
    assert voice["voice_id"] not in [v["voice_id"] for v in srv.get(
        VOICES, key=srv.key, params={"gender": "male"}).json()["voices"]]
    assert voice["voice_id"] in [v["voice_id"] for v in srv.get(
        VOICES, key=srv.key, params={"q": "narradora"}).json()["voices"]]
    preview = srv.get(shown["preview_url"])
    assert preview.status_code == 200 and preview.headers["content-type"] == "audio/mpeg"


def test_a_mix_speaks_unlike_either_parent_and_unlike_silence(srv):
    voice = create(srv, srv.key, {"name": "Mezcla", "mix": MIX})
    dora, alex, mix = speak(srv, "ef_dora"), speak(srv, "em_alex"), speak(srv, voice["voice_id"])
    assert np.sqrt(np.mean(mix ** 2)) > 0.02  # not silence
    d_dora = np.abs(spectrum(mix) - spectrum(dora)).mean()
    d_alex = np.abs(spectrum(mix) - spectrum(alex)).mean()
    d_parents = np.abs(spectrum(dora) - spectrum(alex)).mean()
    assert d_dora > 0.05 and d_alex > 0.05, (d_dora, d_alex)
    assert d_dora < d_alex < d_parents * 1.5  # mostly Dora: nearer to her than to Alex
    job = srv.post(TTS, key=srv.key, json={"text": "Hola.", "voice_id": voice["voice_id"]}).json()
    assert (job["result"]["voice_id"], job["result"]["language"]) == (voice["voice_id"], "es")
    speech = srv.post("/v1/audio/speech", key=srv.key, json={
        "model": "kokoro-82m", "voice": voice["voice_id"], "input": "Hola.", "response_format": "wav"})
    assert speech.status_code == 200 and speech.content[:4] == b"RIFF"


def test_another_account_cannot_see_use_or_delete_it(srv, other):
    voice_id = create(srv, srv.key, {"name": "Privada", "mix": MIX})["voice_id"]
    assert voice_id not in [v["voice_id"] for v in srv.get(VOICES, key=other).json()["voices"]]
    assert srv.get(f"{VOICES}/{voice_id}", key=other).status_code == 404
    assert srv.request("DELETE", f"{VOICES}/{voice_id}", key=other).status_code == 404
    used = srv.post(TTS, key=other, json={"text": "Hola.", "voice_id": voice_id})
    assert (used.status_code, list(used.json()["details"]["field_errors"])) == (400, ["voice_id"])
    assert used.json()["billing"]["charged_usd"] == "0"
    oai = srv.post("/v1/audio/speech", key=other, json={"model": "kokoro-82m", "voice": voice_id, "input": "Hola."})
    assert (oai.status_code, oai.json()["error"]["param"]) == (400, "voice_id")
    assert srv.get(f"{VOICES}/{voice_id}", key=srv.key).status_code == 200  # still the owner's


def test_delete_then_it_is_gone(srv):
    voice_id = create(srv, srv.key, {"name": "Efímera", "mix": {"em_alex": 1}})["voice_id"]
    r = srv.request("DELETE", f"{VOICES}/{voice_id}", key=srv.key)
    assert r.status_code == 200 and r.json()["deleted"] is True
    assert srv.get(f"{VOICES}/{voice_id}", key=srv.key).status_code == 404
    assert srv.request("DELETE", f"{VOICES}/{voice_id}", key=srv.key).status_code == 404
    assert srv.request("DELETE", f"{VOICES}/ef_dora", key=srv.key).status_code == 404  # premade: not deletable
    assert srv.post(TTS, key=srv.key, json={"text": "Hola.", "voice_id": voice_id}).status_code == 400


@pytest.mark.parametrize(("body", "field"), [
    ({"name": "x", "mix": {"ef_dora": 0.5, "nobody": 0.5}}, "mix"),
    ({"name": "x", "mix": {"ef_dora": 0, "em_alex": 0}}, "mix"),
    ({"name": "x", "mix": {"ef_dora": -1, "em_alex": 2}}, "mix"),
    ({"name": "x", "mix": {"ef_dora": "0.5"}}, "mix"),
    ({"name": "x", "mix": {"ef_dora": 1e308, "em_alex": 1e308}}, "mix"),  # would sum to infinity
    ({"name": "x", "mix": {"ef_dora": True}}, "mix"),
    ({"name": "x", "mix": {}}, "mix"),
    ({"name": "x", "mix": ["ef_dora"]}, "mix"),
    ({"name": "x", "mix": {v: 1 for v in ("ef_dora", "em_alex", "em_santa", "af_heart", "am_adam", "bf_emma")}},
     "mix"),
    ({"name": "  ", "mix": MIX}, "name"),
    ({"mix": MIX}, "name"),
    ({"name": "x" * 101, "mix": MIX}, "name"),
    ([1, 2], "body"),
])
def test_bad_mixes_are_400_with_field_errors(srv, body, field):
    r = srv.post(VOICES, key=srv.key, json=body)
    assert (r.status_code, r.json()["error_code"]) == (400, "validation_error"), r.text
    assert list(r.json()["details"]["field_errors"]) == [field]


def test_the_piper_voice_is_listed_once_installed_and_speaks(srv):
    listed = srv.get(VOICES, key=srv.key, params={"accent": "american"}).json()["voices"]
    joe = next(v for v in listed if v["voice_id"] == "piper_en_us_joe")
    assert (joe["model"], joe["gender"], joe["language"], joe["installed"]) == ("piper", "male", "en-us", True)
    r = srv.post(TTS, key=srv.key, json={"text": "Good morning. The weather is fine today.",
                                         "voice_id": "piper_en_us_joe", "format": "wav"})
    assert r.status_code == 200, r.text
    res = r.json()["result"]
    assert (res["model"], res["language"], len(res["words"])) == ("piper", "en-us", 7)
    with wave.open(io.BytesIO(srv.get(r.json()["output"]["url"]).content)) as w:
        assert w.getframerate() == 24000
        pcm = np.frombuffer(w.readframes(w.getnframes()), dtype="<i2").astype(np.float32) / 32768
    assert 1.5 < len(pcm) / 24000 < 6 and np.sqrt(np.mean(pcm ** 2)) > 0.02
    mixed = srv.post(VOICES, key=srv.key, json={"name": "x", "mix": {"piper_en_us_joe": 1, "ef_dora": 1}})
    assert (mixed.status_code, list(mixed.json()["details"]["field_errors"])) == (400, ["mix"])
    inline = srv.post(TTS, key=srv.key, json={"text": "Hi.", "voice_id": "piper_en_us_joe*0.5+em_alex*0.5"})
    assert inline.status_code == 400
