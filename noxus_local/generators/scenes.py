"""A video generator as an ad's scene camera: the edited product shot in, a clip of the scene's length out.

Seed 003's ``veoModel`` names a configured ``kind = "video"`` generator (a ComfyUI image-to-video workflow
with ``{{image}}``). Each scene's edited product image goes up as ``{{image}}``, the scene's description as
``{{prompt}}``, the ad's frame size as ``{{width}}``/``{{height}}`` and the scene's planned seconds as
``{{duration}}``/``{{frames}}``; the answer (any size, length or format) is later fitted to the scene as
ai-video-generate fits its clips (``media.fit_video``: scaled to cover, centre-cropped, looped or cut).
Failures stay ``GeneratorError``: the caller (tools/video_ad.py) falls back to its own motion for that
scene only.

Example::

    clip = scene_clip(spec, Path("shot-0.png"), scene_prompt("Red bottle", "Stay cold all day.", ""),
                      4.2, (720, 1280), seed=7, out_dir=workdir / "engine", cancel=cancel)
    mp4 = fit_scene(clip, workdir / "scene-0.mp4", (720, 1280), 4.6, 25, cancel)
"""

from __future__ import annotations

from pathlib import Path

from noxus_local.generators.base import GeneratorSpec
from noxus_local.generators.video import MAX_SECONDS, MIN_SECONDS, Clip, VideoRequest, generate_video
from noxus_local.media.fit_video import fit_video
from noxus_local.runtime.cancel import CancelToken

MAX_PROMPT = 1500


def scene_prompt(brief: str, text: str, style: str, motion: str = "") -> str:
    """What the engine is asked to show: the product brief, the scene's line, the look and the camera.

    Example: ``scene_prompt("Red bottle", "Stay cold all day.", "studio", "slow push-in")`` →
    ``"Red bottle. Scene: Stay cold all day. Look: studio. Camera: slow push-in. Keep the product as in the
    image."``.
    """
    parts = [brief.strip().rstrip("."), f"Scene: {text.strip()}" if text.strip() else "",
             f"Look: {style.strip()}" if style.strip() else "", f"Camera: {motion}" if motion else "",
             "Keep the product as in the image."]
    return ". ".join(p.rstrip(".") for p in parts if p)[:MAX_PROMPT].rstrip() + "."


def planned_seconds(speech: float, scenes: int) -> float:
    """The seconds to ask for per scene before the voice-over fixes them: the narration's share plus the
    fade, within the engine's bounds. Example: ``planned_seconds(12.5, 3) == 4.7``."""
    return round(min(MAX_SECONDS, max(MIN_SECONDS, speech / max(1, scenes) + 0.5)), 1)


def scene_clip(spec: GeneratorSpec, image: Path, prompt: str, seconds: float, size: tuple[int, int], *,
               seed: int, out_dir: Path, cancel: CancelToken | None) -> Clip:
    """The engine's clip for one scene (``GeneratorError`` on any failure of the engine)."""
    return generate_video(spec, VideoRequest(prompt, "", size[0], size[1], seed, seconds, image=image), out_dir,
                          cancel)


def fit_scene(clip: Clip, out: Path, size: tuple[int, int], seconds: float, fps: int, cancel: CancelToken) -> Path:
    """``clip`` as an H.264 MP4 of exactly ``size`` and ``seconds`` (cropped to the aspect, looped or cut),
    silent: the ad's sound is its voice-over and music."""
    return fit_video(clip.path, out, size[0], size[1], seconds, source_seconds=clip.info.duration or 0.0,
                     has_audio=False, fps=fps, cancel=cancel)
