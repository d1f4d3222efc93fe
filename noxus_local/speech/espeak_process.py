"""The server's side of the espeak-ng helper: one long-lived helper process per voice.

Starting a program costs ~50 ms (more in a one-file binary); a helper per
voice stays up and answers a clause in well under a millisecond of pipe
time. Each helper has a lock (one conversation at a time), a deadline on
every answer, and is started again when it died (once per call; a second
death is an error). One voice per process keeps espeak-ng's state exactly
as one ``espeak-ng -v VOICE`` run has it, never switched between voices (with
espeak-ng 1.51, selecting the language ``en-gb`` again in the same process
gave American English; set once, 199 of 199 clauses matched the program).

Example::

    EspeakHelpers.phonemes("es", ["Hola.", "¿cómo estás."])   # ["ˈola", "kˈomo estˈas"]
    speak_wav("Hola, mundo", "es", Path("hola.wav"), rate=130)
"""

from __future__ import annotations

import os
import selectors
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import ClassVar

TIMEOUT_S = 60.0


def helper_argv(*args: str) -> list[str]:
    """How to start the helper: the frozen binary runs itself with a hidden command."""
    if getattr(sys, "frozen", False):
        return [sys.executable, "_espeak-helper", *args]
    return [sys.executable, "-m", "noxus_local.speech.espeak_helper", *args]


class HelperDied(RuntimeError):
    pass


class HelperTimeout(RuntimeError):
    pass


class EspeakHelper:
    """One ``espeak_helper serve VOICE`` process and the conversation with it."""

    def __init__(self, voice: str) -> None:
        self.voice = voice
        self.version = ""
        self._proc: subprocess.Popen[bytes] | None = None
        self._buffer = b""
        self._lock = threading.Lock()

    def phonemes(self, lines: list[str]) -> list[str]:
        """One IPA line per input line; the helper is (re)started as needed, at most twice per call."""
        with self._lock:
            try:
                return self._ask(lines)
            except (HelperDied, OSError):
                self._close()  # it died (or was killed) since the last call: one fresh start
                return self._ask(lines)

    def close(self) -> None:
        """Stop the helper, after the call in flight (if any) has its answer."""
        with self._lock:
            self._close()

    def _close(self) -> None:
        proc, self._proc, self._buffer = self._proc, None, b""
        if proc is not None and proc.poll() is None:
            proc.kill()
            proc.wait()

    @property
    def pid(self) -> int | None:
        return self._proc.pid if self._proc is not None else None

    def _ask(self, lines: list[str]) -> list[str]:
        proc = self._started()
        assert proc.stdin is not None
        proc.stdin.write(b"".join(_one_line(line) for line in lines))
        proc.stdin.flush()
        deadline = time.monotonic() + TIMEOUT_S
        return [self._read_line(deadline) for _ in lines]

    def _started(self) -> subprocess.Popen[bytes]:
        if self._proc is not None and self._proc.poll() is None:
            return self._proc
        self._close()
        self._proc = subprocess.Popen(helper_argv("serve", self.voice), stdin=subprocess.PIPE,
                                      stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
        ready = self._read_line(time.monotonic() + TIMEOUT_S)
        if not ready.startswith("ready "):
            raise HelperDied(f"the espeak-ng helper did not start for voice {self.voice!r}: {ready!r}")
        self.version = ready.removeprefix("ready ")
        return self._proc

    def _read_line(self, deadline: float) -> str:
        assert self._proc is not None and self._proc.stdout is not None
        fd = self._proc.stdout.fileno()
        with selectors.DefaultSelector() as sel:
            sel.register(fd, selectors.EVENT_READ)
            while b"\n" not in self._buffer:
                left = deadline - time.monotonic()
                if left <= 0 or not sel.select(left):
                    self._close()
                    raise HelperTimeout(f"the espeak-ng helper gave no answer within {TIMEOUT_S:.0f} s")
                chunk = os.read(fd, 65536)
                if not chunk:
                    raise HelperDied("the espeak-ng helper exited")
                self._buffer += chunk
        line, _, self._buffer = self._buffer.partition(b"\n")
        return line.decode(errors="replace")


def _one_line(text: str) -> bytes:
    return text.replace("\r", " ").replace("\n", " ").encode() + b"\n"


class EspeakHelpers:
    """The helpers of this process, one per voice, started on first use (immich's model cache, for a program)."""

    _helpers: ClassVar[dict[str, EspeakHelper]] = {}
    _lock: ClassVar[threading.Lock] = threading.Lock()

    @classmethod
    def get(cls, voice: str) -> EspeakHelper:
        with cls._lock:
            helper = cls._helpers.get(voice)
            if helper is None:
                helper = cls._helpers[voice] = EspeakHelper(voice)
            return helper

    @classmethod
    def phonemes(cls, voice: str, lines: list[str]) -> list[str]:
        return cls.get(voice).phonemes(lines)

    @classmethod
    def close_all(cls) -> None:
        with cls._lock:
            helpers, cls._helpers = list(cls._helpers.values()), {}
        for helper in helpers:
            helper.close()


def speak_wav(text: str, voice: str, out: Path, rate: int | None = None) -> Path:
    """espeak-ng's own voice reading ``text`` into a 22,050 Hz WAV (test clips, benches), via the helper."""
    args = ["speak", "-v", voice, "-w", str(out)] + (["-s", str(rate)] if rate else []) + [text]
    subprocess.run(helper_argv(*args), check=True, capture_output=True, timeout=TIMEOUT_S)
    return out


def helper_info() -> dict[str, str]:
    """The packaged library's version and paths, as the helper reports them (doctor)."""
    import json

    done = subprocess.run(helper_argv("info"), capture_output=True, timeout=TIMEOUT_S, check=True)
    return json.loads(done.stdout)
