"""script-to-video with an image generator, re-rendering an edited timeline, and Max-Processing-Time mid-render
(issue 20 items 3b, 4, 5, 6), through the real server.

The generator is the fake ComfyUI of tests/generator_fixture.py (an outside service: the one thing a test
may stand in for), answering solid PNGs of one colour, configured as ``[generators.local]``; everything
else is real: Kokoro speaks, ffmpeg renders, PyAV reads the frames back and our Whisper hears the
re-rendered narration. The scenes are planned from the sentences (``planner=sentences``: no text model).
"""

from __future__ import annotations

import copy
import io
import json
import time
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from PIL import Image

from tests.e2e.conftest import Server, SharedServer, accounts_config, start_module_server
from tests.e2e.test_script_to_video_e2e import S2V, balance, check_video, expected_charge, fetch, frames_at, heard
from tests.generator_fixture import COLOUR, WORKFLOW, fake_engine

MODELS = ("kokoro-82m", "kokoro-voice-ef-dora", "whisper-base", "silero-vad")
CONFIG = """
[inference]
prefer_gpu = false
[video]
max_script_chars = 600
[tiers.free]
requests_per_minute = 0
jobs_per_hour = 0
concurrent_jobs = 2
[generators]
allow_hosts = ["127.0.0.1"]
[generators.local]
kind = "comfyui"
url = "{url}"
workflow = "{workflow}"
timeout_seconds = 20
"""
SCRIPT = ("El faro se enciende cuando cae la tarde sobre el puerto. "
          "Los barcos vuelven despacio con las redes llenas de peces. "
          "Mañana saldrán otra vez antes del amanecer.")
NEW_TEXT = "Un perro negro corre feliz por la arena mojada."


@pytest.fixture(scope="module")
def engine() -> Iterator[Any]:
    with fake_engine() as server:
        yield server


@pytest.fixture(scope="module")
def shared(tmp_path_factory: pytest.TempPathFactory, engine: Any) -> Iterator[SharedServer]:
    workflow = tmp_path_factory.mktemp("workflow") / "workflow.json"
    workflow.write_text(WORKFLOW)
    toml, keys = accounts_config(8)  # one per test (parametrised cases included)
    config = CONFIG.format(url=f"http://127.0.0.1:{engine.server_address[1]}", workflow=workflow)
    server = start_module_server(tmp_path_factory, "s2v-gen", config + toml, models=MODELS)
    yield SharedServer(server, keys)
    server.stop()


@pytest.fixture
def srv(shared: SharedServer) -> Server:
    return shared.view()


def submit(srv: Server, body: dict[str, Any], headers: dict[str, str] | None = None, **form: Any) -> dict[str, Any]:
    """The job as it ended (any status); ``form`` (``data=``, ``files=``) posts a multipart form instead."""
    r = srv.post(S2V, key=srv.key, **(form or {"json": body}),
                 headers={"Prefer": "respond-async", **(headers or {})})
    assert r.status_code == 202, r.text
    deadline = time.monotonic() + 400
    while time.monotonic() < deadline:
        job = srv.get(f"/api/v1/jobs/{r.json()['job_id']}", key=srv.key).json()
        if job["status"] in ("succeeded", "failed", "cancelled"):
            return dict(job)
        time.sleep(0.25)
    raise AssertionError("the job did not end")


def succeeded(srv: Server, body: dict[str, Any], **form: Any) -> dict[str, Any]:
    job = submit(srv, body, **form)
    assert job["status"] == "succeeded", json.dumps(job)[:800]
    return job


FAST = {"aspect_ratio": "1:1", "caption_style": "none", "transition": "cut", "planner": "sentences"}


