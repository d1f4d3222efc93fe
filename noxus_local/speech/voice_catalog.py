"""The Kokoro voices we know of: what their names say, nothing invented.

A Kokoro voice id encodes its language/accent (first letter) and gender
(second): ``ef_dora`` = Spanish, female. Age is not published for any of
them, so it is ``None``; the description only restates those facts.

Piper's English voice ``piper_en_us_joe`` (model ``piper``) is listed too.

Example::

    VOICES["em_alex"].accent, VOICES["em_alex"].gender, VOICES["em_alex"].language
    # ("spanish", "male", "es")
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

MODEL = "kokoro-82m"
# first letter → (language tag for espeak-ng, accent, language in words)
PREFIXES = {"a": ("en-us", "american", "American English"), "b": ("en-gb", "british", "British English"),
            "e": ("es", "spanish", "Spanish"), "f": ("fr", "french", "French"),
            "h": ("hi", "indian", "Hindi"), "i": ("it", "italian", "Italian"),
            "j": ("ja", "japanese", "Japanese"), "p": ("pt-br", "brazilian", "Brazilian Portuguese"),
            "z": ("zh", "mandarin", "Mandarin Chinese")}
NAMES = """af_alloy af_aoede af_bella af_heart af_jessica af_kore af_nicole af_nova af_river af_sarah af_sky
am_adam am_echo am_eric am_fenrir am_liam am_michael am_onyx am_puck am_santa bf_alice bf_emma bf_isabella
bf_lily bm_daniel bm_fable bm_george bm_lewis ef_dora em_alex em_santa ff_siwis hf_alpha hf_beta hm_omega
hm_psi if_sara im_nicola jf_alpha jf_gongitsune jf_nezumi jf_tebukuro jm_kumo pf_dora pm_alex pm_santa
zf_xiaobei zf_xiaoni zf_xiaoxiao zf_xiaoyi zm_yunjian zm_yunxi zm_yunxia zm_yunyang""".split()


@dataclass(frozen=True)
class VoiceInfo:
    voice_id: str
    name: str
    gender: str
    accent: str
    language: str
    description: str
    age: str | None = None
    use_case: str | None = None
    category: str = "premade"
    model: str = MODEL
    mix: tuple[tuple[str, float], ...] | None = None  # a custom voice's parents and weights (sum 1)


def _info(voice_id: str) -> VoiceInfo:
    language, accent, words = PREFIXES[voice_id[0]]
    gender = "female" if voice_id[1] == "f" else "male"
    name = voice_id[3:].replace("_", " ").title()
    return VoiceInfo(voice_id, name, gender, accent, language,
                     f"{name}: a {gender} {words} voice of Kokoro-82M.")


PIPER = "piper"
# Piper voices: one model file each (the manifest id), no mixing (their graphs take no style vector)
PIPER_VOICES = {"piper_en_us_joe": "piper-en-us-joe"}
VOICES: dict[str, VoiceInfo] = {v: _info(v) for v in NAMES}
VOICES["piper_en_us_joe"] = VoiceInfo("piper_en_us_joe", "Joe", "male", "american", "en-us",
                                      "Joe: a male American English voice of Piper (VITS, medium quality).",
                                      model=PIPER)


def models_of(voices: Iterable[str]) -> tuple[str, ...]:
    """The manifest ids a run speaking with these voices needs: a Piper voice's own graph, or Kokoro and
    each Kokoro voice's style table (what a plan names, so a missing one is a 503 before the hold).

    Example: ``models_of(["ef_dora", "em_alex"])`` → ``("kokoro-82m", "kokoro-voice-ef-dora",
    "kokoro-voice-em-alex")``; ``models_of(["piper_en_us_joe"])`` → ``("piper-en-us-joe",)``.
    """
    from noxus_local.inference.models.kokoro import voice_model_id

    voices = list(voices)
    if any(v in PIPER_VOICES for v in voices):
        return tuple(dict.fromkeys(PIPER_VOICES[v] for v in voices if v in PIPER_VOICES))
    return (MODEL, *dict.fromkeys(voice_model_id(v) for v in voices))
