"""Probing and decoding media: PyAV (FFmpeg's libraries in-process) vs the bundled ffmpeg executable.

Four questions, each answered for both backends in the same run, with the
ratio printed:

1. time per probe (``media.probe.probe`` with ``backend="pyav"`` vs
   ``"ffmpeg"``: ``ffmpeg -i`` + stderr parsing) on a plain and a rotated MP4
   and a WAV, median of N;
2. frames/s decoding a 720p H.264 clip to RGB numpy arrays (PyAV
   ``frame.to_ndarray`` vs ``ffmpeg -f rawvideo -pix_fmt rgb24 -`` read from a
   pipe into ``np.frombuffer``), both with FFmpeg's default threading;
3. what each does with a corpus of broken files (refused as ``invalid_media``
   or accepted, and how fast);
4. install size: the ``av`` wheel's files (``av/`` + ``av.libs/``) beside the
   bundled ffmpeg executable.

All media is made by the bundled ffmpeg in a temp dir at the start.

Example::

    .venv/bin/python scripts/bench/bench_probe.py            # ~30 s on 2 cores
    .venv/bin/python scripts/bench/bench_probe.py --quick
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from noxus_local.errors import InvalidMedia  # noqa: E402
from noxus_local.media.ffmpeg import ffmpeg_exe  # noqa: E402
from noxus_local.media.probe import probe  # noqa: E402

BACKENDS = ("pyav", "ffmpeg")


def ffmpeg(*args: str) -> None:
    subprocess.run([ffmpeg_exe(), "-v", "error", "-y", *args], check=True)


def make_corpus(d: Path) -> dict[str, Path]:
    """Good files and broken ones; names say what each is."""
    av_mp4, hd = d / "video_audio.mp4", d / "hd720.mp4"
    ffmpeg("-f", "lavfi", "-i", "testsrc=size=320x240:rate=25:duration=2", "-f", "lavfi", "-i",
           "sine=frequency=440:duration=2", "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p",
           "-c:a", "aac", "-movflags", "+faststart", "-shortest", str(av_mp4))
    ffmpeg("-display_rotation", "90", "-i", str(av_mp4), "-c", "copy", str(d / "rotated.mp4"))
    ffmpeg("-f", "lavfi", "-i", "sine=sample_rate=16000:duration=2", str(d / "audio_only.wav"))
    ffmpeg("-f", "lavfi", "-i", "testsrc=size=64x48", "-frames:v", "1", "-f", "image2", "-c:v", "png",
           str(d / "image_as_video.mp4"))
    ffmpeg("-f", "lavfi", "-i", "testsrc2=size=1280x720:rate=30:duration=4", "-c:v", "libx264",
           "-preset", "veryfast", "-pix_fmt", "yuv420p", str(hd))
    data = av_mp4.read_bytes()
    (d / "truncated.mp4").write_bytes(data[: len(data) // 2])
    tail_moov = d / "moov_at_end.mp4"
    ffmpeg("-i", str(av_mp4), "-c", "copy", str(tail_moov))  # no faststart: moov is the last atom
    whole = tail_moov.read_bytes()
    moov_at = whole.rindex(b"moov") - 4  # the atom starts with its 4-byte size
    (d / "moov_missing.mp4").write_bytes(whole[:moov_at])  # the index is gone, all data is there
    (d / "moov_cut.mp4").write_bytes(whole[:-200])  # the index's last bytes are gone
    (d / "zero_bytes.mp4").write_bytes(b"")
    (d / "random_bytes.mp4").write_bytes(np.random.default_rng(7).bytes(65536))
    (d / "text_renamed.mp4").write_text("this is a text file, not a video\n" * 20)
    return {p.stem: p for p in sorted(d.iterdir())}


def time_probe(path: Path, backend: str, n: int) -> float:
    """Median milliseconds per probe (the first call warms imports and caches, not counted)."""
    probe(path, backend)
    times = []
    for _ in range(n):
        t0 = time.perf_counter()
        probe(path, backend)
        times.append(time.perf_counter() - t0)
    return statistics.median(times) * 1000


def decode_pyav(path: Path) -> tuple[int, float]:
    import av

    t0 = time.perf_counter()
    frames = 0
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        stream.thread_type = "AUTO"
        for frame in container.decode(stream):
            arr = frame.to_ndarray(format="rgb24")
            frames += arr.shape[0] > 0
    return frames, time.perf_counter() - t0


def decode_ffmpeg_pipe(path: Path, width: int, height: int) -> tuple[int, float]:
    t0 = time.perf_counter()
    size = width * height * 3
    proc = subprocess.Popen([ffmpeg_exe(), "-v", "error", "-nostdin", "-i", str(path), "-f", "rawvideo",
                             "-pix_fmt", "rgb24", "-"], stdout=subprocess.PIPE)
    assert proc.stdout is not None
    frames = 0
    while True:
        buf = proc.stdout.read(size)
        if len(buf) < size:
            break
        arr = np.frombuffer(buf, np.uint8).reshape(height, width, 3)
        frames += arr.shape[0] > 0
    proc.wait()
    return frames, time.perf_counter() - t0


def corpus_outcome(path: Path, backend: str) -> str:
    t0 = time.perf_counter()
    try:
        info = probe(path, backend)
        what = f"accepted ({info.container.split(',')[0]}, {len(info.streams)} stream(s)"
        what += ", image" if info.is_image else f", {info.duration}s"
        what += f", rot {info.video.rotation})" if info.video else ")"
    except InvalidMedia as exc:
        what = f"invalid_media: {(exc.details or {}).get('reason')}"
    except Exception as exc:  # a crash is a finding too
        what = f"CRASH {type(exc).__name__}: {exc}"
    return f"{what}  [{(time.perf_counter() - t0) * 1000:.1f} ms]"


def du_mb(*paths: Path) -> float:
    total = sum(f.stat().st_size for p in paths if p.exists() for f in ([p] if p.is_file() else p.rglob("*"))
                if f.is_file())
    return total / 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="fewer repetitions")
    args = parser.parse_args()
    n, decode_runs = (10, 1) if args.quick else (40, 3)
    with tempfile.TemporaryDirectory(prefix="bench-probe-") as tmp:
        corpus = make_corpus(Path(tmp))
        print("== time per probe (median ms, lower is better)")
        for name in ("video_audio", "rotated", "audio_only"):
            ms = {b: time_probe(corpus[name], b, n) for b in BACKENDS}
            print(f"  {name:<14} pyav {ms['pyav']:7.2f}   ffmpeg -i {ms['ffmpeg']:7.2f}   "
                  f"ffmpeg/pyav = {ms['ffmpeg'] / ms['pyav']:.1f}x")
        print("== 720p H.264 decode to RGB numpy (4 s, 30 fps; frames/s, best of runs, higher is better)")
        hd = corpus["hd720"]
        pyav = max((f / s for f, s in (decode_pyav(hd) for _ in range(decode_runs))))
        pipe = max((f / s for f, s in (decode_ffmpeg_pipe(hd, 1280, 720) for _ in range(decode_runs))))
        print(f"  pyav {pyav:7.1f} fps   ffmpeg pipe {pipe:7.1f} fps   pyav/ffmpeg = {pyav / pipe:.2f}x")
        print("== broken and odd files")
        for name, path in corpus.items():
            if name in ("hd720", "moov_at_end"):
                continue
            for backend in BACKENDS:
                print(f"  {name:<16} {backend:<6} {corpus_outcome(path, backend)}")
    import av

    root = Path(av.__file__).parent
    libs = root.parent / "av.libs"
    print("== install size (MB)")
    print(f"  av wheel: {du_mb(root, libs):.0f} (av/ {du_mb(root):.0f} + av.libs/ {du_mb(libs):.0f})   "
          f"bundled ffmpeg executable: {du_mb(Path(ffmpeg_exe())):.0f}")


if __name__ == "__main__":
    main()
