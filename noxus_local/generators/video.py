"""ComfyUI video workflows (``kind = "video"`` or ``"avatar"``): upload the inputs, queue, wait, download, probe.

The same ComfyUI client as images (``comfyui.queue`` / ``wait`` / ``view_url``, ``http.Session``: one SSRF
guard, one deadline, the cancel token). What differs: an input image (image-to-video, a talking head's
face) and an audio (what the head says) are first sent with ComfyUI's own ``POST /upload/image`` and the
name it answers fills ``{{image}}`` / ``{{audio}}``; ``{{frames}}``, ``{{fps}}`` and ``{{duration}}`` are
filled too; and the result is read from a node's ``gifs`` (VideoHelperSuite's ``VHS_VideoCombine``) or
``videos`` / ``images`` (``SaveWEBM``, ``SaveVideo``, ``SaveAnimatedWEBP``) outputs. The downloaded file
is probed by our own demuxer (media/probe): no video stream, no duration or bytes it cannot read are an
``engine_garbage`` ``GeneratorError``, never a file handed on. An animated GIF or WebP (``SaveAnimatedWEBP``,
``VHS_VideoCombine`` with ``image/gif``) is first converted to an H.264 MP4 (media/animation: ffmpeg reads
the GIF, Pillow the WebP's frames); a still GIF or WebP is ``engine_garbage``.

Example::

    req = VideoRequest("steam over a coffee mug", "", 1280, 720, 7, 5.0, image=Path("mug.png"))
    clip = generate_video(spec, req, workdir, cancel)          # clip.path: workdir/wan-….mp4; clip.info: its probe
"""

from __future__ import annotations

import json
import math
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from noxus_local.errors import InvalidMedia, Text
from noxus_local.generators.base import GeneratorSpec, check_request, output_stem
from noxus_local.generators.comfyui import first_output, queue, view_url, wait
from noxus_local.generators.http import Session, run
from noxus_local.generators.workflow import WorkflowError, fill, load_workflow
from noxus_local.locale import t
from noxus_local.media import animation
from noxus_local.media.probe import MediaInfo, probe
from noxus_local.media.sniff import sniff_file
from noxus_local.runtime.cancel import CancelToken

OUTPUT_KEYS = ("gifs", "videos", "images")  # VHS_VideoCombine, SaveWEBM / SaveVideo, SaveAnimatedWEBP
# what the download's sniffer takes (media/sniff.py, and a GIF: http.AnimationIntake); GIF and WebP are
# animations converted to MP4 first (ffmpeg cannot decode an animated WebP)
ANIMATIONS = ("gif", "webp")
SUFFIXES = {"mp4": ".mp4", "webm": ".webm", "mov": ".mov", "mkv": ".mkv", "avi": ".avi",
            "m4v": ".mp4"}
MIN_SECONDS, MAX_SECONDS = 0.5, 120.0


@dataclass(frozen=True)
class VideoRequest:
    """One clip to ask for: the prompt, the size and seed, the seconds, and optional input files."""

    prompt: str
    negative_prompt: str
    width: int
    height: int
    seed: int
    duration: float
    image: Path | None = None
    audio: Path | None = None


@dataclass(frozen=True)
class Clip:
    """The engine's clip, kept, and what the probe found in it (so nobody probes it twice)."""

    path: Path
    info: MediaInfo
    unused: tuple[str, ...] = ()  # inputs given that the workflow has no placeholder for (not uploaded)


def inputs_of(graph: dict[str, Any]) -> set[str]:
    """The file inputs a workflow takes: ``{"image"}`` when it holds ``{{image}}``, ``"audio"`` for ``{{audio}}``."""
    text = json.dumps(graph)
    return {name for name in ("image", "audio") if "{{" + name + "}}" in text}


def generate_video(spec: GeneratorSpec, req: VideoRequest, out_dir: Path, cancel: CancelToken | None) -> Clip:
    """The engine's clip for ``req`` in ``out_dir``, probed as a video (see the module's docstring)."""
    check_request(req.prompt, req.width, req.height, req.seed)
    if not MIN_SECONDS <= req.duration <= MAX_SECONDS:
        raise ValueError(f"duration must be from {MIN_SECONDS} to {MAX_SECONDS} seconds")
    try:
        graph = load_workflow(Path(spec.settings.workflow), "image" if spec.settings.kind == "avatar" else "prompt")
    except WorkflowError as exc:
        raise spec.fail("engine_error", t("comfyui.unreadable_workflow", exc=exc)) from None
    out_dir.mkdir(parents=True, exist_ok=True)
    takes = inputs_of(graph)
    unused = tuple(name for name, path in (("image", req.image), ("audio", req.audio))
                   if path is not None and name not in takes)
    for name in takes:
        if getattr(req, name) is None:
            raise ValueError(f"the workflow needs {name}")
    path = run(spec, cancel, lambda session: _generate(session, graph, req, out_dir, takes))
    clip = keep_video(spec, path, out_dir / output_stem(spec, f"{req.prompt}|{req.duration}|{req.image}|{req.audio}",
                                                        req.negative_prompt, req.width, req.height, req.seed),
                      cancel)
    return Clip(clip.path, clip.info, unused)


