"""Each line into the target language: the text model (ours or the configured engine), or Whisper.

The text model gets the lines in batches of ``BATCH_LINES``, numbered in and numbered out
(``prompts/dub_lines``: one call for many lines, the translation of the line before the batch as
context), greedy, ``max_tokens`` bounded by the batch's length. That is about three times faster on
the 2-core CPU than one JSON call per line (the prompt is read once a batch, no JSON around each
answer) and translates as well: the 1.5B model, the default, sees the lines around each one.
Every line is then checked (``problems_of``: a number of the source dropped, a name kept out, the
line left untranslated); only a line that fails, or that the answer left out, is asked again on its
own (``prompts/dub_line``, ``{"translation": "…"}``) with the problem quoted, once. If that answer
still has a problem the better of the two is used (the problems become warnings); no usable
translation at all raises ``StructuredOutputError``.

Whisper's own ``translate`` task is speech → English: each line's stretch of audio is recognised
again with it (``whisper_lines``). It needs no text model, and is what ``translator="whisper"`` asks for.

Example::

    out = llm_lines(llm, ["Hola, soy Ana.", "Tengo 3 perros."], "es", "en")
    out.texts          # ("Hello, I'm Ana.", "I have 3 dogs.")
    out.calls          # 1: both lines in one call, both passed the checks
"""

from __future__ import annotations

import json
import re
import tempfile
import wave
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from noxus_local.dubbing.languages import language_name
from noxus_local.dubbing.segments import Line
from noxus_local.generate.llm.types import Llm
from noxus_local.generate.structured import RETRY, StructuredOutputError, messages_for, parse_answer

LINE_SCHEMA: dict[str, Any] = {
    "type": "object", "required": ["translation"],
    "properties": {"translation": {"type": "string", "minLength": 1, "maxLength": 2000}},
}
_NUMBER = re.compile(r"\d+(?:[.,]\d+)*")
_WORD = re.compile(r"[^\W\d_]+", re.UNICODE)
PAD = 0.15  # seconds of audio kept around a line for Whisper's translation
BATCH_LINES = 8  # lines a call: the prompt read once for them, yet a short answer the 1.5B model keeps numbered
FIRST = "(none: this is the first line)"
_NUMBERED = re.compile(r"^\s*(\d{1,3})\s*[.):]\s*(.*?)\s*$")


@dataclass(frozen=True)
class Translated:
    texts: tuple[str, ...]
    engine: str  # "llm:<model>" or "whisper:<model>"
    warnings: tuple[str, ...] = field(default=())
    calls: int = 0  # text-model calls made (batches plus lines asked again)


def numbers_of(text: str) -> list[str]:
    """The numbers written in digits: ``numbers_of("Son 3,5 km y 12 min")`` → ``["3,5", "12"]``."""
    return _NUMBER.findall(text)


def names_of(text: str) -> list[str]:
    """Capitalised words that do not start a sentence: names and brands a translation keeps.

    Example: ``names_of("Hola, soy Ana y vivo en Lima. Me gusta")`` → ``["Ana", "Lima"]``.
    """
    out, starts = [], True
    for match in re.finditer(r"\S+", text):
        token = match.group(0)
        word = _WORD.search(token)
        if word and not starts and word.group(0)[0].isupper() and len(word.group(0)) > 1:
            out.append(word.group(0))
        starts = token[-1] in ".!?…:" or token in ("¿", "¡")
    return out


def latin_script(text: str) -> bool:
    """Whether most letters of ``text`` are Latin: ``latin_script("Me llamo Ana")`` is True,
    ``latin_script("私の名前はアナです")`` and ``latin_script("मेरा नाम अना है")`` are False."""
    letters = [ch for ch in text if ch.isalpha()]
    latin = sum(1 for ch in letters if ch < "\u0250")  # Basic Latin to Latin Extended-B
    return not letters or latin * 2 >= len(letters)


def problems_of(source: str, translation: str) -> list[str]:
    """What a translation of ``source`` loses: numbers, names, or the translation itself."""
    if not any(ch.isalnum() for ch in translation) or translation.strip() in ("…", "...", "..."):
        return ["$.translation: write the translated line itself, not a placeholder"]
    found = []
    plain = translation.replace(" ", "")
    lost = [n for n in numbers_of(source) if n.replace(" ", "") not in plain
            and n.replace(",", ".") not in plain and n.replace(".", ",") not in plain]
    if lost:
        found.append("$.translation: keep these numbers exactly as digits: " + ", ".join(lost))
    # a name goes into Japanese, Chinese or Hindi in their own script (Ana → アナ, 安娜, अना): only a
    # translation in the Latin script must keep it letter for letter
    gone = [n for n in names_of(source) if n.casefold() not in translation.casefold()] \
        if latin_script(translation) else []
    if gone:
        found.append("$.translation: keep these names exactly: " + ", ".join(gone))
    if len(source.split()) > 2 and translation.strip().casefold() == source.strip().casefold():
        found.append("$.translation: the line is not translated")
    return found


