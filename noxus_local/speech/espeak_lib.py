"""espeak-ng's C library through ctypes — loaded only inside the helper process.

The library and its data come from the ``espeakng-loader`` wheel (in a frozen
binary, the same files bundled under ``espeakng_loader/``): always by absolute
path, with the data folder passed to ``espeak_Initialize``, so a system
``libespeak-ng`` or ``/usr/.../espeak-ng-data`` is never read. espeak-ng is
GPL-3: this module is imported by the server only for ``packaged_paths()`` (a
path lookup); ``EspeakLibrary`` runs in ``espeak_helper``'s own process.

Phonemes are taken exactly where the ``espeak-ng -q --ipa`` program takes
them: the phoneme trace of each clause (``espeak_SetPhonemeCallback``), while
the clause is synthesised into a callback that drops the audio.

Example (in the helper process)::

    lib = EspeakLibrary.load(*packaged_paths())
    lib.set_voice("es")
    lib.phonemes("Hola.")   # "ˈola"
"""

from __future__ import annotations

import ctypes
import importlib.util
from pathlib import Path

AUDIO_OUTPUT_SYNCHRONOUS = 2
POS_CHARACTER = 1
ESPEAK_RATE = 1
DEFAULT_WPM, PHONEMES_WPM = 175, 400
PHONEMES_IPA = 0x02
# what `espeak-ng -b 1` passes to espeak_Synth: UTF-8 text, [[phoneme]] input allowed, a pause at the end
SYNTH_FLAGS = 0x01 | 0x100 | 0x1000
SYNTH_CALLBACK = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.POINTER(ctypes.c_short), ctypes.c_int, ctypes.c_void_p)
PHONEME_CALLBACK = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.c_char_p)


class VoiceSelect(ctypes.Structure):
    """espeak_VOICE as espeak_SetVoiceByProperties reads it (only ``languages`` is set)."""

    _fields_ = [("name", ctypes.c_char_p), ("languages", ctypes.c_char_p), ("identifier", ctypes.c_char_p),
                ("gender", ctypes.c_ubyte), ("age", ctypes.c_ubyte), ("variant", ctypes.c_ubyte),
                ("xx1", ctypes.c_ubyte), ("score", ctypes.c_int), ("spare", ctypes.c_void_p)]


def packaged_paths() -> tuple[Path, Path] | None:
    """(libespeak-ng.so.1, espeak-ng-data) of the espeakng-loader package, or None when it is absent.

    Finds the package without importing it, so nothing is loaded into the caller.
    Example: ``packaged_paths()  # (…/espeakng_loader/libespeak-ng.so.1, …/espeakng_loader/espeak-ng-data)``
    """
    spec = importlib.util.find_spec("espeakng_loader")
    if spec is None or not spec.submodule_search_locations:
        return None
    root = Path(next(iter(spec.submodule_search_locations)))
    lib, data = root / "libespeak-ng.so.1", root / "espeak-ng-data"
    return (lib, data) if lib.is_file() and (data / "phontab").is_file() else None


