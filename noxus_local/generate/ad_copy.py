"""The voice-over of a video ad: one short text per scene, sized to the ad's length.

With a text model the copy is asked for as JSON (``prompts/ad_copy.*``,
``AD_COPY_SCHEMA``, one retry, a check that there is one text per scene);
without one, or when the model gives nothing usable twice, a deterministic
template writes it from the prompt's first clause, the tone and the company
name. ``Copy.writer`` says which (``llm`` or ``template``), so a fallback is
visible, never a 500.

Example::

    copy = write_copy(None, "Premium wireless headphones — sleek, modern", 15, "en", company="SoundWave")
    copy.texts       # ("Meet premium wireless headphones.", "…", "Get yours today from SoundWave.")
    copy.writer      # "template"
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from noxus_local.generate.llm.types import Llm
from noxus_local.generate.structured import StructuredOutputError, ask_structured

SCENES = {15: 3, 30: 5, 60: 8}
END_CARD = {15: 2.5, 30: 3.0, 60: 3.0}  # seconds of the closing CTA card
WORDS_PER_SECOND = 2.1  # a calm ad read with breaths between scenes: the copy fills ~80 % of its slot
TEMPLATE_CHARS_PER_SECOND = 11.0  # the template's lines until ~80 % of the slot at the voices' pace
_CLAUSE = re.compile(r"[—–\-:;,.!?(\n]")

AD_COPY_SCHEMA: dict[str, Any] = {
    "type": "object", "required": ["scenes"], "additionalProperties": False,
    "properties": {"scenes": {"type": "array", "minItems": 1, "maxItems": 12, "items": {
        "type": "object", "required": ["text"], "additionalProperties": False,
        "properties": {"text": {"type": "string", "minLength": 1, "maxLength": 400}}}}},
}

# middle lines of the template, by language; the tone picks the first of them
_MIDDLE = {
    "en": ("Designed to stand out and made to last.", "Every detail is crafted with care.",
           "It fits the way you live, every single day.", "Quality you can see and feel.",
           "Simple to use, beautiful to own.", "Made for the moments that matter.",
           "Trusted by people who want the best.", "Once you try it, you will not go back.",
           "It looks as good as it works.", "Built to keep up with you, wherever you go.",
           "Thoughtful design, honest materials, real results.", "Give yourself something better today."),
    "es": ("Diseñado para destacar y hecho para durar.", "Cada detalle está cuidado.",
           "Se adapta a tu vida, cada día.", "Calidad que se ve y se siente.",
           "Fácil de usar, un placer tenerlo.", "Hecho para los momentos que importan.",
           "La elección de quien quiere lo mejor.", "Cuando lo pruebes, no querrás otra cosa.",
           "Tan bonito como útil.", "Hecho para seguirte el ritmo, vayas donde vayas.",
           "Diseño cuidado, materiales honestos, resultados reales.", "Regálate algo mejor hoy."),
}
_TONE_LINES = {
    "en": {"luxury": "Pure luxury, in every detail.", "premium": "Premium, in every detail.",
           "playful": "Fun from the very first moment.", "corporate": "Reliable, efficient and ready for work."},
    "es": {"lujo": "Puro lujo, en cada detalle.", "premium": "Premium, en cada detalle.",
           "divertido": "Diversión desde el primer momento.", "corporativo": "Fiable, eficiente y listo."},
}


@dataclass(frozen=True)
class Copy:
    texts: tuple[str, ...]
    writer: str  # "llm" or "template"
    warnings: tuple[str, ...] = field(default=())


def scene_count(duration: int) -> int:
    """Scenes before the end card. Example: ``scene_count(15) == 3``."""
    return SCENES.get(duration, max(2, round(duration / 6)))


def speech_seconds(duration: int) -> float:
    """The seconds the voice-over may take: the ad less its end card. Example: ``speech_seconds(15) == 12.5``."""
    return duration - END_CARD.get(duration, 3.0)


def write_copy(llm: Llm | None, prompt: str, duration: int, language: str, *, company: str = "",
               tone: str = "", emotion: str = "") -> Copy:
    """One text per scene; the model's when it answers usably, else the template's."""
    n = scene_count(duration)
    lang = "es" if language.lower().startswith("es") else "en"
    if llm is not None:
        try:
            return Copy(_ask(llm, prompt, duration, lang, n, company, tone, emotion), "llm")
        except StructuredOutputError as exc:
            why = exc.problems[0] if exc.problems else "no JSON"
            warning = f"the text model gave no usable ad copy ({why}); a template wrote it"
            return Copy(template(prompt, n, lang, company, tone, duration), "template", (warning,))
    return Copy(template(prompt, n, lang, company, tone, duration), "template")


def _ask(llm: Llm, prompt: str, duration: int, lang: str, n: int, company: str, tone: str,
         emotion: str) -> tuple[str, ...]:
    def one_per_scene(data: Any) -> list[str]:
        got = len(data["scenes"])
        return [] if got == n else [f"$.scenes: give exactly {n} scenes (got {got})"]

    words = round(speech_seconds(duration) * WORDS_PER_SECOND)
    variables = {"prompt": prompt, "tone": tone or "confident", "emotion": emotion or "warm",
                 "company": company or "(none)", "scenes": n, "words": words, "seconds": duration}
    answer = ask_structured(llm, "ad_copy", lang, variables, AD_COPY_SCHEMA, check=one_per_scene,
                            max_tokens=60 + 12 * words)
    return tuple(" ".join(s["text"].split()) for s in answer.data["scenes"])


def subject(prompt: str) -> str:
    """The prompt's first clause, at most eight words, as a noun phrase.

    Example: ``subject("Premium wireless headphones — sleek, modern")`` → ``"premium wireless headphones"``.
    """
    first = _CLAUSE.split(prompt.strip(), maxsplit=1)[0].strip() or prompt.strip()
    words = first.split()[:8]
    text = " ".join(words)
    return text[:1].lower() + text[1:] if len(text) > 1 and text[1].islower() else text  # keep iPhone, USB


def template(prompt: str, n: int, lang: str, company: str = "", tone: str = "", duration: int = 0) -> tuple[str, ...]:
    """The deterministic copy: an opening naming the product, middle lines until the speech fills about
    80 % of ``speech_seconds(duration)`` (one line each when ``duration`` is 0), a call to action."""
    thing = subject(prompt) or ("this" if lang == "en" else "esto")
    opening = f"Meet {thing}." if lang == "en" else f"Descubre {thing}."
    if company:
        closing = f"Get yours today from {company}." if lang == "en" else f"Consíguelo hoy en {company}."
    else:
        closing = "Get yours today." if lang == "en" else "Consíguelo hoy."
    if n < 2:
        return (f"{opening} {closing}",)
    toned = [line for key, line in _TONE_LINES[lang].items() if key in tone.lower()]
    pool = [*toned, *_MIDDLE[lang]]
    middles: list[list[str]] = [[] for _ in range(n - 2)]
    budget = speech_seconds(duration) * TEMPLATE_CHARS_PER_SECOND if duration else 0
    used = len(opening) + len(closing)
    for i, line in enumerate(pool):
        if not middles or (i >= len(middles) and used + len(line) > budget):
            break
        middles[i % len(middles)].append(line)
        used += len(line) + 1
    return (opening, *(" ".join(m) for m in middles if m), closing)
