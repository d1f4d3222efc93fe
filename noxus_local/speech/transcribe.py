"""Speech recognition and forced alignment with Whisper on ctranslate2, batched over VAD windows.

The pipeline (faster-whisper's batched one, on our own pieces): decode the
audio to 16 kHz mono with the bundled ffmpeg; Silero VAD finds the speech;
spans are joined into windows of at most 30 s cut in silences; the windows'
log-mel features go through ``encode`` and ``generate`` ``batch_size`` at a
time (one call for the whole batch: the large speed-up on CPU and GPU);
the language is detected on the first speech window; sentences give
segments; ``align`` (cross-attention DTW) gives word timings. The cancel
token is checked between batches and progress reported after each one.

Example::

    with cache.use(WhisperModel) as whisper:
        t = transcribe(Path("clip.wav"), model=whisper, language=None, cancel=ctx.cancel,
                       progress=lambda f: step.progress(int(100 * f)))
        t.language, t.segments[0].words[0]      # "es", Word("Hola", 0.42, 0.8, 0.96)
        align(Path("clip.wav"), "Hola, mundo.", model=whisper, language="es").words
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from pathlib import Path

import numpy as np

from noxus_local.errors import ValidationError
from noxus_local.inference.vad import SileroVad
from noxus_local.inference.whisper import SUPPORTED_LANGUAGES, WhisperModel
from noxus_local.media.ffmpeg import run_ffmpeg
from noxus_local.runtime.cancel import CancelToken
from noxus_local.speech.decode import decode_batch, sentence_parts
from noxus_local.speech.features import FRAMES, HOP, log_mel
from noxus_local.speech.types import Segment, Transcript, Word
from noxus_local.speech.windows import SAMPLE_RATE, default_vad, find_windows
from noxus_local.speech.words import split_words, time_words

DEFAULT_BATCH_SIZE = 8
# encoder lengths (mel frames, 100 per second): a window's own length + PAD, in steps of BUCKET, >= MIN
PAD_FRAMES, BUCKET_FRAMES, MIN_FRAMES = 200, 500, 2000
SILENCE_NOTE = "no speech found in the audio"
Progress = Callable[[float], None]


def load_audio(path: Path, cancel: CancelToken | None = None) -> np.ndarray:
    """16 kHz mono float32 in [-1, 1], decoded by the bundled ffmpeg (killed on cancel)."""
    with tempfile.TemporaryDirectory(prefix="noxus-pcm-") as tmp:
        out = Path(tmp) / "audio.f32"
        run_ffmpeg(["-i", str(path), "-vn", "-ac", "1", "-ar", str(SAMPLE_RATE), "-f", "f32le", str(out)],
                   cancel or CancelToken())
        return np.fromfile(out, dtype=np.float32)


def check_language(whisper: WhisperModel, language: str | None) -> str | None:
    """``None``/``auto`` = detect; otherwise a code the model knows, else 400 listing them."""
    if language in (None, "", "auto"):
        return None if whisper.multilingual else "en"
    known = list(whisper.tokens.languages) if whisper.multilingual else ["en"]
    if language not in known:
        raise ValidationError(f"unknown language {language!r}; supported: {', '.join(known)}",
                              details={"field_errors": {"language": [f"one of {', '.join(known)} or auto"]},
                                       "supported": known})
    return language


def transcribe(audio: Path, *, model: WhisperModel, language: str | None = None, task: str = "transcribe",
               word_timestamps: bool = True, batch_size: int | None = None, cancel: CancelToken | None = None,
               progress: Progress | None = None, vad: SileroVad | None = None,
               beam_size: int = 5) -> Transcript:
    """Recognise the speech of ``audio`` (any file ffmpeg reads); ``progress`` gets a fraction 0.0–1.0.

    ``task="translate"`` is Whisper's speech-to-English. Silence only gives no segments and a ``note``.
    """
    cancel = cancel or CancelToken()
    lang = check_language(model, language)
    pcm = load_audio(audio, cancel)
    duration = len(pcm) / SAMPLE_RATE
    windows = find_windows(pcm, vad or default_vad(model.model_dir.parent))
    if not windows:
        return Transcript(lang or "", 0.0 if lang is None else 1.0, duration, (), SILENCE_NOTE)
    size = max(1, batch_size or DEFAULT_BATCH_SIZE)
    lang_prob = 1.0
    per_window: dict[int, list[Segment]] = {}
    batches = plan_batches(windows, size)
    for done, batch in enumerate(batches, start=1):
        cancel.check()
        mels, frames = _features(pcm, [windows[i] for i in batch], model.model.n_mels)
        encoded = _encode(model, mels)
        if lang is None:  # the first batch holds the first window: its language is the audio's
            lang, lang_prob = _detect(model, encoded)
        # without timestamp tokens, like faster-whisper's batched mode: with them Whisper stops at the
        # last timestamp it is sure of and leaves a window's final sentence out (sequential decoding
        # would seek back to it; a batch cannot)
        decoded = decode_batch(model, encoded, mels, model.prompt(lang, task, timestamps=False), beam_size)
        parts = [[] if d.silent else sentence_parts(model, d.tokens, f * HOP / SAMPLE_RATE)
                 for d, f in zip(decoded, frames, strict=True)]
        timings = _timings(model, encoded, model.prompt(lang, task), parts, frames)
        for j, i in enumerate(batch):
            per_window[i] = _segments(model, parts[j], timings[j], windows[i][0], decoded[j], 0, word_timestamps)
        if progress is not None:
            progress(min(1.0, done / len(batches)))
    segments = [seg for i in sorted(per_window) for seg in per_window[i]]
    segments = _drop_repeats(segments)
    note = None if segments else SILENCE_NOTE
    return Transcript(lang or "", round(lang_prob, 4), duration, tuple(segments), note)


def encoder_frames(seconds: float) -> int:
    """Mel frames a window of ``seconds`` is encoded with: its length plus ~2 s of padding, rounded up to
    5 s, at least 20 s, at most Whisper's 30 s (3000 frames).

    ctranslate2's encoder takes ``[batch, n_mels, frames]`` for any frames up to 3000, and its cost
    grows with them (the decoder's cross-attention too), so a short window (the last one, a lone
    sentence between music) need not pay for 30 s. Not below 20 s: with 10 s of context whisper-base
    misread words that it read right with 15-30 s (tests/unit/test_speech_asr.py's two windows).
    Example: ``encoder_frames(9.0) == 2000``, ``encoder_frames(21.0) == 2500``, ``encoder_frames(29.5) == 3000``.
    """
    need = int(seconds * SAMPLE_RATE / HOP) + PAD_FRAMES
    return min(FRAMES, max(MIN_FRAMES, -(-need // BUCKET_FRAMES) * BUCKET_FRAMES))


def plan_batches(windows: list[tuple[float, float]], size: int) -> list[list[int]]:
    """Window indexes in batches of at most ``size`` that share one encoder length (a batch is one
    tensor); the batch with the first window comes first (language detection reads it).

    Example: windows of 30, 30, 8 and 30 s with size 8 → ``[[0, 1, 3], [2]]``.
    """
    groups: dict[int, list[int]] = {}
    for i, (start, end) in enumerate(windows):
        groups.setdefault(encoder_frames(end - start), []).append(i)
    ordered = sorted(groups.values(), key=lambda idx: idx[0])
    return [group[k:k + size] for group in ordered for k in range(0, len(group), size)]


def _features(pcm: np.ndarray, windows: list[tuple[float, float]], n_mels: int) -> tuple[np.ndarray, list[int]]:
    """The batch's log-mels, all ``encoder_frames`` of its longest window long, and each window's own frames."""
    width = max(encoder_frames(end - start) for start, end in windows)
    mels, frames = [], []
    for start, end in windows:
        clip = pcm[int(start * SAMPLE_RATE):int(end * SAMPLE_RATE)]
        mels.append(log_mel(clip, n_mels, width))
        frames.append(min(width, max(1, len(clip) // HOP)))
    return np.stack(mels), frames


def _encode(model: WhisperModel, mels: np.ndarray):  # noqa: ANN202  # a ctranslate2 StorageView
    import ctranslate2

    return model.model.encode(ctranslate2.StorageView.from_array(np.ascontiguousarray(mels)), to_cpu=False)


def _detect(model: WhisperModel, encoded) -> tuple[str, float]:  # noqa: ANN001
    """Language of the first window of the batch: ``("es", 0.98)``."""
    token, prob = model.model.detect_language(encoded)[0][0]
    return token.strip("<|>"), float(prob)


def _timings(model: WhisperModel, encoded, prompt: list[int], parts: list[list[tuple[float, float, list[int]]]],
             frames: list[int]) -> list[list[list[tuple[str, tuple[float, float, float]]]]]:  # noqa: ANN001
    """Per window, per segment: (word, (start, end, probability)) with window-relative seconds."""
    groups = [[split_words(model, tokens) for _s, _e, tokens in window] for window in parts]
    flat = [[ids for seg in window for _w, ids in seg] for window in groups]
    if not any(flat):
        return [[[] for _ in window] for window in groups]
    times = time_words(model, encoded, prompt, [f if f else [[model.tokens.eot]] for f in flat], frames)
    out = []
    for window, window_times in zip(groups, times, strict=True):
        it = iter(window_times)
        out.append([[(word, next(it)) for word, _ids in seg] for seg in window])
    return out


def _segments(model: WhisperModel, parts: list[tuple[float, float, list[int]]],
              timings: list[list[tuple[str, tuple[float, float, float]]]], offset: float,
              decoded, first_id: int, keep_words: bool) -> list[Segment]:  # noqa: ANN001
    """Segments with absolute times; their bounds come from their words' timings."""
    out = []
    for i, (start, end, tokens) in enumerate(parts):
        text = model.decode(tokens).strip()
        if not text:
            continue
        words = _words(timings[i], offset)
        seg_start, seg_end = (words[0].start, words[-1].end) if words else (offset + start, offset + end)
        out.append(Segment(first_id + len(out), round(seg_start, 3), round(seg_end, 3), text,
                           words if keep_words else (),
                           round(decoded.avg_logprob, 4), round(decoded.no_speech_prob, 4)))
    return out


def _words(timed: list[tuple[str, tuple[float, float, float]]], offset: float) -> tuple[Word, ...]:
    words, last = [], offset
    for text, (start, end, prob) in timed:
        if not text.strip():
            continue
        begin = max(offset + start, last)  # monotonic: a word never starts before the previous ends
        words.append(Word(text.strip(), round(begin, 3), round(max(offset + end, begin), 3), round(prob, 4)))
        last = words[-1].end
    return tuple(words)


def _drop_repeats(segments: list[Segment]) -> list[Segment]:
    """A segment that repeats the one before word for word is a decoding loop: keep the first, renumber."""
    kept: list[Segment] = []
    for seg in segments:
        if kept and seg.text.casefold() == kept[-1].text.casefold():
            continue
        kept.append(seg)
    return [Segment(i, s.start, s.end, s.text, s.words, s.avg_logprob, s.no_speech_prob)
            for i, s in enumerate(kept)]


def align(audio: Path, text: str, *, model: WhisperModel, language: str, cancel: CancelToken | None = None,
          progress: Progress | None = None, vad: SileroVad | None = None) -> Transcript:
    """Word timings for a known ``text`` spoken in ``audio``; every word comes back, in order."""
    from noxus_local.speech.known_text import align_text

    lang = check_language(model, language) or SUPPORTED_LANGUAGES[0]
    cancel = cancel or CancelToken()
    pcm = load_audio(audio, cancel)
    return align_text(model, pcm, text, lang, vad or default_vad(model.model_dir.parent), cancel, progress)
