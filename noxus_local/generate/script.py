"""An idea → a narrated script that fits its length: planned as JSON, written a scene at a time, checked.

Asked for a 120-word Spanish ad script in one go, the 1.5B model wrote 25
words of looping slogans; asked for scenes as JSON it wrote usable JSON
(STACK.md). So ``write_script`` asks for a plan (scenes with a word budget
each, ``prompts/script.*``), rescales the budgets to the target (2.5 spoken
words per second), then asks for each scene's narration as JSON
(``prompts/scene_text.*``), sampling with a repetition penalty, and checks it:
within ±20 % of its budget (a long answer is first cut back at a sentence
end) and no sentence said before. A scene that fails is written again (twice
at most), then the closest try is kept with repeated sentences dropped (and cut
to its range). A plan whose scenes repeat keeps its distinct ones; one the
model cannot give at all falls back to a fixed outline, so a script always
comes back; ``Script.report`` says what happened (the quality bench reads it).

The idea is only a prompt variable and every value returned is plain text
inside ``Script``: callers use it as data (SQL parameters, an ASS file's
dialogue, TTS input), never as filter text, a path or code.

Example::

    script = write_script(llm, "Un café de especialidad en Valencia", "es", 30)
    script.word_count, len(script.scenes)       # 74, 3  (target 75)
    script.text                                 # "¿Buscas un café que te despierte los sentidos? …"
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from typing import Any

from noxus_local.errors import ValidationError
from noxus_local.generate.copy_length import fit_words
from noxus_local.generate.llm.types import Llm
from noxus_local.generate.schemas import SCENE_TEXT_SCHEMA, SCRIPT_SCHEMA
from noxus_local.generate.structured import LANGUAGES, Check, StructuredOutputError, ask_structured, parse_answer

WORDS_PER_SECOND = 2.5
TOLERANCE = 0.2  # a scene, and the script, within ±20 % of its word budget
REGENERATIONS = 2
SAME_SENTENCE = 0.8
ASK_MORE = 1.15  # small models write about a sixth fewer words than asked for; `fit` trims any excess
MIN_SCENE_WORDS = 8
# sampling that keeps a small model from looping (STACK.md: 1.5B, Spanish)
SCENE_SAMPLING = {"temperature": 0.7, "top_p": 0.8, "repetition_penalty": 1.1}
FALLBACK_BEATS = {
    "es": ("Presenta la idea y por qué importa", "Explica el punto principal con un ejemplo",
           "Añade un detalle que sorprenda", "Cierra con una invitación a actuar"),
    "en": ("Introduce the idea and why it matters", "Explain the main point with an example",
           "Add a surprising detail", "Close with a call to action"),
}
SPACE_BEFORE_MARK = re.compile(r"\s+(?=[,.;:!?…])")
SENTENCE_END = re.compile(r"(?<=[.!?…])\s+")
# the prompts' <idea> delimiter (generate/prompts/*.toml), and markup the model adds: llama.cpp's server on the
# 1.5B wrote "<b>Bike Repair Shop for Kids</b>, a place where ..." into a narration
PROMPT_TAGS = re.compile(r"</?\s*(?:idea|[a-z][a-z0-9]*(?:\s+[^<>]*)?)\s*/?>", re.IGNORECASE)


@dataclass(frozen=True)
class Scene:
    beat: str  # what the plan says the scene is about
    budget: int  # words planned
    text: str  # the narration

    @property
    def words(self) -> int:
        return count_words(self.text)


@dataclass
class ScriptReport:
    """How the script came about: tries per ask (1 = valid JSON at once) and what was redone."""

    plan_fallback: bool = False
    plan_repaired: bool = False  # the plan's repeated beats were dropped (``distinct_plan``)
    json_tries: list[int] = field(default_factory=list)  # per ask that returned JSON
    json_failures: int = 0  # asks that gave no valid JSON twice
    regenerated: int = 0  # scene texts written again for length or repetition


@dataclass(frozen=True)
class Script:
    title: str
    language: str
    seconds: float
    target_words: int
    scenes: tuple[Scene, ...]
    report: ScriptReport

    @property
    def text(self) -> str:
        return " ".join(s.text for s in self.scenes if s.text)

    @property
    def word_count(self) -> int:
        return count_words(self.text)

    @property
    def within_target(self) -> bool:
        return abs(self.word_count - self.target_words) <= TOLERANCE * self.target_words


def write_script(llm: Llm, idea: str, language: str, seconds: float) -> Script:
    """A script for ``seconds`` of narration about ``idea`` in ``language`` ("es" or "en")."""
    idea = _checked(idea, language, seconds)
    target = round(seconds * WORDS_PER_SECOND)
    report = ScriptReport()
    title, beats = _plan(llm, idea, language, seconds, target, report)
    scenes: list[Scene] = []
    for number, (beat, planned) in enumerate(beats, start=1):
        # what earlier scenes came short (or long) moves to this one, so the whole keeps to the target
        budget = max(MIN_SCENE_WORDS, planned + sum(s.budget - s.words for s in scenes) // 2)
        text = _scene(llm, idea, language, title, scenes, number, len(beats), beat, budget, report)
        scenes.append(Scene(beat, budget, text))
    return Script(title, language, seconds, target, tuple(scenes), report)


def _checked(idea: str, language: str, seconds: float) -> str:
    problems = {}
    if not isinstance(idea, str) or not clean(idea):
        problems["idea"] = ["required"]
    elif len(idea) > 2000:
        problems["idea"] = ["at most 2000 characters"]
    if language not in LANGUAGES:
        problems["language"] = [f"expected one of {', '.join(LANGUAGES)}"]
    if not 5 <= seconds <= 600:
        problems["seconds"] = ["from 5 to 600"]
    if problems:
        raise ValidationError.fields(problems)
    return clean(idea)


def _plan(llm: Llm, idea: str, language: str, seconds: float, target: int,
          report: ScriptReport) -> tuple[str, list[tuple[str, int]]]:
    count = max(2, min(12, round(seconds / 10)))
    variables = {"idea": idea, "seconds": round(seconds), "words": target, "scenes": count}
    try:
        answer = ask_structured(llm, "script", language, variables, SCRIPT_SCHEMA, check=_plan_check(count),
                                max_tokens=120 + 60 * count)
    except StructuredOutputError as exc:
        report.json_failures += 1
        data = distinct_plan(exc.answers, count)
        if data is None:
            report.plan_fallback = True
            beats = list(FALLBACK_BEATS[language])[:count]
            return idea[:80], list(zip(beats, budgets([1] * len(beats), target), strict=True))
        report.plan_repaired = True
        data = padded(data, count, language)
    else:
        report.json_tries.append(answer.tries)
        data = answer.data
    planned = data["scenes"][: count + 2]
    beats = [clean(s["beat"]) for s in planned]
    return clean(data["title"]), list(zip(beats, budgets([s["words"] for s in planned], target), strict=True))


def distinct_plan(answers: list[str], count: int) -> dict[str, Any] | None:
    """A refused plan's scenes with their repeated beats dropped, when enough distinct ones are left (half of
    ``count``, two at least): the retry's answer first, else the first answer's; None when neither has them.
    Asked for 6 scenes of a 60 s Spanish script, the 1.5B wrote "El usuario ve una pantalla con una lista de
    medicinas…" three times after three distinct beats, twice: its three distinct beats make a better script
    than the fixed outline (FALLBACK_BEATS), whose scenes are about nothing in particular.

    Example: ``distinct_plan(['{"title": "T", "scenes": [{"beat": "A b", "words": 9}, {"beat": "A b", "words": 9},
    {"beat": "C d", "words": 9}]}'], 4)`` → ``{"title": "T", "scenes": [{"beat": "A b", …}, {"beat": "C d", …}]}``
    """
    for answer in reversed(answers):
        data, found = parse_answer(answer, SCRIPT_SCHEMA)
        if found:
            continue
        scenes: list[dict[str, Any]] = []
        keys: list[frozenset[str]] = []
        for scene in data["scenes"][: count + 2]:
            key = _key(clean(scene["beat"]))
            if key and not any(same(key, other) for other in keys):
                keys.append(key)
                scenes.append(scene)
        if len(scenes) >= max(2, (count + 1) // 2):
            return {"title": data["title"], "scenes": scenes}
    return None


def padded(data: dict[str, Any], count: int, language: str) -> dict[str, Any]:
    """A repaired plan with the fixed outline's closing beats added (a surprising detail, the call to act) up
    to ``count`` - 1 scenes: the 1.5B writes 25-35 words to a scene whatever it is asked, so three scenes of
    50 words made a 60 s Spanish script of 105 words of 150 (the plan check accepts ``count`` - 1 too).

    Example: three distinct beats of six asked → those three, "Añade un detalle que sorprenda", "Cierra con
    una invitación a actuar", each planned at the mean of the model's own word counts.
    """
    scenes = list(data["scenes"])
    words = round(sum(s["words"] for s in scenes) / len(scenes))
    for beat in FALLBACK_BEATS[language][2:][: max(0, count - 1 - len(scenes))]:
        scenes.append({"beat": beat, "words": words})
    return {**data, "scenes": scenes}


def _plan_check(count: int) -> Check:
    """Scenes as many as asked (±1, +2), each about something else, none left as the template's "…"."""
    def problems(data: dict[str, Any]) -> list[str]:
        keys = [_key(s["beat"]) for s in data["scenes"]]
        found = []
        if not count - 1 <= len(keys) <= count + 2:
            found.append(f"$.scenes: {len(keys)} scenes, {count} were asked for")
        alike = any(same(a, b) for i, a in enumerate(keys) for b in keys[i + 1:])
        if alike or not all(keys):
            found.append("$.scenes: every scene needs its own beat")
        return found
    return problems


