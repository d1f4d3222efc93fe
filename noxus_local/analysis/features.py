"""One image, the chosen features: the per-item pipeline of image analysis.

A feature is a name the request chooses. The cheap ones (``metadata``,
``colors``, ``hash``, ``quality``) always run here; the model features have
no pipeline in this build yet, or no model exists offline (STACK.md), so
each answers ``{"unavailable": true, "reason": ...}`` for that feature while
the others still run. An unknown feature name is the item's own
``validation_error``, not the batch's.

Example::

    names = check_features(["metadata", "hash"])          # or ValidationError naming them
    analyse(Path("foto.jpg"), names, max_pixels=40_000_000)
    # {"metadata": {...}, "hash": {"phash": "c3e1...", ...}}
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from PIL import Image

from noxus_local.analysis import cheap
from noxus_local.errors import InvalidMedia, ValidationError
from noxus_local.inference.nudenet import NudeNet
from noxus_local.inference.open_nsfw import OpenNsfw
from noxus_local.inference.session import ModelNotInstalled
from noxus_local.media.images import DECODE_ERRORS, INVALID_IMAGE, displayed_size, open_image, orient

DEFAULT_FEATURES = ("metadata", "colors", "hash", "quality")
NSFW_CUTOFF = 0.8
# features of the decoded ≤ 512 px copy; ``metadata`` reads the header before it (see ``analyse``)
CHEAP: dict[str, Callable[[Image.Image], dict[str, Any]]] = {
    "colors": cheap.colors, "hash": cheap.phash, "quality": cheap.quality,
}
# features the API knows, whose pipelines or models this build does not have
UNAVAILABLE: dict[str, str] = {
    "ocr": "el reconocimiento de texto aún no está en esta versión / text recognition is not in this build yet",
    "faces": "la detección de caras aún no está en esta versión / face detection is not in this build yet",
    "tags": "no hay modelo de etiquetas instalado / no image-tagging model is installed",
    "objects": "no hay detector de objetos instalado / no object-detection model is installed",
    "embedding": "no hay modelo de embeddings instalado / no image-embedding model is installed",
}
MODEL_FEATURES = ("safety",)
FEATURES = ("metadata", *CHEAP, *MODEL_FEATURES, *UNAVAILABLE)


def check_features(raw: Any, field: str = "features") -> tuple[str, ...]:
    """The requested feature names, in order, without repeats; None → the default set.

    Raises ``ValidationError`` naming ``field`` for a non-list or unknown
    names, so the caller decides whose error it is (the item's, in a batch).
    """
    if raw is None:
        return DEFAULT_FEATURES
    if isinstance(raw, str):  # a form field or one-shot call: "metadata,hash"
        raw = [part.strip() for part in raw.split(",") if part.strip()]
    if not isinstance(raw, list) or not raw or not all(isinstance(n, str) for n in raw):
        raise ValidationError.fields({field: ["lista no vacía de nombres / a non-empty list of names"]})
    unknown = [n[:40] for n in raw if n not in FEATURES]
    if unknown:
        raise ValidationError(
            f"Funciones desconocidas / unknown features: {', '.join(unknown[:10])}",
            details={"field_errors": {field: [f"una de / one of: {', '.join(FEATURES)}"]},
                     "unknown_features": unknown[:10]})
    return tuple(dict.fromkeys(raw))


def analyse(path: Path, features: Sequence[str], max_pixels: int, models: Any = None) -> dict[str, Any]:
    """Every chosen feature of one image file; bad files raise InvalidMedia / LimitExceeded.

    The header is checked against the pixel limit before any pixel is decoded.
    ``models`` is the process's ``ModelCache``; without one (or without the
    model's files) a model feature answers ``unavailable`` with the install command.
    """
    with open_image(path, max_pixels) as source:
        header = {"metadata": cheap.metadata(source)} if "metadata" in features else {}
        if all(name in header for name in features):  # nothing needs the pixels
            return header
        original = displayed_size(source)  # before _reduced: a JPEG draft changes source.size
        img = _reduced(source)
        return {name: header[name] if name in header else _one(name, img, models, original) for name in features}


def _reduced(source: Image.Image) -> Image.Image:
    """The first frame, oriented, at most ``cheap.THUMB`` px a side, decoded once for every feature.

    ``draft`` lets libjpeg decode at 1/2, 1/4 or 1/8 scale (still ≥ the
    thumbnail), which is most of the saving on large photos.
    """
    try:
        source.seek(0)
        if source.format == "JPEG":  # the longer side stays >= THUMB: ask for the box that keeps it
            side = max(source.size)
            source.draft("RGB", (cheap.THUMB * source.width // side, cheap.THUMB * source.height // side))
        img = orient(source.copy())
        img.thumbnail((cheap.THUMB, cheap.THUMB), Image.Resampling.BILINEAR, reducing_gap=2.0)
        return img
    except DECODE_ERRORS:
        raise InvalidMedia(INVALID_IMAGE) from None


def _one(name: str, img: Image.Image, models: Any, original: tuple[int, int]) -> dict[str, Any]:
    if name in UNAVAILABLE:
        return {"unavailable": True, "reason": UNAVAILABLE[name]}
    if name == "safety":
        return safety(img, models, original)
    return CHEAP[name](img)


def safety(img: Image.Image, models: Any, original: tuple[int, int] | None = None) -> dict[str, Any]:
    """open_nsfw's score (0 safe … 1 explicit; ``nsfw`` at ≥ 0.8, Yahoo's suggested cut-off) and
    NudeNet's detections (labels, scores, ``[x, y, w, h]`` boxes in the original image's pixels).

    Each model answers ``unavailable`` with its install command on its own, so
    one missing model never hides the other's answer.
    """
    out: dict[str, Any] = {}
    score = _with_model(models, OpenNsfw, lambda m: float(m.predict([img])[0]))
    if isinstance(score, dict):
        out.update(score)
    else:
        out.update({"nsfw_score": round(score, 4), "nsfw": score >= NSFW_CUTOFF, "model": OpenNsfw.identity})
    found = _with_model(models, NudeNet, lambda m: m.predict([img])[0])
    if isinstance(found, dict):
        out["detections"] = found
    else:
        factor = (original[0] / img.width) if original else 1.0
        out["detections"] = [{**d, "box": [round(v * factor) for v in d["box"]]} for d in found]
        out["detection_model"] = NudeNet.identity
    return out


def _with_model(models: Any, model_cls: Any, call: Callable[[Any], Any]) -> Any:
    """``call(model)``, or the ``unavailable`` answer when the model (or any model cache) is missing."""
    install = f"noxus-local models fetch {model_cls.identity}"
    if models is None:
        return {"unavailable": True, "reason": "no model cache in this process", "install": install}
    try:
        with models.use(model_cls) as model:
            return call(model)
    except ModelNotInstalled as exc:
        return {"unavailable": True, "reason": exc.message, "install": install}
