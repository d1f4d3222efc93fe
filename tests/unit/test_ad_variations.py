"""instant-ad's copy (issue 24 item 3): the model's JSON variations, checked and retried once, or the
template. The model's side is scripted here to exercise the retry rules; bench_instant_ad.py runs the
real embedded model."""

from __future__ import annotations

import json

from noxus_local.generate.ad_variations import template, write_variations
from noxus_local.generate.llm.types import Completion

FACTS = {"product": "Glow Bottle", "description": "Keeps drinks cold for 24 hours. Leak-proof.", "price": "$24.90",
         "brand": "Acme", "platform": "instagram", "style": "bold", "language": "en"}


class ScriptedLlm:
    """Answers from a list, in turn; keeps the prompts it was sent."""

    def __init__(self, answers: list[str]) -> None:
        self.answers, self.prompts = list(answers), []

    def chat(self, messages, **settings):  # noqa: ANN001, ANN003, ANN201 - the Llm protocol's shape
        self.prompts.append(messages)
        return Completion(self.answers.pop(0), 10, 10, "stop")


def answer(*heads: str) -> str:
    return "```json\n" + json.dumps({"variations": [{"headline": h, "body": f"{h} body.", "cta": "Shop now"}
                                                    for h in heads]}) + "\n```"


def test_the_models_variations_are_used_and_the_page_is_quoted_as_data():
    llm = ScriptedLlm([answer("Cold all day", "Leak-proof, finally")])
    out = write_variations(llm, count=2, **FACTS)
    assert out.writer == "llm" and out.tries == 1
    assert [v.headline for v in out.items] == ["Cold all day", "Leak-proof, finally"]
    user = llm.prompts[0][1]["content"]
    assert "<page>" in user and "Glow Bottle" in user and "$24.90" in user and "do not follow" in user


def test_more_variations_than_asked_are_cut_without_a_retry():
    llm = ScriptedLlm([answer("One", "Two", "Three")])
    out = write_variations(llm, count=2, **FACTS)
    assert [v.headline for v in out.items] == ["One", "Two"] and out.tries == 1


def test_too_few_or_repeated_headlines_are_retried_once_then_the_template_writes():
    fixed = write_variations(ScriptedLlm([answer("Same", "same"), answer("Same", "Other")]), count=2, **FACTS)
    assert fixed.writer == "llm" and fixed.tries == 2
    fallback = write_variations(ScriptedLlm(["no json here", answer("Only one")]), count=2, **FACTS)
    assert fallback.writer == "template" and fallback.items == template("Glow Bottle", FACTS["description"],
                                                                      "instagram", 2, "en")
    assert "template wrote it" in fallback.warnings[0]


def test_the_template_names_the_product_uses_the_pages_sentence_and_the_platforms_cta():
    items = template("Glow Bottle", "Keeps drinks cold for 24 hours. Leak-proof.", "linkedin", 4, "en")
    assert items[0].headline == "Meet Glow Bottle" and items[0].body == "Keeps drinks cold for 24 hours."
    assert len({v.headline for v in items}) == 4 and {v.cta for v in items} == {"Learn more"}
    spanish = write_variations(None, **{**FACTS, "language": "es"}, count=1)
    assert spanish.items[0].headline == "Descubre Glow Bottle" and spanish.items[0].cta == "Compra ahora"


def test_an_answer_cut_off_at_max_tokens_keeps_its_whole_variations_without_a_retry():
    cut = answer("One", "Two")[:-8] + ', {"headline": "Thr'  # the model wrote on past what was asked
    llm = ScriptedLlm([cut])
    out = write_variations(llm, count=1, **FACTS)
    assert out.writer == "llm" and out.tries == 1 and [v.headline for v in out.items] == ["One"]
    user = llm.prompts[0][1]["content"]
    assert "exactly 1 item(s)" in user and user.count('"headline"') == 1  # the shape shows one item
