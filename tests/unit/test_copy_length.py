"""instant-ad copy within its lengths (issue 24): a variation over its limits is asked again once with the
error, then shortened at a word boundary (never mid-word, nothing dangling) with a warning. The model's
side is scripted (``ScriptedLlm``), so each rule is exercised; bench_instant_ad.py runs the real model."""

from __future__ import annotations

import json
import re

import pytest

from noxus_local.generate.ad_variations import template, write_variations
from noxus_local.generate.copy_length import LIMITS, over, shorten
from tests.unit.test_ad_variations import FACTS, ScriptedLlm

LONG_HEAD = "The one steel bottle that keeps every single drink ice cold, all day"
LONG_BODY = ("Cold for twenty four hours, leak-proof and light, it goes wherever you go, from the gym to the office "
             "and on every long weekend hike with friends.")
LONG_CTA = "Click here and get yours today"


def answer(*items: tuple[str, str, str]) -> str:
    return json.dumps({"variations": [{"headline": h, "body": b, "cta": c} for h, b, c in items]})


def words_of(text: str) -> list[str]:
    return re.findall(r"[\w'-]+", text.lower())


def test_over_long_copy_is_asked_again_once_with_the_error_and_the_better_answer_kept():
    llm = ScriptedLlm([answer((LONG_HEAD, "Cold all day.", "Shop now"), ("Leak-proof, finally", LONG_BODY, "Buy now")),
                       answer(("Ice cold, all day", "Cold all day.", "Shop now"),
                              ("Leak-proof, finally", "Goes wherever you go.", "Buy now"))])
    out = write_variations(llm, count=2, **FACTS)
    assert out.writer == "llm" and out.tries == 2 and out.warnings == ()
    assert [v.headline for v in out.items] == ["Ice cold, all day", "Leak-proof, finally"]
    retry = llm.prompts[1][-1]["content"]
    assert "variation 1: headline: 13 words (at most 6)" in retry and "variation 2: body:" in retry
    assert llm.prompts[1][-2]["role"] == "assistant"  # the model sees what it wrote


def test_still_too_long_after_the_retry_is_shortened_at_a_word_boundary_with_a_warning():
    long = answer((LONG_HEAD, LONG_BODY, LONG_CTA))
    out = write_variations(ScriptedLlm([long, long]), count=1, **FACTS)
    v = out.items[0]
    assert out.writer == "llm" and out.tries == 2
    for field, text, source in (("headline", v.headline, LONG_HEAD), ("body", v.body, LONG_BODY),
                                ("cta", v.cta, LONG_CTA)):
        assert over(field, text) is None, (field, text)
        assert source.startswith(text.rstrip(".!?")), (field, text)  # a prefix of what was written...
        assert source[len(text.rstrip(".!?")):][:1] in (" ", ",", ""), (field, text)  # ...ending where a word did
        assert text[-1] not in ",;:-–—/&(\"'", (field, text)
        assert words_of(text)[-1] not in {"and", "the", "to", "with", "from", "on", "of"}, (field, text)
    assert v.headline == "The one steel bottle that keeps" and v.cta == "Click here"
    assert len(out.warnings) == 3 and all("after a retry and was shortened" in w for w in out.warnings)
    assert out.warnings[0].startswith('variation 1: the headline was over its limit (13 words (at most 6))')


def test_a_retry_that_breaks_the_json_keeps_the_first_answer_shortened():
    out = write_variations(ScriptedLlm([answer((LONG_HEAD, "Cold all day.", "Shop now")), "sorry, no JSON"]),
                           count=1, **FACTS)
    assert out.writer == "llm" and out.items[0].headline == "The one steel bottle that keeps"
    assert len(out.warnings) == 1


def test_copy_within_its_limits_takes_no_retry():
    llm = ScriptedLlm([answer(("Cold all day", "Keeps drinks cold for 24 hours.", "Shop now"))])
    out = write_variations(llm, count=1, **FACTS)
    assert out.tries == 1 and len(llm.prompts) == 1 and out.warnings == ()


@pytest.mark.parametrize(("field", "text", "cut"), [
    ("headline", "Fresh, bold and (really) refreshing for you", "Fresh, bold and (really) refreshing"),
    ("headline", "Ice cold coffee, wherever, whenever, forever", "Ice cold coffee, wherever, whenever, forever"),
    ("headline", "Tu botella de acero y de vidrio para todo el día", "Tu botella de acero"),
    ("cta", "Compra ya — antes de que se acabe", "Compra ya"),
    ("cta", "Supercalifragilisticexpialidocious-yours-forever-and-ever now",
     "Supercalifragilisticexpialidocious-yours-forever-and-ever"),
    ("headline", "Cold all day with the (new steel lid", "Cold all day with the new"),
])
def test_shorten_cuts_between_words_and_leaves_nothing_dangling(field, text, cut):
    assert shorten(field, text) == cut


def test_the_template_keeps_the_limits_too():
    items = template("Glow Bottle Ultra Max Edition Stainless", LONG_BODY, "instagram", 4, "en")
    for v in items:
        assert all(over(f, getattr(v, f)) is None for f in LIMITS), v
    assert items[0].body.startswith("Cold for twenty four hours, leak-proof")
