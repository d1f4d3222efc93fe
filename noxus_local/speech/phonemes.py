"""Text to IPA phonemes with espeak-ng, always in a separate process.

espeak-ng is GPL-3: like ffmpeg it runs as a child process, never linked into
ours. First choice is the library and data that ship with us (the
espeakng-loader wheel, bundled in the binary too) driven by our helper program
(speech/espeak_helper.py, one long-lived process per voice); when that package
is missing, the system's ``espeak-ng`` program, one run per sentence. Both give
the same IPA for the same espeak-ng version. espeak-ng drops punctuation (it ends a line at each clause instead), but
Kokoro pauses and intones from the punctuation, so a sentence is cut into
clauses here, each clause is phonemized on its own line of one espeak-ng call,
and the punctuation is put back after its clause's phonemes.

Example::

    phonemize_words("Hola, ¿cómo estás?", "es")
    # [("Hola,", "ˈola,"), ("¿cómo", "kˈomo"), ("estás?", "estˈas?")]
"""

from __future__ import annotations

import re
import shutil
import subprocess
from dataclasses import dataclass

from noxus_local.errors import ToolUnavailable
from noxus_local.speech.espeak_lib import packaged_paths
from noxus_local.speech.espeak_process import EspeakHelpers

# language (as our voices name it) → espeak-ng voice
ESPEAK_VOICES = {"es": "es", "es-419": "es-419", "en-us": "en-us", "en-gb": "en-gb", "en": "en-us",
                 "fr": "fr-fr", "it": "it", "pt-br": "pt-br", "hi": "hi", "ja": "ja", "zh": "cmn"}
CLAUSE_RE = re.compile(r"[^,;:.!?…—]+[,;:.!?…—]*")
WORD_PUNCT = ",;:.!?…—"
CONTROL_RE = re.compile(r"[\x00-\x1f\x7f-\x9f]")
TIMEOUT_S = 60


PACKAGED, SYSTEM = "packaged", "system"


@dataclass(frozen=True)
class Phonemizer:
    """Which espeak-ng phonemizes: ``kind`` packaged (our helper + the shipped library) or system (the program)."""

    kind: str
    path: str


def phonemizer() -> Phonemizer:
    """The packaged library first, then the system program; 503 tool_unavailable when neither is there.

    Example: ``phonemizer()  # Phonemizer(kind="packaged", path="…/espeakng_loader/libespeak-ng.so.1")``
    """
    paths = packaged_paths()
    if paths is not None:
        return Phonemizer(PACKAGED, str(paths[0]))
    program = shutil.which("espeak-ng")
    if program is not None:
        return Phonemizer(SYSTEM, program)
    raise ToolUnavailable("espeak-ng is missing: reinstall noxus-local (its espeakng-loader dependency ships "
                          "espeak-ng) or install the espeak-ng program",
                          details={"reason": "program_missing", "program": "espeak-ng"})


def phonemize_words(sentence: str, language: str) -> list[tuple[str, str]]:
    """(word as written, its phonemes with the clause's punctuation) for each word.

    espeak-ng sometimes joins function words ("of the" → one phoneme word); then the
    clause's phoneme words are shared out over its written words in order, so every
    written word keeps some phonemes and none are lost. Chinese and Japanese go through
    speech/cjk.py first (misaki's pinyin IPA; kanji read as hiragana) when its packages are
    installed: espeak-ng alone reads a kanji as "Chinese letter".
    """
    if language in ("zh", "ja"):
        from noxus_local.speech import cjk

        if language == "zh" and (words := cjk.chinese_words(sentence)) is not None:
            return [(w, ipa if ipa.strip(WORD_PUNCT) else _latin(w.rstrip(WORD_PUNCT)) + ipa) for w, ipa in words]
        if language == "ja" and (words := cjk.japanese_words(sentence)) is not None:
            spoken = _espeak_words(" ".join(reading for _, reading in words), language)
            if len(spoken) == len(words):  # one reading → one phoneme word: keep the written word
                return [(w, ipa) for (w, _), (_, ipa) in zip(words, spoken, strict=True)]
            return spoken
        sentence = cjk.ascii_punctuation(sentence)  # at least the clauses are found
    return _espeak_words(sentence, language)


