"""One scene's material as an ffmpeg input and filter chain: exactly the frame size, rate and length.

Stills move on a deterministic Ken Burns path (``zoompan`` over a copy scaled
to *cover* 1.5× the frame, then cropped: never stretched; the extra pixels keep
the slow pan smooth); videos play from ``trim_start``, loop when shorter than
the scene (``-stream_loop``) and are scaled to cover then cropped to the aspect.
Every chain ends at ``fps``, yuv420p, square pixels and PTS from 0, so the
transitions (``xfade``) and ``concat`` take them as they come.

Example::

    args, chain = material(scene, 720, 1280, 25, 4.0)
    # args  == ["-i", "/job/a.jpg"]
    # chain == "scale=1080:1920:force_original_aspect_ratio=increase,crop=1080:1920,zoompan=..."
"""

from __future__ import annotations

from pathlib import Path

from noxus_local.compose.timeline import KenBurns, Scene
from noxus_local.errors import InvalidMedia
from noxus_local.media.probe import IMAGE_CONTAINERS, probe

OVERSCAN = 1.5  # a still is scaled to cover this many times the frame before the camera moves over it
PATHS = (KenBurns(1.0, 1.12, 0.5, 0.5, 0.5, 0.5), KenBurns(1.12, 1.0, 0.5, 0.5, 0.5, 0.5),
         KenBurns(1.08, 1.08, 0.35, 0.5, 0.65, 0.5), KenBurns(1.0, 1.1, 0.5, 0.6, 0.5, 0.4))


def quote(value: Path | str) -> str:
    """A value as one filter argument: quoted, with ``'``, ``:`` and ``\\`` escaped for the graph.

    Example: ``quote("/w/it's.txt") == "'/w/it\\\\'s.txt'"``.
    """
    escaped = str(value).replace("\\", "\\\\").replace("'", "\\'").replace(":", "\\:")
    return f"'{escaped}'"


def ken_burns_path(scene: Scene) -> KenBurns:
    """The scene's own path, or one of four by its index (zoom in, zoom out, pan, rise)."""
    return scene.visual.ken_burns or PATHS[scene.index % len(PATHS)]


def is_still(path: Path) -> bool:
    """True for an image, False for a video; ``InvalidMedia`` for anything else (audio, text)."""
    info = probe(path)
    # a large JPEG comes through the image2 demuxer with one frame's duration (0.04 s): still a still,
    # and never one to -stream_loop (ffmpeg would loop a single frame forever)
    if info.is_image or (IMAGE_CONTAINERS.match(info.container) and (info.duration or 0) <= 0.1):
        return True
    info.require_video()
    return False


def material(scene: Scene, width: int, height: int, fps: int, seconds: float) -> tuple[list[str], str]:
    """ffmpeg input arguments and the chain after ``[N:v]`` for a material or generated visual."""
    source = scene.visual.source
    if source is None:
        raise InvalidMedia(details={"reason": "a material scene has no source"})
    if is_still(source):
        return ["-i", str(source)], still_chain(ken_burns_path(scene), width, height, fps, seconds)
    start = f"{scene.visual.trim_start:.3f}"
    return (["-stream_loop", "-1", "-ss", start, "-t", f"{seconds:.3f}", "-i", str(source)],
            video_chain(width, height, fps, seconds))


def still_chain(kb: KenBurns, width: int, height: int, fps: int, seconds: float) -> str:
    """Cover, crop, then ``zoompan`` one output frame per step along ``kb``; x and y keep the
    window's centre on the path and zoompan clamps them inside the picture."""
    frames = max(1, round(seconds * fps))
    big_w, big_h = _even(width * OVERSCAN), _even(height * OVERSCAN)
    step = f"(on/{max(1, frames - 1)})"
    zoom = f"{kb.zoom_start:.4f}+({kb.zoom_end - kb.zoom_start:.4f})*{step}"
    cx = f"({kb.x_start:.4f}+({kb.x_end - kb.x_start:.4f})*{step})"
    cy = f"({kb.y_start:.4f}+({kb.y_end - kb.y_start:.4f})*{step})"
    return (f"scale={big_w}:{big_h}:force_original_aspect_ratio=increase,crop={big_w}:{big_h},setsar=1,"
            f"zoompan=z='{zoom}':x='iw*{cx}-iw/zoom/2':y='ih*{cy}-ih/zoom/2':d={frames}"
            f":s={width}x{height}:fps={fps},{frame_tail(fps, seconds)}")


def video_chain(width: int, height: int, fps: int, seconds: float) -> str:
    return (f"fps={fps},scale={width}:{height}:force_original_aspect_ratio=increase,crop={width}:{height},"
            f"setsar=1,{frame_tail(fps, seconds)}")


def frame_tail(fps: int, seconds: float) -> str:
    """Every chain's end: exactly round(seconds × fps) frames, timestamps 0, 1, 2… in 1/fps."""
    frames = max(1, round(seconds * fps))
    return f"format=yuv420p,trim=end_frame={frames},settb=1/{fps},setpts=N"


def _even(value: float) -> int:
    return int(round(value / 2)) * 2