def budgets(weights: list[int], total: int) -> list[int]:
    """``total`` words shared in proportion to ``weights`` (largest remainder), at least MIN_SCENE_WORDS each.

    Example: ``budgets([20, 20, 40], 75) == [19, 19, 37]``.
    """
    weights = [max(1, w) for w in weights]
    shares = [total * w / sum(weights) for w in weights]
    out = [int(s) for s in shares]
    for i in sorted(range(len(shares)), key=lambda i: out[i] - shares[i])[: total - sum(out)]:
        out[i] += 1
    return [max(MIN_SCENE_WORDS, n) for n in out]


def _scene(llm: Llm, idea: str, language: str, title: str, done: list[Scene], number: int, total: int,
           beat: str, budget: int, report: ScriptReport) -> str:
    said = [_key(s) for scene in done for s in sentences(scene.text)]
    previous = "\n".join(s.text for s in done) or "—"
    asked = round(budget * ASK_MORE)
    variables = {"idea": idea, "title": title, "number": number, "total": total, "beat": beat, "words": asked,
                 "sentences": max(1, round(asked / 12)), "previous": previous}
    tries: list[str] = []
    for attempt in range(1 + REGENERATIONS):
        if attempt:
            report.regenerated += 1
        text = _ask_scene(llm, language, variables, budget, report)
        if text is None:
            continue
        text = fit(text, budget)
        if _fits(text, budget) and not _repeats(text, said):
            return text
        tries.append(text)
    return closest(tries, budget, said, None if report.plan_fallback else beat)


