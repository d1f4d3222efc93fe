"""``noxus-local models list|fetch|verify|add|remove`` over models/manifest.toml and the models added here.

Example::

    noxus-local models fetch --default
    noxus-local models add yolo11n --kind object-detector --file yolo11n.onnx   # for `objects`
    noxus-local models add whisper-small --kind speech-recognition --dir ct2-whisper-small
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from typing import Any

from noxus_local.cli.base import Handler
from noxus_local.cli.base import command as _cmd
from noxus_local.cli.base import group as _group
from noxus_local.config import Config


def add_commands(sub: Any) -> None:
    _models_parser(sub)


def _models_parser(sub: Any) -> None:
    group = _group(sub, "models", "Model files (models/manifest.toml) in <data dir>/models.")
    listing = _cmd(group, "list", cmd_models_list, "List declared models and whether they are installed.")
    listing.add_argument("--json", action="store_true")
    fetch = _cmd(group, "fetch", cmd_models_fetch, "Download, check the sha256 of, and install models "
                 "(cache: $NOXUS_MODEL_CACHE, default ~/.cache/noxus-local/models).")
    fetch.add_argument("ids", nargs="*", metavar="ID")
    fetch.add_argument("--default", action="store_true", help="The models marked default in the manifest.")
    verify = _cmd(group, "verify", cmd_models_verify, "Recheck the sha256 of installed model files; "
                  "exit 1 if any is wrong.")
    verify.add_argument("ids", nargs="*", metavar="ID")
    add = _cmd(group, "add", cmd_models_add, "Install a model no package ships (an ONNX object detector or "
               "image encoder, or another Whisper size): checked, copied with its sha256 into "
               "<data dir>/models/<id>, listed and verified like the others; the last one added of an ONNX "
               "kind serves its feature, a speech-recognition one becomes a value of the `model` option.")
    add.add_argument("id", metavar="ID")
    add.add_argument("--kind", required=True, choices=["object-detector", "image-embedding", "speech-recognition"],
                     help="object-detector: YOLOv8/YOLO11 ONNX export, for `objects`; "
                          "image-embedding: image encoder to a vector, for `embedding`; "
                          "speech-recognition: a ctranslate2 Whisper folder (--dir), for the `model` option "
                          "of auto-subtitles and /v1/audio/transcriptions.")
    add.add_argument("--file", metavar="MODEL.onnx", help="The ONNX graph (object-detector, image-embedding).")
    add.add_argument("--dir", metavar="FOLDER", help="The ctranslate2 Whisper folder (speech-recognition): "
                     "model.bin, config.json, tokenizer.json, vocabulary.txt or vocabulary.json.")
    add.add_argument("--labels", metavar="LABELS.txt", help="Class names, one a line (when the graph's "
                     "metadata has no `names`).")
    add.add_argument("--sha256", help="Refuse the file (a folder's model.bin) unless it has this digest.")
    remove = _cmd(group, "remove", cmd_models_remove, "Remove a model added with `models add`.")
    remove.add_argument("id", metavar="ID")


def _models(handler: Callable[[Any, argparse.Namespace], int]) -> Handler:
    """The registry of this config for a ``models`` command; manifest and fetch errors end in one line."""
    def run(args: argparse.Namespace, cfg: Config) -> int:
        from noxus_local.inference.registry.installed import ModelRegistry
        from noxus_local.inference.registry.sources import ModelError
        try:
            return handler(ModelRegistry.from_config(cfg), args)
        except ModelError as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 1
    return run


@_models
def cmd_models_list(registry: Any, args: argparse.Namespace) -> int:
    statuses = registry.list_models()
    if args.json:
        print(json.dumps([{"id": s.spec.id, "task": s.spec.task, "license": s.spec.license, "default": s.spec.default,
                           "state": s.state, "installed": s.installed, "size_bytes": s.spec.size}
                          for s in statuses], indent=2))
        return 0
    print(f"{'ID':<20} {'TASK':<18} {'DEFAULT':<8} {'STATE':<10} {'SIZE':>9}  LICENSE")
    for s in statuses:
        print(f"{s.spec.id:<20} {s.spec.task:<18} {'yes' if s.spec.default else 'no':<8} {s.state:<10} "
              f"{s.spec.size / 1e6:>6.1f} MB  {s.spec.license}")
    return 0


@_models
def cmd_models_fetch(registry: Any, args: argparse.Namespace) -> int:
    ids = [*args.ids, *(s.id for s in registry.specs.values() if s.default and args.default)]
    if not ids:
        print("no default models declared" if args.default else "error: name model ids, or --default",
              file=sys.stderr)
        return 0 if args.default else 2
    registry.fetch(ids, progress=lambda line: print(line, flush=True))
    print(f"{len(dict.fromkeys(ids))} model(s) installed in {registry.models_dir.resolve()}")
    return 0


@_models
def cmd_models_verify(registry: Any, args: argparse.Namespace) -> int:
    statuses = registry.verify(args.ids)
    for s in statuses:
        verdict = {"installed": "OK", "missing": "--"}.get(s.state, "FAIL")
        detail = "sha256 OK" if s.installed else "not installed" if s.state == "missing" else "; ".join(s.problems)
        print(f"{verdict:<4} {s.spec.id}: {detail}")
    return 1 if any(s.state in ("corrupt", "partial") for s in statuses) else 0


@_models
def cmd_models_add(registry: Any, args: argparse.Namespace) -> int:
    from pathlib import Path

    from noxus_local.inference.registry.local import add_local_model, load_local, serves

    local = {s.id for s in load_local(registry.models_dir)}
    spec = add_local_model(registry.models_dir, args.id, args.kind, Path(args.file) if args.file else None,
                           Path(args.labels) if args.labels else None, args.sha256,
                           taken={i for i in registry.specs if i not in local},
                           folder=Path(args.dir) if args.dir else None)
    first = spec.files[0]
    print(f"{spec.id}: {spec.task}, {spec.size / 1e6:.1f} MB, {first.name} sha256 {first.sha256[:12]}… installed "
          f"in {(registry.models_dir / spec.id).resolve()}; {serves(spec.task)}")
    return 0


@_models
def cmd_models_remove(registry: Any, args: argparse.Namespace) -> int:
    from noxus_local.inference.registry.local import remove_local_model

    remove_local_model(registry.models_dir, args.id)
    print(f"{args.id} removed")
    return 0
