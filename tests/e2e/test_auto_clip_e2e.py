"""auto-clip on the real server (issue 22): the run through the runner (hold, charge, outputs served by
signed URL) and bad input refused before any charge, with no files left behind.

The source is tests/clip_samples.py's talk (41 s, espeak-ng narration, a moving face); Whisper base,
Silero VAD and CenterFace are fetched into the server's data dir from the shared download cache.
"""

from __future__ import annotations

import subprocess
from decimal import Decimal
from pathlib import Path
from typing import Any

import imageio_ffmpeg
import pytest

from noxus_local.media.probe import probe
from tests.clip_samples import astronaut, build_talk
from tests.e2e.conftest import Server, balance_usd, start_module_server

FIELDS = {"max_clips": "2", "min_duration": "8", "max_duration": "20", "language": "en"}


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Any:
    srv = start_module_server(tmp_path_factory, "clip", "[tiers.free]\nmax_video_seconds = 60\n",
                              models=("silero-vad", "whisper-base", "centerface"))
    yield srv
    srv.stop()


@pytest.fixture(scope="module")
def talk(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("talk")
    return build_talk(folder, astronaut(folder / "photos"))[0]


def _run(server: Server, path: Path, **fields: str) -> Any:
    with path.open("rb") as f:
        return server.post("/api/v1/tools/auto-clips", server.key, files={"video": (path.name, f)},
                           data={**FIELDS, **fields}, timeout=180)


def _leftovers(server: Server) -> list[Path]:
    return [p for folder in ("work", "outputs") for p in (server.data_dir / folder).rglob("*") if p.is_file()]


def test_a_run_is_held_for_the_clips_asked_and_charged_for_the_clips_made(server: Server, talk: Path,
                                                                            tmp_path: Path) -> None:
    before = balance_usd(server)
    r = _run(server, talk, caption_style="boxed", aspect_ratio="1:1")
    assert r.status_code == 200, r.text
    body = r.json()
    n = body["result"]["clipCount"]
    assert n >= 1 and body["tool"] == "auto-clip"
    assert [o["name"] for o in body["outputs"]] == [x for i in range(1, n + 1)
                                                    for x in (f"clip-{i}", f"clip-{i}-json", f"clip-{i}-srt")]
    assert [s["name"] for s in body["steps"]] == ["probe", "transcribe", "candidates", "score", "reframe", "render"]
    billing = body["billing"]
    assert Decimal(billing["charged_usd"]) <= Decimal(billing["estimated_usd"])
    assert billing["unit"] == "minute" and billing["units"] * 60 == pytest.approx(41.3 + 30 * n, abs=0.6)
    assert balance_usd(server) == before - Decimal(billing["charged_usd"])
    mp4 = tmp_path / "clip.mp4"
    mp4.write_bytes(server.client.get(body["outputs"][0]["url"]).content)
    assert probe(mp4).require_video().display_size == (720, 720)


def test_bad_input_is_refused_charged_zero_and_leaves_no_files(server: Server, talk: Path, tmp_path: Path) -> None:
    before, kept = balance_usd(server), set(_leftovers(server))
    for fields, status, field in (({"max_clips": "0"}, 400, "max_clips"), ({"max_clips": "21"}, 400, "max_clips"),
                                  ({"viral_score_threshold": "11"}, 400, "viral_score_threshold"),
                                  ({"min_duration": "30", "max_duration": "20"}, 400, "min_duration"),
                                  ({"min_duration": "50", "max_duration": "60"}, 400, "min_duration")):
        r = _run(server, talk, **fields)
        assert (r.status_code, r.json()["billing"]["charged_usd"]) == (status, "0"), r.text
        assert field in r.json()["details"]["field_errors"]
    ffmpeg = imageio_ffmpeg.get_ffmpeg_exe()
    mute, silent = tmp_path / "mute.mp4", tmp_path / "silent.mp4"
    subprocess.run([ffmpeg, "-v", "error", "-f", "lavfi", "-i", "color=c=red:s=320x240:r=25", "-t", "12",
                    "-c:v", "libx264", "-preset", "ultrafast", str(mute)], check=True)
    subprocess.run([ffmpeg, "-v", "error", "-f", "lavfi", "-i", "color=c=red:s=320x240:r=25", "-f", "lavfi",
                    "-i", "anullsrc=r=16000:cl=mono", "-t", "12", "-c:v", "libx264", "-preset", "ultrafast",
                    "-c:a", "aac", str(silent)], check=True)
    r = _run(server, mute)
    assert (r.status_code, r.json()["error_code"], r.json()["details"]["reason"]) == (400, "invalid_media",
                                                                                      "no_audio_stream")
    r = _run(server, silent)
    assert r.status_code == 400 and r.json()["details"]["reason"] == "no_speech", r.text
    assert r.json()["billing"]["charged_usd"] == "0"
    long = tmp_path / "long.mp4"
    subprocess.run([ffmpeg, "-v", "error", "-i", str(talk), "-i", str(talk), "-filter_complex",
                    "[0:v][0:a][1:v][1:a]concat=n=2:v=1:a=1[v][a]", "-map", "[v]", "-map", "[a]", "-c:v", "libx264",
                    "-preset", "ultrafast", str(long)], check=True)
    r = _run(server, long)
    assert (r.status_code, r.json()["details"]["limit"]) == (413, "max_video_seconds")
    assert balance_usd(server) == before
    assert set(_leftovers(server)) == kept  # the failed job's work folder is gone, nothing new kept
