"""dub-video through the real server (issue 24 item 1, its bad input and its evidence).

A Spanish narration spoken by our Kokoro (ef_dora) over a colour clip is dubbed into English over
HTTP with the embedded text model (qwen2.5-coder-1.5b, the default). The result is judged by
independent decoders: PyAV reads the MP4's length, our Whisper (in the test process, not the
job's transcript) hears the dubbed sound: English, the job's own translation at a WER ≤ 0.15,
every heard word inside its line's segment ± 0.3 s. The SRT is re-read with ``srt``.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import av
import httpx
import pytest
import srt

from noxus_local.config import load_config
from noxus_local.speech.wer import wer
from tests.dub_samples import SENTENCES, silent_video, spanish_video
from tests.e2e.conftest import Server, balance_usd, start_module_server

TOOL = "/api/v1/tools/dub-video"
MODELS = ("kokoro-82m", "kokoro-voice-ef-dora", "kokoro-voice-af-heart", "whisper-base", "silero-vad",
          "qwen2.5-coder-1.5b-instruct")
CONFIG = """
[inference]
prefer_gpu = false
[tiers.free]
requests_per_minute = 0
jobs_per_hour = 0
concurrent_jobs = 2
[assets]
fetch_allow_hosts = ["127.0.0.1"]
"""
SLACK = 0.3


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    srv = start_module_server(tmp_path_factory, "dub", CONFIG, models=MODELS)
    yield srv
    srv.stop()


@pytest.fixture(scope="module")
def clip(server: Server, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[tuple[float, float, str]]]:
    cfg = load_config(None, {"NOXUS_DATA_DIR": str(server.data_dir), "NOXUS_INFERENCE_PREFER_GPU": "false"})
    return spanish_video(tmp_path_factory.mktemp("dubclip"), cfg)


def _post(server: Server, path: Path, async_: bool = False, **fields: Any) -> Any:
    """A multipart call; httpx directly, so an expected 503 is not taken for a server error."""
    headers = {"Authorization": f"Bearer {server.key}", **({"Prefer": "respond-async"} if async_ else {})}
    with path.open("rb") as f:
        return httpx.post(server.base + TOOL, files={"video": (path.name, f, "video/mp4")}, headers=headers,
                          data={k: str(v).lower() if isinstance(v, bool) else str(v) for k, v in fields.items()},
                          timeout=120)


def _finished(server: Server, job_id: str, timeout: float = 900) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        body = server.get(f"/api/v1/jobs/{job_id}", server.key).json()
        if body["status"] in ("succeeded", "failed", "cancelled"):
            return dict(body)
        time.sleep(1.0)
    raise AssertionError(f"job {job_id} did not end")


def test_the_catalog_lists_the_targets_and_the_price(server: Server) -> None:
    tool = server.get("/api/v1/tools/doblar-video", server.key).json()["tool"]
    assert tool["slug"] == "dub-video" and tool["lip_sync"] is False
    assert {"en", "es", "fr", "it", "ja", "pt", "zh", "hi"} <= set(tool["target_languages"])
    assert tool["pricing"]["unit"] == "minute"


def test_bad_input_is_refused_and_charged_nothing(server: Server, clip: Any, tmp_path: Path) -> None:
    video, _spans = clip
    before = balance_usd(server)
    silent = _post(server, silent_video(tmp_path), target_language="en")
    assert (silent.status_code, silent.json()["error_code"]) == (400, "invalid_media"), silent.text
    assert "speech" in silent.json()["error"] or "habla" in silent.json()["error"]
    klingon = _post(server, video, target_language="tlh")
    assert klingon.status_code == 400 and "en" in klingon.json()["details"]["allowed"]["target_language"]
    same = _post(server, video, target_language="es", source_language="es")
    assert same.status_code == 400 and "target_language" in same.json()["details"]["field_errors"]
    clone = _post(server, video, target_language="en", preserve_original_voice=True)
    assert (clone.status_code, clone.json()["error_code"]) == (503, "tool_unavailable")
    whisper_fr = _post(server, video, target_language="fr", translator="whisper")
    assert whisper_fr.status_code == 400 and "translator" in whisper_fr.json()["details"]["field_errors"]
    unnamed = _post(server, video, target_language="en", transcript="Hola.")
    assert unnamed.status_code == 400 and "source_language" in unnamed.json()["details"]["field_errors"]
    for r in (silent, klingon, same, clone, whisper_fr, unnamed):
        assert r.json()["billing"]["charged_usd"] == "0"
    # the source is only known once heard: the job fails with a 400 code and its hold is released
    late = _post(server, video, async_=True, target_language="es")
    assert late.status_code == 202, late.text
    failed = _finished(server, late.json()["job_id"], timeout=300)
    assert failed["status"] == "failed" and failed["error"]["code"] == "validation_error", failed
    assert balance_usd(server) == before


def test_spanish_narration_dubbed_into_english_is_heard_in_english_on_time(server: Server, clip: Any,
                                                                           tmp_path: Path) -> None:
    video, spans = clip
    before = balance_usd(server)
    started = _post(server, video, async_=True, target_language="en", speaker_gender="female")
    assert started.status_code == 202, started.text
    body = _finished(server, started.json()["job_id"])
    assert body["status"] == "succeeded", body
    result = body["result"]
    assert result["lip_sync"] is False and result["source_language"] == "es" and result["voice_id"] == "af_heart"
    assert result["translator"].startswith("llm:")
    assert [o["name"] for o in body["outputs"]] == ["video", "srt", "segments"]
    segments = result["segments"]
    assert len(segments) == len(SENTENCES), segments
    # the lines were found where the narration put them
    for seg, (start, end, _text) in zip(segments, spans, strict=True):
        assert abs(seg["start"] - start) <= SLACK and abs(seg["end"] - end) <= SLACK, (seg, start, end)
        assert seg["speech_start"] >= seg["start"] - 1e-6 and seg["speech_end"] <= seg["end"] + SLACK, seg
        assert 1.0 <= seg["speed"] <= 1.3 and 1.0 <= seg["tempo"] <= 1.25
    for a, b in zip(segments, segments[1:], strict=False):
        assert a["speech_end"] < b["speech_start"]  # never over the next line

    mp4 = tmp_path / "dubbed.mp4"
    mp4.write_bytes(server.client.get(body["outputs"][0]["url"]).content)
    with av.open(str(video)) as src, av.open(str(mp4)) as out:
        assert abs(out.duration / 1e6 - src.duration / 1e6) <= 0.1
        assert out.streams.video and out.streams.audio

    heard = _hear(server, mp4)
    assert heard["language"] == "en", heard["text"]
    said = " ".join(s["translation"] for s in segments)
    assert wer(said, heard["text"]) <= 0.15, (said, heard["text"])
    for word in heard["words"]:
        middle = (word["start"] + word["end"]) / 2
        assert any(s["start"] - SLACK <= middle <= max(s["end"], s["speech_end"]) + SLACK for s in segments), word
    for seg in segments:  # each line is heard inside its own segment
        assert any(seg["start"] - SLACK <= (w["start"] + w["end"]) / 2 <= seg["end"] + SLACK
                   for w in heard["words"]), seg

    subtitles = list(srt.parse(server.client.get(body["outputs"][1]["url"]).text))
    assert [s.content.replace("\n", " ") for s in subtitles] == [s["translation"] for s in segments]
    table = json.loads(server.client.get(body["outputs"][2]["url"]).text)
    assert table["lip_sync"] is False and [s["source_text"] for s in table["segments"]] == \
        [s["source_text"] for s in segments]
    charged = Decimal(body["billing"]["charged_usd"])
    assert charged > 0 and balance_usd(server) == before - charged


def test_seed_002_translate_dubs_the_video_at_its_url(server: Server, clip: Any) -> None:
    from tests.http_fixture import media_server

    video, _spans = clip
    headers = {"Authorization": f"Bearer {server.key}"}

    def apex(body: dict[str, Any]) -> httpx.Response:
        return httpx.post(f"{server.base}/api/generate/translate", headers=headers, json=body, timeout=120)

    with media_server({"/charla.mp4": video.read_bytes()}) as media:
        url = f"{media.base}/charla.mp4"
        missing = apex({"videoUrl": url})
        assert (missing.status_code, missing.json()["code"]) == (400, "BAD_REQUEST")
        assert "outputLanguage" in missing.json()["error"]
        odd = apex({"videoUrl": url, "outputLanguage": "tlh"})
        assert odd.status_code == 400 and "outputLanguage" in odd.json()["error"], odd.text
        time.sleep(10)  # five generations per 10 s per key
        clone = apex({"videoUrl": url, "outputLanguage": "en", "preserveOriginalVoice": True})
        assert (clone.status_code, clone.json()["code"]) == (503, "SERVICE_UNAVAILABLE"), clone.text
        queued = apex({"videoUrl": url, "outputLanguage": "en", "preserveOriginalVoice": False})
    assert queued.status_code == 200, queued.text
    job_id = queued.json()["data"]["jobId"]
    deadline, job = time.monotonic() + 900, {}
    while time.monotonic() < deadline:
        job = httpx.get(f"{server.base}/api/jobs?id={job_id}", headers=headers, timeout=30).json()["data"]
        if job["status"] in ("completed", "failed"):
            break
        time.sleep(2)
    assert job["status"] == "completed" and job["type"] == "translate", job
    assert job["outputType"] == "video/mp4" and job["creditsCharged"] == 1800
    assert job["metadata"]["outputLanguage"] == "en"
    with av.open(str(video)) as src:
        assert abs(job["metadata"]["durationSeconds"] - src.duration / 1e6) <= 0.1
    assert httpx.get(job["outputUrl"], timeout=30).content[4:8] == b"ftyp"


def _hear(server: Server, mp4: Path) -> dict[str, Any]:
    """Our Whisper, in this process, on the dubbed MP4: language, text and word times."""
    from noxus_local.inference.cache import ModelCache
    from noxus_local.inference.models.whisper import WhisperModel
    from noxus_local.speech.asr import transcribe

    cfg = load_config(None, {"NOXUS_DATA_DIR": str(server.data_dir), "NOXUS_INFERENCE_PREFER_GPU": "false"})
    with ModelCache(cfg).use(WhisperModel) as whisper:
        t = transcribe(mp4, model=whisper, language=None)
    return {"language": t.language, "text": t.text,
            "words": [{"word": w.word, "start": w.start, "end": w.end} for w in t.words]}