def closest(tries: list[str], budget: int, said: list[frozenset[str]], beat: str | None) -> str:
    """The try nearest ``budget`` without its repeated sentences, or the beat itself (a sentence of the
    model's plan; a fallback outline's beats are instructions, never narration: ``beat`` None). Still over
    the budget's range, it keeps the whole sentences that fit in it, or its first sentence cut at a clause
    (``fit_words``): the 1.5B, on the fallback outline, wrote 115 words for a 75-word script when every try
    of a scene ran long.

    Example: ``closest(["Uno dos tres. Cuatro cinco seis siete ocho nueve diez once doce."], 4, [], None)``
    → ``"Uno dos tres."``
    """
    best = [t for t in (drop_repeats(t, said) for t in tries) if t]
    if beat is not None and not _repeats(beat, said):
        best.append(beat)
    text = min(best, key=lambda t: abs(count_words(t) - budget), default="")
    if count_words(text) <= budget * (1 + TOLERANCE):
        return text
    return _sentences_within(text, budget) or fit_words(text, int(budget * (1 + TOLERANCE)))


def _ask_scene(llm: Llm, language: str, variables: dict[str, object], budget: int,
               report: ScriptReport) -> str | None:
    try:
        answer = ask_structured(llm, "scene_text", language, variables, SCENE_TEXT_SCHEMA,
                                max_tokens=int(budget * 2.5) + 60, **SCENE_SAMPLING)
    except StructuredOutputError:
        report.json_failures += 1
        return None
    report.json_tries.append(answer.tries)
    return clean(answer.data["text"])


