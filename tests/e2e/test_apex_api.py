"""Seed 002 (Apex Studio) over the real server: a client written from the seed's examples works
by changing only the base URL (issue 23).

One server for the module, each test on its own account; the voice job runs the real Kokoro
model (fetched from the shared download cache) and its WAV is decoded back.
"""

from __future__ import annotations

import io
import json
import textwrap
import threading
import time
import wave
from collections.abc import Iterator
from decimal import Decimal
from http.server import ThreadingHTTPServer
from typing import Any

import httpx
import pytest
from PIL import Image

from tests.e2e.conftest import Server, SharedServer, accounts_config
from tests.e2e.test_webhooks_e2e import Receiver, verify
from tests.generator_fixture import WORKFLOW, FakeEngine

CONFIG = """
[tiers.free]
jobs_per_hour = 0
requests_per_minute = 0
concurrent_jobs = 10
[apex]
key_tiers = ["free"]
[assets]
fetch_allow_hosts = ["127.0.0.1"]
[webhooks]
allow_hosts = ["127.0.0.1"]
retry_backoff_seconds = [1, 1, 1]
timeout_seconds = 2
"""
PRO = """
[[accounts]]
id = "pro1"
tier = "pro"
initial_test_balance_usd = "10"
[[accounts.apps]]
id = "app"
[[accounts.apps.keys]]
name = "k"
sha256 = "{sha}"
"""
PRO_KEY = "noxus_test_" + "p" * 43


