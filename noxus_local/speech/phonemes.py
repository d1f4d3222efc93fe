"""Text to IPA phonemes with espeak-ng, run as a separate program.

espeak-ng is GPL-3: like ffmpeg it is invoked as a child process, never linked
into ours. It drops punctuation (it ends a line at each clause instead), but
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

from noxus_local.errors import ToolUnavailable

# language (as our voices name it) → espeak-ng voice
ESPEAK_VOICES = {"es": "es", "es-419": "es-419", "en-us": "en-us", "en-gb": "en-gb", "en": "en-us",
                 "fr": "fr-fr", "it": "it", "pt-br": "pt-br", "hi": "hi", "ja": "ja", "zh": "cmn"}
CLAUSE_RE = re.compile(r"[^,;:.!?…—]+[,;:.!?…—]*")
WORD_PUNCT = ",;:.!?…—"
CONTROL_RE = re.compile(r"[\x00-\x1f\x7f-\x9f]")
TIMEOUT_S = 60


def espeak_binary() -> str:
    """The espeak-ng program; 503 tool_unavailable naming the package when it is missing."""
    path = shutil.which("espeak-ng")
    if path is None:
        raise ToolUnavailable("espeak-ng is not installed; install it with `apt-get install espeak-ng`",
                              details={"reason": "program_missing", "program": "espeak-ng"})
    return path


def phonemize_words(sentence: str, language: str) -> list[tuple[str, str]]:
    """(word as written, its phonemes with the clause's punctuation) for each word.

    espeak-ng sometimes joins function words ("of the" → one phoneme word); then the
    clause's phoneme words are shared out over its written words in order, so every
    written word keeps some phonemes and none are lost.
    """
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
    """One line of IPA per clause, from one espeak-ng run."""
    voice = ESPEAK_VOICES.get(language, language)
    # each clause on its own line, ended by a full stop so espeak-ng keeps the lines apart
    text = "\n".join(c.replace("\n", " ") + "." for c in clauses)
    proc = subprocess.run([espeak_binary(), "-q", "--ipa", "-b", "1", "-v", voice, "--stdin"],
                          input=text.encode(), capture_output=True, timeout=TIMEOUT_S, check=False)
    if proc.returncode != 0:
        raise RuntimeError(f"espeak-ng failed ({proc.returncode}): {proc.stderr.decode(errors='replace')[:200]}")
    lines = [line.strip() for line in proc.stdout.decode().splitlines() if line.strip()]
    if len(lines) != len(clauses):  # espeak-ng split or merged a clause: phonemize one by one
        lines = [" ".join(_espeak_one(c, voice).split()) for c in clauses]
    return lines


def _espeak_one(clause: str, voice: str) -> str:
    proc = subprocess.run([espeak_binary(), "-q", "--ipa", "-b", "1", "-v", voice, clause],
                          capture_output=True, timeout=TIMEOUT_S, check=True)
    return proc.stdout.decode()
