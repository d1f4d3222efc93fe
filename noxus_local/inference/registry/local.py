"""Models the admin installs by hand: an object detector, an image encoder or a Whisper size no offline
package ships.

No COCO detector and no CLIP-like image encoder exists in any offline source
here (STACK.md), so ``objects`` and ``embedding`` run a model the admin
brings: ``noxus-local models add <id> --kind object-detector --file
yolo11n.onnx`` checks that ONNX Runtime opens the graph and that its shapes
are the kind's, copies it (sha256-verified, ``--sha256`` pins the expected
digest) into ``<data dir>/models/<id>/model.onnx`` like the manifest's models,
and records it in ``<data dir>/models/local-models.toml`` with a
``file:/abs/path`` source. From then on the registry lists it (``models
list``), ``models verify`` and ``doctor`` hash it, and ``models fetch <id>``
copies it again from that path. The last model added of a kind answers that
kind's feature; ``models remove <id>`` takes one out.

A ``speech-recognition`` model is a ctranslate2 Whisper *folder* (``--dir``,
checked by ``whisper_folder.py``): its four files are copied the same way and
the id becomes one more value of the ``model`` request option of
auto-subtitles and ``/v1/audio/transcriptions`` (``installed_models``).

Example::

    spec = add_local_model(models_dir(cfg), "yolo11n", "object-detector", Path("yolo11n.onnx"),
                           labels=Path("coco.txt"))
    active_model(models_dir(cfg), "object-detector").id      # "yolo11n"
    add_local_model(models_dir(cfg), "whisper-small", "speech-recognition", folder=Path("ct2-whisper-small"))
"""

from __future__ import annotations

import json
import shutil
import tomllib
from pathlib import Path
from typing import Any

from noxus_local.inference.registry.manifest import ID_RE, ManifestError, ModelFile, ModelSpec, load_manifest
from noxus_local.inference.registry.sources import ChecksumMismatch, LocalModelError, copy_file_verified
from noxus_local.inference.registry.store_stamp import LOCAL_FILE, changed
from noxus_local.inference.registry.whisper_folder import check_whisper_folder, whisper_files
from noxus_local.runtime.digest import sha256_of

GRAPH, LABELS = "model.onnx", "labels.txt"
SPEECH = "speech-recognition"
# kind → the feature it serves
KINDS = {"object-detector": "objects", "image-embedding": "embedding", SPEECH: "speech recognition"}
LICENSE = "supplied by the admin"


def serves(kind: str) -> str:
    """What a model of ``kind`` answers, for the line ``models add`` prints."""
    if kind == SPEECH:
        return "serves speech recognition: the `model` option of auto-subtitles and /v1/audio/transcriptions"
    return f"serves the `{KINDS[kind]}` feature"


def install_hint(kind: str) -> str:
    """The command that installs a model of ``kind``, for a feature's ``unavailable`` answer."""
    example = "yolo11n --kind object-detector --file yolo11n.onnx [--labels labels.txt]" \
        if kind == "object-detector" else "clip-vit-b32 --kind image-embedding --file image_encoder.onnx"
    return f"noxus-local models add {example}"


def load_local(models_dir: Path) -> list[ModelSpec]:
    """The models recorded in ``local-models.toml``, oldest first; none when the file is absent."""
    path = models_dir / LOCAL_FILE
    if not path.is_file():
        return []
    return load_manifest(path)


def active_model(models_dir: Path, kind: str) -> ModelSpec | None:
    """The last model added of ``kind`` whose files are in place (a removed file falls back to the one before)."""
    for spec in reversed(load_local(models_dir)):
        if spec.task == kind and all((models_dir / spec.id / f.name).is_file() for f in spec.files):
            return spec
    return None


def add_local_model(models_dir: Path, model_id: str, kind: str, graph: Path | None = None,
                    labels: Path | None = None, sha256: str | None = None,
                    taken: set[str] | frozenset[str] = frozenset(), folder: Path | None = None) -> ModelSpec:
    """Check, copy (verified) and record one model; adding an id again replaces it.

    ``graph`` (and ``labels``): the ONNX file of an object-detector or image-embedding;
    ``folder``: the ctranslate2 Whisper folder of a speech-recognition model; ``sha256``
    pins the graph's or model.bin's digest. ``taken``: the manifest's ids, which a local
    model may not shadow.
    """
    if not ID_RE.fullmatch(model_id):
        raise LocalModelError(f"model id {model_id!r}: lower-case letters, digits, '.', '_' or '-'")
    if model_id in taken:
        raise LocalModelError(f"{model_id} is a model of models/manifest.toml: choose another id")
    if kind not in KINDS:
        raise LocalModelError(f"unknown kind {kind!r}: one of {', '.join(KINDS)}")
    sources = _sources(kind, graph, labels, folder)
    for _, path in sources:
        if not path.is_file():
            raise LocalModelError(f"{path}: no such file")
    digest = sha256_of(sources[0][1])
    if sha256 is not None and digest != sha256.lower():
        raise ChecksumMismatch(f"{sources[0][1]}: sha256 {digest} instead of the expected {sha256}")
    if kind == SPEECH:

        check_whisper_folder(sources[0][1].parent)
    else:
        check_graph(sources[0][1], kind)
    files = []
    for index, (name, path) in enumerate(sources):
        file_sha = digest if index == 0 else sha256_of(path)
        copy_file_verified(path, models_dir / model_id / name, file_sha)
        files.append(ModelFile(name, file_sha, path.stat().st_size, (f"file:{path}",)))
    kept = {name for name, _ in sources}
    for stale in (LABELS, "vocabulary.txt", "vocabulary.json"):  # left by an earlier add of this id
        if stale not in kept:
            (models_dir / model_id / stale).unlink(missing_ok=True)
    spec = ModelSpec(model_id, kind, LICENSE, False, tuple(files))
    _write(models_dir, [*(s for s in load_local(models_dir) if s.id != model_id), spec])
    changed(models_dir)
    return spec


