"""Seed 003's ``veoModel`` through the real server (issue 21 item 3): a configured ComfyUI image-to-video
generator animates each scene's edited product shot; and seed 002's avatar from text (issue 23 item 5),
spoken by our TTS and uploaded as ``{{audio}}``, heard back by Whisper from what the engine received.

The fake ComfyUI (tests/comfy_video_fixture.py: the outside service, the one thing faked) answers a real
orange clip; its second ``/prompt`` is refused, so scene 2 must fall back to our motion engine. PyAV
(an independent decoder) reads the rendered ad: orange where the engine's scenes are, the test's own red
product where the motion engine's is, 15 s long. An unknown ``veoModel`` is seed 003's 400 listing the
configured generators, charged nothing.
"""

from __future__ import annotations

import textwrap
import time
from collections.abc import Iterator
from typing import Any

import av
import numpy as np
import pytest

from tests.comfy_video_fixture import AVATAR_WORKFLOW, I2V_WORKFLOW, start
from tests.e2e.conftest import Server, SharedServer, accounts_config, start_module_server
from tests.e2e.test_apex_api import ApexClient
from tests.e2e.test_video_ad_e2e import (
    CONFIG,
    MODELS,
    USD_PER_CREDIT,
    asset,
    balance,
    frames_at,
    heard,
    product_png,
)
from tests.generator_fixture import png
from tests.http_fixture import media_server

ENGINE = "wan-i2v"


@pytest.fixture(scope="module")
def comfy() -> Iterator[Any]:
    server = start()
    yield server
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="module")
def shared(tmp_path_factory: pytest.TempPathFactory, comfy: Any) -> Iterator[SharedServer]:
    flows = tmp_path_factory.mktemp("flows")
    (flows / "i2v.json").write_text(I2V_WORKFLOW)
    (flows / "avatar.json").write_text(AVATAR_WORKFLOW)
    url = f"http://127.0.0.1:{comfy.server_address[1]}"
    engines = textwrap.dedent(f"""
        [apex]
        key_tiers = ["free"]
        [assets]
        fetch_allow_hosts = ["127.0.0.1"]
        [generators]
        allow_hosts = ["127.0.0.1"]
        [generators.{ENGINE}]
        kind = "video"
        url = "{url}"
        workflow = "{flows / 'i2v.json'}"
        [generators.talker]
        kind = "avatar"
        url = "{url}"
        workflow = "{flows / 'avatar.json'}"
        """)
    toml, keys = accounts_config(4)
    server = start_module_server(tmp_path_factory, "veo", CONFIG + engines + toml, models=MODELS)
    yield SharedServer(server, keys)
    server.stop()


@pytest.fixture
def srv(shared: SharedServer, comfy: Any) -> Server:
    comfy.mode, comfy.polls, comfy.workflow, comfy.fail_prompts = "ok", 0, None, set()
    comfy.uploads.clear()
    comfy.workflows.clear()
    comfy.files.clear()
    return shared.view()


def orange_share(frame: np.ndarray) -> float:
    """The share of the fake engine's orange (255, 165, 0) in a frame."""
    r, g, b = (frame[..., k].astype(int) for k in range(3))
    return float(((r > 200) & (g > 120) & (g < 205) & (b < 80)).mean())


def red_share(frame: np.ndarray) -> float:
    """The share of the test's red product (210, 30, 40)."""
    r, g, b = (frame[..., k].astype(int) for k in range(3))
    return float(((r > 150) & (g < 90) & (b < 100)).mean())