class EspeakLibrary:
    """One initialised espeak-ng: a voice at a time, phonemes per line, or a whole text as audio."""

    def __init__(self, lib: ctypes.CDLL, sample_rate: int, library: Path, data: Path) -> None:
        self.lib, self.sample_rate, self.library, self.data = lib, sample_rate, library, data
        self._clauses: list[str] = []
        self._samples = bytearray()
        self._keep_audio = False
        # ctypes callbacks must outlive every call into the library
        self._on_audio = SYNTH_CALLBACK(self._audio)
        self._on_phonemes = PHONEME_CALLBACK(self._phonemes)
        lib.espeak_SetSynthCallback(self._on_audio)
        lib.espeak_SetPhonemeCallback(self._on_phonemes)
        # the IPA option is set through the trace, which needs a FILE* (NULL means stdout, our channel)
        libc = ctypes.CDLL(None)
        libc.fopen.restype, libc.fopen.argtypes = ctypes.c_void_p, [ctypes.c_char_p, ctypes.c_char_p]
        self._trace_sink = libc.fopen(b"/dev/null", b"w")

    @classmethod
    def load(cls, library: Path, data: Path) -> EspeakLibrary:
        lib = ctypes.CDLL(str(library.resolve()))  # absolute: the loader never searches the system
        lib.espeak_Initialize.argtypes = [ctypes.c_int, ctypes.c_int, ctypes.c_char_p, ctypes.c_int]
        lib.espeak_Synth.argtypes = [ctypes.c_char_p, ctypes.c_size_t, ctypes.c_uint, ctypes.c_int, ctypes.c_uint,
                                     ctypes.c_uint, ctypes.c_void_p, ctypes.c_void_p]
        lib.espeak_SetVoiceByName.argtypes = [ctypes.c_char_p]
        lib.espeak_SetVoiceByProperties.argtypes = [ctypes.POINTER(VoiceSelect)]
        lib.espeak_SetPhonemeTrace.argtypes = [ctypes.c_int, ctypes.c_void_p]
        lib.espeak_Info.argtypes = [ctypes.c_void_p]
        lib.espeak_Info.restype = ctypes.c_char_p
        rate = lib.espeak_Initialize(AUDIO_OUTPUT_SYNCHRONOUS, 0, str(data.resolve()).encode(), 0)
        if rate <= 0:
            raise RuntimeError(f"espeak-ng could not start with the data in {data}")
        return cls(lib, rate, library, data)

    def version(self) -> str:
        return (self.lib.espeak_Info(None) or b"?").decode()

    def set_voice(self, voice: str) -> None:
        """As ``espeak-ng -v VOICE`` does: by name, else by language ("en-gb" is a language, not a name)."""
        if self.lib.espeak_SetVoiceByName(voice.encode()) == 0:
            return
        select = VoiceSelect(languages=voice.encode())
        if self.lib.espeak_SetVoiceByProperties(ctypes.byref(select)) != 0:
            raise ValueError(f"espeak-ng has no voice {voice!r}")

    def phonemes(self, text: str) -> str:
        """IPA of ``text``: one string, its clauses joined by a space (what ``-q --ipa`` prints per clause)."""
        self.lib.espeak_SetPhonemeTrace(PHONEMES_IPA, self._trace_sink)
        # the audio is made and dropped: 400 wpm makes the least of it (over 450 the time-stretcher costs
        # more); the IPA is the same at any rate (checked on 199 clauses at 80, 175, 400 and 450)
        self.lib.espeak_SetParameter(ESPEAK_RATE, PHONEMES_WPM, 0)
        self._clauses = []
        self._synth(text)
        return " ".join(" ".join(self._clauses).split())

    def speak(self, text: str, rate: int | None = None) -> bytes:
        """16-bit mono PCM at ``sample_rate`` (what ``espeak-ng -w`` writes), at ``rate`` words a minute."""
        self.lib.espeak_SetPhonemeTrace(0, self._trace_sink)
        self.lib.espeak_SetParameter(ESPEAK_RATE, rate or DEFAULT_WPM, 0)
        self._samples = bytearray()
        self._keep_audio = True
        try:
            self._synth(text)
        finally:
            self._keep_audio = False
        return bytes(self._samples)

    def _synth(self, text: str) -> None:
        raw = text.encode()
        status = self.lib.espeak_Synth(raw, len(raw) + 1, 0, POS_CHARACTER, 0, SYNTH_FLAGS, None, None)
        if status != 0:
            raise RuntimeError(f"espeak_Synth failed with status {status}")
        self.lib.espeak_Synchronize()

    def _audio(self, wav: ctypes.Array, count: int, _events: int) -> int:
        if self._keep_audio and count > 0:
            self._samples += ctypes.string_at(wav, count * 2)
        return 0  # 0 = go on; the phonemes of later clauses only come if synthesis continues

    def _phonemes(self, text: bytes) -> int:
        self._clauses.append(text.decode(errors="replace"))
        return 0
