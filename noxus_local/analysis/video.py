"""One decode of a video: frames scored for shot detection, a picture kept every half second.

``scan`` decodes the first video stream once with PyAV (frame threads on,
non-reference frames skipped), and for up to ``SCORE_FPS`` frames a second
takes the Y, U and V planes as they come out of the decoder, subsampled by a
stride to about ``DETECT_WIDTH`` px (nearest neighbour, as PySceneDetect's
own downscale did), so no full-size RGB frame
is ever made: that conversion cost more than the decode itself on 720p
(about 60 ms per second of video on this 2-core CPU). Frames in pixel
formats without 8-bit planar YUV go through swscale at the small size.

Every ``grid`` seconds one frame is kept as a JPEG file of at most
``KEYFRAME_SIDE`` px, oriented as displayed; the keyframes (one per scene,
plus every ``sample_every_seconds``) are picked from these after detection,
so the video is never decoded twice.

Example::

    frames = scan(Path("clip.mp4"), info, cancel, workdir / "frames")
    scenes = detect(frames.scores, info.duration)
    picks = pick_keyframes(scenes, frames.grid, sample_every=5.0)
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from noxus_local.analysis.scenes import Scene, SceneScores, hsv_of, rgb_from_yuv
from noxus_local.errors import InvalidMedia
from noxus_local.locale import t
from noxus_local.media.probe import MediaInfo
from noxus_local.runtime.cancel import CancelToken

DETECT_WIDTH = 256  # PySceneDetect's default downscale target
GRID_SECONDS = 0.5
# frames compared per second: 30 and 60 fps video is scored every 2nd / 4th frame (a cut still shows
# against the last scored frame, ≤ 1/15 s late); about a third of the per-second cost on 720p
SCORE_FPS = 15.0
KEYFRAME_SIDE = 640
# codecs whose disposable frames the decoder may skip (H.264/HEVC non-reference B-frames); elsewhere, e.g. an
# intra-only codec whose every frame is "non-reference", skipping could drop every frame: those decode all
SKIP_NONREF_CODECS = frozenset({"h264", "hevc"})
JPEG_QUALITY = 85
CORRUPT = t("analysis_video.corrupt")
# 8-bit planar YUV read straight from the decoder: (full range, chroma subsampling across, down)
PLANAR = {"yuv420p": (False, 2, 2), "yuvj420p": (True, 2, 2), "yuv422p": (False, 2, 1),
          "yuvj422p": (True, 2, 1), "yuv444p": (False, 1, 1), "yuvj444p": (True, 1, 1)}


@dataclass(frozen=True)
class GridFrame:
    """A kept frame: its time and the JPEG file it was written to."""

    t: float
    path: Path
    width: int
    height: int


@dataclass
class Scan:
    scores: SceneScores = field(default_factory=SceneScores)
    grid: list[GridFrame] = field(default_factory=list)
    frames: int = 0  # coded frames (packets) of the stream
    decoded: int = 0  # frames that came out of the decoder (the skipped B-frames not among them)
    last_time: float = 0.0
    start: float | None = None  # the first frame's timestamp
    truncated: bool = False  # stopped at ``max_seconds``: the content went on past it


def scan(path: Path, info: MediaInfo, cancel: CancelToken, frames_dir: Path, grid: float = GRID_SECONDS,
         progress: Callable[[float], None] = lambda fraction: None, score_fps: float | None = None,
         skip_nonref: bool = True, max_seconds: float | None = None, keep_side: int = KEYFRAME_SIDE) -> Scan:
    """Decode the video once; corrupt data that yields no frame is ``invalid_media``.

    ``skip_nonref``: for H.264 and HEVC the decoder skips frames no other frame refers to
    (``skip_frame = "NONREF"``: their disposable B-frames, about 4 in 9 of x264's frames), which
    roughly halves the decode of 720p; a cut then shows on the next decoded frame, at most 2
    frames (0.07 s at 30 fps) late on the benchmark's clips, and fades keep their times.

    The kept frames go to ``frames_dir`` as files (about 40 KB each, two a second): an hour of
    video would hold ~300 MB of them in memory otherwise.

    ``keep_side``: the kept frames' longer side (auto-clip keeps smaller ones for its face detector).

    ``max_seconds`` stops the decode past that time (media/decoded.py ``decode_limit``): a header
    that claims 2 s over an hour of frames gets 2.5 s scanned, what its hold paid for.
    """
    import av

    stream_info = info.require_video()
    frames_dir.mkdir(parents=True, exist_ok=True)
    score_fps = score_fps or SCORE_FPS
    duration = info.duration or 0.0
    out = Scan()
    next_grid = next_score = 0.0
    try:
        with av.open(str(path)) as container:
            stream = next(s for s in container.streams if s.index == stream_info.index)
            stream.thread_type = "AUTO"
            if skip_nonref and stream.codec_context.name in SKIP_NONREF_CODECS:
                stream.codec_context.skip_frame = "NONREF"
            for packet in container.demux(stream):
                if packet.size:
                    out.frames += 1  # every coded frame counts, decoded or skipped
                for frame in packet.decode():
                    t = _time(frame, out)
                    if max_seconds is not None and t > max_seconds:
                        out.truncated = True
                        break
                    if out.decoded % 32 == 0:
                        cancel.check()
                        if duration:
                            progress(min(0.99, t / duration))  # a fraction; 1.0 when the step ends
                    if t + 1e-6 >= next_score:  # at most SCORE_FPS frames a second are compared
                        hsv, luma = _small(frame)
                        out.scores.add(t, hsv, luma)
                        next_score = t + 1 / score_fps - 0.25 / max(stream_info.fps or 30.0, 1.0)
                    if t + 1e-6 >= next_grid:
                        out.grid.append(_keep(frame, t, stream_info.rotation,
                                              frames_dir / f"frame-{len(out.grid):06d}.jpg", keep_side))
                        next_grid = (int(t / grid) + 1) * grid
                    out.decoded += 1
                    out.last_time = t
                if out.truncated:
                    break
    except av.FFmpegError:
        if out.decoded == 0:
            raise InvalidMedia(CORRUPT, details={"reason": "undecodable"}) from None
        # a damaged tail: keep what decoded, as players do
    if out.decoded == 0:
        raise InvalidMedia(CORRUPT, details={"reason": "no_frames"})
    return out


def _time(frame: Any, out: Scan) -> float:
    """Seconds since the first frame: an MPEG-TS or a cut-out clip may start its clock at 1.4 s or 600 s."""
    if frame.time is None:
        return out.last_time + (1 / 25 if out.decoded else 0.0)
    if out.start is None:
        out.start = float(frame.time)
    return max(0.0, float(frame.time) - out.start)


def _small(frame: Any) -> tuple[np.ndarray, float]:
    """The frame's HSV at about DETECT_WIDTH px and its mean luma (0-255, full range)."""
    fmt = frame.format.name
    if fmt in PLANAR:
        full, sub_x, sub_y = PLANAR[fmt]
        step = max(2, 2 * math.ceil(frame.width / DETECT_WIDTH / 2))  # even: chroma strides stay whole
        y, u, v = (_plane(frame.planes[i]) for i in range(3))
        ys = y[:frame.height:step, :frame.width:step]
        us = u[::step // sub_y, ::step // sub_x][:ys.shape[0], :ys.shape[1]]
        vs = v[::step // sub_y, ::step // sub_x][:ys.shape[0], :ys.shape[1]]
        if us.shape == ys.shape and vs.shape == ys.shape:
            return hsv_of(rgb_from_yuv(ys, us, vs, full)), _luma(ys, full)
    width = DETECT_WIDTH
    height = max(2, round(frame.height * width / max(1, frame.width)))
    img = frame.to_image(width=width, height=height)
    return hsv_of(img), float(np.asarray(img.convert("L")).mean())


def _plane(plane: Any) -> np.ndarray:
    """A plane's bytes as a 2-D view, padding columns included (cut by the caller)."""
    data = np.frombuffer(plane, dtype=np.uint8)
    return data.reshape(-1, plane.line_size)


def _luma(y: np.ndarray, full_range: bool) -> float:
    mean = float(y.mean())
    return mean if full_range else max(0.0, (mean - 16.0) * 255.0 / 219.0)


def _keep(frame: Any, t: float, rotation: int, dest: Path, side: int = KEYFRAME_SIDE) -> GridFrame:
    scale = side / max(frame.width, frame.height)
    width, height = frame.width, frame.height
    if scale < 1:
        width, height = max(2, round(width * scale)), max(2, round(height * scale))
    img = frame.to_image(width=width, height=height)
    if rotation:
        img = img.rotate(rotation, expand=True)  # counter-clockwise, as ffmpeg's autorotate shows it
    img.save(dest, "JPEG", quality=JPEG_QUALITY)
    return GridFrame(round(t, 3), dest, img.width, img.height)


@dataclass(frozen=True)
class Pick:
    """A keyframe to analyse: the grid frame, why it was chosen, and its scene's index."""

    frame: GridFrame
    reason: str  # "scene" or "sample"
    scene: int


def pick_keyframes(scenes: list[Scene], grid: list[GridFrame], sample_every: float | None) -> list[Pick]:
    """One per scene (the kept frame nearest its middle, inside it when one is), then every
    ``sample_every`` seconds; a frame is analysed once even when both choose it."""
    if not grid:
        return []
    times = np.array([g.t for g in grid])
    chosen: dict[int, Pick] = {}
    for n, scene in enumerate(scenes):
        inside = np.flatnonzero((times >= scene.start) & (times < scene.end))
        pool = inside if len(inside) else np.arange(len(grid))
        best = int(pool[np.argmin(np.abs(times[pool] - (scene.start + scene.end) / 2))])
        chosen.setdefault(best, Pick(grid[best], "scene", n))
    if sample_every:
        t = 0.0
        end = float(times[-1])
        while t <= end + 1e-6:
            best = int(np.argmin(np.abs(times - t)))
            chosen.setdefault(best, Pick(grid[best], "sample", _scene_of(scenes, grid[best].t)))
            t += sample_every
    return [chosen[i] for i in sorted(chosen)]


def _scene_of(scenes: list[Scene], t: float) -> int:
    for n, scene in enumerate(scenes):
        if scene.start <= t < scene.end:
            return n
    return max(0, len(scenes) - 1)
