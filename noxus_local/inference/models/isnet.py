"""Background removal: ISNet (DIS, MIT weights) as ONNX, the "medium" graph of @imgly/background-removal-data.

The graph takes ``[1, 3, 1024, 1024]`` float32 RGB and returns the
foreground probability ``[1, 1, 1024, 1024]`` in 0..1 as ``output`` (plus
six side outputs we do not ask for). The preprocessing is the package's own
JavaScript (``runInference``): the image *stretched* to 1024 × 1024 with
bilinear filtering, no aspect kept, then ``(x − 128) / 256`` per channel,
i.e. DIS's mean 0.5 / std 1.0 on 0..1. The probability goes back to the
input's size with the same filter, so the mask lines up with the pixels the
caller has.

The weights are stored as float16 and cast to float32 once when the session
is built (ONNX Runtime folds the casts): compute is float32 on CPU and CUDA.

Example::

    mask = IsNet.from_config(cfg).predict(Image.open("product.jpg"))
    mask.mode, mask.size     # ("L", the photo's size): 255 = foreground
"""

from __future__ import annotations

from typing import Any

import numpy as np
from PIL import Image

from noxus_local.inference.engines.onnx_runtime import OnnxModel

SIDE = 1024
MEAN, STD = 128.0, 256.0  # @imgly/background-removal's tensorHWCtoBCHW defaults


def tensor(img: Image.Image) -> np.ndarray:
    """``[1, 3, 1024, 1024]`` float32: the image stretched to the model's square, ``(x − 128) / 256``."""
    rgb = np.asarray(img.convert("RGB").resize((SIDE, SIDE), Image.Resampling.BILINEAR), dtype=np.float32)
    return ((rgb - MEAN) / STD).transpose(2, 0, 1)[None]


def probability(out: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """The model's ``[1, 1, 1024, 1024]`` output back at ``size`` (w, h): float32 ``[h, w]`` in 0..1."""
    square = Image.fromarray(np.ascontiguousarray(out[0, 0], dtype=np.float32), "F")
    return np.clip(np.asarray(square.resize(size, Image.Resampling.BILINEAR)), 0.0, 1.0)


class IsNet(OnnxModel):
    identity = "isnet-general"
    files = ("isnet.onnx",)
    threads = 2  # one 1024² image is ~45 GFLOP: both cores of the reference machine

    def _predict(self, image: Image.Image, **_: Any) -> Image.Image:
        """The foreground mask ("L", 0..255) at the image's own size."""
        return Image.fromarray((self.probability(image) * 255.0 + 0.5).astype(np.uint8), "L")

    def probability(self, image: Image.Image) -> np.ndarray:
        """The foreground probability, float32 ``[h, w]`` in 0..1 at the image's size."""
        (out,) = self.session.run(["output"], {"input": tensor(image)})
        return probability(out, image.size)
