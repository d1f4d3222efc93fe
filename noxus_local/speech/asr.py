"""Speech recognition and forced alignment with Whisper on ctranslate2, batched over VAD windows.

Plain functions (``transcribe``, ``align``) with a loaded model, a cancel token
and a progress callback that gets a fraction: a tool holds the model from its
cache and calls them; a composite pipeline does the same with no job at all.

The pipeline (faster-whisper's batched one, on our own pieces): decode the
audio to 16 kHz mono with the bundled ffmpeg; Silero VAD finds the speech;
spans are joined into windows of at most 30 s cut in silences (shorter where
that evens the work out between workers); the windows' log-mel features go
through ``encode`` and ``generate`` ``batch_size`` at a time (one call for
the whole batch), the batches side by side on the model's workers (on CPU one
one-threaded ctranslate2 replica per core: ``speech/batches.py`` has the
measurements); the language is detected on the first speech window, which
the other batches wait for; sentences give segments; ``align``
(cross-attention DTW) gives word timings. The cancel token is checked before
each batch and between its stages, and progress reported after each one.

Example::

    with cache.use(WhisperModel) as whisper:
        t = transcribe(Path("clip.wav"), model=whisper, language=None, cancel=token, progress=print)
        t.language, t.segments[0].words[0]      # "es", Word("Hola", 0.42, 0.8, 0.96)
        align(Path("clip.wav"), "Hola, mundo.", model=whisper, language="es").words
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from concurrent.futures import Future
from pathlib import Path

import numpy as np

from noxus_local.errors import ValidationError, one_of
from noxus_local.inference.models.vad import SileroVad
from noxus_local.inference.models.whisper import SUPPORTED_LANGUAGES, WhisperModel
from noxus_local.locale import t
from noxus_local.media.ffmpeg import run_ffmpeg
from noxus_local.runtime.cancel import CancelToken
from noxus_local.speech.batches import (
    DEFAULT_BATCH_SIZE,
    balanced_windows,
    encoder_frames,
    plan_batches,
    run_batches,
)
from noxus_local.speech.decode import decode_batch, sentence_parts
from noxus_local.speech.features import HOP, log_mel
from noxus_local.speech.types import Segment, Transcript, Word
from noxus_local.speech.windows import SAMPLE_RATE, default_vad, speech_spans
from noxus_local.speech.words import split_words, time_words

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
        listed = ", ".join(known)
        raise ValidationError(t("asr.unknown_language_supported", language=language, listed=listed),
                              details={"field_errors": {"language": [one_of([*known, "auto"])]},
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
    windows = balanced_windows(speech_spans(pcm, vad or default_vad(model.model_dir.parent)), model.workers)
    if not windows:
        return Transcript(lang or "", 0.0 if lang is None else 1.0, duration, (), SILENCE_NOTE)
    size = max(1, batch_size or DEFAULT_BATCH_SIZE)
    batches = plan_batches(windows, size, model.workers)
    language: Future[tuple[str, float]] = Future()
    if lang is not None:
        language.set_result((lang, 1.0))

    def work(k: int, batch: list[int]) -> dict[int, list[Segment]]:
        try:
            cancel.check()
            mels, frames = _features(pcm, [windows[i] for i in batch], model.model.n_mels)
            encoded = _encode(model, mels)
            if k == 0 and not language.done():  # batch 0 holds the first window: its language is the audio's
                language.set_result(_detect(model, encoded))
        except BaseException as exc:
            if not language.done():  # the other batches wait for the language: let them fail too
                language.set_exception(exc)
            raise
        code = language.result()[0]
        cancel.check()
        # without timestamp tokens, like faster-whisper's batched mode: with them Whisper stops at the
        # last timestamp it is sure of and leaves a window's final sentence out (sequential decoding
        # would seek back to it; a batch cannot)
        decoded = decode_batch(model, encoded, mels, model.prompt(code, task, timestamps=False), beam_size)
        parts = [[] if d.silent else sentence_parts(model, d.tokens, f * HOP / SAMPLE_RATE)
                 for d, f in zip(decoded, frames, strict=True)]
        timings = _timings(model, encoded, model.prompt(code, task), parts, frames)
        return {i: _segments(model, parts[j], timings[j], windows[i][0], decoded[j], 0, word_timestamps)
                for j, i in enumerate(batch)}

    per_window: dict[int, list[Segment]] = {}
    for result in run_batches(work, batches, model.workers, progress):
        per_window.update(result)
    lang, lang_prob = language.result()
    segments = [seg for i in sorted(per_window) for seg in per_window[i]]
    segments = _drop_repeats(segments)
    note = None if segments else SILENCE_NOTE
    return Transcript(lang or "", round(lang_prob, 4), duration, tuple(segments), note)


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