def remove_local_model(models_dir: Path, model_id: str) -> None:
    """Forget a model added with ``add`` and delete its installed files."""
    specs = load_local(models_dir)
    if model_id not in {s.id for s in specs}:
        raise LocalModelError(f"{model_id} is not a model added with `noxus-local models add`")
    _write(models_dir, [s for s in specs if s.id != model_id])
    shutil.rmtree(models_dir / model_id, ignore_errors=True)
    changed(models_dir)


def _sources(kind: str, graph: Path | None, labels: Path | None, folder: Path | None) -> list[tuple[str, Path]]:
    """(installed name, absolute source path) of each file to copy, the one ``--sha256`` pins first."""
    if kind == SPEECH:
        if graph is not None or labels is not None:
            raise LocalModelError("a speech-recognition model is a ctranslate2 Whisper folder: give it with "
                                  "--dir, not --file / --labels (those are for the ONNX kinds)")
        if folder is None:
            raise LocalModelError("a speech-recognition model needs --dir: its ctranslate2 Whisper folder")

        root = folder.resolve()
        return [(name, root / name) for name in whisper_files(root)]
    if folder is not None:
        raise LocalModelError(f"--dir is for speech-recognition models; a {kind} is one ONNX file: --file")
    if graph is None:
        raise LocalModelError(f"a {kind} needs --file: its ONNX graph")
    return [(GRAPH, graph.resolve())] + ([(LABELS, labels.resolve())] if labels else [])


def check_graph(path: Path, kind: str) -> None:
    """ONNX Runtime opens it and its shapes are the kind's: one ``[N, 3, H, W]`` image input, and a
    ``[N, 4 + classes, anchors]`` output for a detector (YOLOv8 / YOLO11 export) or a vector for an encoder."""
    from noxus_local.inference.engines.onnx_runtime import create_session

    try:
        session = create_session(path, prefer_gpu=False, threads=1).session
    except Exception as exc:  # onnxruntime raises its own classes for a file that is no graph
        raise LocalModelError(f"{path}: ONNX Runtime cannot open it: {str(exc)[:300]}") from None
    inputs, outputs = session.get_inputs(), session.get_outputs()
    shape = list(inputs[0].shape)
    if len(inputs) != 1 or len(shape) != 4 or shape[1] not in (3, "3"):
        raise LocalModelError(f"{path}: expected one [N, 3, H, W] image input, got "
                              f"{[(i.name, i.shape) for i in inputs]}")
    out = list(outputs[0].shape)
    if kind == "object-detector" and len(out) != 3:
        raise LocalModelError(f"{path}: a detector's first output is [N, 4 + classes, anchors], got {out}")
    if kind == "image-embedding" and len(out) not in (2, 4):
        raise LocalModelError(f"{path}: an image encoder's first output is [N, dim], got {out}")


def _write(models_dir: Path, specs: list[ModelSpec]) -> None:
    """The whole file rewritten in one rename; JSON strings are valid TOML basic strings."""
    lines = ["# models added with `noxus-local models add`; edit with that command and `models remove`", ""]
    for spec in specs:
        lines += ["[[models]]", f"id = {_q(spec.id)}", f"task = {_q(spec.task)}",
                  f"license = {_q(spec.license)}", ""]
        for f in spec.files:
            lines += ["[[models.files]]", f"name = {_q(f.name)}", f"sha256 = {_q(f.sha256)}",
                      f"size = {f.size or 0}", f"sources = [{', '.join(_q(s) for s in f.sources)}]", ""]
    text = "\n".join(lines)
    try:  # never write what the loader would refuse
        tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ManifestError(f"{LOCAL_FILE}: would not parse: {exc}") from None
    models_dir.mkdir(parents=True, exist_ok=True)
    tmp = models_dir / f".{LOCAL_FILE}.tmp"
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(models_dir / LOCAL_FILE)


def _q(value: Any) -> str:
    return json.dumps(str(value), ensure_ascii=True)


__all__ = ["KINDS", "SPEECH", "LocalModelError", "active_model", "add_local_model", "install_hint",
           "load_local", "remove_local_model", "serves"]
