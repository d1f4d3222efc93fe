"""The espeak-ng helper program: our own small process around the packaged espeak-ng library.

espeak-ng is GPL-3, so, as with ffmpeg, it runs in a separate program and
never in the server's process: the server talks to this one over a pipe. It
is started as ``python -m noxus_local.speech.espeak_helper …`` or, in the frozen
binary, as ``noxus-local _espeak-helper …`` (noxus_local/__main__.py).

Commands::

    serve VOICE                 # prints "ready <version>", then for each UTF-8 line on stdin
                                # one line of IPA (its clauses joined by a space), like
                                # `espeak-ng -q --ipa -b 1 -v VOICE` prints per clause
    speak -v VOICE [-s WPM] -w OUT.wav TEXT     # like `espeak-ng -v VOICE -s WPM -w OUT.wav TEXT`
    info                        # {"version", "library", "data"} as JSON

Example::

    $ printf 'Hola.\\n' | python -m noxus_local.speech.espeak_helper serve es
    ready 1.52.0
    ˈola
"""

from __future__ import annotations

import argparse
import json
import sys
import wave
from collections.abc import Sequence
from pathlib import Path

from noxus_local.speech.espeak_lib import EspeakLibrary, packaged_paths


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    paths = packaged_paths()
    if paths is None:
        print("the espeakng-loader package (espeak-ng library and data) is not installed", file=sys.stderr)
        return 3
    lib = EspeakLibrary.load(*paths)
    return int(args.run(lib, args))


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="espeak-helper")
    sub = parser.add_subparsers(required=True)
    serve = sub.add_parser("serve")
    serve.add_argument("voice")
    serve.set_defaults(run=_serve)
    speak = sub.add_parser("speak")
    speak.add_argument("-v", dest="voice", default="en")
    speak.add_argument("-s", dest="rate", type=int, default=None)
    speak.add_argument("-w", dest="out", type=Path, required=True)
    speak.add_argument("text")
    speak.set_defaults(run=_speak)
    sub.add_parser("info").set_defaults(run=_info)
    return parser


def _serve(lib: EspeakLibrary, args: argparse.Namespace) -> int:
    lib.set_voice(args.voice)
    out = sys.stdout.buffer
    out.write(f"ready {lib.version()}\n".encode())
    out.flush()
    # bytes, split on \n only: text-mode reading would also cut at U+2028 and friends
    for raw in iter(sys.stdin.buffer.readline, b""):
        text = raw.rstrip(b"\n").decode(errors="replace")
        out.write(lib.phonemes(text).encode() + b"\n")
        out.flush()
    return 0


def _speak(lib: EspeakLibrary, args: argparse.Namespace) -> int:
    lib.set_voice(args.voice)
    pcm = lib.speak(args.text, args.rate)
    with wave.open(str(args.out), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(lib.sample_rate)
        w.writeframes(pcm)
    return 0


def _info(lib: EspeakLibrary, args: argparse.Namespace) -> int:
    print(json.dumps({"version": lib.version(), "library": str(lib.library), "data": str(lib.data)}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
