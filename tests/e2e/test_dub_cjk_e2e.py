"""dub-video into Japanese, Chinese and Hindi through the real server (issue 24: "every language with a
Kokoro voice", never tested for these three).

A two-sentence English narration (~8 s, Kokoro's af_heart over a colour clip) is dubbed into each
language with the embedded text model (qwen2.5-coder-1.5b). Judged by independent decoders: our Whisper
in the test process detects the dubbed sound's language (``ja``, ``zh``, ``hi``); PyAV reads the MP4's
length (the input's ± 0.1 s); the job's segments never overlap. Chinese and Japanese are phonemised
through speech/cjk.py (misaki's pinyin IPA; kanji read as hiragana by fugashi + UniDic-lite): without
those packages espeak-ng reads a kanji as "Chinese letter"; they are dependencies, so the test fails without them.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import av
import pytest

from noxus_local.config import load_config
from tests.dub_samples import ENGLISH, _video, spanish_speech
from tests.e2e.conftest import Server, no_server_errors
from tests.e2e.test_dub_video_e2e import CONFIG, _finished, _hear, _post

VOICES = {"ja": "jf_alpha", "zh": "zf_xiaobei", "hi": "hf_alpha"}
MODELS = ("kokoro-82m", "kokoro-voice-af-heart", "kokoro-voice-jf-alpha", "kokoro-voice-zf-xiaobei",
          "kokoro-voice-hf-alpha", "whisper-base", "silero-vad", "qwen2.5-coder-1.5b-instruct")


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    # the text model is unloaded soon after translating, before Kokoro loads: on a shared box the three
    # models at once were the largest process, the one the kernel's OOM killer picked
    srv = Server(tmp_path_factory.mktemp("dubcjk") / "data", CONFIG.replace("[inference]\n", "[inference]\n"
                                                                           "idle_unload_seconds = 2\n"))
    srv.client.event_hooks = {"request": [], "response": [no_server_errors]}
    # one fetch for all, with room: copying and checking the 1.7 GB text model takes over a minute on a busy box
    fetched = subprocess.run([sys.executable, "-m", "noxus_local", "models", "fetch", *MODELS, "--config",
                              str(srv.config_path)], env=srv.env, capture_output=True, text=True, timeout=900)
    assert fetched.returncode == 0, fetched.stderr
    srv.start(timeout=120)
    yield srv
    srv.stop()


@pytest.fixture(scope="module")
def clip(server: Server, tmp_path_factory: pytest.TempPathFactory) -> Path:
    cfg = load_config(None, {"NOXUS_DATA_DIR": str(server.data_dir), "NOXUS_INFERENCE_PREFER_GPU": "false"})
    path, _spans = _video(tmp_path_factory.mktemp("cjkclip"), spanish_speech(cfg, ENGLISH[:2], 1, "af_heart",
                                                                             "en-us"), "0x6f972a")
    return path


def _installed(language: str) -> bool:
    from noxus_local.speech import cjk

    return {"zh": lambda: cjk.chinese_words("你好") is not None,
            "ja": lambda: cjk.japanese_words("私") is not None}.get(language, lambda: True)()


@pytest.mark.parametrize("language", ["zh", "hi", "ja"])
def test_english_dubbed_into_japanese_chinese_and_hindi_is_heard_in_that_language(server: Server, clip: Path,
                                                                                  language: str,
                                                                                  tmp_path: Path) -> None:
    # the packages are dependencies (pyproject): missing, the test fails rather than skips
    assert _installed(language), f"speech/cjk.py's packages are not installed for {language}"
    started = _post(server, clip, async_=True, target_language=language, speaker_gender="female")
    assert started.status_code == 202, started.text
    body = _finished(server, started.json()["job_id"])
    assert body["status"] == "succeeded", body
    result: dict[str, Any] = body["result"]
    assert result["source_language"] == "en" and result["voice_id"] == VOICES[language], result
    segments = result["segments"]
    assert len(segments) == 2 and all(s["translation"].strip() for s in segments), segments
    for a, b in zip(segments, segments[1:], strict=False):
        assert a["speech_end"] < b["speech_start"], (a, b)  # never over the next line
    mp4 = tmp_path / f"dubbed-{language}.mp4"
    mp4.write_bytes(server.client.get(body["outputs"][0]["url"]).content)
    with av.open(str(clip)) as src, av.open(str(mp4)) as out:
        assert abs(out.duration / 1e6 - src.duration / 1e6) <= 0.1, (out.duration, src.duration)
    heard = _hear(server, mp4)
    assert heard["language"] == language, (heard, [s["translation"] for s in segments])