def test_scenes_without_materials_get_the_generators_picture_with_ken_burns(srv, engine, tmp_path):
    engine.mode = "ok"
    before, asked = balance(srv), len([s for s in engine.seen if s[1] == "/prompt"])
    body = succeeded(srv, {"script": SCRIPT, **FAST})
    res = body["result"]
    assert {s["visual"]["kind"] for s in res["scenes"]} == {"generated"}
    assert res["cache"]["visual"] == {"made": len(res["scenes"]), "reused": 0}
    prompts = [s for s in engine.seen[asked:] if s[1] == "/prompt"]
    assert len(prompts) == len(res["scenes"])
    seeds = {p[2]["prompt"]["3"]["inputs"]["seed"] for p in prompts}
    assert len(seeds) == len(res["scenes"])  # each scene seeded from its own description
    mp4 = fetch(srv, body, "video", tmp_path)
    check_video(mp4, res, (720, 720))
    for frame in frames_at(mp4, [(s["start"] + s["end"]) / 2 for s in res["scenes"]]):
        patch = frame[250:450, 200:520].reshape(-1, 3).mean(axis=0)
        assert np.abs(patch - COLOUR).max() < 30, patch  # the generator's picture fills the frame
    timeline = fetch(srv, body, "timeline", tmp_path).read_text("utf-8")
    assert '"prompt"' in timeline and str(srv.data_dir) not in timeline and '"source"' not in timeline
    charged = Decimal(body["billing"]["charged_usd"])
    assert charged == expected_charge(res["duration"]) and balance(srv) == before - charged


@pytest.mark.parametrize(("mode", "said"), [("500", "HTTP 500"), ("garbage", "la respuesta no es")])
def test_a_failing_generator_gives_designed_scenes_and_a_warning_at_the_same_charge(srv, engine, mode, said):
    """An HTTP error, or a PNG header followed by noise: each scene falls back to a designed one."""
    engine.mode = mode
    try:
        body = succeeded(srv, {"script": SCRIPT, **FAST})
    finally:
        engine.mode = "ok"
    res = body["result"]
    assert {s["visual"]["kind"] for s in res["scenes"]} == {"designed"}
    # the GeneratorError's own message, in the server's locale (es by default)
    assert any("generador local" in w and said in w and "diseñada" in w for w in res["warnings"]), \
        res["warnings"]
    assert Decimal(body["billing"]["charged_usd"]) == expected_charge(res["duration"])


def test_rerender_of_an_edited_timeline_speaks_only_the_changed_scene(srv, engine, tmp_path):
    engine.mode = "ok"
    first = succeeded(srv, {"script": SCRIPT, **FAST})
    count = len(first["result"]["scenes"])
    assert count >= 2 and first["result"]["cache"]["narration"] == {"made": count, "reused": 0}
    doc = json.loads(fetch(srv, first, "timeline", tmp_path).read_text("utf-8"))
    edited = copy.deepcopy(doc)
    edited["scenes"][1]["text"] = NEW_TEXT
    second = succeeded(srv, {"timeline": edited, **FAST})
    res = second["result"]
    assert res["cache"]["narration"] == {"made": 1, "reused": count - 1}  # one scene synthesised again
    assert res["cache"]["visual"] == {"made": 0, "reused": count}  # the same prompts: the same pictures
    assert res["planner"] == "timeline" and res["scenes"][1]["text"] == NEW_TEXT
    mp4 = fetch(srv, second, "video", tmp_path)
    check_video(mp4, res, (720, 720))
    from noxus_local.speech.wer import wer

    spoken = " ".join(s["text"] for s in edited["scenes"])
    assert wer(spoken, heard(srv, mp4, "es", tmp_path)) <= 0.1
    assert Decimal(second["billing"]["charged_usd"]) == expected_charge(res["duration"])
    # the order changed: nothing new to speak
    swapped = copy.deepcopy(edited)
    swapped["scenes"] = swapped["scenes"][::-1]
    third = succeeded(srv, {"timeline": swapped, **FAST})
    assert third["result"]["cache"]["narration"] == {"made": 0, "reused": count}
    # a posted timeline never names a server path, nor a material the request does not give
    before = balance(srv)
    for scene_visual, field in (({"kind": "material", "source": "../../secret.png"}, "visual.source"),
                                ({"kind": "material", "material": 0}, "visual.material"),
                                ({"kind": "hologram"}, "visual.kind")):
        bad = copy.deepcopy(doc)
        bad["scenes"][0]["visual"] = scene_visual
        r = srv.post(S2V, key=srv.key, json={"timeline": bad, **FAST})
        assert (r.status_code, r.json()["error_code"]) == (400, "validation_error"), r.text
        assert field in r.json()["details"]["field"] and r.json()["billing"]["charged_usd"] == "0"
    assert balance(srv) == before