@pytest.fixture(scope="module")
def comfy(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """tests/unit/test_generators.py's fake ComfyUI: real PNGs at the size the filled workflow asks."""
    engine = ThreadingHTTPServer(("127.0.0.1", 0), FakeEngine)
    engine.seen, engine.mode, engine.polls, engine.workflow = [], "ok", 0, None  # type: ignore[attr-defined]
    threading.Thread(target=engine.serve_forever, daemon=True).start()
    workflow = tmp_path_factory.mktemp("comfy") / "workflow.json"
    workflow.write_text(WORKFLOW)
    engine.toml = textwrap.dedent(f"""
        [generators]
        allow_hosts = ["127.0.0.1"]
        [generators.flux-2-pro]
        kind = "comfyui"
        url = "http://127.0.0.1:{engine.server_address[1]}"
        workflow = "{workflow}"
        """)  # type: ignore[attr-defined]
    yield engine
    engine.shutdown()
    engine.server_close()


@pytest.fixture(scope="module")
def shared(tmp_path_factory: pytest.TempPathFactory, comfy: Any) -> Iterator[SharedServer]:
    import hashlib

    toml, keys = accounts_config(10)
    pro = textwrap.dedent(PRO).format(sha=hashlib.sha256(PRO_KEY.encode()).hexdigest())
    server = Server(tmp_path_factory.mktemp("apex") / "data", CONFIG + comfy.toml + toml + pro)
    fetched = server.cli("models", "fetch", "kokoro-82m", "kokoro-voice-af-heart", "silero-vad", "whisper-base",
                         "centerface")
    assert fetched.returncode == 0, fetched.stderr
    server.start()
    try:
        yield SharedServer(server, keys)
    finally:
        server.stop()


@pytest.fixture
def srv(shared: SharedServer) -> Server:
    return shared.view()


class ApexClient:
    """The seed's Python example, as written there: only BASE_URL is ours."""

    def __init__(self, base: str, key: str) -> None:
        self.base = base
        self.headers = {"Authorization": f"Bearer {key}", "Content-Type": "application/json"}

    def post(self, path: str, body: dict[str, Any]) -> httpx.Response:
        return httpx.post(f"{self.base}{path}", headers=self.headers, json=body, timeout=30)

    def get(self, path: str) -> httpx.Response:
        return httpx.get(f"{self.base}{path}", headers=self.headers, timeout=30)

    def wait(self, job_id: str, timeout: float = 120) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            job = self.get(f"/api/jobs?id={job_id}").json()["data"]
            assert job["status"] in ("queued", "processing", "completed", "failed"), job
            if job["status"] in ("completed", "failed"):
                return dict(job)
            time.sleep(0.6)  # the seed sleeps 2 s; reads allow 20 per 10 s
        raise AssertionError(f"{job_id} did not end")


def client(srv: Server) -> ApexClient:
    return ApexClient(srv.base, srv.key or "")


def usd(srv: Server) -> Decimal:
    return Decimal(srv.get("/api/v1/balance", key=srv.key).json()["balance"]["balance_usd"])


def test_a_voice_job_runs_end_to_end_and_is_charged_its_credits_on_the_shared_ledger(srv: Server) -> None:
    api = client(srv)
    before = usd(srv)
    credits_before = api.get("/api/usage").json()["data"]["credits"]
    resp = api.post("/api/generate/voice", {"text": "Hello from the local studio.", "language": "en",
                                            "speed": 1.1, "model": "kokoro"})
    assert resp.status_code == 200, resp.text
    body = resp.json()["data"]
    assert body["status"] == "queued" and body["estimatedMinutes"] == 1 and body["message"]
    assert resp.headers["X-RateLimit-Limit"] == "5" and resp.headers["X-RateLimit-Remaining"] == "4"
    assert int(resp.headers["X-RateLimit-Reset"]) >= int(time.time())
    job = api.wait(body["jobId"])
    assert job["status"] == "completed", job
    assert job["outputType"] == "audio/wav" and job["type"] == "voice"
    assert job["metadata"]["model"] == "kokoro" and job["metadata"]["language"] == "en"
    assert job["metadata"]["durationSeconds"] > 0.5
    audio = httpx.get(job["outputUrl"], timeout=30)  # signed: no key needed
    assert audio.status_code == 200
    with wave.open(io.BytesIO(audio.content)) as wav:  # real audio, decoded
        seconds = wav.getnframes() / wav.getframerate()
    assert abs(seconds - job["metadata"]["durationSeconds"]) < 0.1
    # 80 credits at 0.001 USD: the same balance the NOXUS routes read
    assert usd(srv) == before - Decimal("0.08")
    assert job["creditsCharged"] == 80
    usage = api.get("/api/usage").json()["data"]
    assert usage["credits"] == credits_before - 80 and usage["used"]["voices"] == 1 and usage["plan"] == "free"
    noxus = srv.get(f"/api/v1/jobs/{body['jobId']}", key=srv.key).json()  # one job store
    assert noxus["tool"] == "text-to-speech" and noxus["billing"]["charged_usd"] == "0.08"


def test_a_failed_job_is_refunded_and_its_webhook_carries_the_seeds_payload_signed(srv: Server) -> None:
    api = client(srv)
    receiver = Receiver([500])  # the first delivery fails: the retry brings it
    try:
        settings = api.headers | {}
        resp = httpx.patch(f"{srv.base}/api/settings", headers=settings, json={"webhookUrl": receiver.url})
        assert resp.status_code == 200, resp.text
        secret = resp.json()["data"]["webhookSecret"]
        assert resp.json()["data"]["webhookUrl"] == receiver.url
        before = usd(srv)
        # a processing limit far below what 4,000 characters need: the job fails, its hold is released
        resp = httpx.post(f"{srv.base}/api/generate/voice", headers={**api.headers, "Max-Processing-Time": "1"},
                          json={"text": "A long sentence to speak. " * 150})
        job_id = resp.json()["data"]["jobId"]
        job = api.wait(job_id)
        assert job["status"] == "failed" and job["error"] == "Generation failed" and job["creditsRefunded"] == 80
        assert usd(srv) == before
        receiver.wait_for(2)
        headers, raw = receiver.requests[-1]
        assert verify(secret, headers, raw)
        payload = json.loads(raw)
        assert payload["event"] == "job.failed" and payload["timestamp"].endswith("Z")
        data = payload["data"]
        assert set(data) == {"jobId", "type", "status", "error", "creditsRefunded", "createdAt", "failedAt"}
        assert (data["jobId"], data["type"], data["status"], data["creditsRefunded"]) == (job_id, "voice", "failed", 80)
    finally:
        receiver.httpd.shutdown()


def test_errors_have_the_seeds_shape_and_codes(srv: Server, shared: SharedServer) -> None:
    api = client(srv)
    bad = api.post("/api/generate/voice", {"text": "", "speed": 3})
    assert bad.status_code == 400 and bad.json()["code"] == "BAD_REQUEST" and "text" in bad.json()["error"]
    model = api.post("/api/generate/voice", {"text": "hi", "model": "elevenlabs-v3"})
    assert model.status_code == 400 and "kokoro" in model.json()["error"]
    speed = api.post("/api/generate/voice", {"text": "hi", "speed": 2.5})
    assert speed.status_code == 400 and "speed" in speed.json()["error"]
    anon = httpx.get(f"{srv.base}/api/jobs")
    assert anon.status_code == 401 and anon.json() == {"error": anon.json()["error"], "code": "UNAUTHORIZED"}
    missing = api.get("/api/jobs?id=job_000000000000000000000000")
    assert missing.status_code == 404 and set(missing.json()) == {"error", "code"}
    ssrf = httpx.patch(f"{srv.base}/api/settings", headers=api.headers,
                       json={"webhookUrl": "https://169.254.169.254/latest"})
    assert ssrf.status_code == 400 and "webhookUrl" in ssrf.json()["error"]
    plain = httpx.patch(f"{srv.base}/api/settings", headers=api.headers, json={"webhookUrl": "http://example.com/h"})
    assert plain.status_code == 400 and "https" in plain.json()["error"]
    clip = api.post("/api/generate/clip", {"sourceVideoUrl": "http://10.0.0.1/a.mp4"})
    assert clip.status_code == 400 and clip.json()["code"] == "BAD_REQUEST"
    pro = ApexClient(srv.base, PRO_KEY).get("/api/keys")  # a tier not in [apex] key_tiers
    assert pro.status_code == 403 and pro.json()["code"] == "FORBIDDEN"


def test_routes_without_an_engine_answer_503_naming_what_is_missing(shared: SharedServer) -> None:
    kinds = ("video", "b-roll", "text2video", "avatar", "voice-clone", "commercial", "instant-ad")
    apis = [client(shared.view()), client(shared.view())]  # five generations per 10 s per key
    for n, kind in enumerate(kinds):
        down = apis[n // 5].post(f"/api/generate/{kind}", {})
        assert down.status_code == 503 and down.json()["code"] == "SERVICE_UNAVAILABLE", kind
        assert f"/api/generate/{kind} needs" in down.json()["error"]
    call = apis[1].post("/api/voice-agent/calls/outbound", {"agentId": "a", "phoneNumber": "+34600000000"})
    assert call.status_code == 503 and "telephony" in call.json()["error"]


def test_a_sixth_generation_within_ten_seconds_is_429_with_retry_after(srv: Server) -> None:
    api = client(srv)
    answers = [api.post("/api/generate/voice-clone", {}) for _ in range(6)]
    assert [a.status_code for a in answers] == [503] * 5 + [429]
    assert [a.headers["X-RateLimit-Remaining"] for a in answers[:5]] == ["4", "3", "2", "1", "0"]
    assert answers[5].json() == {"error": "Too many requests", "code": "RATE_LIMITED"}
    assert 1 <= int(answers[5].headers["Retry-After"]) <= 10
    read = api.get("/api/usage")  # reads count on their own window
    assert read.status_code == 200 and read.headers["X-RateLimit-Limit"] == "20"


def test_keys_are_created_shown_once_listed_and_work(srv: Server) -> None:
    api = client(srv)
    made = api.post("/api/keys", {"name": "ci"})
    assert made.status_code == 200, made.text
    created = made.json()["data"]
    assert created["name"] == "ci" and created["key"].startswith("noxus_test_")
    listed = api.get("/api/keys").json()["data"]
    assert [k["name"] for k in listed if k["id"] == created["id"]] == ["ci"]
    assert all("key" not in k for k in listed)  # shown once
    assert ApexClient(srv.base, created["key"]).get("/api/usage").status_code == 200
    assert api.post("/api/keys", {"name": ""}).json()["code"] == "BAD_REQUEST"


def test_an_image_job_runs_on_the_configured_comfyui_workflow(srv: Server, comfy: Any) -> None:
    api = client(srv)
    receiver = Receiver([])
    hook = httpx.patch(f"{srv.base}/api/settings", headers=api.headers, json={"webhookUrl": receiver.url})
    secret = hook.json()["data"]["webhookSecret"]
    # the seed's own example body, with a model name the config declares
    resp = api.post("/api/generate/image", {"prompt": "A futuristic city skyline at sunset, photorealistic",
                                            "width": 512, "height": 384, "model": "flux-2-pro", "seed": 7})
    assert resp.status_code == 200, resp.text
    job = api.wait(resp.json()["data"]["jobId"], timeout=60)
    assert job["status"] == "completed", job
    assert job["outputType"] == "image/png"
    assert {k: job["metadata"][k] for k in ("model", "width", "height")} == \
        {"model": "flux-2-pro", "width": 512, "height": 384}
    with Image.open(io.BytesIO(httpx.get(job["outputUrl"], timeout=30).content)) as img:
        assert (img.format, img.size) == ("PNG", (512, 384))
    flow = comfy.workflow  # the placeholders filled
    assert flow["6"]["inputs"]["text"] == "A futuristic city skyline at sunset, photorealistic"
    assert flow["3"]["inputs"]["seed"] == 7 and flow["5"]["inputs"]["width"] == 512
    receiver.wait_for(1)  # the seed's job.completed payload, field by field, signed
    headers, raw = receiver.requests[0]
    receiver.httpd.shutdown()
    assert verify(secret, headers, raw)
    payload = json.loads(raw)
    assert payload["event"] == "job.completed" and payload["timestamp"].endswith("Z")
    data = payload["data"]
    assert set(data) == {"jobId", "type", "status", "outputUrl", "outputType", "metadata", "createdAt",
                         "completedAt"}
    assert (data["jobId"], data["type"], data["status"], data["outputType"]) == \
        (job["jobId"], "image", "completed", "image/png")
    assert set(data["metadata"]) == {"model", "width", "height", "durationMs"}
    assert httpx.get(data["outputUrl"], timeout=30).content[:8] == b"\x89PNG\r\n\x1a\n"
    unknown = api.post("/api/generate/image", {"prompt": "x", "model": "ideogram-v3"})
    assert unknown.status_code == 400 and "flux-2-pro" in unknown.json()["error"]
    small = api.post("/api/generate/image", {"prompt": "x", "width": 100})
    assert small.status_code == 400 and "width" in small.json()["error"]


def test_a_clip_job_is_queued_from_a_source_url(srv: Server) -> None:
    from tests.http_fixture import media_server

    video = _tiny_mp4()
    with media_server({"/talk.mp4": video}) as media:
        resp = client(srv).post("/api/generate/clip", {"sourceVideoUrl": f"{media.base}/talk.mp4", "maxClips": 2,
                                                       "minDuration": 1, "maxDuration": 2, "aspectRatio": "9:16"})
    assert resp.status_code == 200, resp.text
    job = client(srv).get(f"/api/jobs?id={resp.json()['data']['jobId']}").json()["data"]
    assert job["type"] == "clip" and job["status"] in ("queued", "processing", "completed", "failed")
    listed = client(srv).get("/api/jobs").json()["data"]
    assert any(j["jobId"] == job["jobId"] for j in listed)


def _tiny_mp4() -> bytes:
    import subprocess
    import tempfile
    from pathlib import Path

    import imageio_ffmpeg

    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "a.mp4"
        subprocess.run([imageio_ffmpeg.get_ffmpeg_exe(), "-v", "error",
                        "-f", "lavfi", "-i", "testsrc=size=160x120:rate=10:duration=2",
                        "-f", "lavfi", "-i", "sine=frequency=440:duration=2", "-shortest", "-pix_fmt", "yuv420p",
                        str(out)], check=True)
        return out.read_bytes()
