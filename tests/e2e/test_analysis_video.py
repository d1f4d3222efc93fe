"""Seed 001's video analysis over HTTP (issue 9 items 3-5): the real server, queue, SQLite, ffmpeg and VAD.

One server for the module; the clip (tests/video_clips.py) has hard cuts at
2.5, 5 and 11 s, a fade through black at 8 s, and espeak-ng speech at 1 s
and 5.6 s, so every answer is known before the server is asked.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from tests.e2e.conftest import Server, balance_usd, start_module_server, wait_analysis
from tests.e2e.test_webhooks_e2e import Receiver, verify
from tests.video_clips import Clip, ffmpeg, shots_clip

VIDEO = "/api/v1/analysis/video"
CUT_TOLERANCE = 0.2
SPEECH_TOLERANCE = 0.35
UPLOAD_MB = 6


@pytest.fixture(scope="module")
def srv(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    server = start_module_server(tmp_path_factory, "video", f"""
        [tiers.free]
        max_upload_mb = {UPLOAD_MB}
        max_video_seconds = 600
        concurrent_jobs = 4
        [webhooks]
        allow_hosts = ["127.0.0.1"]
        """, models=("silero-vad",))
    yield server
    server.stop()


@pytest.fixture(scope="module")
def clip(tmp_path_factory: pytest.TempPathFactory) -> Clip:
    return shots_clip(tmp_path_factory.mktemp("clips") / "shots.mp4")


def wait_video(srv: Server, job_id: str) -> dict[str, Any]:
    return wait_analysis(srv, f"{VIDEO}/{job_id}", timeout=120, poll=0.2)


def test_raw_body_finds_cuts_fade_keyframes_and_speech(srv: Server, clip: Clip, tmp_path: Path) -> None:
    before = balance_usd(srv)
    r = srv.post(f"{VIDEO}?features=colors,hash", key=srv.key, content=clip.path.read_bytes(),
                 headers={"Content-Type": "video/mp4"})
    assert r.status_code == 202, r.text
    job_id = r.json()["job_id"]
    assert r.headers["location"] == f"{VIDEO}/{job_id}"
    body = wait_video(srv, job_id)
    assert body["status"] == "finished", body
    result = body["result"]

    probe = result["probe"]
    assert (probe["width"], probe["height"], probe["fps"], probe["video_codec"]) == (640, 360, 30.0, "h264")
    assert probe["audio"]["present"] and abs(probe["duration"] - clip.duration) < 0.1

    scenes = result["scenes"]
    boundaries = [(s["start"], s["transition"]) for s in scenes[1:]]
    expected = sorted([(t, "cut") for t in clip.cuts] + [(t, "fade") for t in clip.fades])
    assert [kind for _, kind in boundaries] == [kind for _, kind in expected], scenes
    for (found, _), (truth, _) in zip(boundaries, expected, strict=True):
        assert abs(found - truth) <= CUT_TOLERANCE, (found, truth)
    assert scenes[0]["start"] == 0 and abs(scenes[-1]["end"] - clip.duration) < 0.1

    frames = result["keyframes"]
    assert [f["scene"] for f in frames] == list(range(len(scenes)))  # one per scene
    for frame in frames:
        assert set(frame["analysis"]) == {"colors", "hash"}
        jpeg = srv.get(frame["url"])
        assert jpeg.status_code == 200 and jpeg.content[:3] == b"\xff\xd8\xff"
    names = {o["name"] for o in body["outputs"]}
    assert {"analysis", *(f["output"] for f in frames)} == names

    audio = result["audio"]
    speech = [(s["start"], s["end"]) for s in audio["speech"]]
    assert len(speech) == len(clip.speech), speech
    for found, truth in zip(speech, clip.speech, strict=True):
        assert abs(found[0] - truth[0]) < SPEECH_TOLERANCE and abs(found[1] - truth[1]) < SPEECH_TOLERANCE
    assert audio["loudness"]["integrated_lufs"] < -10 and audio["loudness"]["true_peak_dbtp"] < 0
    assert any(s["start"] < 0.5 and s["end"] > 0.8 for s in audio["silences"])  # the second before the words

    price = Decimal("0.0002")  # per second (config DEFAULT_PRICES)
    charged = Decimal(body["billing"]["charged_usd"])
    assert charged == (price * Decimal(str(clip.duration))).quantize(Decimal("0.000001"))
    assert balance_usd(srv) == before - charged

    job = srv.get(f"/api/v1/jobs/{job_id}", key=srv.key).json()
    assert job["status"] == "succeeded" and [s["name"] for s in job["steps"]] == [
        "probe", "scenes", "keyframes", "audio"]
    latency = srv.get("/api/v1/status/latency?media_type=video", key=srv.key).json()
    assert latency["unit"] == "second" and latency["latency_ms_per_unit"] > 0, latency


def test_multipart_with_samples_and_a_job_of_another_tool_is_not_a_video(srv: Server, clip: Clip) -> None:
    with clip.path.open("rb") as f:
        r = srv.post(VIDEO, key=srv.key, files={"video": ("shots.mp4", f, "video/mp4")},
                     data={"sample_every_seconds": "4", "features": "quality"})
    assert r.status_code == 202, r.text
    body = wait_video(srv, r.json()["job_id"])
    assert body["status"] == "finished", body
    frames = body["result"]["keyframes"]
    samples = [f["time"] for f in frames if f["reason"] == "sample"]
    scene_frames = [f for f in frames if f["reason"] == "scene"]
    assert len(scene_frames) == len(body["result"]["scenes"])
    # 0, 4, 8, 12 s unless a scene's own keyframe is already that frame
    assert all(any(abs(t - s) < 0.3 for s in (0, 4, 8, 12)) for t in samples) and samples
    assert all(set(f["analysis"]) == {"quality"} for f in frames)

    qr = srv.post("/api/v1/tools/qr", key=srv.key, json={"text": "hola"}).json()
    assert srv.get(f"{VIDEO}/{qr['job_id']}", key=srv.key).status_code == 404


def test_json_asset_id_runs_the_same_analysis(srv: Server, clip: Clip) -> None:
    with clip.path.open("rb") as f:
        asset = srv.post("/api/v1/assets", key=srv.key, files={"file": ("shots.mp4", f, "video/mp4")}).json()
    r = srv.post(VIDEO, key=srv.key, json={"asset_id": asset["assetId"], "features": ["hash"]})
    assert r.status_code == 202, r.text
    body = wait_video(srv, r.json()["job_id"])
    assert body["status"] == "finished" and len(body["result"]["scenes"]) == 5


def noise_frames(mp4: bytes) -> bytes:
    """The same MP4 with every byte of its frames (the ``mdat`` box) replaced by noise: the index is
    intact, so only decoding can tell."""
    start, end = mp4.index(b"mdat") + 4, mp4.index(b"moov") - 4
    noise = np.random.default_rng(9).integers(0, 256, end - start, dtype=np.uint8).tobytes()
    return mp4[:start] + noise + mp4[end:]


def bad_inputs(tmp: Path) -> dict[str, tuple[bytes, str, int, str]]:
    """name → (body, content type, status, error code); each must be refused and charged 0."""
    audio = tmp / "only-audio.m4a"
    ffmpeg("-f", "lavfi", "-i", "sine=f=440:d=2", "-c:a", "aac", str(audio))
    still = tmp / "still.png"
    ffmpeg("-f", "lavfi", "-i", "color=c=red:s=64x64", "-frames:v", "1", str(still))
    good = tmp / "good.mp4"
    ffmpeg("-f", "lavfi", "-i", "testsrc=s=320x240:r=25:d=4", "-c:v", "libx264", "-preset", "ultrafast",
           "-pix_fmt", "yuv420p", str(good))
    data = good.read_bytes()
    return {
        "text": (b"this is not a video at all\n" * 40, "video/mp4", 400, "invalid_media"),
        "audio only": (audio.read_bytes(), "application/octet-stream", 400, "invalid_media"),
        "a picture": (still.read_bytes(), "video/mp4", 400, "invalid_media"),
        "empty": (b"", "video/mp4", 400, "invalid_media"),
        "cut in half": (data[: len(data) // 2], "video/mp4", 400, "invalid_media"),
        "frames all noise": (noise_frames(data), "video/mp4", 400, "invalid_media"),
        "over the upload limit": (b"\0" * (UPLOAD_MB * 1024 * 1024 + 1), "video/mp4", 413, "limit_exceeded"),
        "a text type": (data, "text/plain", 415, "unsupported_media_type"),
    }


def test_bad_videos_are_refused_with_the_envelope_and_charged_nothing(srv: Server, tmp_path: Path) -> None:
    work = srv.data_dir / "work"
    before_dirs = set(work.iterdir()) if work.exists() else set()
    before = balance_usd(srv)
    for name, (data, ctype, status, code) in bad_inputs(tmp_path).items():
        r = srv.post(VIDEO, key=srv.key, content=data, headers={"Content-Type": ctype})
        if r.status_code == 202:  # a file whose damage only decoding finds fails as a job, charged 0
            body = wait_video(srv, r.json()["job_id"])
            assert body["status"] == "failed" and body["error"]["code"] == code, (name, body)
            assert body["billing"]["charged_usd"] == "0", name
            continue
        assert r.status_code == status, (name, r.text)
        body = r.json()
        assert body["success"] is False and body["error_code"] == code, (name, body)
        assert body["billing"] == {"charged_usd": "0"} and body["request_id"].startswith("req_"), name
    assert balance_usd(srv) == before
    after_dirs = set(work.iterdir()) if work.exists() else set()
    assert not {d for d in after_dirs - before_dirs if any(d.iterdir())}  # refused uploads leave nothing


def test_max_processing_time_stops_the_job_and_charges_nothing(srv: Server, tmp_path: Path) -> None:
    long_clip = tmp_path / "long.mp4"
    ffmpeg("-f", "lavfi", "-i", "testsrc2=s=1280x720:r=10:d=120", "-c:v", "libx264", "-preset", "veryfast",
           "-crf", "40", "-pix_fmt", "yuv420p", str(long_clip))
    assert long_clip.stat().st_size < UPLOAD_MB * 1024 * 1024
    before = balance_usd(srv)
    # 120 s and a keyframe every 0.5 s (240) through every model, many seconds of work: 18 s of 720p
    # with the default features (~0.05 s per second on a quiet 2-core box) finished inside the 1 s limit
    r = srv.post(VIDEO, key=srv.key, content=long_clip.read_bytes(),
                 params={"sample_every_seconds": "0.5", "features": "ocr,faces,safety,tags,quality,colors"},
                 headers={"Content-Type": "video/mp4", "Max-Processing-Time": "1"})
    assert r.status_code == 202, r.text
    body = wait_video(srv, r.json()["job_id"])
    assert body["status"] == "failed" and body["error"]["code"] == "processing_timeout", json.dumps(body)[:500]
    assert body["billing"]["charged_usd"] == "0" and balance_usd(srv) == before


def test_the_webhook_given_as_query_parameters_is_signed_and_sent_on_finish(srv: Server, clip: Clip) -> None:
    receiver = Receiver([])
    try:
        r = srv.post(VIDEO, key=srv.key, content=clip.path.read_bytes(), headers={"Content-Type": "video/mp4"},
                     params={"webhook_url": receiver.url, "webhook_secret": "s3cret", "features": "hash"})
        assert r.status_code == 202, r.text
        receiver.wait_for(1, timeout=120)
        headers, raw = receiver.requests[0]
        assert verify("s3cret", headers, raw)
        assert headers["x-webhook-event"] == "job.completed"
        payload = json.loads(raw)
        assert (payload["event"], payload["job_id"]) == ("job.completed", r.json()["job_id"])
        assert len(payload["result"]["scenes"]) == 5 and payload["result"]["audio"]["speech"]
        # seed 001's callback is its GET body ({job_id, status, result}, its status words), plus the event
        shown = wait_video(srv, r.json()["job_id"])
        assert payload["status"] == "finished" and set(payload) == {"event", *shown} - {"success", "request_id"}
        assert payload["result"]["scenes"] == shown["result"]["scenes"] and "tool" not in payload
    finally:
        receiver.httpd.shutdown()
