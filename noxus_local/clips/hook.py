"""The hook: do the first seconds of a clip make a viewer stay?

``judge_hook`` asks the text model (the embedded one or the configured engine) a
constrained question: a 1–10 score and a one-sentence reason, as JSON checked
against ``CLIP_HOOK_SCHEMA`` with one corrective retry (generate/structured.py),
greedy decoding (temperature 0), the prompt (generate/prompts/clip_hook.{en,es}.toml)
carrying scored examples in its language. The hook is then the model's score
and the rules' (``heuristic_hook``) mixed by ``[clips] hook_model_share``
(``combine``), both in the reason. The default share is the one that ranked a
labelled set of strong and weak openings best (scripts/bench/bench_hook_judge.py:
rules alone, the model alone, both). When no model is given, or it fails or
answers nonsense twice, ``heuristic_hook`` decides instead, deterministically,
and says so: a question, a number, a direct address ("you", "imagine",
"¿sabías...") or a short punchy first sentence hook; a dangling connective or a
greeting ("Hola a todos...") does not.

Example::

    heuristic_hook("Why do 90% of startups fail? Here is the answer.", "en")
    # Hook(strength=0.9, reason="a question; a number; speaks to the viewer", source="heuristic")
    judge_hook(llm, opening, "en", 5.0)    # Hook(0.8, "A bold claim up front. (model 7/10, rules 9/10: ...)", "llm")
"""

from __future__ import annotations

import logging
import re

from noxus_local.clips.candidates import Window
from noxus_local.clips.signals import DANGLING, DIGIT, NUMBER_WORDS, Hook, tokens

log = logging.getLogger(__name__)

# the model's share of the hook by default ([clips] hook_model_share); the rest is the rules'. Measured by
# scripts/bench/bench_hook_judge.py (28 openings, 98 strong/weak pairs): with the default [llm] model
# (Qwen2.5-Coder 1.5B) rules 0.776, model 0.658, mixed at 0.25 0.786, at 0.5 0.755; with the 0.5B model
# the rules 0.776 beat any mix (0.694 at 0.25), so set 0 there. 0.25 is the best measured default.
MODEL_SHARE = 0.25
GREETINGS = frozenset("hello hi hey welcome good morning hola buenos buenas bienvenidos bienvenidas saludos".split())
ADDRESS = frozenset("""you your imagine why how what what's here's secret stop never nobody everyone
tú tu usted imagina imagínate sabías sabias por qué cómo qué nadie nunca todos secreto mira ojo""".split())


def opening(window: Window, seconds: float) -> str:
    """The words spoken in the window's first ``seconds`` (at least its first sentence)."""
    first = window.sentences[0]
    words = [w.word.strip() for w in window.words if w.start < window.start + seconds]
    return " ".join(words) if len(words) >= len(first.words) else first.text


def _numbered(words: list[str]) -> bool:
    return any(DIGIT.search(t) or t in NUMBER_WORDS for t in words)


def heuristic_hook(text: str) -> Hook:
    """A deterministic hook strength from the opening's words; the first sentence counts in full, the
    rest of the opening (the next sentence's question or number) at less than half."""
    first_sentence, rest = _split_first(text)
    words, later = tokens(first_sentence), tokens(rest)
    found: list[tuple[str, float]] = []
    if "?" in first_sentence or "¿" in first_sentence:
        found.append(("a question", 0.35))
    elif "?" in rest or "¿" in rest:
        found.append(("a question next", 0.15))
    if _numbered(words):
        found.append(("a number", 0.25))
    elif _numbered(later):
        found.append(("a number next", 0.1))
    if any(t in ADDRESS for t in words[:6]):
        found.append(("speaks to the viewer", 0.2))
    if first_sentence.endswith("!"):
        found.append(("an exclamation", 0.1))
    if words and words[0] in DANGLING:
        found.append((f"opens with '{words[0]}'", -0.3))
    if words and words[0] in GREETINGS:
        found.append(("opens with a greeting", -0.3))
    strength = max(0.0, min(1.0, 0.1 + sum(v for _, v in found)))
    reason = "; ".join(name for name, _ in found) or "a plain statement"
    return Hook(strength, reason, "heuristic", first_sentence)


def _split_first(text: str) -> tuple[str, str]:
    """(the first sentence, the rest): ``"Hola. ¿Qué tal?"`` → ``("Hola.", "¿Qué tal?")``."""
    parts = re.split(r"(?<=[.?!…])\s", text.strip(), maxsplit=1)
    return parts[0], parts[1] if len(parts) > 1 else ""


def model_score(llm: object, text: str, language: str, seconds: float) -> tuple[int, str]:
    """(the model's 1–10 score, its reason) for an opening; StructuredOutputError when it answers
    nonsense twice, any other exception when the model fails."""
    from noxus_local.generate.schemas import CLIP_HOOK_SCHEMA
    from noxus_local.generate.structured import ask_json

    lang = "es" if language == "es" else "en"
    data = ask_json(llm, "clip_hook", lang, {"opening": text, "seconds": round(seconds)},  # type: ignore[arg-type]
                    CLIP_HOOK_SCHEMA, max_tokens=120, temperature=0.0)
    return int(data["score"]), str(data["reason"]).strip()


def combine(score: int, rule: Hook, said: str, share: float = MODEL_SHARE) -> Hook:
    """The hook from the model's 1–10 ``score`` (mapped to 0–1) and the rules', ``share`` the model's part.

    Example: ``combine(10, heuristic_hook("Hola."), "Weak.", 0.5).strength`` → 0.5 + 0.5 × the rules'.
    """
    model = (min(10, max(1, score)) - 1) / 9.0
    strength = share * model + (1 - share) * rule.strength
    reason = f"{said} (model {score}/10, rules {rule.strength * 10:.0f}/10: {rule.reason})"
    return Hook(strength, reason, "llm", rule.line)


def judge_hook(llm: object | None, text: str, language: str, seconds: float,
               share: float = MODEL_SHARE) -> tuple[Hook, str | None]:
    """(the hook, a warning or None): the model's judgement mixed with the rules', else the rules with why."""
    if llm is None:
        return heuristic_hook(text), "no text model installed: hooks judged by a heuristic"
    from noxus_local.generate.structured import StructuredOutputError

    try:
        score, said = model_score(llm, text, language, seconds)
    except StructuredOutputError:
        return heuristic_hook(text), "the text model's hook answer was not valid JSON: a heuristic judged it"
    except Exception as exc:  # a model that fails (engine down, out of memory) must not fail the clip job
        log.warning("hook judgement failed: %s", exc)
        return heuristic_hook(text), "the text model failed: hooks judged by a heuristic"
    return combine(score, heuristic_hook(text), said, share), None