def _fits(text: str, budget: int) -> bool:
    return abs(count_words(text) - budget) <= TOLERANCE * budget


def _repeats(text: str, said: list[frozenset[str]]) -> bool:
    return drop_repeats(text, said) != " ".join(sentences(text))


def fit(text: str, budget: int) -> str:
    """A text over budget +20 % cut back at the last sentence end that keeps it within the budget's range."""
    if count_words(text) <= budget * (1 + TOLERANCE):
        return text
    shorter = _sentences_within(text, budget)
    return shorter if count_words(shorter) >= budget * (1 - TOLERANCE) else text


def _sentences_within(text: str, budget: int) -> str:
    """The most whole sentences from the start that stay within budget +20 % ("" when the first does not)."""
    kept: list[str] = []
    for sentence in sentences(text):
        if count_words(" ".join([*kept, sentence])) > budget * (1 + TOLERANCE):
            break
        kept.append(sentence)
    return " ".join(kept)


def drop_repeats(text: str, said: list[frozenset[str]]) -> str:
    """``text`` without sentences said before, in it or in ``said`` (the same words, give or take a fifth)."""
    seen, kept = list(said), []
    for sentence in sentences(text):
        key = _key(sentence)
        if not any(same(key, other) for other in seen):
            seen.append(key)
            kept.append(sentence)
    return " ".join(kept)


def same(a: frozenset[str], b: frozenset[str]) -> bool:
    """Two sentences' words overlap by 80 % or more (Jaccard): "The shop offers X" ~ "The shop also offers X"."""
    return bool(a | b) and len(a & b) / len(a | b) >= SAME_SENTENCE


def sentences(text: str) -> list[str]:
    return [s for s in SENTENCE_END.split(text.strip()) if s]


def count_words(text: str) -> int:
    return len(re.findall(r"\w+(?:['’-]\w+)*", text))


def clean(text: str) -> str:
    """One line of plain text: control characters, the prompts' own ``<idea>`` tags (the 1.5B echoed one
    into a narration: "… curiosos. <idea>Los niños …"), HTML-like tags (``<b>…</b>``) and runs of spaces
    gone, quotes around it dropped. Example: ``clean("<b>Hola</b> mundo")`` → ``"Hola mundo"``."""
    text = PROMPT_TAGS.sub(" ", text)
    text = "".join(ch if unicodedata.category(ch)[0] != "C" else " " for ch in text)
    text = SPACE_BEFORE_MARK.sub("", " ".join(text.split()))  # "Kids</b>, a" → "Kids , a" → "Kids, a"
    return text.strip("\"“”'").strip()


def _key(sentence: str) -> frozenset[str]:
    return frozenset(re.findall(r"\w+", sentence.lower()))
