"""An object detector the admin installs: any YOLOv8 / YOLO11-style ONNX export (ultralytics ``format=onnx``).

The graph takes ``[N, 3, H, W]`` RGB in 0..1, the image letterboxed into
``H × W`` (scaled to fit, centred, grey 114 padding, as ultralytics does), and
returns ``[N, 4 + classes, anchors]``: per anchor a centre box (cx, cy, w, h)
in input pixels and one score per class. Decoding is ours in numpy: anchors
whose best class ≥ 0.25, greedy per-class IoU-0.7 suppression (ultralytics'
own defaults), at most 300 boxes, then the letterbox undone so boxes are in
the image's pixels. Labels come from the graph's metadata ``names`` (which
ultralytics writes, ``{0: 'person', 1: 'bicycle', ...}``), else from the
``labels.txt`` installed beside it (one per line), else ``class_<n>``. A graph
whose batch axis is fixed at 1 (ultralytics' default export) runs one image
per ``session.run``; a dynamic one takes the whole chunk at once. NMS-free
"end-to-end" exports (YOLOv10, ``[N, 300, 6]`` of x1, y1, x2, y2, score,
class) are another format and are not decoded here: export those with NMS off.

Example::

    cls = detector_class("yolo11n")               # the model `noxus-local models add yolo11n` installed
    cls.from_config(cfg).predict([img])[0]       # [{"label": "dog", "score": 0.91, "box": [x, y, w, h]}]
"""

from __future__ import annotations

import ast
import functools
from collections.abc import Sequence
from typing import Any

import numpy as np
from PIL import Image

from noxus_local.inference.engines.onnx_runtime import OnnxModel
from noxus_local.inference.models.boxes import nms

DEFAULT_SIDE = 640  # a graph with symbolic H, W
MIN_SCORE, IOU, MAX_BOXES = 0.25, 0.7, 300
PAD = 114


def graph_side(shape: Sequence[Any], default: int) -> tuple[int, int]:
    """``(H, W)`` of an ``[N, 3, H, W]`` input; symbolic dims take ``default``."""
    h, w = shape[2], shape[3]
    return (h if isinstance(h, int) and h > 0 else default, w if isinstance(w, int) and w > 0 else default)


def letterbox(img: Image.Image, height: int, width: int) -> tuple[np.ndarray, float, float, float]:
    """``[3, H, W]`` float32 in 0..1, and the scale and the (x, y) padding to undo it."""
    rgb = img.convert("RGB")
    scale = min(width / rgb.width, height / rgb.height)
    new_w, new_h = max(1, round(rgb.width * scale)), max(1, round(rgb.height * scale))
    pad_x, pad_y = (width - new_w) / 2, (height - new_h) / 2
    canvas = Image.new("RGB", (width, height), (PAD, PAD, PAD))
    canvas.paste(rgb.resize((new_w, new_h), Image.Resampling.BILINEAR), (int(pad_x), int(pad_y)))
    # uint8 HWC → float CHW in one ufunc pass: np.asarray(img, dtype=float32) / 255 costs ~20× as much at 640²
    pixels = np.multiply(np.asarray(canvas).transpose(2, 0, 1), np.float32(1 / 255), dtype=np.float32)
    return pixels, scale, float(int(pad_x)), float(int(pad_y))


def decode(output: np.ndarray, scale: float, pad_x: float, pad_y: float, size: tuple[int, int],
           labels: Sequence[str]) -> list[dict[str, Any]]:
    """One image's ``[4 + classes, anchors]`` output → detections, boxes ``[x, y, w, h]`` in its pixels."""
    # [4 + classes, anchors], the export's own layout: the max over classes then runs along
    # contiguous rows (a transposed view makes it ~3× slower at 84 × 8400)
    cols = output if output.shape[0] < output.shape[1] else output.T
    best = cols[4:].max(axis=0)
    mask = best >= MIN_SCORE
    if not mask.any():
        return []
    picked = cols[:, mask]
    cx, cy, w, h = picked[:4]
    width, height = size
    boxes = np.stack([(cx - w / 2 - pad_x) / scale, (cy - h / 2 - pad_y) / scale,
                      (cx + w / 2 - pad_x) / scale, (cy + h / 2 - pad_y) / scale], axis=1)
    boxes = np.clip(boxes, 0, [width, height, width, height])
    classes, scores = picked[4:].argmax(axis=0), best[mask]
    # per-class NMS in one pass: each class's boxes moved apart so no two classes ever overlap
    offset = classes[:, None] * float(max(width, height) + 1)
    keep = nms(boxes + offset, scores, IOU)[:MAX_BOXES]
    return [{"label": _label(labels, int(classes[i])), "score": round(float(scores[i]), 4),
             "box": [round(float(boxes[i, 0])), round(float(boxes[i, 1])),
                     round(float(boxes[i, 2] - boxes[i, 0])), round(float(boxes[i, 3] - boxes[i, 1]))]}
            for i in keep]


def _label(labels: Sequence[str], n: int) -> str:
    return labels[n] if n < len(labels) else f"class_{n}"


def metadata_names(meta: dict[str, str]) -> list[str]:
    """Class names from a graph's metadata: ultralytics' ``names`` (a Python dict literal), or a list."""
    text = meta.get("names")
    if not text:
        return []
    try:
        value = ast.literal_eval(text)
    except (ValueError, SyntaxError):
        return []
    if isinstance(value, dict):
        return [str(value[k]) for k in sorted(value)]
    return [str(v) for v in value] if isinstance(value, (list, tuple)) else []


class YoloDetector(OnnxModel):
    """Base of the installed detectors: ``detector_class(id)`` gives one subclass per model id."""

    files = ("model.onnx",)
    threads = 1  # one CPU slot per analysis job (tools/image_analyze.py)
    kind = "object-detector"

    def labels(self) -> list[str]:
        names = metadata_names(self.session.get_modelmeta().custom_metadata_map)
        path = self.model_dir / "labels.txt"
        if not names and path.is_file():
            names = [line.strip() for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
        return names

    def _predict(self, images: Sequence[Image.Image], **_: Any) -> list[list[dict[str, Any]]]:
        """Each image's detections in that image's pixels; one run per chunk (or per image at batch 1)."""
        session = self.session
        spec = session.get_inputs()[0]
        height, width = graph_side(spec.shape, DEFAULT_SIDE)
        boxed = [letterbox(img, height, width) for img in images]
        batch = np.stack([b[0] for b in boxed])
        if spec.shape[0] == 1:
            out = np.concatenate([session.run(None, {spec.name: batch[n:n + 1]})[0] for n in range(len(batch))])
        else:
            out = session.run(None, {spec.name: batch})[0]
        labels = self.labels()
        return [decode(out[n], *boxed[n][1:], images[n].size, labels) for n in range(len(images))]


@functools.cache
def detector_class(identity: str) -> type[YoloDetector]:
    """The class for one installed detector; the same class each call, so the model cache shares it."""
    return type(f"YoloDetector_{identity}", (YoloDetector,), {"identity": identity})
