"""Test soundtracks for the laughter/applause detector (clips/sound_events.py), all 16 kHz mono float32.

- ``applause``: dense random clap transients (a few ms of band-passed noise each, random loudness,
  ~40 a second, like a room clapping) over a faint hiss;
- ``laughter``: espeak-ng's "ha" syllable, trimmed to its burst, repeated at 5 Hz with the pitch
  moving between repeats (resampled ±20 %), the way a laugh rises and falls;
- ``music``: a chord progression of harmonic tones with a kick drum on the beat;
- ``narration``: espeak-ng reading a text; ``kokoro_narration``: the Kokoro voice (needs its model).

Example::

    pcm = np.concatenate([narration("Hello there.", tmp), applause(3.0)])
"""

from __future__ import annotations

import wave
from pathlib import Path

import numpy as np

from noxus_local.inference.models.piper import resample
from noxus_local.speech.espeak_process import speak_wav

RATE = 16_000


def read_wav(path: Path) -> np.ndarray:
    """A 16-bit PCM WAV as 16 kHz mono float32."""
    with wave.open(str(path)) as w:
        rate, channels = w.getframerate(), w.getnchannels()
        data = np.frombuffer(w.readframes(w.getnframes()), dtype="<i2").astype(np.float32) / 32768
    if channels > 1:
        data = data.reshape(-1, channels).mean(axis=1)
    return resample(data, rate, RATE)


def _bandpass(noise: np.ndarray, low: float, high: float) -> np.ndarray:
    spectrum = np.fft.rfft(noise)
    freqs = np.fft.rfftfreq(len(noise), 1 / RATE)
    spectrum[(freqs < low) | (freqs > high)] = 0
    return np.fft.irfft(spectrum, n=len(noise))


def applause(seconds: float, claps_per_second: float = 40.0, seed: int = 7) -> np.ndarray:
    """Dense random claps: each a 3-12 ms band-passed noise burst with a fast decay."""
    rng = np.random.default_rng(seed)
    n = int(seconds * RATE)
    out = rng.normal(0, 0.003, n)
    for t in rng.uniform(0, seconds, int(seconds * claps_per_second)):
        length = int(rng.uniform(0.003, 0.012) * RATE)
        start = int(t * RATE)
        if start + length >= n:
            continue
        burst = _bandpass(rng.normal(0, 1, length * 4), rng.uniform(600, 1200), rng.uniform(3000, 6000))[:length]
        burst *= np.exp(-np.arange(length) / (length / 4)) * rng.uniform(0.1, 0.5)
        out[start:start + length] += burst
    return (out / max(1e-6, np.abs(out).max()) * 0.6).astype(np.float32)


def _burst(pcm: np.ndarray) -> np.ndarray:
    """The loud part of a spoken syllable (frames within 20 dB of its loudest), faded in and out."""
    hop = RATE // 100
    frames = len(pcm) // hop
    db = 10 * np.log10(np.maximum(np.mean(pcm[: frames * hop].reshape(frames, hop) ** 2, axis=1), 1e-10))
    loud = np.flatnonzero(db > db.max() - 20)
    part = pcm[loud[0] * hop:(loud[-1] + 1) * hop].astype(np.float64)
    fade = min(len(part) // 4, RATE // 100)
    part[:fade] *= np.linspace(0, 1, fade)
    part[-fade:] *= np.linspace(1, 0, fade)
    return part


def laughter(seconds: float, folder: Path, rate_hz: float = 5.0, seed: int = 3, voice: str = "en") -> np.ndarray:
    """\"ha\" bursts from espeak-ng, one every 1/``rate_hz`` s (±10 %), each at a different pitch."""
    rng = np.random.default_rng(seed)
    ha = _burst(read_wav(speak_wav("ha", voice, folder / "ha.wav")))
    period = int(RATE / rate_hz)
    out = np.zeros(int(seconds * RATE * 1.2) + period)
    at = 0
    for _ in range(int(seconds * rate_hz)):
        shift = rng.uniform(0.8, 1.25)  # played faster = higher pitch and shorter
        syllable = resample(ha, RATE, int(RATE / shift))[: int(period * 0.7)]
        fade = min(len(syllable) // 4, RATE // 100)
        syllable = syllable.copy()
        syllable[-fade:] *= np.linspace(1, 0, fade)
        out[at:at + len(syllable)] += syllable * rng.uniform(0.7, 1.0)
        at += int(period * rng.uniform(0.9, 1.1))  # a laugh's rhythm is regular, not a metronome
    out = out[: int(seconds * RATE)]
    return (out / max(1e-6, np.abs(out).max()) * 0.6).astype(np.float32)


def music(seconds: float, bpm: float = 120.0) -> np.ndarray:
    """Chords of harmonic tones (C, Am, F, G; a chord a beat) with a kick drum on each beat."""
    n = int(seconds * RATE)
    t = np.arange(n) / RATE
    beat = 60.0 / bpm
    chords = [(261.6, 329.6, 392.0), (220.0, 261.6, 329.6), (174.6, 220.0, 261.6), (196.0, 246.9, 293.7)]
    out = np.zeros(n)
    for b in range(int(seconds / beat) + 1):
        a, z = int(b * beat * RATE), min(n, int((b + 1) * beat * RATE))
        if a >= n:
            break
        tt = t[a:z] - t[a]
        envelope = np.exp(-tt * 2.0)
        for f0 in chords[b % len(chords)]:
            for h in range(1, 5):
                out[a:z] += envelope * np.sin(2 * np.pi * f0 * h * tt) / (h * 3)
        kick = np.sin(2 * np.pi * (60 + 80 * np.exp(-tt * 30)) * tt) * np.exp(-tt * 12)
        out[a:z] += kick
    return (out / np.abs(out).max() * 0.6).astype(np.float32)


def narration(text: str, folder: Path, voice: str = "en", name: str = "narration.wav") -> np.ndarray:
    """espeak-ng reading ``text``, 16 kHz."""
    return read_wav(speak_wav(text, voice, folder / name))


def silence(seconds: float) -> np.ndarray:
    return np.zeros(int(seconds * RATE), dtype=np.float32)


def kokoro_narration(text: str, cfg: object, voice: str = "af_heart", language: str = "en-us") -> np.ndarray:
    """The Kokoro voice reading ``text`` (models ``kokoro-82m`` and ``kokoro-voice-<voice>`` installed), 16 kHz."""
    from noxus_local.inference.models.kokoro import SAMPLE_RATE, Kokoro, load_voice
    from noxus_local.inference.registry.manifest import models_dir
    from noxus_local.runtime.cancel import CancelToken
    from noxus_local.speech.tts import Voice, speak

    model = Kokoro.from_config(cfg)  # type: ignore[arg-type]
    speech = speak(text, Voice(model, load_voice(models_dir(cfg), voice), language), cancel=CancelToken())  # type: ignore[arg-type]
    return resample(np.asarray(speech.samples, dtype=np.float32), SAMPLE_RATE, RATE)
