"""Tool ``video-analyze`` (alias ``analizar-video``): probe, shots, keyframes and sound of one video.

What ``POST /api/v1/analysis/video`` submits (api/video_routes.py), and
callable as any tool through ``/api/v1/tools/video-analyze``. Steps
``probe → scenes → keyframes → audio``:

- **probe**: duration, fps, resolution (as displayed), codecs, rotation, audio present;
- **scenes**: one decode of every frame, cuts and fades (analysis/scenes.py, analysis/video.py);
- **keyframes**: one per scene plus one every ``sample_every_seconds``, each a JPEG output
  (``keyframe-000``, …) analysed with the chosen image ``features`` (analysis/features.py);
- **audio**: EBU R128 loudness, silences, Silero VAD speech (analysis/soundtrack.py); skipped
  with ``{"present": false}`` when the file has no audio stream. Its ffmpeg pass starts with
  the scenes step, in a second thread, so it overlaps the frame decode.

Priced per second of video (``measures = "seconds"``): the hold is the probed
duration, the charge the seconds the scan decoded (its last frame's time plus
one frame), so a header that claims 110 s over 2 s of frames is charged 2 s and
the result says so in ``warnings`` (media/decoded.py). Garbage, a file without a video stream,
an image or a 0-byte file is a 400 ``invalid_media`` before any money moves.

Example::

    curl -X POST http://127.0.0.1:8080/api/v1/tools/video-analyze -H "Authorization: Bearer $KEY" \\
      -H "Prefer: respond-async" -F video=@clip.mp4 -F features=colors,quality -F sample_every_seconds=5
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Annotated, Any, ClassVar

import msgspec
from msgspec import Meta

from noxus_local.analysis.features import FEATURES, analyse, check_features
from noxus_local.analysis.scenes import detect
from noxus_local.analysis.soundtrack import Extracted, analyse_audio, extract
from noxus_local.analysis.video import Pick, pick_keyframes, scan
from noxus_local.errors import LimitExceeded, NoxusError
from noxus_local.inference.engines.onnx_runtime import ModelNotInstalled
from noxus_local.inference.models.vad import SileroVad
from noxus_local.media.decoded import add_warning, decode_limit, processed_seconds, truncated_warning
from noxus_local.media.probe import MediaInfo, probe
from noxus_local.tools.base import (
    InputFile,
    InputSpec,
    Limits,
    OutputFile,
    Params,
    Plan,
    Step,
    Tool,
    ToolContext,
    ToolOutput,
)

KEYFRAME_FEATURES = ("colors", "quality")  # cheap and useful on every frame; the request may choose more
MAX_KEYFRAMES = 500
UNKNOWN_DURATION_GUESS = 30.0  # a queued job's ETA when the container gives no duration


class VideoAnalyzeParams(Params):
    """What ``POST /api/v1/tools/video-analyze`` takes, besides the ``video`` file."""

    file_inputs: ClassVar[tuple[InputSpec, ...]] = (
        InputSpec("video", "file", required=True, help="Any video FFmpeg reads (mp4, mov, mkv, webm...)."),)
    # a comma-separated string or a JSON list: normalised to a list by plan()
    features: Annotated[Any, Meta(extra={"noxus_type": "object"}, examples=["colors,quality"], description=(
        f"Image features of each keyframe, comma-separated or a JSON list; one of {', '.join(FEATURES)}. "
        f"Default: {','.join(KEYFRAME_FEATURES)}."))] = None
    sample_every_seconds: Annotated[float, Meta(ge=0.5, le=3600, examples=[5.0], description=(
        "Also keep (and analyse) a keyframe every this many seconds."))] | None = None


class VideoAnalyzeTool(Tool):
    slug = "video-analyze"
    aliases = ("analizar-video",)
    title = "Analyze a video"
    description = ("Probe data, shots (cuts and fades), one analysed keyframe per shot (plus optional samples), "
                   "speech segments, EBU R128 loudness and silences of one video, as JSON plus JPEG keyframes.")
    Params = VideoAnalyzeParams
    media_type = "video"
    measures = "seconds"
    resources: ClassVar[Mapping[str, int]] = {"cpu": 2}  # frame-threaded decode on both cores
    # per second of probed video: shots, keyframes and their image features, speech and loudness
    default_price: ClassVar[Mapping[str, str]] = {"unit": "second", "unit_usd": "0.0002", "minimum_usd": "0.001"}
    models = ("silero-vad",)  # optional: without it the audio block says how to install it
    steps = (Step("probe", 1), Step("scenes", 6), Step("keyframes", 2), Step("audio", 1))

    def plan(self, params: VideoAnalyzeParams, files: Mapping[str, InputFile], limits: Limits) -> Plan:
        """Probe once: the tier's duration limit, the features list, the seconds held (and a queued job's
        ETA, 30 s when the container tells no duration); the probe is kept in ``facts["probe"]``."""
        info = _probe(files["video"].path)
        if info.duration is not None and info.duration > limits.max_video_seconds:
            raise LimitExceeded(details={"limit": "max_video_seconds", "max": limits.max_video_seconds,
                                         "duration_seconds": round(info.duration, 2)})
        raw = params.features
        params.features = list(check_features(raw) if raw is not None else KEYFRAME_FEATURES)
        seconds = round(info.duration, 3) if info.duration else None
        return Plan(units=seconds or 0.0, resources=dict(self.resources), work_units=seconds or UNKNOWN_DURATION_GUESS,
                    facts={"probe": msgspec.to_builtins(info)})

    def run(self, ctx: ToolContext, plan: Plan) -> ToolOutput:
        path = ctx.files["video"].path
        with ctx.step("probe"):  # read at the request: the input is not probed again
            info = plan.fact("probe", MediaInfo) or _probe(path)
        # the sound's ffmpeg pass (decode, R128 meter, silences, 16 kHz pcm) runs while the frames decode:
        # a second process the scheduler spreads over the cores; only the VAD waits for the frames
        limit = decode_limit(info.duration)  # never decode more than the hold paid for
        with ThreadPoolExecutor(1, thread_name_prefix="video-audio") as pool:
            sound = pool.submit(extract, path, ctx.workdir, ctx.cancel, limit) if info.audio is not None else None
            with ctx.step("scenes") as step:
                frames = scan(path, info, ctx.cancel, ctx.workdir / "frames", progress=step.progress,
                              max_seconds=limit)
                processed = processed_seconds(info.duration, scanned_seconds(info, frames.last_time))
                duration = processed.seconds
                scenes = detect(frames.scores, duration)
            with ctx.step("keyframes") as step:
                picks = pick_keyframes(scenes, frames.grid, ctx.params.get("sample_every_seconds"))[:MAX_KEYFRAMES]
                keyframes, outputs = self._keyframes(ctx, picks, step.progress)
                shutil.rmtree(ctx.workdir / "frames", ignore_errors=True)  # the frames no keyframe chose
            with ctx.step("audio"):
                audio = self._audio(ctx, info, path, sound.result() if sound is not None else None)
        result = {"probe": probe_result(info, frames.frames), "scenes": [s.as_dict() for s in scenes],
                  "keyframes": keyframes, "audio": audio,
                  "features": list(ctx.params["features"])}
        add_warning(result, processed.warning)
        if frames.truncated and info.duration and limit:
            add_warning(result, truncated_warning(info.duration, limit))
        body = json.dumps(result, ensure_ascii=False).encode()
        return ToolOutput(body, "analysis.json", "application/json", result, name="analysis",
                          extras=outputs, units=duration, media_units=max(duration, 0.001))

    def _keyframes(self, ctx: ToolContext, picks: list[Pick],
                   progress: Callable[[float], None]) -> tuple[list[dict[str, Any]], list[OutputFile]]:
        entries: list[dict[str, Any]] = []
        outputs: list[OutputFile] = []
        for n, pick in enumerate(picks):
            ctx.cancel.check()
            name = f"keyframe-{n:03d}"
            file = pick.frame.path.rename(ctx.workdir / f"{name}.jpg")
            entry: dict[str, Any] = {"index": n, "time": pick.frame.t, "scene": pick.scene, "reason": pick.reason,
                                     "width": pick.frame.width, "height": pick.frame.height, "output": name}
            try:
                entry["analysis"] = analyse(file, ctx.params["features"], ctx.limits.max_image_pixels, ctx.models)
            except NoxusError as exc:  # one odd frame must not end the job
                entry["analysis"] = {"error": {"code": exc.code, "message": exc.message}}
            entries.append(entry)
            outputs.append(OutputFile(name, file, file.name, "image/jpeg"))
            progress((n + 1) / len(picks))
        return entries, outputs

    def _audio(self, ctx: ToolContext, info: MediaInfo, path: Path, extracted: Extracted | None) -> dict[str, Any]:
        if info.audio is None:
            return {"present": False}
        install = f"noxus-local models fetch {SileroVad.identity}"
        if ctx.models is None:
            return {"present": True, **analyse_audio(path, ctx.workdir, ctx.cancel, {
                "unavailable": True, "reason": "no model cache in this process", "install": install}, extracted)}
        try:
            with ctx.models.use(SileroVad) as vad:
                return {"present": True, **analyse_audio(path, ctx.workdir, ctx.cancel, vad, extracted)}
        except ModelNotInstalled as exc:
            return {"present": True, **analyse_audio(path, ctx.workdir, ctx.cancel, {
                "unavailable": True, "reason": exc.message, "install": install}, extracted)}


def scanned_seconds(info: MediaInfo, last_time: float) -> float:
    """Seconds of video the scan decoded: the last frame's time plus that frame's own length.

    Example: 50 frames at 25 fps, the last at 1.96 s → 2.0.
    """
    fps = info.video.fps if info.video is not None and info.video.fps else 25.0
    return last_time + 1 / fps


def _probe(path: Path) -> MediaInfo:
    info = probe(path)
    info.require_video()
    return info


def probe_result(info: MediaInfo, frames: int | None = None) -> dict[str, Any]:
    """The probe block: ``{"duration": 12.5, "fps": 30.0, "width": 1080, "height": 1920, ...}``."""
    video = info.require_video()
    size = video.display_size or (None, None)
    out: dict[str, Any] = {
        "duration": round(info.duration, 3) if info.duration else None, "container": info.container,
        "size_bytes": info.size_bytes, "bit_rate": info.bit_rate, "fps": video.fps,
        "width": size[0], "height": size[1], "coded_width": video.width, "coded_height": video.height,
        "rotation": video.rotation, "video_codec": video.codec,
        "audio": {"present": info.audio is not None}}
    if frames is not None:
        out["frames"] = frames
    if info.audio is not None:
        out["audio"].update({"codec": info.audio.codec, "sample_rate": info.audio.sample_rate,
                             "channels": info.audio.channels})
    return out

