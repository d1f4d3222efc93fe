"""Readable cues: limits on lines, duration, reading speed and gaps (issue 10, item 4)."""

from __future__ import annotations

from noxus_local.captions.cues import CueRules, build_cues, cues_from_words, default_max_chars, wrap
from noxus_local.speech.types import Segment, Word


def _segment(text: str, start: float = 0.0, step: float = 0.3, pause_after: dict[int, float] | None = None) -> Segment:
    words, t = [], start
    for i, token in enumerate(text.split()):
        words.append(Word(" " + token, t, t + step * 0.8, 0.9))
        t += step + (pause_after or {}).get(i, 0.0)
    return Segment(0, start, t, text, tuple(words), -0.2, 0.01)


LONG = ("Hola a todos, bienvenidos al canal. Hoy vamos a hablar de cómo preparar un café excelente "
        "en casa sin máquinas caras y con muy poco tiempo cada mañana antes de salir al trabajo.")


def test_cues_keep_every_word_in_order_and_respect_line_limits() -> None:
    rules = CueRules(max_chars_per_line=32, max_lines=2)
    cues = build_cues([_segment(LONG)], rules)
    assert [w.word for c in cues for w in c.words] == LONG.split()
    assert all(len(c.lines) <= 2 and all(len(line) <= 32 for line in c.lines) for c in cues)
    assert " ".join(c.text for c in cues) == LONG


def test_sentence_end_and_comma_close_cues() -> None:
    cues = build_cues([_segment(LONG)], CueRules(max_chars_per_line=42))
    assert cues[0].text == "Hola a todos, bienvenidos al canal."
    assert all(not c.text.endswith(",") or len(c.text) >= 42 for c in cues)


def test_durations_gaps_and_reading_speed() -> None:
    rules = CueRules(max_chars_per_line=42, max_cps=17.0, fps=25.0)
    cues = build_cues([_segment(LONG, step=0.15)], rules)
    for a, b in zip(cues, cues[1:], strict=False):
        assert b.start - a.end >= rules.gap - 1e-9
    assert all(0.7 - 1e-9 <= c.end - c.start <= 6.0 for c in cues)
    # stretched into the following silence where there is room: the last cue reads at ≤ 17 cps
    assert len(cues[-1].text) / (cues[-1].end - cues[-1].start) <= 17.0 + 1e-6


def test_pause_splits_and_max_words() -> None:
    seg = _segment("uno dos tres cuatro cinco seis", pause_after={2: 1.0})
    assert [c.text for c in build_cues([seg])] == ["uno dos tres", "cuatro cinco seis"]
    assert [c.text for c in build_cues([seg], CueRules(max_words_per_cue=1))] == seg.text.split()


def test_max_duration_and_long_word_never_cut() -> None:
    seg = _segment(" ".join(["palabra"] * 30), step=0.5)
    cues = build_cues([seg], CueRules(max_chars_per_line=80, max_lines=3))
    assert all(c.end - c.start <= 6.0 for c in cues) and len(cues) >= 3
    long_word = "supercalifragilísticoespialidoso"
    only = build_cues([_segment(long_word)], CueRules(max_chars_per_line=10))
    assert only[0].lines == (long_word,)


def test_wrap_balances_and_defaults_by_aspect() -> None:
    assert wrap(["a", "bb", "cc", "d"], CueRules(max_chars_per_line=6)) == ("a bb", "cc d")
    assert default_max_chars(1080, 1920) == 32 and default_max_chars(1920, 1080) == 42
    assert default_max_chars(None, None) == 42


def test_segment_without_words_and_empty_input() -> None:
    seg = Segment(0, 1.0, 3.0, " Buenos días amigos.", (), -0.3, 0.1)
    cues = build_cues([seg])
    assert cues[0].text == "Buenos días amigos." and cues[0].start == 1.0
    assert build_cues([]) == []


def test_cues_from_words_cut_synthesised_words_like_recognised_ones():
    """Timed words with no segment around them (speech synthesis gives these) make the same cues."""
    seg = _segment("Hola a todos. Hoy hablamos del tiempo.")
    assert cues_from_words(seg.words, CueRules()) == build_cues([seg], CueRules())
    cues = cues_from_words([Word("Hola.", 0.2, 0.6, 1.0), Word(" ", 0.6, 0.7, 1.0), Word("Adiós.", 1.4, 1.9, 1.0)])
    assert [c.lines for c in cues] == [("Hola.",), ("Adiós.",)]
