"""The words of ``count`` image ads for a product page: headline, body and call to action per variation.

With a text model the variations are asked for as JSON (``prompts/instant_ad.*``, ``VARIATIONS_SCHEMA``,
one retry, a check that there are exactly ``count`` and that the headlines differ); without one, or when
the model gives nothing usable twice, a deterministic template writes them from the page's product
name and description. ``Variations.writer`` says which (``llm`` or ``template``), so a fallback is
visible, never a 500. The page's text is quoted inside ``<page>`` and the prompt says it is only the
topic: a page cannot steer the model into anything but ad copy (which is all that is used, as text).

Lengths (generate/copy_length.py ``LIMITS``, the prompt's own): a variation whose headline, body or CTA
is over its limit is asked for again once, the model shown what was too long; what is still over is
cut at a word boundary (never mid-word, nothing dangling) and a warning says which field of which
variation was shortened. The template's copy keeps the same limits.

Example::

    v = write_variations(None, product="Glow Mug", description="Keeps coffee hot for 6 hours.", price="$24.90",
                         brand="Acme", platform="instagram", style="modern", count=2, language="en")
    v.items[0].headline, v.writer      # ("Meet Glow Mug", "template")
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from noxus_local.generate.copy_length import over, shorten
from noxus_local.generate.llm.types import Llm
from noxus_local.generate.schema import problems
from noxus_local.generate.structured import (
    RETRY,
    StructuredOutputError,
    ask_structured,
    messages_for,
    parse_answer,
    whole_objects,
)

MAX_COUNT = 4
VARIATIONS_SCHEMA: dict[str, Any] = {
    "type": "object", "required": ["variations"], "additionalProperties": False,
    "properties": {"variations": {"type": "array", "minItems": 1, "maxItems": MAX_COUNT, "items": {
        "type": "object", "required": ["headline", "body", "cta"], "additionalProperties": False,
        # generous caps: what is merely too long is asked again, then shortened (copy_length), not dropped
        "properties": {"headline": {"type": "string", "minLength": 2, "maxLength": 200},
                       "body": {"type": "string", "minLength": 2, "maxLength": 600},
                       "cta": {"type": "string", "minLength": 2, "maxLength": 80}}}}},
}
CTAS = {"en": {"linkedin": "Learn more", "youtube": "Shop now", "default": "Shop now"},
        "es": {"linkedin": "Más información", "youtube": "Compra ya", "default": "Compra ahora"}}
_HEADLINES = {"en": ("Meet {p}", "Made for every day", "Your new favourite", "Treat yourself today"),
              "es": ("Descubre {p}", "Hecho para tu día a día", "Tu nuevo favorito", "Date un gusto hoy")}
_BODIES = {"en": ("Quality you can see and feel.", "Thoughtful design, honest materials, real results.",
                  "Simple to use, beautiful to own.", "Once you try it, you will not go back."),
           "es": ("Calidad que se ve y se siente.", "Diseño cuidado, materiales honestos, resultados reales.",
                  "Fácil de usar, un placer tenerlo.", "Cuando lo pruebes, no querrás otra cosa.")}
_SENTENCE = re.compile(r"(?<=[.!?])\s+")


@dataclass(frozen=True)
class Variation:
    headline: str
    body: str
    cta: str


@dataclass(frozen=True)
class Variations:
    items: tuple[Variation, ...]
    writer: str  # "llm" or "template"
    warnings: tuple[str, ...] = field(default=())
    tries: int = 0  # the model's answers it took (1 = valid at once; 0 = no model asked)


def write_variations(llm: Llm | None, *, product: str, description: str, price: str, brand: str, platform: str,
                     style: str, count: int, language: str) -> Variations:
    """``count`` variations; the model's when it answers usably, else the template's."""
    lang = "es" if language.lower().startswith("es") else "en"
    facts = {"product": product or brand or "-", "description": description[:400] or "-", "price": price or "-",
             "brand": brand or "-", "platform": platform, "style": style, "count": count}
    if llm is not None:
        try:
            items, tries, notes = _ask(llm, lang, facts, count)
            return Variations(items, "llm", notes, tries=tries)
        except StructuredOutputError as exc:
            why = exc.problems[0] if exc.problems else "no JSON"
            warning = f"the text model gave no usable ad copy ({why}); a template wrote it"
            return Variations(template(product, description, platform, count, lang), "template", (warning,))
    return Variations(template(product, description, platform, count, lang), "template")


def _ask(llm: Llm, lang: str, facts: dict[str, Any], count: int) \
        -> tuple[tuple[Variation, ...], int, tuple[str, ...]]:
    """(the variations, the model's answers it took, warnings about shortened copy)."""
    def enough(data: Any) -> list[str]:
        got = data["variations"][:count]  # more than asked is fine: the first ``count`` are kept, no retry
        if len(got) < count:
            return [f"$.variations: give exactly {count} variations (got {len(got)})"]
        heads = {" ".join(v["headline"].lower().split()) for v in got}
        return [] if len(heads) == count else ["$.variations: every headline must be different"]

    item = '{"headline": "…", "body": "…", "cta": "…"}'
    variables = {**facts, "example": '{"variations": [' + ", ".join([item] * count) + "]}"}
    settings = {"max_tokens": 80 + 70 * count, "temperature": 0.7}
    answer = ask_structured(llm, "instant_ad", lang, variables, VARIATIONS_SCHEMA, check=enough, salvage=salvage,
                            **settings)
    items = _items(answer.data, count)
    tries = answer.tries
    if _too_long(items):  # asked once more, shown what was too long; kept only when it is whole and better
        history = [*messages_for("instant_ad", lang, variables), {"role": "assistant", "content": answer.answers[-1]},
                   {"role": "user", "content": RETRY[lang].format(problems="; ".join(_too_long(items)[:6]))}]
        again = llm.chat(history, top_p=0.9, **settings).text
        tries += 1
        data, found = parse_answer(again, VARIATIONS_SCHEMA)
        if found and (rescued := salvage(again)) is not None:
            data, found = rescued, problems(rescued, VARIATIONS_SCHEMA)
        if not found and not enough(data):
            retried = _items(data, count)
            if len(_too_long(retried)) <= len(_too_long(items)):
                items = retried
    return (*_fitted(items),), tries, _notes(items)


def _items(data: Any, count: int) -> list[Variation]:
    return [Variation(_tidy(v["headline"]), _tidy(v["body"]), _tidy(v["cta"])) for v in data["variations"][:count]]


def _too_long(items: list[Variation]) -> list[str]:
    """What is over its limit, per variation: ``["variation 2: headline: 9 words (at most 6)"]``."""
    return [f"variation {i + 1}: {problem}" for i, v in enumerate(items)
            for problem in (over(f, getattr(v, f)) for f in ("headline", "body", "cta")) if problem]


def _fitted(items: list[Variation]) -> list[Variation]:
    return [Variation(shorten("headline", v.headline), shorten("body", v.body), shorten("cta", v.cta))
            for v in items]


def _notes(items: list[Variation]) -> tuple[str, ...]:
    """A warning per field cut: ``variation 1: the headline was over its limit (9 words (at most 6)) and was
    shortened to "Cold all day, every day"``."""
    notes = []
    for i, v in enumerate(items):
        for f in ("headline", "body", "cta"):
            problem = over(f, getattr(v, f))
            if problem:
                why = problem.split(": ", 1)[1]
                notes.append(f'variation {i + 1}: the {f} was over its limit ({why}) after a retry and was '
                             f'shortened to "{shorten(f, getattr(v, f))}"')
    return tuple(notes)


def salvage(answer: str) -> dict[str, Any] | None:
    """The complete variations of an answer cut off (or malformed) after them, as the schema's object.

    A small model asked for one ad often writes three and stops at ``max_tokens`` inside the third: the
    first two are whole and usable. Example: ``salvage('{"variations": [{"headline": "A", "body": "B",
    "cta": "C"}, {"headline": "D", "bo')`` → ``{"variations": [{"headline": "A", "body": "B", "cta": "C"}]}``.
    """
    found = [value for value in whole_objects(answer)
             if set(value) == {"headline", "body", "cta"} and all(isinstance(v, str) for v in value.values())]
    return {"variations": found[:MAX_COUNT]} if found else None


def _tidy(text: str) -> str:
    return " ".join(text.split()).strip("\"'")


def template(product: str, description: str, platform: str, count: int, lang: str) -> tuple[Variation, ...]:
    """Deterministic copy: headlines from a fixed list (the first names the product), the page's own first
    sentence as the first body, the platform's usual CTA."""
    name = " ".join(product.split()[:5]) or ("this" if lang == "en" else "esto")
    first = shorten("body", _SENTENCE.split(" ".join(description.split()), maxsplit=1)[0]) \
        if description.strip() else ""
    cta = CTAS[lang].get(platform, CTAS[lang]["default"])
    out = []
    for i in range(count):
        body = first if i == 0 and first else _BODIES[lang][i % len(_BODIES[lang])]
        out.append(Variation(shorten("headline", _HEADLINES[lang][i % len(_HEADLINES[lang])].format(p=name)), body,
                             cta))
    return tuple(out)