def white_in_the_top_right(mp4: Path, at: float) -> int:
    """Pixels of the white logo (drawn at 80 % opacity: red ≈ 210 over the generator's red of 30) in the
    top-right corner of the frame at ``at`` seconds."""
    frame = frames_at(mp4, [at])[0]
    return int((frame[0:200, 480:720, 0] > 150).sum())


def test_a_rerender_keeps_the_voice_speed_and_logo_of_the_render_its_timeline_came_from(srv, engine, tmp_path):
    """Posted back with nothing but the timeline, the narration is the first render's (same voice and speed:
    every scene comes from the cache) and so is its uploaded logo; a request that names its own speed wins."""
    engine.mode = "ok"
    logo = io.BytesIO()
    Image.new("RGB", (96, 96), (255, 255, 255)).save(logo, "PNG")
    first = succeeded(srv, {}, data={"script": SCRIPT, "speed": "1.15", **FAST},
                      files={"logo": ("logo.png", logo.getvalue(), "image/png")})
    count = len(first["result"]["scenes"])
    doc = json.loads(fetch(srv, first, "timeline", tmp_path).read_text("utf-8"))
    assert doc["narration"]["speed"] == 1.15 and len(doc["logo"]["key"]) == 64 and "source" not in doc["logo"]
    assert white_in_the_top_right(fetch(srv, first, "video", tmp_path), 1.0) > 200
    second = succeeded(srv, {"timeline": doc, **FAST})
    res = second["result"]
    assert res["cache"]["narration"] == {"made": 0, "reused": count}  # the same voice and speed
    again = json.loads(fetch(srv, second, "timeline", tmp_path).read_text("utf-8"))
    assert again["narration"] == doc["narration"] and again["logo"]["key"] == doc["logo"]["key"]
    assert white_in_the_top_right(fetch(srv, second, "video", tmp_path), 1.0) > 200
    faster = succeeded(srv, {"timeline": doc, "speed": 1.3, **FAST})
    assert faster["result"]["cache"]["narration"] == {"made": count, "reused": 0}  # the request's own speed
    assert Decimal(second["billing"]["charged_usd"]) == expected_charge(res["duration"])


def test_max_processing_time_mid_render_stops_ffmpeg_charges_zero_and_leaves_no_files(srv, engine, tmp_path):
    engine.mode = "ok"
    first = succeeded(srv, {"script": SCRIPT, **FAST})  # the narration and pictures are now in the cache
    doc = json.loads(fetch(srv, first, "timeline", tmp_path).read_text("utf-8"))
    before = balance(srv)
    # the same scenes at 1080p with captions and fades: the voice and visuals come from the cache in well
    # under a second, the render takes several
    job = submit(srv, {"timeline": doc, "aspect_ratio": "16:9", "resolution": "1080p", "transition": "fade",
                       "caption_style": "classic"}, headers={"Max-Processing-Time": "2"})
    assert job["status"] == "failed" and job["error"]["code"] == "processing_timeout", json.dumps(job)[:800]
    steps = {s["name"]: s["status"] for s in job["steps"]}
    # stopped inside the render: the steps before it succeeded, the render never did
    assert steps["voice"] == steps["visuals"] == "succeeded" and steps["render"] in ("running", "failed"), steps
    assert job["billing"]["charged_usd"] == "0" and balance(srv) == before
    deadline = time.monotonic() + 10
    while (srv.data_dir / "work" / job["job_id"]).exists() and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not (srv.data_dir / "work" / job["job_id"]).exists()
    assert not (srv.data_dir / "outputs" / job["job_id"]).exists()
    assert not list(Path(srv.data_dir / "work").glob(f"{job['job_id']}*"))
    assert not running_with(job["job_id"]), "ffmpeg still runs on the job's files"


def running_with(text: str) -> list[str]:
    """Command lines of this machine's processes that mention ``text`` (the job's ffmpeg, if it lived on)."""
    found = []
    for cmdline in Path("/proc").glob("[0-9]*/cmdline"):
        try:
            args = cmdline.read_bytes().replace(b"\0", b" ").decode("utf-8", "replace")
        except OSError:
            continue
        if text in args:
            found.append(args)
    return found
