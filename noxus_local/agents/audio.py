"""A turn's reply audio: written as 16-bit WAV under the call's folder, served by a signed, expiring URL.

The signature is HMAC-SHA256 with the data dir's URL-signing key over ``voice-agent:<call>/<file>:<expires>``
(its own prefix, so it can never be replayed on a job's file URL, nor one of those here).

Example::

    path = write_wav(audio_dir(data_dir, "call_1") / "turn_ab.wav", samples, 24000)
    signed_path(secret, "call_1", "turn_ab.wav", ttl=86400)
    # /api/voice-agent/audio/call_1/turn_ab.wav?expires=1767225600&sig=3f1c…
"""

from __future__ import annotations

import hashlib
import hmac
import io
import os
import time
import wave
from pathlib import Path

import numpy as np

AUDIO_ROUTE = "/api/voice-agent/audio"


def wav_bytes(samples: np.ndarray, rate: int) -> bytes:
    """Float samples in [-1, 1] as a mono 16-bit PCM WAV file's bytes."""
    out = io.BytesIO()
    with wave.open(out, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(np.clip(np.rint(samples * 32768), -32768, 32767).astype("<i2").tobytes())
    return out.getvalue()


def write_wav(path: Path, samples: np.ndarray, rate: int) -> Path:
    """Mono 16-bit PCM, written to a temporary name and renamed (never a half file under its name)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    part = path.with_name(f".{path.name}.part")
    part.write_bytes(wav_bytes(samples, rate))
    os.replace(part, path)
    return path


def _sig(secret: bytes, call_id: str, name: str, expires: int) -> str:
    return hmac.new(secret, f"voice-agent:{call_id}/{name}:{expires}".encode(), hashlib.sha256).hexdigest()


def signed_path(secret: bytes, call_id: str, name: str, ttl: int, now: float | None = None) -> str:
    expires = int((time.time() if now is None else now) + ttl)
    return f"{AUDIO_ROUTE}/{call_id}/{name}?expires={expires}&sig={_sig(secret, call_id, name, expires)}"


def verify(secret: bytes, call_id: str, name: str, expires: int, sig: str) -> bool:
    """Constant time; bytes on both sides (a non-ASCII ``sig`` is a refusal, not a crash)."""
    if expires < time.time():
        return False
    return hmac.compare_digest(_sig(secret, call_id, name, expires).encode(), sig.encode("utf-8", "surrogateescape"))
