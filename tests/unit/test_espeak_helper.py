"""The packaged espeak-ng in its helper process: golden IPA, no system espeak-ng, restarts, threads, audio.

Issue 17 item 7: text-to-speech failed on a fresh machine without the system
``espeak-ng`` program. The helper loads the espeakng-loader wheel's library by
absolute path with its own data folder, in a process of its own (GPL-3 stays
out of the server's process).
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import wave
from pathlib import Path

import numpy as np
import pytest

from noxus_local.errors import ToolUnavailable
from noxus_local.speech import phonemes
from noxus_local.speech.espeak_lib import packaged_paths
from noxus_local.speech.espeak_process import EspeakHelper, EspeakHelpers, helper_info, speak_wav

# (voice, line) → the IPA that espeak-ng 1.52's `-q --ipa -b 1` gives: the clauses of a line joined
GOLDEN = [
    ("es", "Hola, ¿cómo estás?", "ˈola kˈomo estˈas"),
    ("es", "El pingüino comió cigüeñas; la vergüenza fue enorme: ¡ay!",
     "el pˌiŋɡuˈino komjˈo θˌiɣuˈeɲas la βˌeɾɣuˈɛnθa fwˈe enˈoɾme ˈaɪ"),
    ("es", "Mañana lloverá por la tarde, así que no olvidéis el paraguas.",
     "maɲˈana ʎˌoβeɾˈa poɾ la tˈaɾðe asˈi ke nˈo ˌolβiðˈeis el paɾˈaɣwas"),
    ("es", "El precio es de 1.250,50 euros.",
     "el pɾˈeθjo ˈes ðe mˈil dosθjˈentos θinkwˈɛnta kˌoma θinkwˈɛnta ˈeʊɾos"),
    ("en-us", "Hello world, this is a test.", "həlˈoʊ wˈɜːld ðɪs ɪz ɐ tˈɛst"),
    ("en-us", "The quick brown fox jumps over the lazy dog.",
     "ðə kwˈɪk bɹˈaʊn fˈɑːks dʒˈʌmps ˌoʊvɚ ðə lˈeɪzi dˈɑːɡ"),
    ("en-us", "Meet me at 9:30 tomorrow!", "mˈiːt mˌiː æt nˈaɪn θˈɜːɾi təmˈɑːɹoʊ"),
    # "en-gb" is a language, not a voice name: found by properties, as `espeak-ng -v en-gb` does
    ("en-gb", "Hello world, this is a test.", "həlˈəʊ wˈɜːld ðɪs ɪz ɐ tˈɛst"),
    ("en-gb", "The tomato and the potato.", "ðə təmˈɑːtəʊ and ðə pətˈeɪtəʊ"),
]


@pytest.fixture()
def no_system_espeak(tmp_path, monkeypatch):
    """PATH without any espeak-ng (a folder of links to every other program) and a data path to nowhere."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for folder in os.environ.get("PATH", "").split(os.pathsep):
        for entry in Path(folder).glob("*") if Path(folder).is_dir() else []:
            if "espeak" not in entry.name and not (bin_dir / entry.name).exists():
                (bin_dir / entry.name).symlink_to(entry)
    monkeypatch.setenv("PATH", str(bin_dir))
    monkeypatch.setenv("ESPEAK_DATA_PATH", str(tmp_path / "nowhere"))
    return bin_dir


def test_the_packaged_library_is_installed():
    paths = packaged_paths()
    assert paths is not None, "espeakng-loader is a dependency of noxus-local"
    assert paths[0].name == "libespeak-ng.so.1" and (paths[1] / "es_dict").is_file()


@pytest.mark.parametrize(("voice", "line", "ipa"), GOLDEN)
def test_golden_ipa(voice, line, ipa):
    assert EspeakHelpers.phonemes(voice, [line]) == [ipa]


def test_many_lines_in_one_call_keep_their_order():
    lines = [line for voice, line, _ in GOLDEN if voice == "es"]
    assert EspeakHelpers.phonemes("es", lines) == [ipa for voice, _, ipa in GOLDEN if voice == "es"]


def test_a_line_without_phonemes_is_an_empty_answer():
    assert EspeakHelpers.phonemes("es", ["¿?", "Hola."]) == ["", "ˈola"]


