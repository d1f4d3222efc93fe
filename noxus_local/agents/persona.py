"""An agent's voice and languages, checked when it is created and resolved for each turn.

``voice_id`` is a library voice (``af_heart``), a mix (``ef_dora*0.7+em_alex*0.3``) or one of the
account's saved ``custom_…`` voices; ``language`` is the tag the agent speaks in (espeak-ng's:
``en-us``, ``es`` …; ``en`` means ``en-us``), by default the voice's; the caller is heard in the
same language (Whisper's two-letter code).

Example::

    speaking_tag("en")                      # "en-us"
    default_voice("es")                     # "ef_dora"
    persona_of("You answer for Lumen.", {"af_heart": 1.0}, "en-us").hears   # "en"
"""

from __future__ import annotations

from noxus_local.agents.turn import Persona
from noxus_local.errors import ValidationError
from noxus_local.locale import t
from noxus_local.speech.voice_catalog import VOICES

TAGS = sorted({v.language for v in VOICES.values()})


def speaking_tag(language: str) -> str:
    """The espeak-ng tag of ``language`` (``en`` → ``en-us``), else a 400 naming ``language``."""
    lang = language.strip().lower().replace("_", "-")
    if lang in TAGS:
        return lang
    near = [tag for tag in TAGS if tag.split("-")[0] == lang.split("-")[0]]
    if near:
        return "en-us" if "en-us" in near else near[0]
    raise ValidationError.fields({"language": [t("persona.unknown_language", language=language[:20],
                                                 available=", ".join(TAGS))]})


def default_voice(tag: str | None) -> str:
    return "ef_dora" if tag == "es" else "af_heart"


def persona_of(system_prompt: str, voice: dict[str, float], tag: str) -> Persona:
    return Persona(system_prompt, voice, tag, tag.split("-")[0])
