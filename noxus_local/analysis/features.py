"""One image or a batch of them, the chosen features: the pipeline of image analysis.

A feature is a name the request chooses. The cheap ones (``metadata``,
``colors``, ``hash``, ``quality``) are ours in numpy and Pillow; ``safety``
(open_nsfw + NudeNet), ``faces`` (CenterFace) and ``ocr`` (PP-OCRv6 tiny)
run ONNX models through the process's model cache, **batched**: the images
of a batch that ask for a model feature go through that model together,
``GPU_BATCH`` per ``session.run`` on CUDA. On the CPU the default is
``CPU_BATCH`` = 1 per run: measured on 2 cores with one-thread sessions,
bigger runs cost each image as much or more (open_nsfw 39 → 46 ms, NudeNet
39 → 51, the OCR detector 175 → 232 at 16 per run; CenterFace 58 → 52 at
4), since a CPU gains nothing from one large tensor over several small ones
and the larger activations fall out of cache. ``per_run`` overrides it. A feature whose model is not
installed answers ``{"unavailable": true, "reason": ..., "install":
"noxus-local models fetch <id>"}`` for that feature while the others still
run. ``tags`` is EfficientNet-Lite0's top ``TAGS_TOP_K`` ImageNet labels:
``[{"label": "espresso", "score": 0.957}, ...]``. ``objects`` (a YOLOv8 / YOLO11 ONNX detector) and
``embedding`` (an image encoder) have no model offline (STACK.md): they run the model the admin added
with ``noxus-local models add`` (``inference/registry/local.py``) and answer
``unavailable`` with that command until one is added. An unknown feature name
is the item's own ``validation_error``, not the batch's.

Each image is decoded once, oriented and reduced: to ≤ 512 px for every
feature, and to ≤ 960 px (the OCR detector's limit) only when ``ocr`` is
asked for, since text needs the pixels a palette does not.

Example::

    names = check_features(["metadata", "hash"])          # or ValidationError naming them
    analyse(Path("foto.jpg"), names, max_pixels=40_000_000)
    # {"metadata": {...}, "hash": {"phash": "c3e1...", ...}}
    analyse_many([(Path("a.jpg"), ("faces",)), (Path("b.jpg"), ("faces", "ocr"))], 40_000_000, models)
    # [{"faces": [...]}, {"faces": [...], "ocr": {...}}]: one CenterFace run for both
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from PIL import Image

from noxus_local.analysis import cheap
from noxus_local.errors import InternalError, InvalidMedia, NoxusError, ValidationError, one_of
from noxus_local.inference.model import ModelNotInstalled
from noxus_local.inference.models.centerface import CenterFace
from noxus_local.inference.models.efficientnet import EfficientNetLite0
from noxus_local.inference.models.nudenet import NudeNet
from noxus_local.inference.models.open_nsfw import OpenNsfw
from noxus_local.inference.models.ppocr import DET_SIDE, PpOcr
from noxus_local.locale import t
from noxus_local.media.images import DECODE_ERRORS, INVALID_IMAGE, displayed_size, open_image, orient

DEFAULT_FEATURES = ("metadata", "colors", "hash", "quality")
NSFW_CUTOFF = 0.8
# features of the decoded ≤ 512 px copy; ``metadata`` reads the header before it (see ``analyse``)
CHEAP: dict[str, Callable[[Image.Image], dict[str, Any]]] = {
    "colors": cheap.colors, "hash": cheap.phash, "quality": cheap.quality,
}
MODEL_FEATURES = ("safety", "faces", "ocr", "tags")
TAGS_TOP_K = 5
# features that run a model the admin adds (``noxus-local models add``): feature → model kind
LOCAL_FEATURES = {"objects": "object-detector", "embedding": "image-embedding"}
LOCAL_REASONS = {
    "objects": t("analysis_features.no_object_detection_model"),
    "embedding": t("analysis_features.no_image_embedding_model"),
}
MODEL_BATCH = GPU_BATCH = 16  # items analysed together; images per session.run on CUDA
CPU_BATCH = 1  # images per session.run on the CPU (see above: bigger runs are no faster there)
OCR_SIDE = DET_SIDE
log = logging.getLogger("noxus_local.analysis.features")
FEATURES = ("metadata", *CHEAP, *MODEL_FEATURES, *LOCAL_FEATURES)


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
        raise ValidationError.fields({field: [t("common.non_empty_list_names")]})
    unknown = [n[:40] for n in raw if n not in FEATURES]
    if unknown:
        raise ValidationError(
            t("analysis_features.unknown_features", unknown=', '.join(unknown[:10])),
            details={"field_errors": {field: [one_of(FEATURES)]},
                     "unknown_features": unknown[:10]})
    return tuple(dict.fromkeys(raw))


@dataclass
class Decoded:
    """One image as every feature needs it: the header's metadata, a ≤ 512 px copy, and a
    ≤ 960 px copy when ``ocr`` is asked for; ``original`` is the displayed size, for boxes."""

    features: tuple[str, ...]
    header: dict[str, Any]
    img: Image.Image | None = None
    text_img: Image.Image | None = None
    original: tuple[int, int] = (0, 0)


def analyse(path: Path, features: Sequence[str], max_pixels: int, models: Any = None) -> dict[str, Any]:
    """Every chosen feature of one image file; bad files raise InvalidMedia / LimitExceeded.

    The header is checked against the pixel limit before any pixel is decoded.
    ``models`` is the process's ``ModelCache``; without one (or without the
    model's files) a model feature answers ``unavailable`` with the install command.
    """
    result = analyse_many([(path, features)], max_pixels, models)[0]
    if isinstance(result, Exception):
        raise result
    return result


def analyse_many(items: Sequence[tuple[Path, Sequence[str]]], max_pixels: int, models: Any = None,
                 per_run: int | None = None) -> list[dict[str, Any] | NoxusError]:
    """Each item's result, or the error that item alone failed with; model features batched across items.

    ``per_run``: images per ``session.run``; None = ``GPU_BATCH`` on CUDA, ``CPU_BATCH`` on the CPU.
    """
    decoded: list[Decoded | NoxusError] = []
    for path, features in items:
        try:
            decoded.append(decode(path, tuple(features), max_pixels))
        except NoxusError as exc:
            decoded.append(exc)
        except Exception as exc:  # a decoder bug on one file must not end the other items
            log.exception("decoding %s failed", path.name)
            decoded.append(InternalError(type(exc).__name__))
    results: list[dict[str, Any] | NoxusError] = [
        d if isinstance(d, NoxusError) else dict(d.header) for d in decoded]
    for name in FEATURES:
        wanted = [n for n, d in enumerate(decoded) if isinstance(d, Decoded) and name in d.features
                  and name not in d.header]
        if not wanted:
            continue
        answers = _feature(name, [decoded[n] for n in wanted], models, per_run)  # type: ignore[misc]
        for n, answer in zip(wanted, answers, strict=True):
            if isinstance(results[n], dict):
                results[n] = answer if isinstance(answer, NoxusError) else {**results[n], name: answer}  # type: ignore[dict-item]
    # the item's features in the order it asked for them
    return [r if isinstance(r, NoxusError) else {k: r[k] for k in items[n][1] if k in r}
            for n, r in enumerate(results)]


def decode(path: Path, features: tuple[str, ...], max_pixels: int) -> Decoded:
    """The header's metadata, then (only if a feature needs pixels) the reduced copies."""
    with open_image(path, max_pixels) as source:
        header = {"metadata": cheap.metadata(source)} if "metadata" in features else {}
        if all(name in header for name in features):  # nothing needs the pixels
            return Decoded(features, header)
        original = displayed_size(source)  # before _reduced: a JPEG draft changes source.size
        side = OCR_SIDE if "ocr" in features else cheap.THUMB
        big = _reduced(source, side)
    img = big
    if side != cheap.THUMB:
        img = big.copy()
        img.thumbnail((cheap.THUMB, cheap.THUMB), Image.Resampling.BILINEAR, reducing_gap=2.0)
    return Decoded(features, header, img, big if "ocr" in features else None, original)


