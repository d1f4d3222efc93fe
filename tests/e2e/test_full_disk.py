"""A full disk is a clear error and never a surprise charge (issue 17 item 2), on the real server.

The server's data dir is a small filesystem the test fills: a 64 MB tmpfs when
the test runs as root (the issue's case: ENOSPC, and SQLite "database or disk
is full"), otherwise a file-size limit on the server process (EFBIG, which
the server treats the same). The models live outside it (a symlink), so
only the job's own writes need room.

Seen before the fix, with 7 MB free: auto-subtitles answered 500 with the job
left ``running`` and 0.03 USD held (the free tier then got 429), and the upkeep
re-ran it ~70 s later and charged it.
"""

from __future__ import annotations

import io
import os
import re
import resource
import shutil
import signal
import subprocess
import time
import wave
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from noxus_local.media.ffmpeg import run_ffmpeg
from noxus_local.runtime.cancel import CancelToken
from tests.e2e.conftest import Server

MOUNT_MB = 64
LEAVE_BYTES = 1024 * 1024      # tmpfs: what the test leaves free for the failing job (its audio needs ~2 MB)
FSIZE_BYTES = 12 * 1024 * 1024  # no root: the largest file the server may write (its store stays far below)
CONFIG = """
[tiers.free]
max_video_seconds = 600
"""


@dataclass
class SmallDisk:
    """The data dir, how it is made small, and what fills it."""

    mode: str  # "tmpfs" or "fsize"
    data: Path

    @property
    def filler(self) -> Path:
        return self.data / "filler.bin"

    def fill(self, leave: int = 0) -> None:
        """tmpfs: write until ENOSPC, then give back ``leave`` bytes. fsize: nothing to fill."""
        if self.mode != "tmpfs":
            return
        with open(self.filler, "ab", buffering=0) as fh:
            try:
                while True:
                    fh.write(b"\0" * 1024 * 1024)
            except OSError as exc:
                assert exc.errno == 28, exc
            fh.truncate(max(0, fh.tell() - leave))

    def free(self) -> None:
        self.filler.unlink(missing_ok=True)

    def free_mb(self) -> int:
        stats = os.statvfs(self.data)
        return stats.f_bavail * stats.f_frsize // (1024 * 1024)

    @property
    def needs_more_than(self) -> int:
        """Bytes a file must exceed to find no room: the space left, or the file-size limit."""
        return LEAVE_BYTES if self.mode == "tmpfs" else FSIZE_BYTES


def _fsize_limit() -> None:  # in the server's process, before exec: big writes fail with EFBIG, not SIGXFSZ
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    resource.setrlimit(resource.RLIMIT_FSIZE, (FSIZE_BYTES, resource.getrlimit(resource.RLIMIT_FSIZE)[1]))


@pytest.fixture
def disk(tmp_path: Path) -> Iterator[SmallDisk]:
    data, models = tmp_path / "data", tmp_path / "models"
    data.mkdir()
    models.mkdir()
    mode = "tmpfs" if os.geteuid() == 0 and os.environ.get("NOXUS_TEST_SMALL_DISK") != "fsize" else "fsize"
    if mode == "tmpfs":
        subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={MOUNT_MB}m,mode=0700", "tmpfs", str(data)],
                       check=True)
    (data / "models").symlink_to(models)
    try:
        yield SmallDisk(mode, data)
    finally:
        if mode == "tmpfs":
            subprocess.run(["umount", "-l", str(data)], check=True)
        shutil.rmtree(models, ignore_errors=True)  # the models' copies: 150 MB a run


@pytest.fixture
def server(disk: SmallDisk) -> Iterator[Server]:
    # the upkeep looks for jobs to recover every second, so "not re-run after an upkeep" is seconds away
    srv = Server(disk.data, CONFIG, {"NOXUS_STORAGE_MIN_FREE_MB": "0", "NOXUS_JOBS_RECOVERY_SECONDS": "1",
                                     "NOXUS_SERVER_LOCALE": "en"})
    if disk.mode == "fsize":
        srv.preexec = _fsize_limit
    fetched = srv.cli("models", "fetch", "silero-vad", "whisper-base")
    assert fetched.returncode == 0, fetched.stderr
    srv.start()
    yield srv
    srv.stop()


def clip(folder: Path, seconds: float) -> Path:
    """A small real video: a flat picture and a 300 Hz tone (no speech: no espeak-ng needed)."""
    path = folder / f"clip-{seconds:g}s.mp4"
    run_ffmpeg(["-f", "lavfi", "-i", "color=c=0x303030:s=160x120:r=10", "-f", "lavfi", "-i",
                "sine=f=300:sample_rate=16000", "-t", str(seconds), "-c:v", "libx264", "-preset", "ultrafast",
                "-c:a", "aac", "-b:a", "24k", "-shortest", str(path)], CancelToken())
    return path


