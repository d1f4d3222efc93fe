"""The ``text-to-speech`` tool (``texto-a-voz``): text in, speech out, with sentence and word timings.

A thin adapter over speech/tts.py (``open_voice``, ``stream``, ``collect``):
Kokoro-82M on our own ONNX code; phonemes follow ``language`` (by default the
voice's), so Spanish text read by an English voice works and the result says
so (``voice_language``). A job the OpenAI route asked to stream (``stream_pcm``)
also appends each chunk to ``stream.pcm`` as it comes (api/speech_stream.py). ``timing_source``
says how words were timed: ``model_durations`` (Kokoro's own predicted
durations) or ``estimated_per_phoneme`` (Piper, or an export without them).
Priced per 1,000 characters of text. The speech one request makes, pauses
included, is bounded by the tier's ``max_audio_seconds``: estimated before the
hold (``synthesis.estimate_seconds``, a floor: 413 when even that is over) and
enforced while it is synthesised (the job fails with the same 413, charged 0).

Example::

    curl -X POST http://127.0.0.1:8080/api/v1/tools/text-to-speech -H "Authorization: Bearer $KEY" \\
      -H 'Content-Type: application/json' \\
      -d '{"text": "Hola, ¿qué tal? [pause:0.5] Adiós.", "voice_id": "ef_dora", "format": "mp3"}'
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping
from contextlib import ExitStack
from pathlib import Path
from typing import Annotated, Any, ClassVar, Literal

from msgspec import Meta

from noxus_local.assets.quota import check_output_size
from noxus_local.errors import LimitExceeded, ValidationError
from noxus_local.locale import t
from noxus_local.media.audio import FORMATS, encode, mime_type
from noxus_local.speech.phonemes import ESPEAK_VOICES
from noxus_local.speech.voice_catalog import MODEL, PIPER_VOICES, VOICES, models_of
from noxus_local.tools.base import Example, InputFile, Limits, Params, Plan, Step, Tool, ToolContext, ToolOutput
from noxus_local.tools.params import Internal

MAX_CHARS = 10_000
TTS_FORMATS = tuple(FORMATS)  # pcm: raw 16-bit little-endian mono, as OpenAI's speech API gives it
LIST_HINT = t("common.list_voices_hint")
UNCOMPRESSED = ("wav", "pcm")


CUSTOM_ID = re.compile(r"custom_[0-9a-f]{16}")  # voices/custom.py makes these
MIX_PART = re.compile(r"([a-z]{2}_[a-z]+)(?:\*([0-9]*\.?[0-9]+))?")


def parse_voice(voice_id: str) -> dict[str, float]:
    """A voice id, or a mix ``ef_dora*0.7+em_alex*0.3`` (weights default 1, normalised later);
    ``{}`` for an account's saved voice (``custom_…``), whose mix comes in ``voice_mix``.

    Example: ``parse_voice("ef_dora*0.7+em_alex*0.3") == {"ef_dora": 0.7, "em_alex": 0.3}``;
    an unknown voice or weights that do not sum to a positive number are a 400.
    """
    weights: dict[str, float] = {}
    if CUSTOM_ID.fullmatch(voice_id):  # an account's saved mix: the API layer looks it up (voice_mix)
        return {}
    if voice_id in PIPER_VOICES:  # a Piper voice speaks alone
        return {voice_id: 1.0}
    for part in voice_id.split("+"):
        match = MIX_PART.fullmatch(part.strip())
        if match is None or match.group(1) not in VOICES or VOICES[match.group(1)].model != MODEL:
            raise ValidationError.fields({"voice_id": [
                t("text_to_speech.unknown_voice", part=part.strip()[:100], list_hint=LIST_HINT)]})
        weights[match.group(1)] = weights.get(match.group(1), 0.0) + float(match.group(2) or 1)
    if sum(weights.values()) <= 0:
        raise ValidationError.fields({"voice_id": [t("common.weights_must_sum_above")]})
    return weights


class TextToSpeechParams(Params):
    """What ``POST /api/v1/tools/text-to-speech`` takes, plus what the server adds to a job."""

    # no max_length: a longer text is a 413 naming the limit (check), whatever its length, not a 400
    text: Annotated[str, Meta(examples=["Hola, ¿qué tal? [pause:0.5] Adiós."], description=(
        "1-10,000 characters (more is 413 limit_exceeded); [pause:0.8] and blank lines make pauses."))]
    voice_id: Annotated[str, Meta(max_length=200, examples=["ef_dora"], description=(
        "A voice of GET /api/v1/voices (also the account's custom_… ones), "
        "or a mix of them: ef_dora*0.7+em_alex*0.3."))] = "ef_dora"
    speed: Annotated[float, Meta(ge=0.5, le=2.0)] = 1.0
    language: Annotated[Literal[tuple(ESPEAK_VOICES)], Meta(  # type: ignore[valid-type]
        description="The text's language (phonemes follow it); default: the voice's.")] | None = None
    format: Literal[TTS_FORMATS] = "wav"  # type: ignore[valid-type]
    sample_rate: Annotated[int, Meta(ge=8000, le=48000, description=(
        "Output sample rate; default 24000 (the model's)."))] | None = None
    # set by the server: an account's saved voice, looked up at the request (voices/library.py), and the
    # OpenAI route's ask to tee the PCM it streams (api/openai_speech_routes.py)
    voice_mix: Annotated[dict[str, Any] | None, Internal] = None
    stream_pcm: Annotated[bool | None, Internal] = None


class TextToSpeechTool(Tool):
    slug = "text-to-speech"
    aliases = ("texto-a-voz",)
    title = "Text to speech"
    description = ("Speech from text with Kokoro-82M (Spanish, English and 7 more languages): "
                   "pause tags [pause:0.8], sentence and word timings.")
    media_type = "audio"
    measures = "characters"
    Params = TextToSpeechParams
    steps = (Step("phonemize", 1), Step("synthesize", 8), Step("encode", 1))
    resources: ClassVar[Mapping[str, int]] = {"cpu": 2}
    default_price: ClassVar[Mapping[str, str]] = {"unit": "1k_chars", "unit_usd": "0.015", "minimum_usd": "0.001"}
    models = ("kokoro-82m",)
    examples = (Example("text-to-speech", "text-to-speech: Spanish speech as MP3, with word timings",
                        {"text": "Hola, ¿qué tal?", "voice_id": "ef_dora", "format": "mp3"}),)

    def check(self, params: dict[str, Any], files: Mapping[str, InputFile], limits: Limits) -> None:
        from noxus_local.speech.synthesis import estimate_seconds, has_words, over_audio_limit

        text = params["text"]
        if len(text) > MAX_CHARS:
            raise LimitExceeded(t("text_to_speech.text_has_characters_at", length=len(text), max_chars=MAX_CHARS),
                                details={"limit": "max_text_chars", "max": MAX_CHARS, "got": len(text)})
        estimated = estimate_seconds(text, params["speed"])
        if limits.max_audio_seconds and estimated > limits.max_audio_seconds:
            raise over_audio_limit(limits.max_audio_seconds, estimated, "estimated_seconds")
        if not has_words(text):
            raise ValidationError.fields({"text": [
                t("text_to_speech.nothing_speak_only_whitespace")]})
        parse_voice(params["voice_id"])

    def plan(self, params: TextToSpeechParams, files: Mapping[str, InputFile], limits: Limits) -> Plan:
        """The default plan (units: the characters), naming the models this voice needs: Kokoro and each
        voice of the mix (an account's saved one: its frozen ``voice_mix``), or a Piper voice's graph.

        Example: ``voice_id="ef_dora*0.7+em_alex*0.3"`` → ``plan.models == ("kokoro-82m",
        "kokoro-voice-ef-dora", "kokoro-voice-em-alex")``; one not installed is a 503 before the hold.
        """
        plan = super().plan(params, files, limits)
        plan.models = models_of(params.voice_mix or parse_voice(params.voice_id))
        return plan

    def units(self, params: dict[str, Any], files: Mapping[str, InputFile]) -> float:
        return float(len(params["text"]))

    def work_units(self, params: dict[str, Any]) -> float:
        return len(params["text"]) / 15  # ~15 characters per second of speech

    def run(self, ctx: ToolContext, plan: Plan) -> ToolOutput:
        from noxus_local.inference.models.kokoro import SAMPLE_RATE
        from noxus_local.speech import tts

        params = ctx.params
        weights = params.get("voice_mix") or parse_voice(params["voice_id"])
        if not weights:
            raise ValidationError.fields({"voice_id": [t("common.unknown_voice_hint", list_hint=LIST_HINT)]})
        voice_language = tts.default_language(weights, saved_mix="voice_mix" in params)
        language = params.get("language") or voice_language
        with ExitStack() as held:
            with ctx.step("phonemize"):  # espeak-ng and the voice's files checked before synthesis
                voice = held.enter_context(tts.open_voice(ctx.models, weights, language))
            with ctx.step("synthesize") as step:
                chunks = tts.stream(params["text"], voice, params["speed"], cancel=ctx.cancel,
                                    progress=step.progress,
                                    max_seconds=ctx.limits.max_audio_seconds)
                if params.get("stream_pcm"):  # the OpenAI route tails this file (api/speech_stream.py)
                    chunks = _tee_pcm(chunks, ctx.workdir / STREAM_FILE)
                speech = tts.collect(chunks, voice.timing_source)
        fmt = params["format"]
        if fmt in UNCOMPRESSED:  # 16-bit samples: the file's size is known before it is written
            rate = params.get("sample_rate") or SAMPLE_RATE
            check_output_size(2 * round(len(speech.samples) * rate / SAMPLE_RATE), ctx.limits.max_output_bytes)
        with ctx.step("encode"):
            dest = encode(speech.samples, SAMPLE_RATE, fmt, ctx.workdir / f"speech.{fmt}", ctx.cancel,
                          params.get("sample_rate"))
        result = {"duration_seconds": round(speech.duration, 3), "language": language,
                  "voice_id": params["voice_id"], "voice_language": voice_language,
                  "model": _model_of(weights),
                  "format": fmt, "sample_rate": params.get("sample_rate") or SAMPLE_RATE,
                  "sentences": [{"text": s.text, "start": s.start, "end": s.end} for s in speech.sentences],
                  "words": [{"word": w.word, "start": w.start, "end": w.end} for w in speech.words],
                  "timing_source": speech.timing_source}
        return ToolOutput(dest, f"speech.{fmt}", mime_type(fmt), result=result,
                          units=float(len(params["text"])), media_units=speech.duration)


STREAM_FILE = "stream.pcm"  # in the job's workdir: what a streamed /v1/audio/speech response tails


def _model_of(weights: Mapping[str, float]) -> str:
    return VOICES[next(iter(weights))].model


def _tee_pcm(chunks: Iterable[Any], path: Path) -> Iterator[Any]:
    """The chunks, each appended to ``path`` as 16-bit mono PCM and flushed before it is passed on."""
    import numpy as np

    with open(path, "ab") as fh:
        for chunk in chunks:
            # ffmpeg's own float → s16 rounding, so the stream and the stored .pcm agree
            fh.write(np.clip(np.rint(chunk.samples * 32768), -32768, 32767).astype("<i2").tobytes())
            fh.flush()
            yield chunk
