"""What video analysis costs per second of 720p video, and how its shots agree with PySceneDetect's.

In-process (no HTTP), on three 1280×720 30 fps H.264 clips built here with
the bundled ffmpeg, each with boundaries known by construction:

- **stills**: five Pillow-drawn pictures, hard cuts and one fade through black,
  espeak-ng speech (tests/video_clips.py, shots stretched to 6 s);
- **motion**: six lavfi sources that move (testsrc2, mandelbrot, life, cellauto,
  a scrolling smptehdbars, rgbtestsrc with a hue spin), 5 s each, hard cuts;
- **fades**: the motion sources again with fades through black between them.

Measured: the whole ``video-analyze`` tool run (probe, scenes, keyframes with
the default keyframe features, audio with Silero VAD) in processing seconds
per second of video, the scene step on its own, and a bare PyAV decode of
every frame (the floor any detector pays); then PySceneDetect
(``scenedetect[opencv-headless]``, installed by this script into a throwaway
venv, ``--sd-venv``, default /tmp/sd-venv, run there as a child process)
with its ``ContentDetector`` and ``AdaptiveDetector`` defaults on the same
files. CPU seconds (every thread, plus ffmpeg children) are quoted next to the
wall clock: on a shared, loaded box they move far less. Agreement: boundaries matched within ±0.2 s, as precision/recall
against PySceneDetect's list and against the known truth for both.

Example::

    .venv/bin/python scripts/bench/bench_video_analysis.py          # ~7 min on a busy 2-core box
    .venv/bin/python scripts/bench/bench_video_analysis.py --rounds 1
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))  # tests.video_clips builds the clips

SD_VERSION = "0.6.7"
TOLERANCE = 0.2
TARGET = 0.1  # processing seconds per second of 720p video
SIZE = (1280, 720)
FPS = 30
SHOT = 5.0
MOTION = ("testsrc2=s={w}x{h}:r={r}", "mandelbrot=s={w}x{h}:r={r}", "life=s={w}x{h}:r={r}:mold=10:ratio=0.2",
          "cellauto=s={w}x{h}:r={r}:rule=110", "smptehdbars=s={w}x{h}:r={r},scroll=h=0.01",
          "rgbtestsrc=s={w}x{h}:r={r},hue=H=2*PI*t")

SD_CHILD = r'''
import json, sys, time
from scenedetect import AdaptiveDetector, ContentDetector, detect
out = {}
for clip in json.loads(sys.argv[1]):
    for name, make in (("content", ContentDetector), ("adaptive", AdaptiveDetector)):
        t0 = time.perf_counter()
        scenes = detect(clip, make())
        out[f"{name}:{clip}"] = {"seconds": time.perf_counter() - t0,
                                 "cuts": [s[0].get_seconds() for s in scenes[1:]]}
print(json.dumps(out))
'''


def motion_clip(dest: Path, fades: bool) -> tuple[Path, list[float]]:
    from tests.video_clips import ffmpeg

    w, h = SIZE
    inputs: list[str] = []
    chains = []
    for n, source in enumerate(MOTION):
        inputs += ["-f", "lavfi", "-t", str(SHOT), "-i", source.format(w=w, h=h, r=FPS)]
        chain = f"[{n}:v]format=yuv420p,setsar=1"
        if fades and n:
            chain += ",fade=t=in:st=0:d=0.7"
        if fades and n < len(MOTION) - 1:
            chain += f",fade=t=out:st={SHOT - 0.7}:d=0.7"
        chains.append(chain + f"[v{n}]")
    graph = ";".join(chains) + ";" + "".join(f"[v{n}]" for n in range(len(MOTION))) + \
        f"concat=n={len(MOTION)}:v=1:a=0[v]"
    ffmpeg(*inputs, "-filter_complex", graph, "-map", "[v]", "-c:v", "libx264", "-preset", "veryfast",
           "-crf", "23", "-r", str(FPS), str(dest))
    return dest, [SHOT * n for n in range(1, len(MOTION))]


def make_clips(folder: Path) -> dict[str, tuple[Path, list[float]]]:
    from tests.video_clips import SHOTS, shots_clip

    stills = shots_clip(folder / "stills.mp4", size=SIZE, fps=FPS,
                        shots=tuple((c, 6.0, out, inn) for c, _, out, inn in SHOTS))
    return {"stills": (stills.path, sorted(stills.cuts + stills.fades)),
            "motion": motion_clip(folder / "motion.mp4", fades=False),
            "fades": motion_clip(folder / "fades.mp4", fades=True)}


def ensure_sd_venv(venv: Path) -> Path:
    python = venv / "bin" / "python"
    check = [str(python), "-c", f"import scenedetect; assert scenedetect.__version__ == '{SD_VERSION}'"]
    if python.exists() and subprocess.run(check, capture_output=True).returncode == 0:
        return python
    print(f"installing scenedetect[opencv-headless]=={SD_VERSION} into {venv} (throwaway venv)", flush=True)
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    subprocess.run([str(python), "-m", "pip", "install", "-q", f"scenedetect[opencv-headless]=={SD_VERSION}"],
                   check=True)
    return python


def matched(found: list[float], truth: list[float]) -> tuple[float, float]:
    """(precision, recall) with each true boundary matched at most once within TOLERANCE."""
    left = list(truth)
    hits = 0
    for t in found:
        near = [x for x in left if abs(x - t) <= TOLERANCE]
        if near:
            left.remove(min(near, key=lambda x: abs(x - t)))
            hits += 1
    return (hits / len(found) if found else 1.0), (hits / len(truth) if truth else 1.0)


def decode_only(path: Path, skip: str | None = None) -> float:
    """The floor every detector pays: PyAV decoding each frame (frame threads on), nothing else;
    ``skip="NONREF"`` is what our scan asks of the decoder (no disposable B-frames)."""
    import av

    t0 = time.perf_counter()
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        stream.thread_type = "AUTO"
        if skip:
            stream.codec_context.skip_frame = skip
        for _ in container.decode(stream):
            pass
    return time.perf_counter() - t0


def cpu_seconds() -> float:
    """CPU time of this process (every thread) and its finished children (ffmpeg): unlike the wall
    clock, it barely moves when other work shares the cores."""
    me, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return me.ru_utime + me.ru_stime + kids.ru_utime + kids.ru_stime


def ours(clips: dict[str, tuple[Path, list[float]]], rounds: int, folder: Path) -> dict[str, dict]:
    from noxus_local.analysis.scenes import detect
    from noxus_local.analysis.video import scan
    from noxus_local.config import load_config
    from noxus_local.inference.cache import ModelCache
    from noxus_local.inference.registry.installed import ModelRegistry
    from noxus_local.media.probe import probe
    from noxus_local.runtime.cancel import CancelToken
    from noxus_local.tools.base import InputFile, Limits, ToolContext
    from noxus_local.tools.video_analyze import VideoAnalyzeTool

    cfg = load_config(None, {"NOXUS_DATA_DIR": str(folder / "data"), "NOXUS_INFERENCE_THREADS": "1"})
    ModelRegistry.from_config(cfg).fetch(["silero-vad"])
    models = ModelCache(cfg)
    tool = VideoAnalyzeTool()
    limits = Limits(max_video_seconds=3600, max_upload_bytes=2**31)
    out: dict[str, dict] = {}
    for name, (path, _) in clips.items():
        files = {"video": InputFile(path, path.name, None, path.stat().st_size)}
        params = tool.validate({}, files, limits)
        info = probe(path)
        totals, cpus, scene_times, decode_times, nonref_times = [], [], [], [], []
        result = None
        for r in range(rounds):
            work = folder / f"work-{name}-{r}"
            work.mkdir()
            t0, c0 = time.perf_counter(), cpu_seconds()
            result = tool.call(ToolContext(dict(params), files, limits, work, models=models)).result
            totals.append(time.perf_counter() - t0)
            cpus.append(cpu_seconds() - c0)
            t0 = time.perf_counter()
            detect(scan(path, info, CancelToken(), work / "scan").scores, info.duration or 0.0)
            scene_times.append(time.perf_counter() - t0)
            decode_times.append(decode_only(path))
            nonref_times.append(decode_only(path, "NONREF"))
        assert result is not None
        out[name] = {"duration": info.duration, "total": statistics.median(totals), "cpu": statistics.median(cpus),
                     "nonref": statistics.median(nonref_times),
                     "scenes_step": statistics.median(scene_times), "decode": statistics.median(decode_times),
                     "cuts": [s["start"] for s in result["scenes"][1:]],
                     "kinds": [s["transition"] for s in result["scenes"][1:]],
                     "keyframes": len(result["keyframes"]), "speech": len(result["audio"].get("speech") or [])}
    from noxus_local.inference.models.vad import SileroVad

    out["_providers"] = {"silero-vad": models.get(SileroVad).load().providers_used}
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--sd-venv", type=Path, default=Path("/tmp/sd-venv"))
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-video-") as tmp:
        folder = Path(tmp)
        print("building clips (1280x720, 30 fps, H.264)...", flush=True)
        clips = make_clips(folder)
        mine = ours(clips, args.rounds, folder)
        python = ensure_sd_venv(args.sd_venv)
        done = subprocess.run([str(python), "-c", SD_CHILD, json.dumps([str(p) for p, _ in clips.values()])],
                              capture_output=True, text=True, check=True)
        theirs = json.loads(done.stdout.strip().splitlines()[-1])
    print(f"\n{'clip':8} {'seconds':>7} {'ours s/s':>9} {'ours cpu s/s':>12} {'scenes s/s':>10} {'decode only':>11} "
          f"{'decode nonref':>13} {'PySD content s/s':>16} {'PySD adaptive s/s':>17}")
    per_second, cpu_per_second = [], []
    for name, (path, _) in clips.items():
        m = mine[name]
        c, a = theirs[f"content:{path}"], theirs[f"adaptive:{path}"]
        per_second.append(m["total"] / m["duration"])
        d = m["duration"]
        print(f"{name:8} {d:7.1f} {m['total'] / d:9.3f} {m['cpu'] / d:12.3f} {m['scenes_step'] / d:10.3f}"
              f" {m['decode'] / d:11.3f} {m.get('nonref', 0) / d:13.3f} {c['seconds'] / d:16.3f}"
              f" {a['seconds'] / d:17.3f}")
        cpu_per_second.append(m["cpu"] / d)
    print(f"\nboundaries matched within ±{TOLERANCE} s: precision / recall")
    print(f"{'clip':8} {'truth':>5} {'ours vs truth':>14} {'content vs truth':>17} {'adaptive vs truth':>18} "
          f"{'ours vs content':>16} {'ours vs adaptive':>17}")
    for name, (path, truth) in clips.items():
        m = mine[name]
        c, a = theirs[f"content:{path}"]["cuts"], theirs[f"adaptive:{path}"]["cuts"]

        def pr(found: list[float], ref: list[float]) -> str:
            p, r = matched(found, ref)
            return f"{p:.2f} / {r:.2f}"

        print(f"{name:8} {len(truth):5d} {pr(m['cuts'], truth):>14} {pr(c, truth):>17} {pr(a, truth):>18} "
              f"{pr(m['cuts'], c):>16} {pr(m['cuts'], a):>17}")
        print(f"         ours: {[round(t, 2) for t in m['cuts']]} {m['kinds']}; keyframes {m['keyframes']}, "
              f"speech segments {m['speech']}")
        print(f"         PySceneDetect content: {[round(t, 2) for t in c]}; adaptive: {[round(t, 2) for t in a]}")
    print(f"\nproviders that ran: {mine['_providers']}; PyAV decode threads: auto (frame threads), "
          "non-reference frames skipped")
    worst = max(per_second)
    print(f"\nwhole analysis, worst clip: {worst:.3f} s per second of 720p video (target ≤ {TARGET}): "
          f"{'met' if worst <= TARGET else 'NOT met'}; load average now {os.getloadavg()[0]:.1f} "
          f"on {os.cpu_count()} cores")
    print(f"CPU seconds per second of video, worst clip: {max(cpu_per_second):.3f} (÷ {os.cpu_count()} cores ="
          f" {max(cpu_per_second) / (os.cpu_count() or 1):.3f} s/s of wall on an idle machine, at best)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