def wav_bytes(size: int) -> bytes:
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(16000)
        w.writeframes(b"\0\1" * (size // 2))
    return buffer.getvalue()


def money(srv: Server) -> tuple[Decimal, Decimal]:
    """(balance, available): equal when no hold is open."""
    b = srv.get("/api/v1/balance", key=srv.key).json()["balance"]
    return Decimal(b["balance_usd"]), Decimal(b["available_usd"])


def subtitles(srv: Server, **kw: Any) -> Any:
    return srv.post("/api/v1/tools/auto-subtitles", srv.key, **kw)


def upload(srv: Server, name: str, data: bytes) -> Any:
    return srv.post("/api/v1/assets", srv.key, files={"file": (name, data)})


def assert_507(response: Any, sentence: str) -> dict[str, Any]:
    body = response.json()
    assert (response.status_code, body["error_code"]) == (507, "insufficient_storage"), str(body)
    assert sentence in body["error"] and body["billing"]["charged_usd"] == "0", body
    return dict(body)


def ended(srv: Server, job_id: str) -> tuple[Any, ...]:
    """What would change if the job ran again: status, error, charge, start and end."""
    job = srv.get(f"/api/v1/jobs/{job_id}", key=srv.key).json()
    return (job["status"], (job.get("error") or {}).get("code"), job["billing"]["charged_usd"], job["started_at"],
            job["finished_at"])


def wait_settled(srv: Server, timeout: float = 15) -> None:
    """Until no job of the key is queued or running and no hold is open (an upkeep may settle one)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        open_jobs = [j for j in srv.get("/api/v1/jobs", key=srv.key).json()["jobs"]
                     if j["status"] in ("queued", "running")]
        balance, available = money(srv)
        if not open_jobs and balance == available:
            return
        time.sleep(0.3)
    raise AssertionError(f"still open: {open_jobs}, balance {balance}, available {available}")


def test_a_full_disk_is_507_releases_the_hold_and_never_reruns_or_charges(
        disk: SmallDisk, server: Server, tmp_path: Path) -> None:
    srv, start = server, money(server)[0]
    long_clip = clip(tmp_path, 60 if disk.mode == "tmpfs" else 400)  # 16 kHz audio: 32 kB a second
    asset = upload(srv, long_clip.name, long_clip.read_bytes())
    assert asset.status_code == 201, asset.text

    # 1. the job runs out of room while it extracts the audio: 507 at once, failed, nothing held
    disk.fill(leave=LEAVE_BYTES)
    call = {"data": {"video_asset_id": asset.json()["assetId"], "burn": "false"},
            "headers": {"Idempotency-Key": "full-disk-1"}}
    failed = assert_507(subtitles(srv, **call), "The server's disk is full")
    job_id = failed["job_id"]
    retried = subtitles(srv, **call)  # the client retries: the same answer, no second job
    assert retried.headers.get("Idempotent-Replayed") == "true" and retried.json() == failed
    assert money(srv) == (start, start)  # no charge, no open hold
    job = ended(srv, job_id)
    assert job[:3] == ("failed", "insufficient_storage", "0"), job

    # 2. upkeep cycles (every second here) leave it failed: not re-run, not charged
    time.sleep(3.5)
    assert ended(srv, job_id) == job
    assert money(srv) == (start, start)

    # 3. a disk with no byte left: a qr and an upload are 507 too, and any hold they took is released
    disk.fill()
    if disk.mode == "tmpfs":  # (a qr's few bytes stay under a file-size limit)
        assert_507(srv.post("/api/v1/tools/qr", srv.key, json={"text": "full"}), "disk is full")
    assert_507(upload(srv, "voice.wav", wav_bytes(disk.needs_more_than + 65536)), "disk is full")
    disk.fill(leave=LEAVE_BYTES)
    wait_settled(srv)
    assert money(srv) == (start, start)

    # 4. a restart with [storage] min_free_mb above what is free: the failed job stays failed, and new work
    #    is refused before any hold, in the configured locale
    srv.stop()
    floor = disk.free_mb() + 32
    srv.env.update({"NOXUS_STORAGE_MIN_FREE_MB": str(floor), "NOXUS_SERVER_LOCALE": "es"})
    srv.start()
    assert ended(srv, job_id) == job
    health = srv.get("/api/v1/health")
    assert health.status_code == 200, health.text
    storage = health.json()["storage"]
    assert health.json()["status"] == "degraded" and storage["ok"] is False
    assert storage["min_free_mb"] == floor and storage["free_mb"] < floor
    total = srv.get("/api/v1/jobs", key=srv.key).json()["pagination"]["total"]
    refused = assert_507(srv.post("/api/v1/tools/qr", srv.key, json={"text": "guard"}), "El disco del servidor")
    assert refused["details"]["min_free_mb"] == floor
    assert_507(srv.post("/api/v1/tools/text-to-speech", srv.key, json={"text": "hola"}), "disco")
    assert_507(subtitles(srv, files={"video": ("c.mp4", long_clip.read_bytes())}), "disco")
    assert_507(upload(srv, "small.wav", wav_bytes(4096)), "disco")
    speech = srv.post("/v1/audio/speech", srv.key, json={"model": "kokoro-82m", "input": "hola", "voice": "alloy"})
    assert (speech.status_code, speech.json()["error"]["code"]) == (507, "insufficient_storage"), speech.text
    assert srv.get("/api/v1/jobs", key=srv.key).json()["pagination"]["total"] == total  # no job, no hold
    assert money(srv) == (start, start)
    doctor = srv.cli("doctor").stdout
    assert re.search(r"WARN\s+storage: \d+ MB free, below \[storage\] min_free_mb", doctor), doctor

    # 5. space again: the same calls work and are charged once, exactly
    if disk.mode == "fsize":  # the guard is all that made this disk "low": lower it
        srv.stop()
        srv.env["NOXUS_STORAGE_MIN_FREE_MB"] = "32"
        srv.start()
    disk.free()
    assert srv.get("/api/v1/health").json()["status"] == "ok"
    qr = srv.post("/api/v1/tools/qr", srv.key, json={"text": "room again"})
    assert qr.status_code == 200, qr.text
    short = subtitles(srv, files={"video": ("short.mp4", clip(tmp_path, 3).read_bytes())}, data={"burn": "false"})
    assert short.status_code == 200, short.text
    charged = Decimal(qr.json()["billing"]["charged_usd"]) + Decimal(short.json()["billing"]["charged_usd"])
    assert charged > 0 and money(srv) == (start - charged, start - charged)
    assert ended(srv, job_id) == job  # still never re-run
