"""Seed 003's tier limits through the real server (issue 21 item 4): requests per minute and concurrency.

The test's config makes the windows small (free 6 requests a minute, starter 9) so a
test reaches them in a few calls. Every answer of every seed 003 route, successes and
errors alike, carries ``X-RateLimit-Limit/Remaining/Reset`` and ``X-Request-Id``; the
request over the limit is seed 003's 429 with ``Retry-After``; a tier's second
concurrent version is the 429 ``{"error": "Concurrency limit reached...", "active", "max"}``.
"""

from __future__ import annotations

import io
import time
from collections.abc import Iterator

import httpx
import msgspec
import pytest
from PIL import Image, ImageDraw

from noxus_local.api.ad_schemas import AdGenerated, AdVersion
from tests.e2e.conftest import SharedServer, accounts_config, start_module_server

MODELS = ("kokoro-82m", "kokoro-voice-af-heart", "isnet-general")
CONFIG = """
[inference]
prefer_gpu = false
[tiers.free]
requests_per_minute = 0
jobs_per_hour = 0
ad_requests_per_minute = 6
concurrent_jobs = 1
[tiers.starter]
requests_per_minute = 0
jobs_per_hour = 0
ad_requests_per_minute = 9
"""
RATE = ("X-RateLimit-Limit", "X-RateLimit-Remaining", "X-RateLimit-Reset")


def starter_accounts(count: int) -> tuple[str, list[str]]:
    toml, keys = accounts_config(count, prefix="s")
    return toml.replace('\ninitial_test_balance_usd', '\ntier = "starter"\ninitial_test_balance_usd'), keys


@pytest.fixture(scope="module")
def shared(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[SharedServer, list[str]]]:
    free, free_keys = accounts_config(5)
    starter, starter_keys = starter_accounts(1)
    server = start_module_server(tmp_path_factory, "adlim", CONFIG + free + starter, models=MODELS)
    yield SharedServer(server, free_keys), starter_keys
    server.stop()


def png() -> bytes:
    img = Image.new("RGB", (320, 400), (250, 250, 250))
    ImageDraw.Draw(img).rounded_rectangle((110, 80, 210, 350), radius=20, fill=(210, 30, 40))
    buffer = io.BytesIO()
    img.save(buffer, "PNG")
    return buffer.getvalue()


def limited(r: httpx.Response, limit: int, remaining: int) -> None:
    """The answer carries seed 003's window (``remaining`` left after it) and a request id."""
    assert r.headers.get("X-Request-Id"), (r.status_code, r.headers)
    assert all(h in r.headers for h in RATE), (r.request.url, r.status_code, dict(r.headers))
    assert int(r.headers["X-RateLimit-Limit"]) == limit, r.headers
    assert int(r.headers["X-RateLimit-Remaining"]) == remaining, (r.request.url, r.headers)
    assert time.time() - 1 <= int(r.headers["X-RateLimit-Reset"]) <= time.time() + 61


def test_every_seed_003_route_sends_its_window_and_the_request_over_it_is_a_429(shared):
    srv = shared[0].view()
    key = srv.key
    image = srv.post("/api/v1/assets", key=key, files={"file": ("p.png", png())}).json()["assetId"]
    unknown_voice = {"prompt": "x", "imageAssetIds": [image], "duration": 15, "voiceId": "nobody"}
    calls = [
        (lambda: srv.get("/api/v1/credits", key=key), 200),
        (lambda: srv.get("/api/v1/packages", key=key), 200),
        (lambda: srv.get("/api/v1/projects?limit=0", key=key), 400),
        (lambda: srv.get("/api/v1/jobs/ver_nothing", key=key), 404),
        (lambda: srv.post("/api/v1/generate", key=key, json=unknown_voice), 400),
        (lambda: srv.get("/api/v1/cta-designs/fancy/preview", key=key), 404),
    ]
    for n, (call, status) in enumerate(calls):
        r = call()
        assert r.status_code == status, (n, r.text)
        limited(r, 6, 5 - n)
    work = srv.data_dir / "work"  # the refused generate copied its image in, then removed it: no files left
    assert not work.exists() or not any(work.iterdir()), list(work.iterdir())
    assert srv.get("/api/v1/credits", key=key).status_code == 429  # the window is per key, across the routes
    over = srv.get("/api/v1/cta-designs", key=key)
    assert over.status_code == 429 and over.json() == {"error": "Rate limit exceeded. Try again later."}
    limited(over, 6, 0)
    assert 1 <= int(over.headers["Retry-After"]) <= 60
    other = shared[0].view()  # another key: its own window
    r = other.get("/api/v1/cta-designs", key=other.key)
    assert r.status_code == 200, r.text
    limited(r, 6, 5)


