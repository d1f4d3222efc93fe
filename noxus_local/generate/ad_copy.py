"""The plan of a video ad: per scene its voice-over, which of the given images it shows, its on-screen text.

With a text model the plan is asked for as JSON (``prompts/ad_copy.*``,
``copy_schema``, one retry, a check that there is one entry per scene);
without one, or when the model gives nothing usable twice, a deterministic
template writes the voice-over from the prompt's first clause, the tone and
the company name. ``Copy.writer`` says which (``llm`` or ``template``), so a
fallback is visible, never a 500.

Images: the model names one per scene by index; ``assign_images`` keeps its
choice where it is valid and uses every image before any repeats (an index
out of range, or a repeat while an image is still unused, becomes the first
unused one); the template plan takes them in turn (round robin).
``Copy.image_by`` says ``plan``, ``repaired`` or ``round_robin``.

On-screen text: at most ``ON_SCREEN_WORDS`` words in the prompt's language
(the model's, else ``headline`` of the scene's voice-over), drawn by
products/ad_text.py as pixels, never as ffmpeg filter text.

Example::

    copy = write_copy(None, "Premium wireless headphones — sleek, modern", 15, "en", company="SoundWave",
                      images=2)
    copy.texts       # ("Meet premium wireless headphones.", "…", "Get yours today from SoundWave.")
    copy.images      # (0, 1, 0)
    copy.on_screen   # ("Meet premium wireless headphones", "…", "Get yours today from SoundWave")
    copy.writer      # "template"
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from noxus_local.generate.copy_length import fit_words
from noxus_local.generate.llm.types import Llm
from noxus_local.generate.structured import StructuredOutputError, ask_structured, whole_objects

SCENES = {15: 3, 30: 5, 60: 8}
END_CARD = {15: 2.5, 30: 3.0, 60: 3.0}  # seconds of the closing CTA card
WORDS_PER_SECOND = 2.1  # a calm ad read with breaths between scenes: the copy fills ~80 % of its slot
TEMPLATE_CHARS_PER_SECOND = 11.0  # the template's lines until ~80 % of the slot at the voices' pace
_CLAUSE = re.compile(r"[—–\-:;,.!?(\n]")

ON_SCREEN_WORDS = 6
ON_SCREEN_CHARS = 48
_JOINTS = {"and", "or", "but", "with", "that", "y", "o", "pero", "con", "que"}
_SMALL = {"a", "an", "the", "of", "to", "for", "from", "in", "on", "at", "by", "your", "de", "del", "la", "el",
          "los", "las", "un", "una", "en", "para", "por", "al", "tu", "su", *_JOINTS}


def copy_schema(images: int) -> dict[str, Any]:
    """The plan's JSON schema for ``images`` given images (the index bound is part of it).

    Example: ``copy_schema(3)["properties"]["scenes"]["items"]["properties"]["image"]["maximum"] == 2``.
    """
    return {
        "type": "object", "required": ["scenes"], "additionalProperties": False,
        "properties": {"scenes": {"type": "array", "minItems": 1, "maxItems": 12, "items": {
            "type": "object", "required": ["text"], "additionalProperties": False,
            "properties": {"text": {"type": "string", "minLength": 1, "maxLength": 400},
                           "image": {"type": "integer", "minimum": 0, "maximum": max(0, images - 1)},
                           "on_screen": {"type": "string", "maxLength": 120}}}}},
    }


AD_COPY_SCHEMA = copy_schema(1)

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
    images: tuple[int, ...] = ()  # per scene, the index of the image it shows
    on_screen: tuple[str, ...] = ()  # per scene, its on-screen text
    image_by: str = "round_robin"  # plan | repaired | round_robin

    def scenes(self) -> list[dict[str, Any]]:
        """Per scene what the plan chose, as recorded in the result and the scene_plan sub-job.

        Example: ``[{"index": 0, "image": 0, "on_screen": "Meet the bottle", "text": "Meet the bottle."}]``.
        """
        return [{"index": i, "image": k, "on_screen": o, "text": t}
                for i, (t, k, o) in enumerate(zip(self.texts, self.images, self.on_screen, strict=True))]


def scene_count(duration: int) -> int:
    """Scenes before the end card. Example: ``scene_count(15) == 3``."""
    return SCENES.get(duration, max(2, round(duration / 6)))


def speech_seconds(duration: int) -> float:
    """The seconds the voice-over may take: the ad less its end card. Example: ``speech_seconds(15) == 12.5``."""
    return duration - END_CARD.get(duration, 3.0)


def write_copy(llm: Llm | None, prompt: str, duration: int, language: str, *, company: str = "",
               tone: str = "", emotion: str = "", images: int = 1) -> Copy:
    """One voice-over, image and on-screen text per scene; the model's when it answers usably, else the
    template's (images in turn, on-screen text from the voice-over)."""
    n = scene_count(duration)
    lang = "es" if language.lower().startswith("es") else "en"
    images = max(1, images)
    warnings: tuple[str, ...] = ()
    if llm is not None:
        try:
            return _ask(llm, prompt, duration, lang, n, company, tone, emotion, images)
        except StructuredOutputError as exc:
            why = exc.problems[0] if exc.problems else "no JSON"
            warnings = (f"the text model gave no usable ad copy ({why}); a template wrote it",)
    texts = template(prompt, n, lang, company, tone, duration)
    return Copy(texts, "template", warnings, round_robin(len(texts), images), tuple(headline(t) for t in texts))