def values_of(spec: GeneratorSpec, req: VideoRequest) -> dict[str, Any]:
    """The placeholders' values but the uploaded names: ``frames`` is ``duration × fps`` rounded up."""
    fps = spec.settings.fps
    return {"prompt": req.prompt, "negative_prompt": req.negative_prompt or spec.settings.negative_prompt,
            "width": req.width, "height": req.height, "seed": req.seed, "fps": fps,
            "frames": max(1, math.ceil(req.duration * fps)), "duration": req.duration}


async def _generate(session: Session, graph: dict[str, Any], req: VideoRequest, out_dir: Path,
                    takes: set[str]) -> Path:
    values = values_of(session.spec, req)
    for name, path in (("image", req.image), ("audio", req.audio)):
        if path is not None and name in takes:
            values[name] = await _upload(session, path, f"noxus-{output_stem(session.spec, str(path), name, 16, 16, 0)}"
                                                        f"{path.suffix.lower()}")
    prompt_id = await queue(session, fill(graph, values))
    item = await wait(session, prompt_id, lambda outputs: first_output(outputs, OUTPUT_KEYS))
    received = await session.file(view_url(session.spec.root, item), out_dir, ("video", "image"),
                                  t("generators_video.a_video"))
    return received.path


async def _upload(session: Session, path: Path, name: str) -> str:
    """``POST /upload/image``: the name ComfyUI keeps the file under (``subfolder/name`` when it has one)."""
    answer = await session.upload(f"{session.spec.root}/upload/image", path, name)
    stored = answer.get("name") if isinstance(answer, dict) else None
    if not isinstance(stored, str) or not stored:
        raise session.spec.fail("engine_garbage", t("generators_video.post_upload_image_answered"))
    sub = answer.get("subfolder")
    return f"{sub}/{stored}" if isinstance(sub, str) and sub else stored


def keep_video(spec: GeneratorSpec, raw: Path, final: Path, cancel: CancelToken | None = None) -> Clip:
    """``raw`` probed as a video with a duration and moved to ``final`` with its format's suffix (an animated
    GIF or WebP converted to ``final``.mp4 first); ``raw`` is gone either way.
    Example: ``keep_video(spec, Path("w/.generated-1a"), Path("w/wan-5f0c")).path`` → ``w/wan-5f0c.mp4``."""
    try:
        if raw.stat().st_size > spec.settings.max_bytes:
            raise spec.fail("engine_too_large",
                            t("generators_video.video_over_bytes", max_bytes=spec.settings.max_bytes))
        if animation.kind_of(raw) in ANIMATIONS:
            raw = _converted(spec, raw, final.with_name(final.name + ".anim.mp4"), cancel or CancelToken())
        sniffed = sniff_file(raw)
        if sniffed is None or sniffed.extension not in SUFFIXES:
            raise _garbage(spec, t("generators_video.not_video_mp4_webm"))
        try:
            info = probe(raw)
            info.require_video()
        except InvalidMedia:
            raise _garbage(spec, t("generators_video.cannot_read_as_video")) from None
        _check(spec, info)
        target = final.with_suffix(SUFFIXES[sniffed.extension])
        os.replace(raw, target)
        return Clip(target, info)
    finally:
        raw.unlink(missing_ok=True)


def _converted(spec: GeneratorSpec, raw: Path, mp4: Path, cancel: CancelToken) -> Path:
    """The animation at ``raw`` as the MP4 ``mp4`` (``raw`` removed); a still or unreadable one is garbage."""
    try:
        animation.to_mp4(raw, mp4, cancel)
    except InvalidMedia as exc:  # NotAnimated, or ffmpeg could not decode it
        mp4.unlink(missing_ok=True)
        reason = exc.message if isinstance(exc.message, Text) else t("generators_video.unreadable")
        raise _garbage(spec, t("generators_video.bad_animation", reason=reason)) from None
    finally:
        raw.unlink(missing_ok=True)
    return mp4


def _check(spec: GeneratorSpec, info: MediaInfo) -> None:
    video = info.video
    if not info.duration or info.duration <= 0:
        raise _garbage(spec, t("generators_video.video_has_no_duration"))
    if video is None or not video.width or not video.height or min(video.width, video.height) < 16:
        raise _garbage(spec, t("generators_video.video_has_no_valid"))


def _garbage(spec: GeneratorSpec, why: Text) -> Exception:
    return spec.fail("engine_garbage", t("generators_video.unusable", why=why))
