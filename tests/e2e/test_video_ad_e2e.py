"""video-ad through the real server (issue 21 item 1 and its Bad input), judged by independent decoders.

The test draws its own product (a red rounded bottle on white) and logo, runs a 15 s 9:16 ad end to
end and checks it with PyAV (size, rate, length), our PP-OCR (the company name on the last frame),
our Whisper (the voice-over heard back) and the pixels (the product's red in the scenes). No text
model is installed, so the template writes the copy; ISNet cuts the product out.
"""

from __future__ import annotations

import io
import time
import wave
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import av
import numpy as np
import pytest
from PIL import Image, ImageDraw

from tests.e2e.conftest import Server, SharedServer, accounts_config, start_module_server

AD = "/api/v1/tools/video-ad"
MODELS = ("kokoro-82m", "kokoro-voice-af-heart", "whisper-base", "silero-vad", "isnet-general", "ppocr-v6-tiny",
          "music-immich-memories")
CONFIG = """
[inference]
prefer_gpu = false
[tiers.free]
requests_per_minute = 0
jobs_per_hour = 0
concurrent_jobs = 2
"""
RED = (210, 30, 40)
COMPANY = "SoundWave Audio"


def product_png() -> bytes:
    img = Image.new("RGB", (640, 800), (250, 250, 250))
    draw = ImageDraw.Draw(img)
    draw.rounded_rectangle((230, 200, 410, 700), radius=40, fill=RED)
    draw.rectangle((285, 110, 355, 205), fill=(60, 60, 60))
    buffer = io.BytesIO()
    img.save(buffer, "PNG")
    return buffer.getvalue()


def silence_wav() -> bytes:
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(16000)
        w.writeframes(b"\0\0" * 16000)
    return buffer.getvalue()


def logo_png() -> bytes:
    img = Image.new("RGBA", (200, 80), (0, 0, 0, 0))
    ImageDraw.Draw(img).ellipse((0, 0, 79, 79), fill=(30, 60, 200, 255))
    buffer = io.BytesIO()
    img.save(buffer, "PNG")
    return buffer.getvalue()


@pytest.fixture(scope="module")
def shared(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SharedServer]:
    toml, keys = accounts_config(4)
    server = start_module_server(tmp_path_factory, "vad", CONFIG + toml, models=MODELS)
    yield SharedServer(server, keys)
    server.stop()


@pytest.fixture
def srv(shared: SharedServer) -> Server:
    return shared.view()


def balance(srv: Server) -> Decimal:
    return Decimal(srv.get("/api/v1/balance", key=srv.key).json()["balance"]["balance_usd"])


def asset(srv: Server, data: bytes, name: str) -> str:
    r = srv.post("/api/v1/assets", key=srv.key, files={"file": (name, data)})
    assert r.status_code == 201, r.text
    return str(r.json()["assetId"])


def run_ad(srv: Server, body: dict[str, Any], timeout: float = 400) -> dict[str, Any]:
    r = srv.post(AD, key=srv.key, json=body, headers={"Prefer": "respond-async"})
    assert r.status_code == 202, r.text
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        job = srv.get(f"/api/v1/jobs/{r.json()['job_id']}", key=srv.key).json()
        if job["status"] in ("succeeded", "failed", "cancelled"):
            assert job["status"] == "succeeded", job
            return dict(job)
        time.sleep(0.25)
    raise AssertionError("the job did not end")


def fetch(srv: Server, body: dict[str, Any], name: str, tmp_path: Path) -> Path:
    out = next(o for o in body["outputs"] if o["name"] == name)
    r = srv.get(out["url"])
    assert r.status_code == 200
    path = tmp_path / out["filename"]
    path.write_bytes(r.content)
    return path


def frames_at(mp4: Path, seconds: list[float]) -> list[np.ndarray]:
    found: list[np.ndarray | None] = [None] * len(seconds)
    last = None
    with av.open(str(mp4)) as c:
        for frame in c.decode(video=0):
            t = float(frame.pts * frame.time_base)
            last = frame.to_ndarray(format="rgb24")
            for i, want in enumerate(seconds):
                if found[i] is None and t >= want:
                    found[i] = last
    return [last if f is None else f for f in found]  # type: ignore[misc]


def heard(srv: Server, mp4: Path, tmp_path: Path) -> str:
    from noxus_local.config import load_config
    from noxus_local.inference.models.whisper import WhisperModel
    from noxus_local.media.audio import extract_pcm16k
    from noxus_local.runtime.cancel import CancelToken
    from noxus_local.speech.asr import transcribe

    cfg = load_config(None, {"NOXUS_DATA_DIR": str(srv.data_dir), "NOXUS_INFERENCE_PREFER_GPU": "false"})
    model = WhisperModel.from_config(cfg)
    model.load()
    wav = extract_pcm16k(mp4, tmp_path / "heard.wav", cancel=CancelToken())
    return transcribe(wav, model=model, language="en").text


