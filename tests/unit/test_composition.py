"""The pipelines composed with no server, no job and no params dict (issue 18, item 1).

A Spanish sentence is spoken (``tts.speak``), its own word timings are burned as
``word_pop`` captions over a plain colour clip with the speech muxed in
(``captions.burn``), and the MP4 is transcribed back (``asr.transcribe``): the
words must come back. What the MP4 holds is judged by PyAV, not by our probe:
its duration, its streams, and caption pixels (white letters, the spoken word in
yellow) where the plain colour was, only while a cue is on screen.
"""

from __future__ import annotations

from pathlib import Path

import av
import numpy as np
import pytest

from noxus_local import captions
from noxus_local.config import load_config
from noxus_local.inference.cache import ModelCache
from noxus_local.inference.models.whisper import WhisperModel
from noxus_local.inference.registry.installed import ModelRegistry
from noxus_local.media.audio import encode
from noxus_local.media.ffmpeg import run_ffmpeg
from noxus_local.runtime.cancel import CancelToken
from noxus_local.speech import asr, tts
from noxus_local.speech.wer import wer

SENTENCE = "Hola a todos, hoy vamos a hablar del tiempo en Madrid."
BACKGROUND = (32, 64, 96)  # the colour clip, RGB
SIZE = (640, 360)


@pytest.fixture(scope="module")
def cache(tmp_path_factory: pytest.TempPathFactory) -> ModelCache:
    cfg = load_config(None, {"NOXUS_DATA_DIR": str(tmp_path_factory.mktemp("compose") / "data"),
                             "NOXUS_INFERENCE_PREFER_GPU": "false"})
    ModelRegistry.from_config(cfg).fetch(["kokoro-82m", "kokoro-voice-ef-dora", "whisper-base", "silero-vad"])
    return ModelCache(cfg)


@pytest.fixture(scope="module")
def composed(cache: ModelCache, tmp_path_factory: pytest.TempPathFactory) -> dict:
    """Speak → burn its words over a colour clip → transcribe; every progress fraction kept."""
    work, cancel = tmp_path_factory.mktemp("composed"), CancelToken()
    seen: dict[str, list[float]] = {"speak": [], "burn": [], "transcribe": []}
    with tts.open_voice(cache, {"ef_dora": 1.0}, "es") as voice:
        speech = tts.speak(SENTENCE, voice, 1.0, cancel=cancel, progress=seen["speak"].append)
    wav = encode(speech.samples, speech.sample_rate, "wav", work / "speech.wav", cancel)
    clip = work / "colour.mp4"
    colour = "0x{:02x}{:02x}{:02x}".format(*BACKGROUND)
    run_ffmpeg(["-f", "lavfi", "-i", f"color=c={colour}:s={SIZE[0]}x{SIZE[1]}:r=25:d={speech.duration:.3f}",
                "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", str(clip)], cancel)
    cues = captions.cues_from_words(speech.words, captions.CueRules(max_chars_per_line=32))
    out = captions.burn(clip, cues, captions.resolve_style("word_pop"), work / "captioned.mp4",
                        cancel=cancel, progress=seen["burn"].append, audio=wav)
    with cache.use(WhisperModel) as whisper:
        heard = asr.transcribe(out, model=whisper, language=None, cancel=cancel,
                               progress=seen["transcribe"].append)
    return {"speech": speech, "cues": cues, "out": out, "heard": heard, "progress": seen}


def test_the_spoken_words_come_back_from_the_captioned_video(composed: dict) -> None:
    heard = composed["heard"]
    error = wer(SENTENCE, heard.text)
    print(f"WER {error:.3f}: {heard.text!r}")
    assert heard.language == "es"  # detected, not told
    assert error <= 0.2, heard.text


def test_the_captions_are_the_speech_s_own_words(composed: dict) -> None:
    speech, cues = composed["speech"], composed["cues"]
    assert len(speech.words) == len(SENTENCE.split()) and speech.timing_source == "model_durations"
    assert [w.word for c in cues for w in c.words] == [w.word for w in speech.words]
    assert cues[0].start == pytest.approx(speech.words[0].start, abs=0.01)
    assert all(0.0 <= f <= 1.0 for fractions in composed["progress"].values() for f in fractions)
    assert all(fractions for fractions in composed["progress"].values())


def test_the_mp4_lasts_as_long_as_the_speech_and_carries_both_streams(composed: dict) -> None:
    with av.open(str(composed["out"])) as container:
        kinds = sorted(s.type for s in container.streams)
        seconds = container.duration / 1_000_000
        video = container.streams.video[0]
        assert (video.codec_context.width, video.codec_context.height) == SIZE
    assert kinds == ["audio", "video"]
    assert seconds == pytest.approx(composed["speech"].duration, abs=0.15)


def _frame_at(path: Path, t: float) -> np.ndarray:
    with av.open(str(path)) as container:
        for frame in container.decode(video=0):
            if frame.time is not None and frame.time >= t:
                return frame.to_ndarray(format="rgb24")
    raise AssertionError(f"no frame at {t} s")


def test_caption_pixels_appear_only_while_a_cue_is_shown(composed: dict) -> None:
    cues, out = composed["cues"], composed["out"]
    first = cues[0]
    during = _frame_at(out, (first.words[0].start + first.words[0].end) / 2)
    off = np.abs(during.astype(int) - BACKGROUND).max(axis=2) > 60  # clearly not the plain colour
    band = off[int(SIZE[1] * 0.55):int(SIZE[1] * 0.85)]  # word_pop sits at 70 % of the height
    assert band.mean() > 0.01, band.mean()
    assert off[: int(SIZE[1] * 0.4)].mean() < 0.001  # the top stays the plain colour
    r, g, b = (during[..., i].astype(int) for i in range(3))
    assert int(((r > 200) & (g > 180) & (b < 100)).sum()) > 50  # the spoken word pops in yellow
    if first.start > 0.12:  # before the first word: no caption at all
        before = _frame_at(out, 0.0)
        assert (np.abs(before.astype(int) - BACKGROUND).max(axis=2) > 60).mean() < 0.001