def test_a_15_second_ad_with_veo_model_shows_the_engines_clips_and_falls_back_per_scene(srv, comfy, tmp_path):
    comfy.fail_prompts = {2}  # the engine refuses scene 2's workflow
    before = balance(srv)
    image = asset(srv, product_png(), "bottle.png")
    r = srv.post("/api/v1/generate", key=srv.key, json={
        "prompt": "Premium red water bottle", "imageAssetIds": [image], "duration": 15, "voiceId": "af_heart",
        "companyName": "SoundWave", "qualityLoopVariants": 1, "veoModel": ENGINE})
    assert r.status_code == 200, r.text
    made = r.json()
    assert made["totalCredits"] == 30 + 105 + 3 + 2  # 35 per scene clip stays
    deadline, seen = time.monotonic() + 500, None
    while time.monotonic() < deadline:
        seen = srv.get(f"/api/v1/jobs/{made['versionId']}", key=srv.key).json()
        if seen["status"] != "generating":
            break
        time.sleep(0.5)
    assert seen is not None
    if seen["status"] != "completed":  # say why: the job's error
        job_id = seen["jobs"]["details"][0]["id"].rsplit(".", 1)[0]
        raise AssertionError(srv.get(f"/api/v1/jobs/{job_id}", key=srv.key).json())
    step = next(d for d in seen["jobs"]["details"] if d["job_type"] == "video_generation")
    assert step["details"]["engines"] == [ENGINE, "motion", ENGINE], step
    # the engine's scenes are not moved again; the refused one gets our motion engine's clip
    assert [s["motion"] for s in step["details"]["scenes"]][::2] == ["engine", "engine"], step
    assert step["details"]["scenes"][1]["motion"] not in ("engine", "still"), step
    sub = srv.get(f"/api/v1/jobs/{step['id']}", key=srv.key).json()
    assert sub["details"] == step["details"], sub
    job = srv.get(f"/api/v1/jobs/{sub['job_id']}", key=srv.key).json()
    scenes = job["result"]["scenes"]
    assert [s["engine"] for s in scenes] == [ENGINE, "motion", ENGINE]
    assert any(w.startswith("scene 2: the video generator wan-i2v failed") for w in job["result"]["warnings"])
    # each scene's edited shot went up as {{image}}: a 720×1280 PNG, and the workflow asked for that size
    assert len(comfy.workflows) == 3 and len(comfy.files) == 3
    for flow in comfy.workflows:
        assert flow["1"]["inputs"]["image"] in comfy.files
        assert (flow["4"]["inputs"]["width"], flow["4"]["inputs"]["height"]) == (720, 1280)
        assert flow["2"]["inputs"]["text"].startswith("Premium red water bottle. Scene: ")
    shot = next(iter(comfy.files.values()))
    assert shot[:8] == b"\x89PNG\r\n\x1a\n" and int.from_bytes(shot[16:20], "big") == 720
    video = srv.get(seen["videoUrl"])
    mp4 = tmp_path / "ad.mp4"
    mp4.write_bytes(video.content)
    with av.open(str(mp4)) as container:
        assert abs(float(container.duration / 1e6) - 15.0) <= 0.2
    mids = [(s["start"] + s["end"]) / 2 for s in scenes]
    frames = frames_at(mp4, mids)
    assert orange_share(frames[0]) > 0.8 and orange_share(frames[2]) > 0.8, [orange_share(f) for f in frames]
    assert orange_share(frames[1]) < 0.05 and red_share(frames[1]) > 0.03, (orange_share(frames[1]),
                                                                             red_share(frames[1]))
    assert balance(srv) == before - made["totalCredits"] * USD_PER_CREDIT


def test_an_unknown_veo_model_is_the_seeds_400_listing_the_configured_ones_charged_nothing(srv, comfy):
    before = balance(srv)
    image = asset(srv, product_png(), "bottle.png")
    body = {"prompt": "x", "imageAssetIds": [image], "duration": 15, "voiceId": "af_heart", "veoModel": "veo-3.1"}
    r = srv.post("/api/v1/generate", key=srv.key, json=body)
    assert r.status_code == 400 and r.json()["error"] == "Validation failed", r.text
    words = r.json()["details"]["fieldErrors"]["veoModel"]
    assert words == [f"Must be one of the configured video generators: {ENGINE}"]  # not the avatar one
    tool = srv.post("/api/v1/tools/video-ad", key=srv.key, json={"prompt": "x", "images": [image],
                                                                "veo_model": "talker"})
    assert tool.status_code == 400 and tool.json()["details"]["allowed"]["veo_model"] == [ENGINE], tool.text
    assert balance(srv) == before and comfy.workflows == []


def test_seed_avatar_from_text_speaks_it_and_sends_the_wav_as_its_audio(srv, comfy, tmp_path):
    api = ApexClient(srv.base, srv.key or "")
    said = "The quick brown fox jumps over the lazy dog."
    with media_server({"/face.png": png(96, 96)}) as served:
        resp = api.post("/api/generate/avatar", {"image": f"{served.base}/face.png", "text": said,
                                                 "resolution": "480p", "model": "talker", "voiceId": "af_heart"})
        assert resp.status_code == 200, resp.text
        job = api.wait(resp.json()["data"]["jobId"], timeout=120)
        unknown = api.post("/api/generate/avatar", {"image": f"{served.base}/face.png", "text": "hi",
                                                    "resolution": "480p", "model": "talker", "voiceId": "nobody"})
    assert unknown.status_code == 400 and "voiceId" in unknown.json()["error"], unknown.text
    assert job["status"] == "completed" and job["type"] == "avatar", job
    flow = comfy.workflow
    wav = comfy.files[flow["2"]["inputs"]["audio"]]
    assert wav[:4] == b"RIFF" and wav[8:12] == b"WAVE" and flow["3"]["inputs"]["text"] == said
    (tmp_path / "sent.wav").write_bytes(wav)
    words = heard(srv, tmp_path / "sent.wav", tmp_path).lower()
    assert "quick brown fox" in words and "lazy dog" in words, words
    with av.open(str(tmp_path / "sent.wav")) as container:
        spoken = float(container.duration / 1e6)
    assert abs(flow["3"]["inputs"]["seconds"] - spoken) < 0.1 and 1.5 < spoken < 6, (flow["3"], spoken)
    assert abs(job["metadata"]["durationSeconds"] - spoken) < 0.1
