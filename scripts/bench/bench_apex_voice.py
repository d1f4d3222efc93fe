"""Seed 002's ``POST /api/generate/voice`` end to end against our own text-to-speech tool on the same text.

Issue 23's target: the seed's voice route costs at most 1.05× our own tool, both
as a client sees it: submit, poll until the job ends, download the audio. One
server (``_server.running_server``) with Kokoro and ``af_heart`` fetched into its
data dir from the shared download cache; each round sends the same text both ways,
alternating which goes first so drift hits both equally:

- **seed 002:** ``POST /api/generate/voice {"text", "voiceId": "af_heart", "language": "en", "model": "kokoro"}`` →
  poll ``GET /api/jobs?id=`` until ``completed`` → ``GET outputUrl``;
- **ours (the baseline):** ``POST /api/v1/tools/text-to-speech`` with ``Prefer: respond-async`` →
  poll ``GET /api/v1/jobs/{id}`` until ``succeeded`` → ``GET`` its output.

Both poll every 50 ms (the seed's rate windows are off in this server's config: the bench measures
the route, not 429s). Printed: the median wall time of each and their ratio
(seed 002 ÷ ours; target ≤ 1.05).

Example::

    .venv/bin/python scripts/bench/bench_apex_voice.py             # 5 rounds
    .venv/bin/python scripts/bench/bench_apex_voice.py --rounds 9
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from _server import running_server  # noqa: E402

from noxus_local.config import load_config  # noqa: E402
from noxus_local.inference.registry.installed import ModelRegistry  # noqa: E402

TEXT = ("Welcome to the local studio. This voice was made on the same machine that serves it, "
        "with no call to any outside service.")
POLL = 0.05


def seed_002(client: httpx.Client) -> float:
    started = time.monotonic()
    resp = client.post("/api/generate/voice",
                       json={"text": TEXT, "voiceId": "af_heart", "language": "en", "model": "kokoro"})
    resp.raise_for_status()
    job_id = resp.json()["data"]["jobId"]
    while True:
        job = client.get("/api/jobs", params={"id": job_id}).json()["data"]
        if job["status"] in ("completed", "failed"):
            break
        time.sleep(POLL)
    assert job["status"] == "completed", job
    audio = client.get(job["outputUrl"])
    audio.raise_for_status()
    return time.monotonic() - started


def ours(client: httpx.Client) -> float:
    started = time.monotonic()
    resp = client.post("/api/v1/tools/text-to-speech", json={"text": TEXT, "voice_id": "af_heart", "language": "en"},
                       headers={"Prefer": "respond-async"})
    assert resp.status_code == 202, resp.text
    job_id = resp.json()["job_id"]
    while True:
        job = client.get(f"/api/v1/jobs/{job_id}").json()
        if job["status"] in ("succeeded", "failed", "cancelled"):
            break
        time.sleep(POLL)
    assert job["status"] == "succeeded", job
    url = job["output"]["url"]
    audio = client.get(url)
    audio.raise_for_status()
    return time.monotonic() - started


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--rounds", type=int, default=5)
    args = ap.parse_args()
    # the seed's per-key windows (5 generations / 20 reads per 10 s) would answer 429 to the polling: off here
    with running_server(extra_config="[apex]\ngeneration_requests = 0\nread_requests = 0\n") as server:
        cfg = load_config(None, {"NOXUS_DATA_DIR": str(server.root / "data")})
        ModelRegistry.from_config(cfg).fetch(["kokoro-82m", "kokoro-voice-af-heart"])
        with httpx.Client(base_url=server.base, headers=server.auth(), timeout=120) as client:
            seed_002(client), ours(client)  # warm-up: the model loads
            times: dict[str, list[float]] = {"seed 002": [], "ours": []}
            for r in range(args.rounds):
                pair = [("seed 002", seed_002), ("ours", ours)]
                for name, run in pair if r % 2 == 0 else pair[::-1]:
                    times[name].append(run(client))
    a, b = statistics.median(times["seed 002"]), statistics.median(times["ours"])
    print(f"load average {os.getloadavg()[0]:.2f}; {args.rounds} rounds, {len(TEXT)} characters")
    print(f"seed 002 /api/generate/voice: median {a:.3f} s ({', '.join(f'{t:.2f}' for t in times['seed 002'])})")
    print(f"ours /api/v1/tools/text-to-speech: median {b:.3f} s ({', '.join(f'{t:.2f}' for t in times['ours'])})")
    print(f"ratio seed 002 / ours: {a / b:.3f} (target <= 1.05)")


if __name__ == "__main__":
    main()
