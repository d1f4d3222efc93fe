"""video-ad through the real server (issue 21 item 1 and its Bad input), judged by independent decoders.

The test draws its own product (a red rounded bottle on white) and logo, runs a 15 s 9:16 ad end to
end and checks it with PyAV (size, rate, length), our PP-OCR (the company name on the last frame),
our Whisper (the voice-over heard back), the pixels (the product's red in the scenes) and a template match
(normalised cross-correlation, numpy's FFT: the logo scaled to its overlay size found top right, score >= 0.8). No text
model is installed, so the template writes the copy; ISNet cuts the product out.
"""

from __future__ import annotations

import io
import struct
import time
import wave
import zlib
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
[credits]
usd_per_credit = "0.02"
[inference]
prefer_gpu = false
[tiers.free]
requests_per_minute = 0
ad_requests_per_minute = 0
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


def broken_pixels_png() -> bytes:
    """The product PNG with its compressed pixels garbled and the chunk's CRC recomputed: the header, the chunk
    layout and Pillow's ``verify`` (the asset check) pass; decoding the pixels fails."""
    data = bytearray(product_png())
    at = 8
    while at < len(data):
        n, kind = struct.unpack(">I4s", data[at:at + 8])
        if kind == b"IDAT":
            body = at + 8
            for i in range(body + 2 + n // 4, body + n // 2):  # inside the zlib stream, past its header
                data[i] ^= 0x5A
            data[body + n:body + n + 4] = struct.pack(">I", zlib.crc32(bytes(data[at + 4:body + n])))
            return bytes(data)
        at += 12 + n
    raise AssertionError("no IDAT chunk")


def silence_wav() -> bytes:
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(16000)
        w.writeframes(b"\0\0" * 16000)
    return buffer.getvalue()


def logo_image() -> Image.Image:
    """An opaque logo with structure (a template match needs texture): blue, a yellow disc, white bars."""
    img = Image.new("RGBA", (200, 80), (30, 60, 200, 255))
    draw = ImageDraw.Draw(img)
    draw.ellipse((8, 8, 72, 72), fill=(250, 200, 20, 255))
    for x in (95, 125, 155):
        draw.rectangle((x, 14, x + 16, 66), fill=(255, 255, 255, 255))
    return img


def logo_png() -> bytes:
    buffer = io.BytesIO()
    logo_image().save(buffer, "PNG")
    return buffer.getvalue()


@pytest.fixture(scope="module")
def shared(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SharedServer]:
    toml, keys = accounts_config(16)
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


SVG_LOGO = (b'<svg xmlns="http://www.w3.org/2000/svg" width="200" height="80">'
            b'<rect width="200" height="80" fill="#1E3CC8"/><circle cx="40" cy="40" r="32" fill="#FAC814"/>'
            b'<rect x="95" y="14" width="17" height="53" fill="#FFF"/><rect x="125" y="14" width="17" height="53" '
            b'fill="#FFF"/><rect x="155" y="14" width="17" height="53" fill="#FFF"/></svg>')
LOGO_WIDTH = 130  # compose's overlay: 18 % of the 720 px width, even


def match_score(frame: np.ndarray, template: Image.Image) -> float:
    """The best normalised cross-correlation (OpenCV's TM_CCOEFF_NORMED) of ``template`` over ``frame``, in
    grey, with numpy: the correlation by FFT, each window's mean and energy from integral images."""
    image = np.asarray(Image.fromarray(frame).convert("L"), dtype=np.float64)
    tmpl = np.asarray(template.convert("L"), dtype=np.float64)
    th, tw = tmpl.shape
    t = tmpl - tmpl.mean()
    shape = image.shape
    corr = np.fft.irfft2(np.fft.rfft2(image, shape) * np.conj(np.fft.rfft2(t, shape)), shape)
    corr = corr[: shape[0] - th + 1, : shape[1] - tw + 1]
    n = th * tw

    def window_sums(a: np.ndarray) -> np.ndarray:
        c = np.pad(a.cumsum(0).cumsum(1), ((1, 0), (1, 0)))
        return c[th:, tw:] - c[:-th, tw:] - c[th:, :-tw] + c[:-th, :-tw]

    s1, s2 = window_sums(image), window_sums(image**2)
    energy = np.maximum(s2 - s1**2 / n, 1e-9) * float((t**2).sum())
    return float((corr / np.sqrt(energy)).max())


def logo_template() -> Image.Image:
    """The logo as compose lays it over the video: scaled to its overlay width, on the frame's grid."""
    logo = logo_image().convert("RGB")
    return logo.resize((LOGO_WIDTH, round(logo.height * LOGO_WIDTH / logo.width)), Image.Resampling.BILINEAR)


def assert_logo_top_right(frame: np.ndarray) -> None:
    corner, other = match_score(frame[:240, 720 - 280:], logo_template()), match_score(frame[:240, :280],
                                                                                       logo_template())
    assert corner >= 0.8 > other, (corner, other)


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
        assert_logo_top_right(frame)  # the logo, found by template match
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


# ---------------------------------------------------------------- seed 003's routes

USD_PER_CREDIT = Decimal("0.02")  # CONFIG's: an account's $10 is 500 credits


def credits(srv: Server) -> dict[str, Any]:
    r = srv.get("/api/v1/credits", key=srv.key)
    assert r.status_code == 200 and "X-Request-Id" in r.headers, r.text
    return dict(r.json())


def test_seed_003_generate_poll_credits_and_projects(srv, tmp_path):
    before = credits(srv)
    assert before["tier"] == "free" and before["activeJobs"] == 0
    assert set(before["limits"]) == {"maxConcurrentJobs", "rateLimitRpm"}
    usd_before = balance(srv)
    image, logo = asset(srv, product_png(), "bottle.png"), asset(srv, SVG_LOGO, "logo.svg")
    r = srv.post("/api/v1/generate", key=srv.key, json={
        "prompt": "Premium red water bottle", "imageAssetIds": [image], "duration": 15, "voiceId": "af_heart",
        "companyName": COMPANY, "ctaDesign": "neon", "qualityLoopVariants": 1, "logoAssetId": logo})
    assert r.status_code == 200, r.text
    made = r.json()
    assert set(made) == {"projectId", "versionId", "totalCredits", "jobCount"}
    assert made["totalCredits"] == 30 + 105 + 3 + 2 and made["jobCount"] == 5  # the seed's table, 1 variant
    assert credits(srv)["balance"] == before["balance"] - made["totalCredits"]  # held up front
    deadline, seen = time.monotonic() + 400, None
    while time.monotonic() < deadline:
        seen = srv.get(f"/api/v1/jobs/{made['versionId']}", key=srv.key).json()
        if seen["status"] != "generating":
            break
        time.sleep(0.5)
    assert seen is not None and seen["status"] == "completed", seen
    assert seen["progress"] == 100 and seen["totalCredits"] == made["totalCredits"]
    assert [d["job_type"] for d in seen["jobs"]["details"]] == ["scene_plan", "image_edit", "video_generation",
                                                                "voiceover", "compositing"]
    assert seen["jobs"]["completed"] == seen["jobs"]["total"] == 5 and seen["jobs"]["failed"] == 0
    sub = srv.get(f"/api/v1/jobs/{seen['jobs']['details'][1]['id']}", key=srv.key)
    assert sub.status_code == 200  # each sub-job id resolves
    video = srv.get(seen["videoUrl"])
    assert video.status_code == 200 and video.headers["content-type"].startswith("video/mp4")
    (tmp_path / "ad.mp4").write_bytes(video.content)
    first = frames_at(tmp_path / "ad.mp4", [2.0])[0]
    assert_logo_top_right(first)  # the SVG logo, rasterised and found by template match
    assert balance(srv) == usd_before - made["totalCredits"] * USD_PER_CREDIT
    listed = srv.get("/api/v1/projects?limit=1", key=srv.key).json()
    assert listed["projects"][0]["projectId"] == made["projectId"]
    assert listed["projects"][0]["latestVersion"]["status"] == "completed"
    packages = srv.get("/api/v1/packages", key=srv.key).json()["packages"]
    assert [(p["name"], p["credits"], p["priceCents"]) for p in packages] == [
        ("API Starter", 500, 3900), ("API Growth", 2000, 11900), ("API Scale", 5000, 24900)]


def test_a_failed_step_refunds_its_share_and_the_version_completes(srv):
    """The second photo's compressed pixels are garbled (``broken_pixels_png``): it passes every check at the
    request, but its pixels cannot be decoded, so the image edit of the scene that shows it fails. That scene
    shows the first product photo instead, the version completes, and the ledger charges the total less that
    scene's edit (10 credits, 1 variant)."""
    before_usd, before = balance(srv), credits(srv)["balance"]
    broken = asset(srv, broken_pixels_png(), "broken.png")
    image = asset(srv, product_png(), "bottle.png")
    r = srv.post("/api/v1/generate", key=srv.key, json={
        "prompt": "Premium red water bottle", "imageAssetIds": [image, broken], "duration": 15,
        "voiceId": "af_heart", "qualityLoopVariants": 1})
    assert r.status_code == 200, r.text
    made = r.json()
    assert made["totalCredits"] == 10 * 3 + 35 * 3 + 3 + 2
    deadline, seen = time.monotonic() + 400, None
    while time.monotonic() < deadline:
        seen = srv.get(f"/api/v1/jobs/{made['versionId']}", key=srv.key).json()
        if seen["status"] != "generating":
            break
        time.sleep(0.5)
    assert seen is not None and seen["status"] == "completed", seen
    assert seen["totalCredits"] == made["totalCredits"]  # what was quoted stays the quote
    edit = next(d for d in seen["jobs"]["details"] if d["job_type"] == "image_edit")
    assert edit["status"] == "failed" and "image 1 could not be edited" in edit["error_message"], edit
    assert seen["jobs"]["failed"] == 1 and seen["jobs"]["completed"] == 4
    charged = made["totalCredits"] - 10
    assert credits(srv)["balance"] == before - charged
    assert balance(srv) == before_usd - charged * USD_PER_CREDIT
    job = srv.get(f"/api/v1/jobs/{edit['id'].rsplit('.', 1)[0]}", key=srv.key).json()
    assert Decimal(job["billing"]["charged_usd"]) == charged * USD_PER_CREDIT
    assert job["result"]["credits"]["refunded"] == {"image_edit": 10, "video_generation": 0}


def test_seed_003_errors_have_the_seeds_shapes(srv, shared):
    other = shared.view()
    theirs = other.post("/api/v1/assets", key=other.key, files={"file": ("logo.png", logo_png())}).json()["assetId"]
    before = balance(srv)
    image = asset(srv, product_png(), "bottle.png")
    r = srv.post("/api/v1/generate", key=srv.key, json={
        "prompt": "x" * 2001, "imageUrls": ["https://example.com/a.png"], "imageAssetIds": [image], "duration": 20,
        "ctaDesign": "fancy", "gradientColor": "orange", "qualityLoopVariants": 4})
    assert r.status_code == 400 and r.json()["error"] == "Validation failed", r.text
    fields = r.json()["details"]["fieldErrors"]
    assert {"prompt", "imageUrls", "imageAssetIds", "duration", "voiceId", "ctaDesign", "gradientColor",
            "qualityLoopVariants"} <= set(fields), fields
    assert fields["duration"] == ["Duration must be 15, 30, or 60"] and r.json()["details"]["formErrors"] == []
    r = srv.post("/api/v1/generate", key=srv.key, json={"prompt": "x", "imageAssetIds": [image], "duration": 15,
                                                        "voiceId": "nobody"})
    assert r.status_code == 400 and "voiceId" in r.json()["details"]["fieldErrors"], r.text
    ok = {"prompt": "x", "imageAssetIds": [image], "duration": 15, "voiceId": "af_heart"}
    r = srv.post("/api/v1/generate", key=srv.key, json={**ok, "logoAssetId": theirs})
    assert r.status_code == 403 and isinstance(r.json()["error"], str), r.text  # another account's asset
    sound = asset(srv, silence_wav(), "tone.wav")
    r = srv.post("/api/v1/generate", key=srv.key, json={**ok, "imageAssetIds": [image, sound]})
    assert r.status_code == 400 and r.json()["details"]["fieldErrors"]["imageAssetIds"][0].startswith("[1]"), r.text
    r = srv.post("/api/v1/generate", key=srv.key, json={**{k: v for k, v in ok.items() if k != "imageAssetIds"},
                                                        "imageUrls": ["http://127.0.0.1:9/p.png"]})
    assert r.status_code == 400 and "imageUrls" in r.json()["details"]["fieldErrors"], r.text  # the SSRF guard
    r = srv.post("/api/v1/generate", key=srv.key, json={**ok, "musicAssetId": image})
    assert r.status_code == 400 and "musicAssetId" in r.json()["details"]["fieldErrors"], r.text
    assert srv.get("/api/v1/projects?limit=0", key=srv.key).status_code == 400
    assert srv.get("/api/v1/jobs/ver_nothing", key=srv.key).status_code == 404
    assert balance(srv) == before


def test_seed_003_insufficient_credits_is_a_402_in_credits(srv):
    image = asset(srv, product_png(), "bottle.png")
    have = credits(srv)["balance"]
    body = {"prompt": "x", "imageAssetIds": [image], "duration": 60, "voiceId": "af_heart",
            "qualityLoopVariants": 3}
    need = 10 * 3 * 8 + 35 * 8 + 3 + 2
    assert have == 500 < need
    r = srv.post("/api/v1/generate", key=srv.key, json=body)
    assert r.status_code == 402, r.text
    assert r.json() == {"error": f"Insufficient credits: {need} required but only {have} available"}


def test_the_cta_designs_are_listed_with_previews(srv):
    r = srv.get("/api/v1/cta-designs", key=srv.key)
    assert r.status_code == 200 and "X-Request-Id" in r.headers, r.headers
    designs = r.json()["designs"]
    assert [d["id"] for d in designs] == ["minimal", "bold", "gradient", "split", "glass", "neon", "editorial",
                                          "brutalist"]
    pictures = set()
    for d in designs:
        png = srv.get(d["previewUrl"] + "?aspectRatio=16:9", key=srv.key)
        assert png.status_code == 200 and png.headers["content-type"] == "image/png"
        assert Image.open(io.BytesIO(png.content)).size == (640, 360)
        pictures.add(png.content)
    assert len(pictures) == 8  # eight distinct layouts
    assert srv.get("/api/v1/cta-designs/fancy/preview", key=srv.key).status_code == 404
    bad = srv.get("/api/v1/cta-designs/bold/preview?gradientColor=orange", key=srv.key)
    assert bad.status_code == 400 and "gradientColor" in bad.json()["details"]["fieldErrors"]


def test_a_failed_version_refunds_all_its_credits(srv):
    """Max-Processing-Time of one second stops the job mid-pipeline: the version is failed, every credit back."""
    image = asset(srv, product_png(), "bottle.png")
    before = credits(srv)["balance"]
    r = srv.post("/api/v1/generate", key=srv.key, headers={"Max-Processing-Time": "1"}, json={
        "prompt": "Premium red water bottle", "imageAssetIds": [image], "duration": 15, "voiceId": "af_heart"})
    assert r.status_code == 200, r.text
    version = r.json()["versionId"]
    deadline, seen = time.monotonic() + 120, None
    while time.monotonic() < deadline:
        seen = srv.get(f"/api/v1/jobs/{version}", key=srv.key).json()
        if seen["status"] != "generating":
            break
        time.sleep(0.25)
    assert seen is not None and seen["status"] == "failed" and seen["videoUrl"] is None, seen
    assert credits(srv)["balance"] == before
    listed = srv.get("/api/v1/projects", key=srv.key).json()["projects"]
    assert listed[0]["latestVersion"]["status"] == "failed"


def test_the_concurrency_limit_is_a_429_in_the_seeds_shape(srv):
    """CONFIG allows 2 active jobs per account; both are cut at one second so the test stays short."""
    image = asset(srv, product_png(), "bottle.png")
    body = {"prompt": "Premium red water bottle", "imageAssetIds": [image], "duration": 15, "voiceId": "af_heart"}
    started = [srv.post("/api/v1/generate", key=srv.key, headers={"Max-Processing-Time": "1"}, json=body)
               for _ in range(2)]
    assert all(r.status_code == 200 for r in started), [r.text for r in started]
    r = srv.post("/api/v1/generate", key=srv.key, json=body)
    assert r.status_code == 429, r.text
    assert r.json() == {"error": "Concurrency limit reached. Wait for active jobs to complete.", "active": 2, "max": 2}
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and credits(srv)["activeJobs"]:
        time.sleep(0.25)
    assert credits(srv)["activeJobs"] == 0