def _reduced(source: Image.Image, side: int = cheap.THUMB) -> Image.Image:
    """The first frame, oriented, at most ``side`` px a side, decoded once for every feature.

    ``draft`` lets libjpeg decode at 1/2, 1/4 or 1/8 scale (still ≥ the
    thumbnail), which is most of the saving on large photos.
    """
    try:
        source.seek(0)
        if source.format == "JPEG":  # the longer side stays >= side: ask for the box that keeps it
            longest = max(source.size)
            source.draft("RGB", (side * source.width // longest, side * source.height // longest))
        img = orient(source.copy())
        img.thumbnail((side, side), Image.Resampling.BILINEAR, reducing_gap=2.0)
        return img
    except DECODE_ERRORS:
        raise InvalidMedia(INVALID_IMAGE) from None


Answer = dict[str, Any] | list[Any] | NoxusError


def _feature(name: str, items: Sequence[Decoded], models: Any, per_run: int | None) -> list[Answer]:
    if name in LOCAL_FEATURES:
        return _local(name, items, models, per_run)
    if name in CHEAP:
        return [_guarded(CHEAP[name], d.img) for d in items]  # type: ignore[arg-type]  # decode made it
    if name == "safety":
        return _safety(items, models, per_run)
    if name == "faces":
        return _faces(items, models, per_run)
    if name == "tags":
        return _batched(models, EfficientNetLite0, [d.img for d in items],
                        lambda m, chunk: m.predict(chunk, top_k=TAGS_TOP_K), per_run)
    return _ocr(items, models, per_run)


def _guarded(fn: Callable[[Image.Image], dict[str, Any]], img: Image.Image) -> Answer:
    """``fn(img)``, or the item's own ``internal_error``: one odd image must not end the batch."""
    try:
        return fn(img)
    except Exception as exc:
        log.exception("%s failed on one image", getattr(fn, "__name__", "feature"))
        return InternalError(type(exc).__name__)


def safety(img: Image.Image, models: Any, original: tuple[int, int] | None = None) -> dict[str, Any]:
    """open_nsfw's score (0 safe … 1 explicit; ``nsfw`` at ≥ 0.8, Yahoo's suggested cut-off) and
    NudeNet's detections (labels, scores, ``[x, y, w, h]`` boxes in the original image's pixels).

    Each model answers ``unavailable`` with its install command on its own, so
    one missing model never hides the other's answer.
    """
    answer = _safety([Decoded(("safety",), {}, img, None, original or img.size)], models, None)[0]
    if isinstance(answer, NoxusError):
        raise answer
    return answer  # type: ignore[return-value]  # _safety answers dicts


def _safety(items: Sequence[Decoded], models: Any, per_run: int | None) -> list[Answer]:
    imgs = [d.img for d in items]
    scores = _batched(models, OpenNsfw, imgs, lambda m, chunk: [float(s) for s in m.predict(chunk)], per_run)
    found = _batched(models, NudeNet, imgs, lambda m, chunk: m.predict(chunk), per_run)
    out: list[Answer] = []
    for d, score, dets in zip(items, scores, found, strict=True):
        if isinstance(score, NoxusError) or isinstance(dets, NoxusError):
            out.append(score if isinstance(score, NoxusError) else dets)  # type: ignore[arg-type]
            continue
        entry: dict[str, Any] = {}
        if isinstance(score, dict):
            entry.update(score)
        else:
            entry.update({"nsfw_score": round(score, 4), "nsfw": score >= NSFW_CUTOFF, "model": OpenNsfw.identity})
        if isinstance(dets, dict):
            entry["detections"] = dets
        else:
            factor = d.original[0] / d.img.width  # type: ignore[union-attr]
            entry["detections"] = [{**x, "box": _scaled(x["box"], factor)} for x in dets]
            entry["detection_model"] = NudeNet.identity
        out.append(entry)
    return out


def _faces(items: Sequence[Decoded], models: Any, per_run: int | None) -> list[Answer]:
    """Faces as a list: ``[{"box": [x, y, w, h], "confidence", "landmarks": {...}}]`` in original pixels."""
    found = _batched(models, CenterFace, [d.img for d in items], lambda m, chunk: m.predict(chunk), per_run)
    out: list[Answer] = []
    for d, faces in zip(items, found, strict=True):
        if isinstance(faces, (dict, NoxusError)):
            out.append(faces)
            continue
        factor = d.original[0] / d.img.width  # type: ignore[union-attr]
        out.append([{**f, "box": _scaled(f["box"], factor),
                     "landmarks": {k: _scaled(v, factor) for k, v in f["landmarks"].items()}} for f in faces])
    return out


def _ocr(items: Sequence[Decoded], models: Any, per_run: int | None) -> list[Answer]:
    """``{"text", "lines": [{"text", "box", "confidence"}], "model"}``, lines in reading order."""
    found = _batched(models, PpOcr, [d.text_img for d in items], lambda m, chunk: m.predict(chunk), per_run)
    out: list[Answer] = []
    for d, page in zip(items, found, strict=True):
        if isinstance(page, NoxusError) or page.get("unavailable"):
            out.append(page)
            continue
        factor = d.original[0] / d.text_img.width  # type: ignore[union-attr]
        lines = [{**line, "box": _scaled(line["box"], factor)} for line in page["lines"]]
        out.append({"text": page["text"], "lines": lines, "model": PpOcr.identity})
    return out


def _local(name: str, items: Sequence[Decoded], models: Any, per_run: int | None) -> list[Answer]:
    """``objects``: ``[{"label", "score", "box": [x, y, w, h]}]`` in original pixels; ``embedding``:
    ``{"vector": [...unit length...], "dim", "model"}``; both from the last model added of the kind."""
    from noxus_local.inference.registry.local import active_model, install_hint
    from noxus_local.inference.registry.manifest import models_dir

    kind = LOCAL_FEATURES[name]
    cfg = getattr(models, "cfg", None)  # a ModelCache; None: no cache in this process
    spec = active_model(models_dir(cfg), kind) if cfg is not None else None
    if spec is None:
        return [{"unavailable": True, "reason": LOCAL_REASONS[name], "install": install_hint(kind)} for _ in items]
    imgs = [d.img for d in items]
    if name == "embedding":
        from noxus_local.inference.models.embedder import embedder_class

        found = _batched(models, embedder_class(spec.id), imgs, lambda m, chunk: m.predict(chunk), per_run)
        return [v if isinstance(v, (dict, NoxusError)) else
                {"vector": [round(float(x), 6) for x in v], "dim": len(v), "model": spec.id} for v in found]
    from noxus_local.inference.models.detector import detector_class

    found = _batched(models, detector_class(spec.id), imgs, lambda m, chunk: m.predict(chunk), per_run)
    out: list[Answer] = []
    for d, dets in zip(items, found, strict=True):
        if isinstance(dets, (dict, NoxusError)):
            out.append(dets)
            continue
        factor = d.original[0] / d.img.width  # type: ignore[union-attr]
        out.append([{**x, "box": _scaled(x["box"], factor)} for x in dets])
    return out


def _scaled(values: Sequence[int], factor: float) -> list[int]:
    return [round(v * factor) for v in values]


def _batched(models: Any, model_cls: Any, images: Sequence[Any],
             call: Callable[[Any, list[Any]], list[Any]], per_run: int | None = None) -> list[Any]:
    """``call(model, chunk)`` over chunks of ``per_run`` images (None: by provider), one answer per image.

    A missing model (or model cache) answers ``unavailable`` with its install
    command for every image. A chunk whose run fails is retried one image at a
    time, so an image that breaks the model fails alone (``internal_error``).
    """
    install = f"noxus-local models fetch {model_cls.identity}"
    if models is None:
        return [{"unavailable": True, "reason": "no model cache in this process", "install": install}
                for _ in images]
    out: list[Any] = []
    try:
        with models.use(model_cls) as model:
            size = per_run or (GPU_BATCH if model.load().on_gpu else CPU_BATCH)
            for start in range(0, len(images), size):
                chunk = list(images[start:start + size])
                try:
                    out.extend(call(model, chunk))
                except Exception:
                    if len(chunk) == 1:
                        log.exception("%s failed on one image", model_cls.identity)
                        out.append(InternalError(model_cls.identity))
                        continue
                    out.extend(_batched(models, model_cls, chunk[i:i + 1], call, 1)[0] for i in range(len(chunk)))
    except ModelNotInstalled as exc:
        return [{"unavailable": True, "reason": exc.message, "install": install} for _ in images]
    return out