def _ask(llm: Llm, prompt: str, duration: int, lang: str, n: int, company: str, tone: str,
         emotion: str, images: int) -> Copy:
    def one_per_scene(data: Any) -> list[str]:
        got = len(data["scenes"])
        return [] if got == n else [f"$.scenes: give exactly {n} scenes (got {got})"]

    words = round(speech_seconds(duration) * WORDS_PER_SECOND)
    variables = {"prompt": prompt, "tone": tone or "confident", "emotion": emotion or "warm",
                 "company": company or "(none)", "scenes": n, "words": words, "seconds": duration,
                 "images": images, "last_image": images - 1, "on_screen_words": ON_SCREEN_WORDS}
    # a budget for the JSON asked (about 2 tokens a word of copy, 40 per scene's keys and headline): a small
    # model that loops on scene after scene stops soon after the ones asked for, and ``first_scenes`` keeps
    # those, instead of running to a long cap and failing twice
    answer = ask_structured(llm, "ad_copy", lang, variables, copy_schema(images), check=one_per_scene,
                            salvage=lambda text: first_scenes(text, n, images), max_tokens=80 + 2 * words + 40 * n,
                            repetition_penalty=1.1)
    scenes = answer.data["scenes"]
    budget = max(6, round(words / n))  # each scene's share of the words
    texts = tuple(fit_words(" ".join(s["text"].split()), budget) for s in scenes)
    proposed = [s.get("image") for s in scenes]
    chosen = assign_images(proposed, images)
    by = "plan" if list(chosen) == proposed else "repaired"
    on_screen = tuple(headline(s.get("on_screen") or "") or headline(t) for s, t in zip(scenes, texts, strict=True))
    warnings = () if by == "plan" else ("the plan's image choice was repaired so every image shows before any "
                                        "repeats",)
    return Copy(texts, "llm", warnings, chosen, on_screen, by)


def first_scenes(answer: str, n: int, images: int = 1) -> dict[str, Any] | None:
    """The first ``n`` complete scene objects of an answer cut off (or run on) after them, as the schema's
    object; None when fewer than ``n`` are whole. A 1.5B model asked for 3 scenes sometimes writes 6, each
    repeating the last, until ``max_tokens``: the first 3 are whole and usable. An ``image`` that is no index
    of the ``images`` given is dropped (``assign_images`` then picks one and the plan says "repaired").

    Example: ``first_scenes('{"scenes": [{"text": "A.", "image": 0, "on_screen": "A"}, {"text": "B', 1)`` →
    ``{"scenes": [{"text": "A.", "image": 0, "on_screen": "A"}]}``.
    """
    found: list[dict[str, Any]] = []
    for value in whole_objects(answer):
        if isinstance(value.get("text"), str) and "scenes" not in value:
            image = value.get("image")
            if not (isinstance(image, int) and not isinstance(image, bool) and 0 <= image < max(1, images)):
                value.pop("image", None)
            found.append({k: v for k, v in value.items() if k in ("text", "image", "on_screen")})
    return {"scenes": found[:n]} if len(found) >= n else None


def round_robin(scenes: int, images: int) -> tuple[int, ...]:
    """The fallback's images: in turn. Example: ``round_robin(4, 3) == (0, 1, 2, 0)``."""
    return tuple(i % max(1, images) for i in range(scenes))


def assign_images(proposed: list[Any], images: int) -> tuple[int, ...]:
    """The plan's image per scene, kept where valid; every image used before any repeats.

    A choice is invalid when it is not an index of the images, or repeats one while another is still unused;
    it then becomes the first unused image (after all are used: the next in turn).
    Example: ``assign_images([2, 2, None, 7], 3) == (2, 0, 1, 0)``.
    """
    out: list[int] = []
    for i, pick in enumerate(proposed):
        used = set(out[len(out) // images * images:])  # this round's picks: each image once a round
        valid = isinstance(pick, int) and not isinstance(pick, bool) and 0 <= pick < images and pick not in used
        if not valid:
            pick = next((k for k in range(images) if k not in used), i % images)
        out.append(int(pick))
    return tuple(out)


def headline(text: str) -> str:
    """An on-screen text: the first clause of ``text`` with letters, at most ``ON_SCREEN_WORDS`` words and
    ``ON_SCREEN_CHARS`` characters, without its end punctuation.

    Example: ``headline("Designed to stand out, made to last.") == "Designed to stand out"``.
    """
    clauses = [c.strip() for c in re.split(r"[.!?;:,—–\n]+", " ".join(text.split())) if c.strip()]
    first = next((c for c in clauses if any(ch.isalpha() for ch in c)), "")
    words, out = first.split(), ""
    if len(words) > ON_SCREEN_WORDS:  # a long clause: cut at its first joint, then drop a dangling small word
        joint = next((i for i, w in enumerate(words[:ON_SCREEN_WORDS + 1]) if i >= 2 and w.lower() in _JOINTS),
                     ON_SCREEN_WORDS)
        words = words[:joint]
        while len(words) > 2 and words[-1].lower() in _SMALL:
            words.pop()
    for w in words:
        if len(out) + len(w) + (1 if out else 0) > ON_SCREEN_CHARS:
            break
        out = f"{out} {w}" if out else w
    return out.strip("¡¿\"'«»“”")


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
