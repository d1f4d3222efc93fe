"""ai-video-generate and seed 002's video routes over the real server, on a fake ComfyUI that serves a real
ffmpeg-made clip (issue 23): the MP4 is judged by PyAV; the engine's failures fail the job and leave the
balance where it was; the seed's b-roll and avatar routes run end to end in the seed's shapes."""

from __future__ import annotations

import tempfile
import textwrap
import time
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import av
import httpx
import pytest

from tests.comfy_video_fixture import AVATAR_WORKFLOW, I2V_WORKFLOW, VIDEO_WORKFLOW, clip, start
from tests.e2e.conftest import Server, SharedServer, accounts_config, balance_usd
from tests.e2e.test_apex_api import ApexClient
from tests.generator_fixture import png
from tests.http_fixture import media_server

TOOL = "/api/v1/tools/ai-video-generate"
CONFIG = """
[tiers.free]
jobs_per_hour = 0
requests_per_minute = 0
concurrent_jobs = 10
[apex]
key_tiers = ["free"]
[assets]
fetch_allow_hosts = ["127.0.0.1"]
"""


@pytest.fixture(scope="module")
def comfy() -> Iterator[Any]:
    server = start()
    yield server
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="module")
def shared(tmp_path_factory: pytest.TempPathFactory, comfy: Any) -> Iterator[SharedServer]:
    folder = tmp_path_factory.mktemp("flows")
    (folder / "v.json").write_text(VIDEO_WORKFLOW)
    (folder / "i.json").write_text(I2V_WORKFLOW)
    (folder / "a.json").write_text(AVATAR_WORKFLOW)
    url = f"http://127.0.0.1:{comfy.server_address[1]}"
    engines = textwrap.dedent(f"""
        [generators]
        allow_hosts = ["127.0.0.1"]
        [generators."wan-2.6"]
        kind = "video"
        url = "{url}"
        workflow = "{folder / 'v.json'}"
        timeout_seconds = 4
        [generators.wan-i2v]
        kind = "video"
        url = "{url}"
        workflow = "{folder / 'i.json'}"
        [generators.talker]
        kind = "avatar"
        url = "{url}"
        workflow = "{folder / 'a.json'}"
        """)
    toml, keys = accounts_config(12)
    server = Server(tmp_path_factory.mktemp("aivideo") / "data", CONFIG + engines + toml).start()
    try:
        yield SharedServer(server, keys)
    finally:
        server.stop()


@pytest.fixture
def srv(shared: SharedServer, comfy: Any) -> Server:
    comfy.mode, comfy.polls, comfy.workflow = "ok", 0, None
    comfy.uploads.clear()
    return shared.view()


def wait_job(srv: Server, job_id: str, timeout: float = 60) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        body = srv.get(f"/api/v1/jobs/{job_id}", key=srv.key).json()
        if body["status"] in ("succeeded", "failed", "cancelled"):
            return dict(body)
        time.sleep(0.2)
    raise AssertionError(f"job {job_id} did not end")


def mp4_info(data: bytes) -> tuple[str, int, int, str, float]:
    with tempfile.NamedTemporaryFile(suffix=".mp4") as fh:
        fh.write(data)
        fh.flush()
        with av.open(fh.name) as container:
            video = container.streams.video[0]
            return (video.codec_context.name, video.width, video.height, video.codec_context.pix_fmt or "",
                    float(container.duration / 1e6))


def submit(srv: Server, body: dict[str, Any]) -> dict[str, Any]:
    r = srv.post(TOOL, key=srv.key, json=body, headers={"Prefer": "respond-async"})
    assert r.status_code == 202, r.text
    return wait_job(srv, r.json()["job_id"])


def test_the_tool_makes_a_vertical_mp4_and_charges_its_seconds(srv: Server, comfy: Any) -> None:
    before = balance_usd(srv)
    job = submit(srv, {"prompt": "steam rising from a mug", "duration": 3, "aspect_ratio": "9:16",
                       "resolution": "480p", "seed": 11})
    assert job["status"] == "succeeded", job
    data = srv.get(job["output"]["url"], key=srv.key).content
    assert mp4_info(data)[:4] == ("h264", 480, 854, "yuv420p")
    assert abs(mp4_info(data)[4] - 3.0) < 0.25
    assert comfy.workflow["2"]["inputs"]["text"] == "steam rising from a mug"
    charged = Decimal(job["billing"]["charged_usd"])
    assert charged == Decimal("0.15") and balance_usd(srv) == before - charged  # 3 s at 0.05 USD