def test_the_tier_sets_the_window_and_credits_report_it(shared):
    free = shared[0].view()
    r = free.get("/api/v1/credits", key=free.key)
    assert r.json()["tier"] == "free" and r.json()["limits"] == {"maxConcurrentJobs": 1, "rateLimitRpm": 6}
    limited(r, 6, 5)
    starter = shared[0].server
    key = shared[1][0]
    r = starter.get("/api/v1/credits", key=key)
    assert r.json()["tier"] == "starter" and r.json()["limits"]["rateLimitRpm"] == 9, r.text
    assert r.json()["limits"]["maxConcurrentJobs"] == 3
    limited(r, 9, 8)
    for n in range(8):
        limited(starter.get("/api/v1/cta-designs", key=key), 9, 7 - n)
    assert starter.get("/api/v1/cta-designs", key=key).status_code == 429


def test_a_second_concurrent_version_on_the_free_tier_is_the_seeds_429(shared):
    srv = shared[0].view()
    r = srv.post("/api/v1/assets", key=srv.key, files={"file": ("p.png", png())})
    assert r.status_code == 201, r.text
    body = {"prompt": "A red bottle", "imageAssetIds": [r.json()["assetId"]], "duration": 15, "voiceId": "af_heart"}
    first = srv.post("/api/v1/generate", key=srv.key, headers={"Max-Processing-Time": "1"}, json=body)
    assert first.status_code == 200, first.text
    limited(first, 6, 5)
    second = srv.post("/api/v1/generate", key=srv.key, json=body)
    assert second.status_code == 429, second.text
    assert second.json() == {"error": "Concurrency limit reached. Wait for active jobs to complete.", "active": 1,
                             "max": 1}
    limited(second, 6, 4)
    assert second.headers.get("Retry-After")
    version = first.json()["versionId"]
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        time.sleep(5)  # 6 a minute: poll slowly
        seen = srv.get(f"/api/v1/jobs/{version}", key=srv.key)
        assert seen.status_code == 200 and all(h in seen.headers for h in RATE), seen.headers
        if seen.json()["status"] != "generating":
            break
    assert seen.json()["status"] == "failed"


def test_a_generate_replayed_by_its_idempotency_key_is_the_same_bytes(shared):
    """``POST /api/v1/generate`` answers ``AdGenerated`` encoded once: a retry with the same Idempotency-Key
    answers those bytes unchanged, marked replayed, and holds no second version; the version answers
    ``AdVersion`` (seed 003's shape) until its 1-second limit fails it."""
    srv = shared[0].view()
    r = srv.post("/api/v1/assets", key=srv.key, files={"file": ("p.png", png())})
    assert r.status_code == 201, r.text
    body = {"prompt": "A red bottle", "imageAssetIds": [r.json()["assetId"]], "duration": 15, "voiceId": "af_heart"}
    headers = {"Max-Processing-Time": "1", "Idempotency-Key": "generate-once-1"}
    first = srv.post("/api/v1/generate", key=srv.key, headers=headers, json=body)
    again = srv.post("/api/v1/generate", key=srv.key, headers=headers, json=body)
    assert first.status_code == again.status_code == 200, again.text
    assert again.content == first.content and again.headers["Idempotent-Replayed"] == "true"
    made = msgspec.json.decode(first.content, type=AdGenerated)
    assert made.versionId.startswith("ver_") and made.jobCount == 5
    seen = msgspec.json.decode(srv.get(f"/api/v1/jobs/{made.versionId}", key=srv.key).content, type=AdVersion)
    assert seen.versionId == made.versionId and seen.totalCredits == made.totalCredits
