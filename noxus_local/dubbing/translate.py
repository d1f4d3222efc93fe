"""Each line into the target language: the text model (ours or the configured engine), or Whisper.

The text model gets one line at a time with the line before it as context (``prompts/dub_line``;
the 1.5B model, the default, translates it well; the 0.5B often does not),
asked for ``{"translation": "…"}``; an answer that drops a number of the source, keeps a name out,
or leaves the line untranslated is asked again once with the problem quoted (generate/structured.py).
If the second answer still has such a problem it is used anyway when it is a translation (the
problems are reported as warnings); no usable JSON at all raises ``StructuredOutputError``.

Whisper's own ``translate`` task is speech → English: each line's stretch of audio is recognised
again with it (``whisper_lines``). It needs no text model, and is what ``translator="whisper"`` asks for.

Example::

    out = llm_lines(llm, ["Hola, soy Ana.", "Tengo 3 perros."], "es", "en")
    out.texts          # ("Hello, I'm Ana.", "I have 3 dogs.")
"""

from __future__ import annotations

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
from noxus_local.generate.structured import StructuredOutputError, ask_structured, parse_answer

LINE_SCHEMA: dict[str, Any] = {
    "type": "object", "required": ["translation"],
    "properties": {"translation": {"type": "string", "minLength": 1, "maxLength": 2000}},
}
_NUMBER = re.compile(r"\d+(?:[.,]\d+)*")
_WORD = re.compile(r"[^\W\d_]+", re.UNICODE)
PAD = 0.15  # seconds of audio kept around a line for Whisper's translation


@dataclass(frozen=True)
class Translated:
    texts: tuple[str, ...]
    engine: str  # "llm:<model>" or "whisper:<model>"
    warnings: tuple[str, ...] = field(default=())


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
    gone = [n for n in names_of(source) if n.casefold() not in translation.casefold()]
    if gone:
        found.append("$.translation: keep these names exactly: " + ", ".join(gone))
    if len(source.split()) > 2 and translation.strip().casefold() == source.strip().casefold():
        found.append("$.translation: the line is not translated")
    return found


def llm_lines(llm: Llm, texts: Sequence[str], source: str, target_name: str,
              cancel: Callable[[], None] = lambda: None,
              progress: Callable[[float], None] = lambda _: None) -> Translated:
    """Every line translated by ``llm`` (``source`` is a Whisper code, ``target_name`` words)."""
    out: list[str] = []
    warnings: list[str] = []
    for i, text in enumerate(texts):
        cancel()
        variables = {"source": language_name(source), "target": target_name, "text": text,
                     "before": out[-1] if out else "(none: this is the first line)"}
        try:
            answer = ask_structured(llm, "dub_line", "en", variables, LINE_SCHEMA,
                                    check=lambda data, text=text: problems_of(text, data["translation"]),
                                    max_tokens=40 + 3 * len(text), temperature=0.0)
            line = answer.data["translation"]
        except StructuredOutputError as exc:
            line = _usable(exc.answers)
            if line is None:
                raise
            warnings.append(f"line {i + 1}: {'; '.join(exc.problems)}")
        out.append(" ".join(line.split()))
        progress((i + 1) / len(texts))
    return Translated(tuple(out), f"llm:{llm.name}", tuple(warnings))


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