def read_text(srv: Server, frame: np.ndarray) -> str:
    from noxus_local.config import load_config
    from noxus_local.inference.cache import ModelCache
    from noxus_local.inference.models.ppocr import PpOcr

    cfg = load_config(None, {"NOXUS_DATA_DIR": str(srv.data_dir), "NOXUS_INFERENCE_PREFER_GPU": "false",
                             "NOXUS_INFERENCE_THREADS": "1"})
    return str(ModelCache(cfg).get(PpOcr).predict([Image.fromarray(frame)])[0]["text"])


def test_a_15_second_ad_from_a_drawn_product_with_logo_music_and_a_bold_end_card(srv, tmp_path):
    before = balance(srv)
    image, logo = asset(srv, product_png(), "bottle.png"), asset(srv, logo_png(), "logo.png")
    started = time.monotonic()
    body = run_ad(srv, {"prompt": "Premium red water bottle — keeps drinks cold all day", "images": [image],
                        "duration": 15, "aspect_ratio": "9:16", "logo_asset_id": logo, "company_name": COMPANY,
                        "cta_design": "bold", "gradient_color": "#FF5500", "tone": "premium",
                        "emotion": "excitement", "music_mood": "energetic", "quality_loop_variants": 2})
    wall = time.monotonic() - started
    res = body["result"]
    assert [o["name"] for o in body["outputs"]] == ["video", "script", "timeline", "end_card", "narration"]
    assert [s["name"] for s in body["steps"]] == ["scene_plan", "image_edit", "video_generation", "voiceover",
                                                  "compositing"]
    assert len(res["scenes"]) == 3 and all(len(s["variants"]) == 2 for s in res["scenes"])
    assert res["writer"] == "template" and COMPANY in res["script"]
    mp4 = fetch(srv, body, "video", tmp_path)
    with av.open(str(mp4)) as c:
        v = c.streams.video[0]
        assert (v.codec_context.width, v.codec_context.height) == (720, 1280) and v.average_rate == 25
        assert c.streams.audio
        assert abs(float(c.duration / av.time_base) - 15) <= 0.2, c.duration
    middles = [(s["start"] + s["end"]) / 2 for s in res["scenes"]]
    for frame in frames_at(mp4, middles):
        reds = (frame[..., 0] > 150) & (frame[..., 1] < 90) & (frame[..., 2] < 100)
        assert reds.mean() > 0.02, reds.mean()  # the bottle is on screen, as red as drawn
    last = frames_at(mp4, [99.0])[0]
    assert "soundwaveaudio" in "".join(read_text(srv, last).casefold().split())
    from noxus_local.speech.wer import wer

    assert wer(res["script"], heard(srv, mp4, tmp_path)) <= 0.2
    charged = Decimal(body["billing"]["charged_usd"])
    assert Decimal(0) < charged <= Decimal(body["billing"]["estimated_usd"])
    assert balance(srv) == before - charged
    print(f"15 s ad: {wall:.1f} s wall")


BAD = [
    ({"prompt": "x", "images": []}, "images"),
    ({"prompt": "x" * 2001, "images": ["IMG"]}, "prompt"),
    ({"prompt": "x", "images": ["IMG"], "duration": 20}, "duration"),
    ({"prompt": "x", "images": ["IMG"], "cta_design": "fancy"}, "cta_design"),
    ({"prompt": "x", "images": ["IMG"], "gradient_color": "orange"}, "gradient_color"),
    ({"prompt": "x", "images": ["IMG"], "voice_id": "nobody"}, "voice_id"),
    ({"prompt": "x", "images": ["IMG"], "quality_loop_variants": 4}, "quality_loop_variants"),
    ({"prompt": "x", "images": ["IMG"], "company_name": "x" * 101}, "company_name"),
    ({"prompt": "x", "images": ["IMG"] * 11}, "images"),
    ({"prompt": "x", "images": ["WAV"]}, "images_0"),
]


def test_bad_input_is_a_400_naming_the_field_and_costs_nothing(srv):
    before = balance(srv)
    refs = {"IMG": asset(srv, product_png(), "bottle.png"),
            "WAV": asset(srv, silence_wav(), "tone.wav")}  # an asset, but not a picture
    for body, field in BAD:
        sent = {k: ([refs[x] for x in v] if k == "images" else v) for k, v in body.items()}
        r = srv.post(AD, key=srv.key, json=sent)
        assert r.status_code == 400, (field, r.text)
        assert field in r.json()["details"]["field_errors"], r.json()
    assert balance(srv) == before
