"""A script → scenes: sentences grouped to 3–8 s of speech, each with a visual description and search terms.

The script is cut into sentences exactly where speech synthesis cuts them
(speech/synthesis.py ``SENTENCE_RE``), so a scene's text is whole sentences and
its narration starts and ends where a sentence does: never mid-sentence. The
sentences are grouped greedily by their estimated speech (``CHARS_PER_SECOND``,
the slow end of what the Kokoro voices read) into scenes of 3–8 s; one sentence
longer than 8 s is a scene alone.

Then each scene gets a short ``visual`` description and a few ``search`` terms.
With a text model, it is asked for them as JSON (``prompts/scene_plan.*``,
``SCENE_PLAN_SCHEMA``, one retry, a check that there is one entry per scene), and
for the same terms in English (``search_en``: the picture analysis's labels are
English ImageNet names, compose/lexicon.py bridges the rest);
without one, or when the model gives nothing usable twice, a deterministic
planner takes the scene's own longest words. ``Plan.planner`` says which
(``llm`` or ``sentences``), so a fallback is visible, never a 500.

Everything here is data: the texts go to speech synthesis, drawtext files and
.ass dialogue, never into a filter graph or a path.

Example::

    plan = plan_scenes("Hola. Esto es una prueba larga de verdad. Adiós.", "es", llm=None)
    [s.text for s in plan.scenes]      # ["Hola. Esto es una prueba larga de verdad. Adiós."]
    plan.scenes[0].search              # ("prueba", "verdad", "larga")
    plan.planner                       # "sentences"
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from noxus_local.generate.llm.types import Llm
from noxus_local.generate.schemas import SCENE_PLAN_SCHEMA
from noxus_local.generate.structured import StructuredOutputError, ask_structured
from noxus_local.speech.synthesis import SENTENCE_RE

MIN_SECONDS, MAX_SECONDS, AIM_SECONDS = 3.0, 8.0, 5.0
CHARS_PER_SECOND = 14.0  # Kokoro at speed 1 reads 12.7-15.7 characters a second (speech/synthesis.py)
MAX_SEARCH_TERMS = 4
_WORD = re.compile(r"\w+(?:['’-]\w+)*")
_STOP = frozenset(
    "de la que el en y a los se del las un por con no una su para es al lo como más o pero sus le ya este "
    "porque esta entre cuando muy sin sobre también me hasta hay donde desde todo nos durante uno ni ese eso "
    "the of and to in is you that it for on are as with they at be this have from or one had by but not what "
    "all were we when your can there an each which she do how their if will about out them these so some".split())


@dataclass(frozen=True)
class PlannedScene:
    text: str
    visual: str  # what the picture shows, one sentence
    search: tuple[str, ...]  # a few lowercase terms a material is matched against, in the script's language
    # the same terms in English, when the text model gave them: the words of the picture analysis's labels
    search_en: tuple[str, ...] = ()

    def as_dict(self) -> dict[str, Any]:
        return {"text": self.text, "visual": self.visual, "search": list(self.search),
                "search_en": list(self.search_en)}

    def terms(self) -> tuple[str, ...]:
        """Every term a material is matched against: the script's language's, then the English ones.
        Example: ``PlannedScene("Un gato.", "un gato", ("gato",), ("cat",)).terms()`` → ``("gato", "cat")``."""
        return tuple(dict.fromkeys((*self.search, *self.search_en)))


@dataclass(frozen=True)
class Plan:
    scenes: tuple[PlannedScene, ...]
    planner: str  # "llm" or "sentences"
    warnings: tuple[str, ...] = field(default_factory=tuple)


def sentences(text: str) -> list[str]:
    """The script's sentences, cut as speech synthesis cuts them (whitespace folded).

    Example: ``sentences("Uno. ¿Dos?\\n Tres")`` → ``["Uno.", "¿Dos?", "Tres"]``.
    """
    return [s.strip() for s in SENTENCE_RE.split(" ".join(text.split())) if s.strip()]


def estimate_seconds(text: str, speed: float = 1.0) -> float:
    return len(text) / (CHARS_PER_SECOND * speed)


def group(parts: Sequence[str], speed: float = 1.0) -> list[str]:
    """Sentences joined into scene texts of about 3–8 s of speech, in order, never split.

    A scene closes once it reaches ~5 s, or before a sentence that would take it past 8 s; a last
    scene under 3 s joins the one before when both fit in 8 s.
    Example: ``group(["Hola.", "Adiós."])`` → ``["Hola. Adiós."]``.
    """
    scenes: list[list[str]] = []
    seconds: list[float] = []
    for sentence in parts:
        t = estimate_seconds(sentence, speed)
        if scenes and seconds[-1] < AIM_SECONDS and seconds[-1] + t <= MAX_SECONDS:
            scenes[-1].append(sentence)
            seconds[-1] += t
        else:
            scenes.append([sentence])
            seconds.append(t)
    if len(scenes) > 1 and seconds[-1] < MIN_SECONDS and seconds[-2] + seconds[-1] <= MAX_SECONDS:
        last = scenes.pop()  # popped first: ``scenes[-2] += scenes.pop()`` would store past the new end
        scenes[-1] += last
    return [" ".join(s) for s in scenes]


def key_terms(text: str, most: int = 3) -> tuple[str, ...]:
    """The longest words that are not stopwords, lowercase, in the order they come.

    Example: ``key_terms("El café de especialidad en Valencia")`` → ``("café", "especialidad", "valencia")``.
    """
    words = list(dict.fromkeys(w.lower() for w in _WORD.findall(text) if w.lower() not in _STOP))
    keep = set(sorted(words, key=lambda w: -len(w))[:most])
    return tuple(w for w in words if w in keep)


def deterministic(texts: Sequence[str]) -> list[PlannedScene]:
    """Each scene's visual is its own key words; its search terms the same words."""
    return [PlannedScene(t, " ".join(key_terms(t, 5)) or t[:80], key_terms(t)) for t in texts]


