"""Phonemes per sentence: our long-lived espeak-ng helper vs running the system ``espeak-ng`` program.

Text-to-speech phonemizes every sentence. The old path started the system
program once per sentence (``espeak-ng -q --ipa -b 1 -v VOICE --stdin``); the
new one asks the voice's helper process (speech/espeak_helper.py, the packaged
library) over a pipe. Both are timed on the same sentences through
``speech.phonemes`` (clauses cut and punctuation put back the same way), in
alternation, after one warm-up each; the median per sentence and the ratio
are printed. Then both phonemize the same Spanish and English sentences and
every clause whose IPA differs is listed: the packaged library is espeak-ng
1.52, a distribution's program may be older (Debian 12 ships 1.51), and
dictionary changes between versions are the only differences expected.

Usage::

    python scripts/bench/bench_phonemes.py [--rounds 5]
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from noxus_local.speech import phonemes  # noqa: E402
from noxus_local.speech.espeak_process import EspeakHelpers, helper_info  # noqa: E402

SENTENCES = [
    ("es", "Hola, ¿cómo estás?"),
    ("es", "El viejo farero subía las escaleras cada tarde."),
    ("es", "Encendía la lámpara, limpiaba el cristal y miraba pasar los barcos por el estrecho canal."),
    ("es", "Mañana lloverá por la tarde, así que no olvidéis el paraguas."),
    ("es", "¡Qué sorpresa! ¿De verdad vienes el 25 de diciembre de 2026?"),
    ("es", "El precio es de 1.250,50 euros, o sea, 3 pagos de 416,83 €."),
    ("es", "El pingüino comió cigüeñas; la vergüenza fue enorme: ¡ay!"),
    ("es", "Compré un iPhone, un MacBook y unas AirPods en el Black Friday."),
    ("es", "Visita www.ejemplo.com o escribe a hola@ejemplo.es para más información."),
    ("es", "Los años 1980 y 1990 fueron distintos al siglo XXI."),
    ("en-us", "The old lighthouse keeper climbed the stairs every evening."),
    ("en-us", "He lit the lamp, wiped the glass, and watched the ships pass safely through the narrow channel."),
    ("en-us", "Dr. Smith lives at 221B Baker St. in London, UK."),
    ("en-us", "The price is $1,234.56, or about 3 payments of $411.52."),
    ("en-us", "She said, \"I can't believe it's not butter.\""),
    ("en-us", "NASA and the FBI worked with IBM on the project."),
    ("en-us", "We need 50% more RAM, 2 GPUs and a 1TB SSD."),
    ("en-us", "How much wood would a woodchuck chuck if a woodchuck could chuck wood?"),
    ("en-gb", "The tomato, the potato and the avocado were all on sale."),
    ("en-gb", "Nobody in the village remembered a single night when the light had failed."),
]


def clauses_of(sentence: str) -> list[str]:
    """The clauses phonemize_words sends, as it cuts them."""
    cut = [c.strip() for c in phonemes.CLAUSE_RE.findall(sentence) if c.strip(" " + phonemes.WORD_PUNCT)]
    return [c.rstrip(phonemes.WORD_PUNCT) for c in cut]


def via_helper(language: str, sentence: str) -> list[str]:
    voice = phonemes.ESPEAK_VOICES.get(language, language)
    return EspeakHelpers.phonemes(voice, [c + "." for c in clauses_of(sentence)])


def via_program(program: str, language: str, sentence: str) -> list[str]:
    return phonemes.espeak_program(clauses_of(sentence), phonemes.ESPEAK_VOICES.get(language, language), program)


def timed(fn, *args) -> float:
    started = time.perf_counter()
    fn(*args)
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    program = shutil.which("espeak-ng")
    if program is None:
        sys.exit("the system espeak-ng program is not installed: nothing to compare against")
    version = subprocess.run([program, "--version"], capture_output=True, text=True).stdout.split(":")[1].split()[0]
    info = helper_info()
    for language, sentence in SENTENCES[:1] + SENTENCES[10:11]:  # warm-up: each voice's helper starts here
        via_helper(language, sentence)
        via_program(program, language, sentence)
    helper_s, program_s = [], []
    for _ in range(args.rounds):
        for language, sentence in SENTENCES:
            helper_s.append(timed(via_helper, language, sentence))
            program_s.append(timed(via_program, program, language, sentence))
    h, p = statistics.median(helper_s), statistics.median(program_s)
    print(f"packaged espeak-ng {info['version']} in a long-lived helper: {h * 1000:.2f} ms per sentence (median "
          f"of {len(helper_s)})")
    print(f"system espeak-ng {version} program, one run per sentence: {p * 1000:.2f} ms per sentence")
    print(f"ratio program / helper: {p / h:.1f}x")
    compare(program, version, info["version"])


def compare(program: str, program_version: str, helper_version: str) -> None:
    total = differ = 0
    for language, sentence in SENTENCES:
        for clause, a, b in zip(clauses_of(sentence), via_program(program, language, sentence),
                                via_helper(language, sentence), strict=True):
            total += 1
            if a != b:
                differ += 1
                print(f"  differs ({language}) {clause!r}\n    program {program_version}: {a}\n"
                      f"    helper  {helper_version}: {b}")
    print(f"IPA: {total - differ} of {total} clauses identical")


if __name__ == "__main__":
    main()