@pytest.mark.parametrize(("mode", "words"), [
    ("node_errors", "rechazó el flujo: node 4 (WanImageToVideo): Value not in"),
    ("html", "no es un video"), ("never", "sin video en 4 s")])
def test_engine_failures_fail_the_job_clearly_and_charge_nothing(srv: Server, comfy: Any, mode: str,
                                                                 words: str) -> None:
    comfy.mode = mode
    before = balance_usd(srv)
    job = submit(srv, {"prompt": "x", "duration": 2})
    assert job["status"] == "failed", job
    error = job["error"]
    assert error["code"] == "upstream_error" and words in str(error), error
    assert Decimal(job["billing"]["charged_usd"]) == 0 and balance_usd(srv) == before


def test_bad_input_is_refused_before_any_hold(srv: Server) -> None:
    before = balance_usd(srv)
    unknown = srv.post(TOOL, key=srv.key, json={"prompt": "x", "model": "veo-3.1"})
    assert unknown.status_code == 400 and "wan-2.6" in unknown.text
    long = srv.post(TOOL, key=srv.key, json={"prompt": "x", "duration": 61})
    assert long.status_code == 400 and "duration" in long.json()["details"]["field_errors"]
    assert balance_usd(srv) == before


def test_seed_b_roll_runs_end_to_end_in_the_seeds_shapes(srv: Server, comfy: Any) -> None:
    api = ApexClient(srv.base, srv.key or "")
    credits = api.get("/api/usage").json()["data"]["credits"]
    resp = api.post("/api/generate/b-roll", {"prompt": "Steam rising from a coffee mug at dawn", "duration": 4,
                                             "resolution": "480p", "model": "wan-2.6"})
    assert resp.status_code == 200, resp.text
    queued = resp.json()["data"]
    assert queued["status"] == "queued" and queued["message"] == "B roll generation job queued"
    job = api.wait(resp.json()["data"]["jobId"], timeout=60)
    assert job["status"] == "completed" and job["type"] == "b-roll" and job["outputType"] == "video/mp4", job
    assert {k: job["metadata"][k] for k in ("model", "durationSeconds", "resolution")} == \
        {"model": "wan-2.6", "durationSeconds": 4.0, "resolution": "480p"}
    codec, width, height, _, seconds = mp4_info(httpx.get(job["outputUrl"], timeout=30).content)
    assert (codec, width, height) == ("h264", 854, 480) and abs(seconds - 4.0) < 0.25
    assert api.get("/api/usage").json()["data"]["credits"] == credits - 150
    assert comfy.workflow["4"]["inputs"]["length"] == 64  # 4 s × 16 fps
    bad = api.post("/api/generate/b-roll", {"prompt": "x", "duration": 9})
    assert bad.status_code == 400 and bad.json()["code"] == "BAD_REQUEST" and "duration" in bad.json()["error"]
    unknown = api.post("/api/generate/text2video", {"script": "x", "model": "kling-3.0-pro"})
    assert unknown.status_code == 400 and "wan-2.6" in unknown.json()["error"]


def test_seed_video_takes_its_avatar_image_as_the_first_frame(srv: Server, comfy: Any) -> None:
    api = ApexClient(srv.base, srv.key or "")
    with media_server({"/face.png": png(80, 60)}) as served:
        resp = api.post("/api/generate/video", {"script": "Meet the Glow mug.", "duration": 3,
                                                "avatarImage": f"{served.base}/face.png", "resolution": "720p",
                                                "style": "professional", "model": "wan-i2v"})
        assert resp.status_code == 200, resp.text
        job = api.wait(resp.json()["data"]["jobId"], timeout=60)
    assert job["status"] == "completed" and job["metadata"]["resolution"] == "720p", job
    assert comfy.uploads and png(80, 60) in comfy.uploads[0][1]
    assert comfy.workflow["1"]["inputs"]["image"] == comfy.uploads[0][0]
    assert comfy.workflow["2"]["inputs"]["text"] == "Meet the Glow mug., clean professional look"
    codec, width, height, _, seconds = mp4_info(httpx.get(job["outputUrl"], timeout=30).content)
    assert (codec, width, height) == ("h264", 1280, 720) and abs(seconds - 3.0) < 0.25
    credits = api.get("/api/usage").json()["data"]["credits"]
    refused = api.post("/api/generate/video", {"script": "x", "avatarImage": "http://10.0.0.1/face.png",
                                               "model": "wan-i2v"})
    assert refused.status_code == 400 and "avatarImage" in refused.json()["error"]
    assert api.get("/api/usage").json()["data"]["credits"] == credits  # refused before any hold


