"""What a user's material shows: ImageNet tags and OCR text of an image, or of a few keyframes of a video.

script-to-video matches each scene to a given material by what it shows
(issue 20 item 3a). ``describe`` runs our own image analysis
(analysis/features.py: ``tags`` = EfficientNet-Lite0's top labels, ``ocr`` =
PP-OCR's text) on the picture once: an image as it is; a video at
``KEYFRAMES`` points of its length (20 %, 50 %, 80 %: past a fade-in, not
only its first shot), each frame taken by one fast-seek ffmpeg run at ≤ 640 px,
the tags of the keyframes merged (a label's best score) and their texts joined.

A model that is not installed is not a failure: the answer says which are
``missing`` (``noxus-local models fetch <id>``) and carries what the other found;
the caller then matches by name and order and warns. The answer is plain data
(``as_dict``/``from_dict``), so a caller can keep it by the file's hash and a
re-render does not analyse the same file again.

Example::

    facts = describe(Path("IMG_0001.jpg"), "image", models, cancel, workdir)
    facts.tags        # (("espresso", 0.95), ("tea cup", 0.01), ...)
    facts.text        # "" (no text in the picture)
    facts.missing     # () — both models ran
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from noxus_local.analysis.features import analyse_many
from noxus_local.errors import InvalidMedia, NoxusError
from noxus_local.inference.models.efficientnet import EfficientNetLite0
from noxus_local.inference.models.ppocr import PpOcr
from noxus_local.locale import t
from noxus_local.runtime.cancel import CancelToken

FEATURES = ("tags", "ocr")
KEYFRAMES = (0.2, 0.5, 0.8)  # where in a video its pictures are taken, as fractions of its length
KEYFRAME_SIDE = 640
MAX_PIXELS = 40_000_000
MIN_TAG_SCORE = 0.02  # labels below this are the model's noise ("window screen" 0.001 on a cat)
ENGINE = f"materials-1:{EfficientNetLite0.identity}:{PpOcr.identity}"  # in a cache key: a new engine, new facts
NO_PICTURE = t("materials.no_picture")
MODEL_OF = {"tags": EfficientNetLite0.identity, "ocr": PpOcr.identity}


@dataclass(frozen=True)
class MaterialFacts:
    """What the analysis found in one material: labels with scores, best first, and its text."""

    tags: tuple[tuple[str, float], ...] = ()
    text: str = ""
    missing: tuple[str, ...] = field(default_factory=tuple)  # model ids that were not installed

    def as_dict(self) -> dict[str, Any]:
        return {"tags": [[label, score] for label, score in self.tags], "text": self.text,
                "missing": list(self.missing)}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> MaterialFacts:
        return cls(tuple((str(label), float(score)) for label, score in data.get("tags", ())),
                   str(data.get("text", "")), tuple(data.get("missing", ())))


def describe(path: Path, kind: str, models: Any, cancel: CancelToken, workdir: Path,
             duration: float | None = None) -> MaterialFacts:
    """The tags and text of an image, or of a video's keyframes (``kind`` ``image`` or ``video``).

    A file none of whose pictures the analysis can read raises that picture's error (InvalidMedia:
    the caller matches it by its name); ``cancel`` is checked before each picture, so a cancelled
    job stops here.
    """
    cancel.check()
    pictures = [path] if kind == "image" else keyframes(path, workdir, cancel, duration)
    tags: dict[str, float] = {}
    texts: list[str] = []
    missing: set[str] = set()
    failed: NoxusError | None = None if pictures else InvalidMedia(NO_PICTURE)
    read = 0
    for picture in pictures:
        cancel.check()
        answer = analyse_many([(picture, FEATURES)], MAX_PIXELS, models)[0]
        if isinstance(answer, NoxusError):
            failed = failed or answer
            continue
        read += 1
        for name in FEATURES:
            got = answer.get(name)
            if isinstance(got, dict) and got.get("unavailable"):
                missing.add(MODEL_OF[name])
        if isinstance(answer.get("tags"), list):
            for i, tag in enumerate(answer["tags"]):
                if i == 0 or tag["score"] >= MIN_TAG_SCORE:
                    tags[tag["label"]] = max(tags.get(tag["label"], 0.0), float(tag["score"]))
        ocr = answer.get("ocr")
        said = " ".join(str(ocr.get("text") or "").split()) if isinstance(ocr, dict) else ""
        if said and said not in texts:
            texts.append(said)
    if not read and failed is not None:
        raise failed
    ranked = tuple(sorted(tags.items(), key=lambda t: -t[1]))
    return MaterialFacts(ranked, " / ".join(texts)[:2000], tuple(sorted(missing)))


def keyframes(video: Path, workdir: Path, cancel: CancelToken, duration: float | None = None) -> list[Path]:
    """JPEG frames at ``KEYFRAMES`` of the video's length, ≤ ``KEYFRAME_SIDE`` px; frames ffmpeg
    cannot take (past a short clip's end) are left out. Example: a 10 s clip → frames at 2, 5 and 8 s."""
    from noxus_local.media.ffmpeg import FfmpegFailed, run_ffmpeg
    from noxus_local.media.probe import probe

    if duration is None:
        duration = probe(video).duration or 0.0
    workdir.mkdir(parents=True, exist_ok=True)
    out = []
    scale = f"scale='min({KEYFRAME_SIDE},iw)':'min({KEYFRAME_SIDE},ih)':force_original_aspect_ratio=decrease"
    for n, fraction in enumerate(KEYFRAMES):
        frame = workdir / f"{video.stem[:40]}-key{n}.jpg"
        try:
            run_ffmpeg(["-ss", f"{duration * fraction:.3f}", "-i", str(video), "-map", "0:v:0", "-vf", scale,
                        "-frames:v", "1", "-update", "1", "-q:v", "3", str(frame)], cancel)
        except FfmpegFailed:
            continue
        if frame.is_file() and frame.stat().st_size > 0:
            out.append(frame)
    return out
