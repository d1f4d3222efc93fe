"""What the pictures hold: shot cuts and faces, from one decode of the source.

analysis/video.py ``scan`` decodes the video once: it scores frames for shot
detection (analysis/scenes.py) and keeps a small JPEG every ``1 / face_fps``
seconds; CenterFace reads those downscaled frames in batches, and the boxes
come back in the source's displayed pixels (what ffmpeg's crop sees). Each
face also carries how much its mouth moved since the previous sample (beyond
the face's own motion), counted only while the soundtrack has speech: with
several faces on screen, the camera prefers the one that talks.

Example::

    sight = look(video, info, detector, workdir, cancel, face_fps=2.0)
    sight.cuts        # [12.4, 31.0]
    sight.samples[0]  # FaceSample(t=0.0, faces=(Box(812, 140, 160, 210),))
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
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
ACTIVITY_DECAY = 0.6  # per sample (2 a second: a half-life of about 0.7 s)
MOTION_FULL = 12.0  # grey levels of mouth change (beyond the face's own) that count as full activity
KEEP_SIDE = 384  # the kept frames: the detector reads 224 px, the mouth motion a little more
SCORE_FPS = 10.0  # frames a second compared for shot cuts: a camera reset ≤ 0.1 s late is unseen


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


def _region(gray: np.ndarray, box: tuple[float, float, float, float]) -> np.ndarray:
    x0, y0, x1, y1 = (int(round(v)) for v in box)
    h, w = gray.shape
    return gray[max(0, y0):min(h, y1), max(0, x0):min(w, x1)]


def mouth_box(face: dict[str, Any]) -> tuple[float, float, float, float]:
    """The mouth's region (x0, y0, x1, y1) from CenterFace's mouth corners, padded by the face's size."""
    (lx, ly), (rx, ry) = face["landmarks"]["mouth_left"], face["landmarks"]["mouth_right"]
    w, h = face["box"][2], face["box"][3]
    return lx - 0.1 * w, min(ly, ry) - 0.12 * h, rx + 0.1 * w, max(ly, ry) + 0.12 * h


def mouth_motion(before: np.ndarray, now: np.ndarray, face: dict[str, Any]) -> float:
    """How much the mouth changed since the last sample, beyond what the whole face did (a head that
    moves is not a mouth that talks): mean absolute grey-level change, 0–1 (``MOTION_FULL`` is 1).

    Example: a still face → 0.0; the same face with its mouth region redrawn → close to 1.
    """
    x, y, w, h = face["box"]
    mouth, whole = mouth_box(face), (x, y, x + w, y + h)
    changes = []
    for region in (mouth, whole):
        a, b = _region(before, region), _region(now, region)
        if a.size == 0 or a.shape != b.shape:
            return 0.0
        changes.append(float(np.mean(np.abs(a.astype(np.int16) - b.astype(np.int16)))))
    return max(0.0, min(1.0, (changes[0] - changes[1]) / MOTION_FULL))


def carry_activity(previous: Sequence[Box], boxes: Sequence[Box]) -> tuple[Box, ...]:
    """Each face keeps ``ACTIVITY_DECAY`` of its activity at the last sample (the nearest face there):
    a mouth is open in one sample and closed in the next, and a talker must stay the talker between.

    Example: activities 1.0, 0.0, 1.0 of one face → 1.0, 0.6, 1.0.
    """
    out = []
    for box in boxes:
        near = min(previous, key=lambda b: abs(b.cx - box.cx), default=None)
        if near is not None and abs(near.cx - box.cx) < max(near.w, box.w):
            box = replace(box, activity=max(box.activity, ACTIVITY_DECAY * near.activity))
        out.append(box)
    return tuple(out)


def _speaking(t: float, quiet: Sequence[tuple[float, float]]) -> bool:
    return not any(a <= t <= b for a, b in quiet)


def look(video: Path, info: MediaInfo, detector: Any, workdir: Path, cancel: CancelToken, *, face_fps: float,
         limit: float | None = None, progress: Callable[[float], None] = lambda fraction: None,
         quiet: Sequence[tuple[float, float]] = ()) -> Sight:
    """Shot cuts and the faces of frames sampled ``face_fps`` times a second; ``detector`` is a loaded
    CenterFace. Each face carries its mouth motion since the last sample (``Box.activity``), kept only
    while someone speaks (outside the ``quiet`` spans of the soundtrack): the active-speaker cue."""
    stream = info.require_video()
    size = stream.display_size or (stream.width or 0, stream.height or 0)
    frames = scan(video, info, cancel, workdir / "frames", grid=1.0 / face_fps, max_seconds=limit,
                  progress=lambda f: progress(f / 2), score_fps=SCORE_FPS, keep_side=KEEP_SIDE)
    cuts = [s.start for s in detect(frames.scores, info.duration or frames.last_time) if s.transition != "start"]
    samples: list[FaceSample] = []
    before: np.ndarray | None = None
    for i in range(0, len(frames.grid), BATCH):
        cancel.check()
        batch = frames.grid[i:i + BATCH]
        images = [Image.open(f.path).convert("RGB") for f in batch]
        found = detect_faces(detector, images)
        for frame, image, faces in zip(batch, images, found, strict=True):
            gray = np.asarray(image.convert("L"))
            sx, sy = size[0] / frame.width, size[1] / frame.height
            talking = before is not None and gray.shape == before.shape and _speaking(frame.t, quiet)
            boxes = tuple(Box(f["box"][0] * sx, f["box"][1] * sy, f["box"][2] * sx, f["box"][3] * sy,
                              mouth_motion(before, gray, f) if talking and before is not None else 0.0)
                          for f in faces if f["confidence"] >= MIN_CONFIDENCE)
            samples.append(FaceSample(frame.t, carry_activity(samples[-1].faces if samples else (), boxes)))
            before = gray
        progress(0.5 + 0.5 * min(len(frames.grid), i + BATCH) / max(1, len(frames.grid)))
    return Sight(cuts, samples, size)
