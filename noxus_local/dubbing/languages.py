"""The languages a video can be dubbed into: every one with a Kokoro or Piper voice, and its voices.

A target is an ISO code (``en``, ``es``, ``fr``, ``hi``, ``it``, ``ja``, ``pt``, ``zh``; ``en-gb`` and
``pt-br`` name an accent). Each maps to the espeak-ng tag its voices read (speech/voice_catalog.py) and
to Whisper's code, so "same source and target" compares like with like. The voice is picked by the
source speaker's gender when it is known, else the language's first (default) voice.

Example::

    target("EN").espeak, target("pt-br").whisper     # "en-us", "pt"
    pick_voice("es", "male", installed={"em_alex", "ef_dora"})   # "em_alex"
    pick_voices("en-us", ["female", "female"])          # ["af_heart", "af_alloy"]: two speakers, two voices
    supported()                                       # ("en", "en-us", "en-gb", "es", ...)
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass

from noxus_local.speech.voice_catalog import VOICES


@dataclass(frozen=True)
class Target:
    code: str  # as the client wrote it, lower case
    espeak: str  # the voices' language tag (VoiceInfo.language)
    whisper: str  # Whisper's code of the language
    name: str  # in English, for the translation prompt


# code → (espeak tag of its voices, Whisper code, name); the first voice of each gender is the default
_TARGETS = {
    "en": ("en-us", "en", "English"), "en-us": ("en-us", "en", "English"),
    "en-gb": ("en-gb", "en", "British English"), "es": ("es", "es", "Spanish"),
    "fr": ("fr", "fr", "French"), "hi": ("hi", "hi", "Hindi"), "it": ("it", "it", "Italian"),
    "ja": ("ja", "ja", "Japanese"), "pt": ("pt-br", "pt", "Portuguese"),
    "pt-br": ("pt-br", "pt", "Brazilian Portuguese"), "zh": ("zh", "zh", "Mandarin Chinese"),
}
# the preferred voice of a language and gender (the manifest's default voices first)
_PREFERRED = ("af_heart", "am_michael", "bf_emma", "bm_george", "ef_dora", "em_alex")
NAMES = {"en": "English", "es": "Spanish", "fr": "French", "hi": "Hindi", "it": "Italian", "ja": "Japanese",
         "pt": "Portuguese", "zh": "Chinese", "de": "German", "ca": "Catalan", "nl": "Dutch", "ru": "Russian"}


def supported() -> tuple[str, ...]:
    """Every target code, in a stable order (what a 400 lists)."""
    return tuple(code for code in _TARGETS if any(v.language == _TARGETS[code][0] for v in VOICES.values()))


def target(code: str) -> Target | None:
    """The target of ``code`` (any case), or None when no voice speaks it."""
    key = code.strip().lower().replace("_", "-")
    found = _TARGETS.get(key)
    return None if found is None or key not in supported() else Target(key, *found)


def language_name(whisper_code: str) -> str:
    """A Whisper code in English words for the prompt: ``language_name("es") == "Spanish"``."""
    return NAMES.get(whisper_code, whisper_code)


def voices_of(espeak: str) -> list[str]:
    """The voice ids of a language tag, preferred ones first: ``voices_of("es")[0] == "ef_dora"``."""
    ids = [v for v, info in VOICES.items() if info.language == espeak]
    return sorted(ids, key=lambda v: (_PREFERRED.index(v) if v in _PREFERRED else len(_PREFERRED), v))


def pick_voice(espeak: str, gender: str | None, installed: Collection[str] | None = None) -> str | None:
    """The voice for a target: of the speaker's ``gender`` when known (``female``/``male``), installed
    ones first (``installed`` None: all count as installed); None when the language has no voice."""
    ids = voices_of(espeak)
    if installed is not None:
        ids = [v for v in ids if v in installed] or ids
    if gender in ("female", "male"):
        ids = [v for v in ids if VOICES[v].gender == gender] + [v for v in ids if VOICES[v].gender != gender]
    return ids[0] if ids else None


def pick_voices(espeak: str, genders: Sequence[str], installed: Collection[str] | None = None) -> list[str]:
    """One voice per speaker, each of its gender (``female``/``male``; else the default), and a different
    voice for each speaker while the language has one left (installed ones first).

    Example: ``pick_voices("en-us", ["male", "female"]) == ["am_michael", "af_heart"]``.
    """
    ids = voices_of(espeak)
    if installed is not None:
        ids = [v for v in ids if v in installed] or ids
    chosen: list[str] = []
    for gender in genders:
        fresh = [v for v in ids if v not in chosen] or ids
        if gender in ("female", "male"):
            fresh = [v for v in fresh if VOICES[v].gender == gender] + [v for v in fresh if VOICES[v].gender != gender]
        if fresh:
            chosen.append(fresh[0])
    return chosen