def _latin(word: str) -> str:
    """A Latin-script word inside Chinese text (a brand name), spelt by espeak-ng's American English."""
    return " ".join(ipa for _, ipa in _espeak_words(word, "en-us")) if word.strip(WORD_PUNCT) else word


def _espeak_words(sentence: str, language: str) -> list[tuple[str, str]]:
    """``phonemize_words`` by espeak-ng alone."""
    # control characters (a NUL above all) can't travel in espeak-ng's argv and say nothing
    sentence = CONTROL_RE.sub(" ", sentence)
    clauses = [c.strip() for c in CLAUSE_RE.findall(sentence) if c.strip(" " + WORD_PUNCT)]
    if not clauses:
        return []
    lines = _espeak([c.rstrip(WORD_PUNCT) for c in clauses], language)
    out: list[tuple[str, str]] = []
    for clause, ipa in zip(clauses, lines, strict=True):
        written = clause.split()
        spoken = ipa.split()
        tail = clause[len(clause.rstrip(WORD_PUNCT)):]
        out.extend(_pair(written, spoken, tail))
    return out


def _pair(written: list[str], spoken: list[str], tail: str) -> list[tuple[str, str]]:
    """Share ``spoken`` over ``written`` in order (equal counts: one to one)."""
    if not spoken:
        spoken = [""]
    n, m = len(written), len(spoken)
    pairs = []
    for i, word in enumerate(written):
        lo, hi = i * m // n, (i + 1) * m // n
        pairs.append((word, " ".join(spoken[lo:max(hi, lo + 1)] if hi > lo or i == n - 1 else [])))
    # the clause's punctuation follows its last word's phonemes
    last_word, last_ipa = pairs[-1]
    pairs[-1] = (last_word, last_ipa + tail)
    return pairs


def _espeak(clauses: list[str], language: str) -> list[str]:
    """One line of IPA per clause: each clause a line of the voice's helper, or of one espeak-ng run."""
    voice = ESPEAK_VOICES.get(language, language)
    # each clause ends with a full stop, as the program gets it below: the same IPA either way
    chosen = phonemizer()
    if chosen.kind == PACKAGED:
        return EspeakHelpers.phonemes(voice, [c.replace("\n", " ") + "." for c in clauses])
    return espeak_program(clauses, voice, chosen.path)


def espeak_program(clauses: list[str], voice: str, program: str) -> list[str]:
    """The system's espeak-ng program, one run for the clauses (one run each when it splits one)."""
    # each clause on its own line, ended by a full stop so espeak-ng keeps the lines apart
    text = "\n".join(c.replace("\n", " ") + "." for c in clauses)
    proc = subprocess.run([program, "-q", "--ipa", "-b", "1", "-v", voice, "--stdin"],
                          input=text.encode(), capture_output=True, timeout=TIMEOUT_S, check=False)
    if proc.returncode != 0:
        raise RuntimeError(f"espeak-ng failed ({proc.returncode}): {proc.stderr.decode(errors='replace')[:200]}")
    lines = [line.strip() for line in proc.stdout.decode().splitlines() if line.strip()]
    if len(lines) != len(clauses):  # espeak-ng split or merged a clause: phonemize one by one
        lines = [" ".join(_espeak_one(c, voice, program).split()) for c in clauses]
    return lines


def _espeak_one(clause: str, voice: str, program: str) -> str:
    proc = subprocess.run([program, "-q", "--ipa", "-b", "1", "-v", voice, clause],
                          capture_output=True, timeout=TIMEOUT_S, check=True)
    return proc.stdout.decode()