def test_an_image_to_video_generator_without_its_image_is_400_charged_nothing(srv: Server) -> None:
    api = ApexClient(srv.base, srv.key or "")
    credits = api.get("/api/usage").json()["data"]["credits"]
    missing = api.post("/api/generate/video", {"script": "x", "model": "wan-i2v"})
    assert missing.status_code == 400 and missing.json()["code"] == "BAD_REQUEST"
    assert "avatarImage" in missing.json()["error"]  # the tool's `image`, named as the seed names it
    assert api.get("/api/usage").json()["data"]["credits"] == credits


def test_seed_video_failure_refunds_its_credits(srv: Server, comfy: Any) -> None:
    api = ApexClient(srv.base, srv.key or "")
    credits = api.get("/api/usage").json()["data"]["credits"]
    comfy.mode = "html"
    resp = api.post("/api/generate/video", {"script": "Meet the Glow mug.", "style": "energetic", "duration": 3})
    assert resp.status_code == 200, resp.text
    job = api.wait(resp.json()["data"]["jobId"], timeout=60)
    assert job["status"] == "failed" and job["error"] == "Generation failed" and job["creditsRefunded"] == 250
    assert api.get("/api/usage").json()["data"]["credits"] == credits


def test_seed_avatar_uploads_face_and_voice_and_lasts_as_long_as_the_voice(srv: Server, comfy: Any) -> None:
    api = ApexClient(srv.base, srv.key or "")
    files = {"/face.png": png(96, 96), "/hello.mp4": clip("mp4")}
    with media_server(files) as served:
        base = served.base
        resp = api.post("/api/generate/avatar", {"image": f"{base}/face.png", "audio": f"{base}/hello.mp4",
                                                 "resolution": "480p", "model": "talker"})
        assert resp.status_code == 200, resp.text
        job = api.wait(resp.json()["data"]["jobId"], timeout=60)
    assert job["status"] == "completed" and job["type"] == "avatar", job
    codec, width, height, _, seconds = mp4_info(httpx.get(job["outputUrl"], timeout=30).content)
    assert (codec, width, height) == ("h264", 480, 480) and abs(seconds - 2.0) < 0.3
    names = [name for name, _ in comfy.uploads]
    assert comfy.workflow["1"]["inputs"]["image"] == names[0] and comfy.workflow["2"]["inputs"]["audio"] == names[1]
    wrong = api.post("/api/generate/avatar", {"image": f"{base}/face.png", "resolution": "480p",
                                              "model": "wan-2.6", "text": "hi"})
    assert wrong.status_code == 400 and "talker" in wrong.json()["error"]


def test_without_a_video_generator_the_routes_are_503_naming_the_section(tmp_path: Path) -> None:
    toml, keys = accounts_config(1)
    server = Server(tmp_path / "data", CONFIG + toml).start()
    try:
        api = ApexClient(server.base, keys[0])
        for kind in ("video", "b-roll", "avatar"):
            down = api.post(f"/api/generate/{kind}", {})
            assert down.status_code == 503 and down.json()["code"] == "SERVICE_UNAVAILABLE", kind
            assert "[generators.<name>]" in down.json()["error"]
        tool = server.post(TOOL, key=keys[0], json={"prompt": "x"})
        assert tool.status_code == 503 and tool.json()["error_code"] == "tool_unavailable"
        assert 'kind = "video"' in tool.json()["error"]
    finally:
        server.stop()