def plan_scenes(script: str, language: str, llm: Llm | None, speed: float = 1.0) -> Plan:
    """Scenes for ``script``; ``llm`` None plans deterministically (``planner == "sentences"``)."""
    texts = group(sentences(script), speed)
    if llm is None:
        return Plan(tuple(deterministic(texts)), "sentences")
    try:
        return Plan(tuple(ask_visuals(llm, texts, language)), "llm")
    except StructuredOutputError as exc:
        warning = f"the text model gave no usable scene plan ({exc.problems[0] if exc.problems else 'no JSON'}); " \
                  "scenes were planned from the sentences"
        return Plan(tuple(deterministic(texts)), "sentences", (warning[:300],))


def ask_visuals(llm: Llm, texts: Sequence[str], language: str) -> list[PlannedScene]:
    """The model's visual and search terms for each scene text; StructuredOutputError when unusable."""
    numbered = "\n".join(f"{i}. {t}" for i, t in enumerate(texts, start=1))
    prompt_language = "es" if language.startswith("es") else "en"

    def one_per_scene(data: dict[str, Any]) -> list[str]:
        got = [s["scene"] for s in data["scenes"]]
        wanted = list(range(1, len(texts) + 1))
        return [] if got == wanted else [f"$.scenes: give scenes {wanted} in order, one each (got {got})"]

    answer = ask_structured(llm, "scene_plan", prompt_language, {"script": numbered, "scenes": len(texts)},
                            SCENE_PLAN_SCHEMA, check=one_per_scene, max_tokens=80 + 80 * len(texts))
    return [PlannedScene(t, " ".join(s["visual"].split())[:300], _terms(s["search"]) or key_terms(t),
                         _terms(s.get("search_en", "")))
            for t, s in zip(texts, answer.data["scenes"], strict=True)]


def _terms(search: str) -> tuple[str, ...]:
    words = [w.lower() for w in _WORD.findall(search) if w.lower() not in _STOP]
    return tuple(dict.fromkeys(words))[:MAX_SEARCH_TERMS]
