"""An image encoder the admin installs: any ONNX graph from ``[N, 3, H, W]`` pixels to a vector.

CLIP's visual tower, SigLIP, DINOv2 or a classifier cut before its head all
fit. Pre-processing is CLIP's unless the graph's metadata says otherwise:
the shorter side resized (bicubic) to the graph's size, the centre cropped,
0..1 RGB normalised with ``mean`` / ``std`` (metadata keys holding three
numbers, JSON or comma-separated; default CLIP's). The first output, flattened
per image (``[N, D]`` or ``[N, D, 1, 1]``), is L2-normalised, so the cosine
similarity of two images is the dot product of their vectors. The batch axis
is used when it is dynamic: N images, one run.

Example::

    cls = embedder_class("clip-vit-b32")
    out = cls.from_config(cfg).predict([img_a, img_b])
    float(np.dot(out[0], out[1]))            # cosine similarity
"""

from __future__ import annotations

import functools
import json
from collections.abc import Sequence
from typing import Any

import numpy as np
from PIL import Image

from noxus_local.inference.engines.onnx_runtime import OnnxModel
from noxus_local.inference.models.detector import graph_side

DEFAULT_SIDE = 224
CLIP_MEAN = (0.48145466, 0.4578275, 0.40821073)
CLIP_STD = (0.26862954, 0.26130258, 0.27577711)


def triple(text: str | None, default: tuple[float, float, float]) -> tuple[float, float, float]:
    """Three numbers from metadata (``"[0.5, 0.5, 0.5]"`` or ``"0.5,0.5,0.5"``); the default otherwise."""
    if not text:
        return default
    try:
        value = json.loads(text) if text.strip().startswith("[") else [float(v) for v in text.split(",")]
        numbers = tuple(float(v) for v in value)
    except (ValueError, TypeError):
        return default
    return numbers if len(numbers) == 3 and all(np.isfinite(numbers)) else default  # type: ignore[return-value]


def preprocess(img: Image.Image, height: int, width: int, mean: Sequence[float], std: Sequence[float]) -> np.ndarray:
    """``[3, H, W]`` float32: shorter side to fit, centre crop, normalised."""
    rgb = img.convert("RGB")
    scale = max(width / rgb.width, height / rgb.height)
    new_w, new_h = max(width, round(rgb.width * scale)), max(height, round(rgb.height * scale))
    resized = rgb.resize((new_w, new_h), Image.Resampling.BICUBIC)
    left, top = (new_w - width) // 2, (new_h - height) // 2
    chw = np.asarray(resized.crop((left, top, left + width, top + height))).transpose(2, 0, 1)
    std_ = np.asarray(std, dtype=np.float32)[:, None, None]
    pixels = np.multiply(chw, np.float32(1 / 255) / std_, dtype=np.float32)
    pixels -= np.asarray(mean, dtype=np.float32)[:, None, None] / std_
    return pixels


class ImageEmbedder(OnnxModel):
    """Base of the installed encoders: ``embedder_class(id)`` gives one subclass per model id."""

    files = ("model.onnx",)
    threads = 1
    kind = "image-embedding"

    def _predict(self, images: Sequence[Image.Image], **_: Any) -> list[np.ndarray]:
        """Each image's unit vector (float32)."""
        session = self.session
        spec = session.get_inputs()[0]
        meta = session.get_modelmeta().custom_metadata_map
        height, width = graph_side(spec.shape, DEFAULT_SIDE)
        mean, std = triple(meta.get("mean"), CLIP_MEAN), triple(meta.get("std"), CLIP_STD)
        batch = np.stack([preprocess(img, height, width, mean, std) for img in images])
        if spec.shape[0] == 1:
            out = np.concatenate([session.run(None, {spec.name: batch[n:n + 1]})[0] for n in range(len(batch))])
        else:
            out = session.run(None, {spec.name: batch})[0]
        vectors = np.asarray(out, dtype=np.float32).reshape(len(images), -1)
        norms = np.linalg.norm(vectors, axis=1, keepdims=True)
        return list(vectors / np.where(norms > 0, norms, 1.0))


@functools.cache
def embedder_class(identity: str) -> type[ImageEmbedder]:
    """The class for one installed encoder; the same class each call, so the model cache shares it."""
    return type(f"ImageEmbedder_{identity}", (ImageEmbedder,), {"identity": identity})
