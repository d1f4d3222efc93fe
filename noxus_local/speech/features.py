"""Whisper's log-mel spectrogram in numpy: what ``ctranslate2.models.Whisper.encode`` takes.

Same maths as openai-whisper's ``log_mel_spectrogram`` (and faster-whisper's
numpy port): a centred STFT (n_fft 400, hop 160, periodic Hann window,
reflect padding) of 16 kHz audio, power spectrum, a Slaney-normalised mel
filterbank (librosa's default, computed here, no librosa), log10 clamped to
1e-10, then to (max − 8), scaled by (x + 4) / 4. One 30 s window is 3000
frames; shorter audio is zero-padded to 30 s *before* the STFT, as Whisper
was trained.

Example::

    feats = log_mel(pcm16k)           # float32 [80, 3000] for up to 30 s of audio
    batch = np.stack([log_mel(a), log_mel(b)])   # [2, 80, 3000] for encode()
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np

SAMPLE_RATE = 16_000
N_FFT = 400
HOP = 160
FRAMES = 3000  # one 30 s window
WINDOW_SAMPLES = FRAMES * HOP


@lru_cache(maxsize=4)
def mel_filters(n_mels: int = 80, sr: int = SAMPLE_RATE, n_fft: int = N_FFT) -> np.ndarray:
    """[n_mels, n_fft // 2 + 1] triangular filters on the Slaney mel scale, area-normalised."""
    fft_freqs = np.linspace(0, sr / 2, n_fft // 2 + 1)
    mels = np.linspace(_hz_to_mel(0.0), _hz_to_mel(sr / 2), n_mels + 2)
    edges = _mel_to_hz(mels)
    widths = np.diff(edges)
    ramps = edges[:, None] - fft_freqs[None, :]
    lower = -ramps[:-2] / widths[:-1, None]
    upper = ramps[2:] / widths[1:, None]
    weights = np.maximum(0, np.minimum(lower, upper))
    weights *= (2.0 / (edges[2:n_mels + 2] - edges[:n_mels]))[:, None]
    return weights.astype(np.float32)


def _hz_to_mel(hz: np.ndarray | float) -> np.ndarray:
    """Slaney: linear below 1 kHz, logarithmic above."""
    hz = np.asarray(hz, dtype=np.float64)
    f_sp, min_log_hz, logstep = 200.0 / 3, 1000.0, np.log(6.4) / 27.0
    linear = hz / f_sp
    return np.where(hz >= min_log_hz, min_log_hz / f_sp + np.log(np.maximum(hz, 1e-10) / min_log_hz) / logstep,
                    linear)


def _mel_to_hz(mel: np.ndarray) -> np.ndarray:
    f_sp, min_log_hz, logstep = 200.0 / 3, 1000.0, np.log(6.4) / 27.0
    min_log_mel = min_log_hz / f_sp
    return np.where(mel >= min_log_mel, min_log_hz * np.exp(logstep * (mel - min_log_mel)), f_sp * mel)


@lru_cache(maxsize=1)
def _hann() -> np.ndarray:
    return (0.5 - 0.5 * np.cos(2 * np.pi * np.arange(N_FFT) / N_FFT)).astype(np.float32)  # periodic


def log_mel(audio: np.ndarray, n_mels: int = 80, frames: int = FRAMES) -> np.ndarray:
    """float32 [n_mels, frames]: up to ``frames * 160`` samples of 16 kHz audio, zero-padded."""
    samples = frames * HOP
    pcm = np.zeros(samples, dtype=np.float32)
    clip = np.asarray(audio, dtype=np.float32).reshape(-1)[:samples]
    pcm[:len(clip)] = clip
    padded = np.pad(pcm, N_FFT // 2, mode="reflect")
    windows = np.lib.stride_tricks.sliding_window_view(padded, N_FFT)[::HOP][:frames]  # drop STFT's last frame
    power = np.abs(np.fft.rfft(windows * _hann(), axis=-1)) ** 2
    mel = mel_filters(n_mels) @ power.T.astype(np.float32)
    log_spec = np.log10(np.maximum(mel, 1e-10))
    log_spec = np.maximum(log_spec, log_spec.max() - 8.0)
    return ((log_spec + 4.0) / 4.0).astype(np.float32)