def llm_lines(llm: Llm, texts: Sequence[str], source: str, target_name: str,
              cancel: Callable[[], None] = lambda: None,
              progress: Callable[[float], None] = lambda _: None, batch: int = BATCH_LINES) -> Translated:
    """Every line translated by ``llm`` (``source`` is a Whisper code, ``target_name`` words), ``batch``
    lines a call; a line that fails its checks is asked again alone, once (see the module)."""
    out: list[str] = []
    warnings: list[str] = []
    calls = 0
    names = language_name(source), target_name
    for lo in range(0, len(texts), max(1, batch)):
        cancel()
        chunk = list(texts[lo:lo + max(1, batch)])
        answers = numbered_lines(llm.chat(batch_messages(chunk, *names, out[-1] if out else FIRST),
                                          max_tokens=batch_tokens(chunk), temperature=0.0).text, len(chunk))
        calls += 1
        for j, text in enumerate(chunk):
            cancel()
            line, found, asked = _settled(llm, text, answers.get(j + 1), names, out[-1] if out else FIRST)
            calls += asked
            if found:
                warnings.append(f"line {lo + j + 1}: {'; '.join(found)}")
            out.append(" ".join(line.split()))
            progress(len(out) / len(texts))
    return Translated(tuple(out), f"llm:{llm.name}", tuple(warnings), calls)


def batch_messages(texts: Sequence[str], source_name: str, target_name: str, before: str) -> list[Any]:
    """The ``dub_lines`` prompt for ``texts`` numbered from 1 (each on one line: a line holds no break)."""
    numbered = "\n".join(f"{i}. {' '.join(t.split())}" for i, t in enumerate(texts, 1))
    return messages_for("dub_lines", "en", {"source": source_name, "target": target_name, "before": before,
                                            "lines": numbered, "count": len(texts)})


def batch_tokens(texts: Sequence[str]) -> int:
    """The answer's bound: a number and up to two tokens a source character, a line (a runaway stops)."""
    return sum(8 + 2 * len(t) for t in texts)


def numbered_lines(answer: str, count: int) -> dict[int, str]:
    """The ``N. text`` lines of ``answer`` for N in 1..count (the first of each number, quotes around
    it dropped); a line left out is not a key (it is asked again alone).

    Example: ``numbered_lines('1. Hi.\\n2) "Bye."', 2) == {1: "Hi.", 2: "Bye."}``.
    """
    found: dict[int, str] = {}
    rows = [r for r in answer.strip().strip("`").splitlines() if r.strip()]
    for row in rows:
        match = _NUMBERED.match(row)
        if match and 1 <= int(match.group(1)) <= count and _unquoted(match.group(2)):
            found.setdefault(int(match.group(1)), _unquoted(match.group(2)))
    return found


def _unquoted(text: str) -> str:
    """``"Hello."`` → ``Hello.``: a line the model wrapped in quotes, without them."""
    text = text.strip()
    for a, b in ('""', "“”", "«»", "''"):
        if len(text) > 1 and text[0] == a and text[-1] == b:
            return text[1:-1].strip()
    return text


def _settled(llm: Llm, text: str, first: str | None, names: tuple[str, str],
             before: str) -> tuple[str, list[str], int]:
    """(the line's translation, the problems it still has, the calls made for it: 0 or 1, 2 when the
    batch left it out): the batch's answer when it passes, else the line asked alone (module)."""
    messages = messages_for("dub_line", "en", {"source": names[0], "target": names[1], "text": text,
                                               "before": before})
    answers: list[str] = []
    found = ["the batch's answer left this line out"]
    if first is not None:
        found = problems_of(text, first)
        if not found:
            return first, [], 0
        answers.append(json.dumps({"translation": first}, ensure_ascii=False))
        messages += [{"role": "assistant", "content": answers[-1]},
                     {"role": "user", "content": RETRY["en"].format(problems="; ".join(found[:5]))}]
    for _ in range(1 if first is not None else 2):
        answer = llm.chat(messages, max_tokens=40 + 3 * len(text), temperature=0.0).text
        answers.append(answer)
        data, found = parse_answer(answer, LINE_SCHEMA)
        if not found:
            found = problems_of(text, data["translation"])
            if not found:
                return str(data["translation"]), [], len(answers) - (first is not None)
        messages += [{"role": "assistant", "content": answer},
                     {"role": "user", "content": RETRY["en"].format(problems="; ".join(found[:5]))}]
    line = _usable(answers)
    if line is None:
        raise StructuredOutputError("dub_line", found, answers)
    return line, found, len(answers) - (first is not None)


def _usable(answers: list[str]) -> str | None:
    """The last answer that is a translation by the schema (its check failed, the JSON did not)."""
    for answer in reversed(answers):
        data, found = parse_answer(answer, LINE_SCHEMA)
        if not found and any(ch.isalnum() for ch in data["translation"]):
            return str(data["translation"])
    return None


def whisper_lines(lines: Sequence[Line], pcm16k: np.ndarray, recognise: Callable[[Path], str],
                  progress: Callable[[float], None] = lambda _: None) -> list[str]:
    """Each line's audio (``pcm16k``: 16 kHz mono float32) recognised again by ``recognise``, which
    runs Whisper's translate task on a WAV and returns its text (English)."""
    out = []
    with tempfile.TemporaryDirectory(prefix="noxus-dub-") as tmp:
        for i, line in enumerate(lines):
            lo = max(0, int((line.start - PAD) * 16000))
            hi = min(len(pcm16k), int((line.end + PAD) * 16000))
            path = Path(tmp) / f"line{i}.wav"
            write_wav16k(pcm16k[lo:hi], path)
            out.append(" ".join(recognise(path).split()))
            progress((i + 1) / len(lines))
    return out


def write_wav16k(pcm: np.ndarray, path: Path) -> Path:
    """16 kHz mono float32 as a 16-bit WAV."""
    data = np.clip(np.rint(np.asarray(pcm) * 32767), -32768, 32767).astype("<i2")
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(16000)
        w.writeframes(data.tobytes())
    return path
