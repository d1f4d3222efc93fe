"""The voice library: Kokoro's voices, which are installed, filters, and cached previews.

A voice is installed when its ``kokoro-voice-<id>`` model file is in the data
dir (and the ``kokoro-82m`` model is, for it to speak). Fields follow seed
003 plus ``language``, ``model`` and ``installed``; ``age`` is ``None`` for
every voice because none is published. A preview is a short sample in the
voice's language, synthesised on the first request and kept in
``<data dir>/voice-previews/<voice_id>.mp3``.

Example::

    page, total = list_voices(cfg, VoiceQuery(gender="female", accent="spanish"))
    [v["voice_id"] for v in page]         # ["ef_dora"]
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from noxus_local.config import Config
from noxus_local.inference.models.kokoro import voice_file
from noxus_local.inference.registry.manifest import models_dir
from noxus_local.speech.voice_catalog import PIPER_VOICES, VOICES, VoiceInfo

PREVIEW_TEXT = {"es": "Hola, esta es mi voz. Encantada de ayudarte hoy.",
                "en-us": "Hello, this is my voice. Happy to help you today.",
                "en-gb": "Hello, this is my voice. Happy to help you today.",
                "fr": "Bonjour, voici ma voix.", "it": "Ciao, questa è la mia voce.",
                "pt-br": "Olá, esta é a minha voz.", "hi": "नमस्ते, यह मेरी आवाज़ है।",
                "ja": "こんにちは、これが私の声です。", "zh": "你好，这是我的声音。"}
_preview_lock = threading.Lock()  # one synthesis of a preview at a time: it is cached after


@dataclass(frozen=True)
class VoiceQuery:
    gender: str | None = None
    accent: str | None = None
    age: str | None = None
    language: str | None = None
    q: str | None = None
    include_uninstalled: bool = False


def installed(cfg: Config, voice_id: str) -> bool:
    """Its file is in the data dir: a Kokoro voice's vectors, or a Piper voice's graph."""
    if voice_id in PIPER_VOICES:
        from noxus_local.inference.models.piper import PiperJoe

        return (models_dir(cfg) / PIPER_VOICES[voice_id] / PiperJoe.files[0]).is_file()
    return voice_file(models_dir(cfg), voice_id).is_file()


def info_installed(cfg: Config, info: VoiceInfo) -> bool:
    """A premade voice's file is there; a custom voice's parents all are."""
    parents = [v for v, _ in info.mix] if info.mix else [info.voice_id]
    return all(installed(cfg, v) for v in parents)


def view(cfg: Config, info: VoiceInfo) -> dict[str, Any]:
    """A voice as the API shows it (``preview_url`` is added by the route: it is signed).

    A custom voice also shows its ``mix`` (weights summing to 1).
    """
    out = {"voice_id": info.voice_id, "name": info.name, "gender": info.gender, "accent": info.accent,
           "age": info.age, "description": info.description, "use_case": info.use_case,
           "category": info.category, "language": info.language, "model": info.model,
           "installed": info_installed(cfg, info)}
    if info.mix:
        out["mix"] = dict(info.mix)
    return out


def matches(info: VoiceInfo, query: VoiceQuery) -> bool:
    """Exact filters, case-insensitive; ``language`` ``en`` matches en-us and en-gb; ``q`` searches
    name and description."""
    def same(value: str | None, wanted: str | None) -> bool:
        return wanted is None or (value or "").lower() == wanted.lower()

    language_ok = (query.language is None or info.language == query.language.lower()
                   or info.language.split("-")[0] == query.language.lower())
    text_ok = query.q is None or query.q.lower() in f"{info.name} {info.description}".lower()
    return (same(info.gender, query.gender) and same(info.accent, query.accent)
            and same(info.age, query.age) and language_ok and text_ok)


def list_voices(cfg: Config, query: VoiceQuery, limit: int = 50, offset: int = 0,
                custom: Sequence[VoiceInfo] = ()) -> tuple[list[dict[str, Any]], int]:
    """The matching voices (installed ones only unless asked), one page, and the total: the
    premade ones by id, then the account's ``custom`` ones, oldest first."""
    found = [view(cfg, info) for info in (*VOICES.values(), *custom) if matches(info, query)]
    if not query.include_uninstalled:
        found = [v for v in found if v["installed"]]
    return found[offset:offset + limit], len(found)


def preview_file(cfg: Config, voice_id: str) -> Path:
    return cfg.data_dir / "voice-previews" / f"{voice_id}.mp3"


def preview_path(cfg: Config, models: Any, info: VoiceInfo) -> Path:
    """The voice's cached sample, synthesised on first use (blocking: call from a worker thread).

    A custom voice's sample is its blend speaking its dominant parent's language.
    """
    from noxus_local.inference.models.kokoro import SAMPLE_RATE
    from noxus_local.media.audio import encode
    from noxus_local.runtime.cancel import CancelToken
    from noxus_local.speech import tts

    voice_id = info.voice_id
    dest = preview_file(cfg, voice_id)
    with _preview_lock:
        if dest.is_file():
            return dest
        dest.parent.mkdir(parents=True, exist_ok=True)
        weights = dict(info.mix) if info.mix else {voice_id: 1.0}
        with tts.open_voice(models, weights, info.language) as voice:
            speech = tts.speak(PREVIEW_TEXT[info.language], voice, cancel=CancelToken())
        tmp = dest.with_name(f".{voice_id}.tmp.mp3")
        encode(speech.samples, SAMPLE_RATE, "mp3", tmp, CancelToken())
        tmp.replace(dest)
    return dest
