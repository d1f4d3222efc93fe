"""One spoken turn of a voice agent: the caller's audio heard, answered by the text model, and spoken.

A typed pipeline that knows nothing of HTTP, jobs or money: recognition (speech/asr.py, our
Whisper) → the text model (generate/llm: the agent's system prompt, the call so far, the
caller's words; greedy, a cap on tokens, at most ``MAX_SENTENCES`` sentences) → the reply
spoken (speech/tts.py, the agent's voice). The answer is streamed from the model and each
sentence is spoken as soon as it is complete, so the first audio exists after the first
sentence, not after the whole answer (``Reply.first_audio_seconds``); ``turn_events`` yields
those pieces in order for a caller that sends them on, ``respond`` collects them.

Example::

    persona = Persona("The shop Lumen opens at nine.", {"af_heart": 1.0}, "en-us", "en")
    reply = respond(persona, history=[], caller=Caller(audio=Path("question.wav")), models=cache,
                    llm=text_models(cfg).llm("qwen2.5-coder-0.5b-instruct", cache), cancel=CancelToken())
    reply.transcript, reply.text, reply.speech.duration   # "What time does the shop open?", "It opens at nine.", 1.6
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from noxus_local.errors import UpstreamError, ValidationError
from noxus_local.generate.llm.types import Llm, Message
from noxus_local.locale import t
from noxus_local.runtime.cancel import CancelToken
from noxus_local.speech import tts
from noxus_local.speech.tts import Speech

MAX_SENTENCES = 3  # a phone answer: 1-3 sentences
MAX_TOKENS = 96  # enough for three short sentences; the cap also bounds the turn's time
SPOKEN_STYLE = ("You are speaking on a phone call: answer in one to three short, plain sentences, with no "
                "lists, markdown or emojis. Use the facts above when the caller asks about them.")
_SENTENCE_END = re.compile(r"(?<=[.!?…])[\"')\]]*\s+")
_MARKUP = re.compile(r"[*#`~>|]+")


@dataclass(frozen=True)
class Persona:
    """What an agent brings to a turn: its prompt, its voice (a voice id → 1.0, or a saved mix), the
    language it speaks (espeak-ng's tag, e.g. ``en-us``) and the caller's (a Whisper code, None = detect)."""

    system_prompt: str
    voice: dict[str, float]
    speaks: str
    hears: str | None = None
    whisper: str = "whisper-base"


@dataclass(frozen=True)
class Caller:
    """The caller's turn: audio to recognise, or the words themselves (one of the two)."""

    audio: Path | None = None
    text: str | None = None


@dataclass(frozen=True)
class Heard:
    text: str


@dataclass(frozen=True)
class Said:
    """One sentence of the reply and its speech (float32 mono samples at ``sample_rate``)."""

    sentence: str
    samples: np.ndarray
    sample_rate: int


@dataclass(frozen=True)
class Done:
    """The turn's end: the text model's token counts."""

    prompt_tokens: int
    completion_tokens: int


@dataclass
class Reply:
    transcript: str
    text: str
    speech: Speech
    prompt_tokens: int = 0
    completion_tokens: int = 0
    timings: dict[str, float] = field(default_factory=dict)  # recognised / first_audio / done, seconds

    @property
    def first_audio_seconds(self) -> float:
        return self.timings.get("first_audio", self.timings.get("done", 0.0))


def messages(persona: Persona, history: Sequence[Message], caller_text: str) -> list[Message]:
    """The model's input: the agent's prompt and the spoken style, the call so far, the caller's words.

    Example: ``messages(p, [{"role": "assistant", "content": "Hi!"}], "When do you open?")[-1]`` →
    ``{"role": "user", "content": "When do you open?"}``.
    """
    system = f"{persona.system_prompt.strip()}\n\n{SPOKEN_STYLE}"
    return [{"role": "system", "content": system}, *history, {"role": "user", "content": caller_text}]


def hear(audio: Path, persona: Persona, models: Any, cancel: CancelToken) -> str:
    """The caller's words, recognised by Whisper (an empty string for silence)."""
    from noxus_local.inference.models.whisper import WhisperModel
    from noxus_local.speech import asr

    with models.use(WhisperModel.for_id(persona.whisper)) as whisper:
        heard = asr.transcribe(audio, model=whisper, language=persona.hears, word_timestamps=False,
                               cancel=cancel, beam_size=1)
    return " ".join(seg.text.strip() for seg in heard.segments).strip()


def sentences(pieces: Iterator[str]) -> Iterator[str]:
    """The model's pieces regrouped into whole sentences, as soon as each ends (markup dropped).

    Example: ``list(sentences(iter(["We open", " at nine. We", " close at six."])))`` →
    ``["We open at nine.", "We close at six."]``.
    """
    pending = ""
    for piece in pieces:
        pending += piece
        parts = _SENTENCE_END.split(pending)
        for done in parts[:-1]:
            if clean := _spoken(done):
                yield clean
        pending = parts[-1]
    if clean := _spoken(pending):
        yield clean


def _spoken(text: str) -> str:
    return " ".join(_MARKUP.sub("", text).replace("_", " ").split())


def turn_events(persona: Persona, history: Sequence[Message], caller: Caller, *, models: Any, llm: Llm,
                cancel: CancelToken, max_tokens: int = MAX_TOKENS) -> Iterator[Heard | Said | Done]:
    """The turn's pieces in order: ``Heard`` (the caller's words), one ``Said`` per sentence, ``Done``.

    A caller with neither words nor speech is a 400 naming ``audio`` (nothing to answer). The model
    runs greedily (temperature 0) so the same question gets the same answer."""
    text = (caller.text or "").strip()
    if caller.audio is not None and not text:
        text = hear(caller.audio, persona, models, cancel)
    if not text:
        raise ValidationError.fields({"audio": [t("agents_turn.no_speech_was_heard")]})
    yield Heard(text)
    stream = llm.stream(messages(persona, history, text), max_tokens=max_tokens, temperature=0.0)
    count = 0
    try:
        with tts.open_voice(models, persona.voice, persona.speaks) as voice:
            for count, sentence in enumerate(sentences(stream), start=1):
                spoken = tts.collect(tts.stream(sentence, voice, 1.0, cancel=cancel), voice.timing_source)
                yield Said(sentence, spoken.samples, spoken.sample_rate)
                cancel.check()
                if count >= MAX_SENTENCES:
                    break
    finally:
        stream.close()
    if not count:
        raise UpstreamError(t("agents_turn.text_model_gave_no"),
                            details={"reason": "empty_answer", "engine": "llm"})
    yield Done(stream.tally.prompt_tokens, stream.tally.completion_tokens)


def respond(persona: Persona, history: Sequence[Message], caller: Caller, *, models: Any, llm: Llm,
            cancel: CancelToken, max_tokens: int = MAX_TOKENS) -> Reply:
    """The whole turn: the caller's words, the reply's text and its speech, with timings."""
    began = time.perf_counter()
    transcript, said, timings, done = "", [], {}, Done(0, 0)
    for event in turn_events(persona, history, caller, models=models, llm=llm, cancel=cancel, max_tokens=max_tokens):
        if isinstance(event, Heard):
            transcript = event.text
            timings["recognised"] = time.perf_counter() - began
        elif isinstance(event, Done):
            done = event
        else:
            said.append(event)
            timings.setdefault("first_audio", time.perf_counter() - began)
    timings["done"] = time.perf_counter() - began
    rate = said[0].sample_rate if said else tts.SAMPLE_RATE
    samples = np.concatenate([s.samples for s in said]) if said else np.zeros(0, dtype=np.float32)
    speech = Speech(samples, (), (), "", rate)
    return Reply(transcript, " ".join(s.sentence for s in said), speech,
                 done.prompt_tokens, done.completion_tokens,
                 {k: round(v, 3) for k, v in timings.items()})