def test_speech_works_without_any_system_espeak_ng(no_system_espeak):
    """The server's phonemizer picks the packaged library, and the helper maps only that copy."""
    helper = EspeakHelper("es")
    try:
        assert phonemes.phonemizer().kind == phonemes.PACKAGED
        assert helper.phonemes(["Hola, mundo."]) == ["ˈola mˈundo"]
        maps = Path(f"/proc/{helper.pid}/maps").read_text()
    finally:
        helper.close()
    libraries = {line.split()[-1] for line in maps.splitlines() if "libespeak" in line}
    assert libraries == {str(packaged_paths()[0].resolve())}
    assert "espeak" not in Path(f"/proc/{os.getpid()}/maps").read_text()  # never in the server's process


def test_a_helper_that_died_is_started_again():
    helper = EspeakHelper("es")
    try:
        assert helper.phonemes(["Hola."]) == ["ˈola"]
        first = helper.pid
        os.kill(first, 9)
        os.waitpid(first, 0)
        assert helper.phonemes(["Adiós."]) == ["aðjˈos"]
        assert helper.pid != first
    finally:
        helper.close()


def test_threads_share_one_helper_per_voice():
    results: dict[int, list[str]] = {}

    def work(i: int) -> None:
        voice, line, _ = GOLDEN[i % len(GOLDEN)]
        results[i] = EspeakHelpers.phonemes(voice, [line] * 5)

    threads = [threading.Thread(target=work, args=(i,)) for i in range(12)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert all(results[i] == [GOLDEN[i % len(GOLDEN)][2]] * 5 for i in range(12))


def test_neither_packaged_nor_system_is_503(no_system_espeak, monkeypatch):
    monkeypatch.setattr(phonemes, "packaged_paths", lambda: None)
    with pytest.raises(ToolUnavailable, match="espeak-ng"):
        phonemes.phonemizer()


def test_the_system_program_is_the_fallback(no_system_espeak, monkeypatch):
    """Without the package, a program named espeak-ng on PATH is used (here one that answers like it)."""
    fake = no_system_espeak / "espeak-ng"
    fake.write_text("#!/bin/sh\nsed 's/^/ipa-of-/'\n")  # `-q --ipa -b 1 -v es --stdin`: a line per line
    fake.chmod(0o755)
    monkeypatch.setattr(phonemes, "packaged_paths", lambda: None)
    assert phonemes.phonemizer() == phonemes.Phonemizer(phonemes.SYSTEM, str(fake))
    assert phonemes.phonemize_words("Hola, mundo.", "es") == [("Hola,", "ipa-of-Hola.,"), ("mundo.", "ipa-of-mundo..")]


def test_speak_writes_espeak_ng_audio(tmp_path, no_system_espeak):
    wav = speak_wav("Hola, esto es una prueba.", "es", tmp_path / "hola.wav", rate=130)
    with wave.open(str(wav)) as w:
        assert (w.getframerate(), w.getnchannels(), w.getsampwidth()) == (22050, 1, 2)
        pcm = np.frombuffer(w.readframes(w.getnframes()), dtype=np.int16)
    assert 1.0 < len(pcm) / 22050 < 4.0 and np.abs(pcm).max() > 3000


def test_info_names_the_packaged_copy():
    info = helper_info()
    assert info["version"].startswith("1.52") and info["library"] == str(packaged_paths()[0])


def test_the_helper_runs_as_a_module_by_itself():
    """`python -m noxus_local.speech.espeak_helper serve es` is the program the server starts."""
    done = subprocess.run([sys.executable, "-m", "noxus_local.speech.espeak_helper", "serve", "es"],
                          input=b"Hola.\n", capture_output=True, timeout=60, check=True)
    assert done.stdout.decode().splitlines() == ["ready 1.52.0", "ˈola"]


def test_close_all_stops_and_reaps_every_helper():
    """The server's shutdown (node/services.py stop_services) leaves no helper, not even a zombie."""
    EspeakHelpers.phonemes("es", ["Hola."])
    pid = EspeakHelpers.get("es").pid
    assert pid is not None and Path(f"/proc/{pid}").exists()
    EspeakHelpers.close_all()
    assert not Path(f"/proc/{pid}").exists()
    assert EspeakHelpers.phonemes("es", ["Hola."]) == ["ˈola"]  # and the next call starts a new one
