"""video-ad's per-scene plan through the real server (issue 21 item 3, *Plan*): which image, which on-screen text.

Three product photos drawn by the test, each a different colour (red, green, blue) on
white. The plan (the template here: no text model is installed) gives each scene an
image and an on-screen text; the decoded frames (PyAV) must show, mid-scene, the
colour of the image the plan assigned and none of the others, and our PP-OCR must
read the scene's on-screen text. The job's scene_plan and image_edit steps record the
choices and every variant's score parts.
"""

from __future__ import annotations

import difflib
import io
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageDraw

from tests.e2e.conftest import Server, SharedServer, accounts_config, start_module_server
from tests.e2e.test_video_ad_e2e import asset, fetch, frames_at, read_text, run_ad

MODELS = ("kokoro-82m", "kokoro-voice-af-heart", "silero-vad", "isnet-general", "ppocr-v6-tiny")
CONFIG = """
[inference]
prefer_gpu = false
[tiers.free]
requests_per_minute = 0
ad_requests_per_minute = 0
jobs_per_hour = 0
"""
COLOURS = {"red": (210, 30, 40), "green": (30, 170, 60), "blue": (30, 60, 210)}


def product(colour: tuple[int, int, int], shape: int) -> bytes:
    img = Image.new("RGB", (640, 800), (250, 250, 250))
    draw = ImageDraw.Draw(img)
    if shape == 0:
        draw.rounded_rectangle((230, 200, 410, 700), radius=40, fill=colour)
    elif shape == 1:
        draw.ellipse((170, 220, 470, 680), fill=colour)
    else:
        draw.rectangle((200, 260, 440, 660), fill=colour)
    buffer = io.BytesIO()
    img.save(buffer, "PNG")
    return buffer.getvalue()


def shares(frame: np.ndarray) -> dict[str, float]:
    """Each test colour's share of the frame (saturated pixels near its hue)."""
    r, g, b = (frame[..., i].astype(np.int16) for i in range(3))
    return {"red": float(((r > 150) & (g < 90) & (b < 100)).mean()),
            "green": float(((g > 120) & (r < 90) & (b < 110)).mean()),
            "blue": float(((b > 150) & (r < 90) & (g < 120)).mean())}


def squash(text: str) -> str:
    return "".join(ch for ch in text.casefold() if ch.isalnum())


@pytest.fixture(scope="module")
def shared(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SharedServer]:
    toml, keys = accounts_config(2)
    server = start_module_server(tmp_path_factory, "vads", CONFIG + toml, models=MODELS)
    yield SharedServer(server, keys)
    server.stop()


@pytest.fixture
def srv(shared: SharedServer) -> Server:
    return shared.view()


def test_each_scene_shows_the_image_and_the_on_screen_text_the_plan_gave_it(srv: Server, tmp_path: Path):
    names = list(COLOURS)
    images = [asset(srv, product(COLOURS[n], i), f"{n}.png") for i, n in enumerate(names)]
    body = run_ad(srv, {"prompt": "Premium water bottles in three colours", "images": images, "duration": 15,
                        "music": "none", "quality_loop_variants": 2, "company_name": "Acme"})
    res = body["result"]
    scenes = res["scenes"]
    assert res["writer"] == "template" and res["image_by"] == "round_robin"
    assert sorted(s["image"] for s in scenes) == [0, 1, 2]  # every image before any repeats
    steps = {s["name"]: s for s in body["steps"]}
    planned = steps["scene_plan"]["details"]["scenes"]
    assert [(p["image"], p["on_screen"]) for p in planned] == [(s["image"], s["on_screen"]) for s in scenes]
    edited = steps["image_edit"]["details"]["scenes"]
    for e in edited:
        assert len(e["variants"]) == 2 and e["pick"]["score"] == max(v["score"] for v in e["variants"])
        assert {"sharpness", "exposure", "contrast", "framing", "edges"} <= set(e["pick"]["parts"])
    mp4 = fetch(srv, body, "video", tmp_path)
    middles = [(s["start"] + s["end"]) / 2 for s in scenes]
    for scene, frame in zip(scenes, frames_at(mp4, middles), strict=True):
        seen = shares(frame)
        want = names[scene["image"]]
        assert seen[want] > 0.02, (scene["index"], want, seen)
        assert all(v < 0.002 for k, v in seen.items() if k != want), (scene["index"], want, seen)
        assert 1 <= len(scene["on_screen"].split()) <= 6
        read = squash(read_text(srv, frame))
        said = squash(scene["on_screen"])
        match = difflib.SequenceMatcher(None, said, read).find_longest_match(0, len(said), 0, len(read))
        assert match.size >= 0.8 * len(said), (scene["on_screen"], read)
