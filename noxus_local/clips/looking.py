"""What the pictures hold: shot cuts and faces, from one decode of the source.

analysis/video.py ``scan`` decodes the video once: it scores frames for shot
detection (analysis/scenes.py) and keeps a small JPEG every ``1 / face_fps``
seconds; CenterFace reads those downscaled frames in batches, and the boxes
come back in the source's displayed pixels (what ffmpeg's crop sees).

Example::

    sight = look(video, info, detector, workdir, cancel, face_fps=2.0)
    sight.cuts        # [12.4, 31.0]
    sight.samples[0]  # FaceSample(t=0.0, faces=(Box(812, 140, 160, 210),))
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

from noxus_local.analysis.scenes import detect
from noxus_local.analysis.video import scan
from noxus_local.clips.camera import Box, FaceSample
from noxus_local.media.probe import MediaInfo
from noxus_local.runtime.cancel import CancelToken

BATCH = 8
MIN_CONFIDENCE = 0.5
# the longer side CenterFace sees here: a speaker's face in a 720p shot is still 20+ px at 224, and a
# frame costs half what it does at the model's default 320 (the reframing budget is 0.05 s per source s)
DETECT_SIDE = 224


@dataclass(frozen=True)
class Sight:
    cuts: list[float]
    samples: list[FaceSample]
    size: tuple[int, int]  # the source's displayed width and height

    def face_flags(self) -> list[tuple[float, bool]]:
        return [(s.t, bool(s.faces)) for s in self.samples]


def detect_faces(detector: Any, images: list[Image.Image], side: int = DETECT_SIDE) -> list[list[dict[str, Any]]]:
    """CenterFace's faces of same-sized images at ``side`` px, in one run: ``CenterFace._predict`` at a
    smaller input (the shared model instance keeps its own default for everyone else)."""
    from noxus_local.inference.models.centerface import decode, input_size, tensor

    if not images:
        return []
    size = input_size(*images[0].size, side)
    session = detector.session
    name = session.get_inputs()[0].name
    heat, scale, offset, marks = session.run(None, {name: np.stack([tensor(img, size) for img in images])})
    factor = (images[0].width / size[0], images[0].height / size[1])
    return [decode(heat[k], scale[k], offset[k], marks[k], factor, size) for k in range(len(images))]


def look(video: Path, info: MediaInfo, detector: Any, workdir: Path, cancel: CancelToken, *, face_fps: float,
         limit: float | None = None, progress: Callable[[int], None] = lambda pct: None) -> Sight:
    """Shot cuts and the faces of frames sampled ``face_fps`` times a second; ``detector`` is a loaded
    CenterFace (``predict(images)`` → boxes per image)."""
    stream = info.require_video()
    size = stream.display_size or (stream.width or 0, stream.height or 0)
    frames = scan(video, info, cancel, workdir / "frames", grid=1.0 / face_fps, max_seconds=limit,
                  progress=lambda pct: progress(pct // 2))
    cuts = [s.start for s in detect(frames.scores, info.duration or frames.last_time) if s.transition != "start"]
    samples: list[FaceSample] = []
    for i in range(0, len(frames.grid), BATCH):
        cancel.check()
        batch = frames.grid[i:i + BATCH]
        images = [Image.open(f.path).convert("RGB") for f in batch]
        found = detect_faces(detector, images)
        for frame, faces in zip(batch, found, strict=True):
            sx, sy = size[0] / frame.width, size[1] / frame.height
            boxes = tuple(Box(f["box"][0] * sx, f["box"][1] * sy, f["box"][2] * sx, f["box"][3] * sy)
                          for f in faces if f["confidence"] >= MIN_CONFIDENCE)
            samples.append(FaceSample(frame.t, boxes))
        progress(50 + 50 * min(len(frames.grid), i + BATCH) // max(1, len(frames.grid)))
    return Sight(cuts, samples, size)
