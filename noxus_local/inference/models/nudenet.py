"""Nudity detections: NudeNet 3.4's 320n detector (YOLOv8n, MIT) as ONNX, from the nudenet wheel.

The graph takes ``[N, 3, 320, 320]`` RGB in 0..1 (the image padded to a
square at the bottom/right with black, then resized) and returns
``[N, 22, 2100]``: per anchor a centre box (cx, cy, w, h) in input pixels and
18 class scores. Decoding and NMS are ours in numpy (NudeNet's own uses
OpenCV): keep anchors whose best class ≥ 0.25, then greedy IoU-0.45
suppression per image. The batch axis is free: N images, one run.

Example::

    det = NudeNet.from_config(cfg)
    det.predict([img])[0]   # [{"label": "FACE_FEMALE", "score": 0.81, "box": [x, y, w, h]}, ...]
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from PIL import Image

from noxus_local.inference.engines.onnx_runtime import OnnxModel
from noxus_local.inference.models.boxes import nms

SIZE = 320
MIN_SCORE, IOU = 0.25, 0.45
LABELS = ("FEMALE_GENITALIA_COVERED", "FACE_FEMALE", "BUTTOCKS_EXPOSED", "FEMALE_BREAST_EXPOSED",
          "FEMALE_GENITALIA_EXPOSED", "MALE_BREAST_EXPOSED", "ANUS_EXPOSED", "FEET_EXPOSED", "BELLY_COVERED",
          "FEET_COVERED", "ARMPITS_COVERED", "ARMPITS_EXPOSED", "FACE_MALE", "BELLY_EXPOSED",
          "MALE_GENITALIA_EXPOSED", "ANUS_COVERED", "FEMALE_BREAST_COVERED", "BUTTOCKS_COVERED")


def letterbox(img: Image.Image) -> tuple[np.ndarray, float]:
    """``[3, 320, 320]`` float32 and the factor from input pixels back to the image's pixels."""
    rgb = img.convert("RGB")
    side = max(rgb.size)
    square = Image.new("RGB", (side, side))
    square.paste(rgb, (0, 0))
    pixels = np.asarray(square.resize((SIZE, SIZE), Image.Resampling.BILINEAR), dtype=np.float32) / 255.0
    return pixels.transpose(2, 0, 1), side / SIZE


def decode(output: np.ndarray, scale: float, width: int, height: int) -> list[dict[str, Any]]:
    """One image's ``[22, anchors]`` output → detections in the image's pixels."""
    rows = output.T
    class_scores = rows[:, 4:]
    best = class_scores.max(axis=1)
    mask = best >= MIN_SCORE
    if not mask.any():
        return []
    cx, cy, w, h = (rows[mask, i] * scale for i in range(4))
    boxes = np.stack([cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2], axis=1)
    boxes = np.clip(boxes, 0, [width, height, width, height])
    labels, scores = class_scores[mask].argmax(axis=1), best[mask]
    return [{"label": LABELS[int(labels[i])], "score": round(float(scores[i]), 4),
             "box": [int(boxes[i, 0]), int(boxes[i, 1]), int(boxes[i, 2] - boxes[i, 0]),
                     int(boxes[i, 3] - boxes[i, 1])]} for i in nms(boxes, scores, IOU)]


class NudeNet(OnnxModel):
    identity = "nudenet-320n"
    files = ("320n.onnx",)
    threads = 1  # one CPU slot per analysis job (tools/image_analyze.py)

    def _predict(self, images: Sequence[Image.Image], **_: Any) -> list[list[dict[str, Any]]]:
        """Each image's detections, boxes ``[x, y, w, h]`` in that image's pixels; one run for all."""
        boxed = [letterbox(img) for img in images]
        session = self.session
        out = session.run(None, {session.get_inputs()[0].name: np.stack([b[0] for b in boxed])})[0]
        return [decode(out[n], boxed[n][1], *images[n].size) for n in range(len(images))]
