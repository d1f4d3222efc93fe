"""The built binary, run the way a user runs it: serve, its own CLI, tools over HTTP (speech too), SIGTERM.

Skipped unless ``NOXUS_BINARY`` names a binary made by ``scripts/build_binary.sh``
(plain ``pytest`` collects this module and skips it). CI builds the CPU
one-file binary after the unit tests and runs::

    NOXUS_BINARY=dist/cpu-onefile/noxus-local .venv/bin/pytest tests/binary -q

``doctor`` checks ffmpeg, PyAV, the fonts, ONNX Runtime and the model manifest from inside the
binary; the tests share one server and run in file order: the last one stops it.
"""

from __future__ import annotations

import array
import base64
import io
import json
import os
import re
import signal
import socket
import subprocess
import threading
import time
import wave
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from PIL import Image, features

BINARY = os.environ.get("NOXUS_BINARY", "")
KEY_RE = re.compile(r"noxus_test_[A-Za-z0-9_-]{40,}")
START_TIMEOUT = 90  # a one-file GPU build unpacks ~370 MB before it can answer

pytestmark = pytest.mark.skipif(not BINARY, reason="set NOXUS_BINARY to a built noxus-local binary")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Binary:
    """The binary serving on a free port with its own data dir; ``cli`` runs it on the same data."""

    def __init__(self, path: Path, data_dir: Path) -> None:
        self.path = path
        self.port = free_port()
        config = data_dir.parent / "noxus.toml"
        config.write_text("[jobs]\ndiagnostic_tools = true\n")  # adds `wait`, whose ffmpeg engine runs ffmpeg
        self.env = {**os.environ, "NOXUS_DATA_DIR": str(data_dir), "NOXUS_CONFIG": str(config)}
        self.client = httpx.Client(base_url=f"http://127.0.0.1:{self.port}", timeout=60)
        self.log = data_dir.parent / "server.log"
        self.proc: subprocess.Popen[str] | None = None
        self.stdout: list[str] = []

    def start(self) -> Binary:
        self.proc = subprocess.Popen([str(self.path), "serve", "--port", str(self.port)], env=self.env,
                                     stdout=subprocess.PIPE, stderr=self.log.open("w"), text=True,
                                     cwd=self.log.parent)
        # A thread drains stdout so a silent hang cannot block the test and a full pipe cannot block the server.
        threading.Thread(target=self._read_stdout, daemon=True).start()
        deadline = time.monotonic() + START_TIMEOUT
        self._wait_healthy(deadline)
        while "listening on" not in "".join(self.stdout) and time.monotonic() < deadline:
            time.sleep(0.05)
        return self

    def _read_stdout(self) -> None:
        assert self.proc is not None and self.proc.stdout is not None
        for line in self.proc.stdout:
            self.stdout.append(line)

    @property
    def first_key(self) -> str:
        match = KEY_RE.search("".join(self.stdout))
        return match.group(0) if match else ""

    def _wait_healthy(self, deadline: float) -> None:
        while time.monotonic() < deadline:
            assert self.proc is not None and self.proc.poll() is None, self.log.read_text()
            try:
                if self.client.get("/api/v1/health").status_code == 200:
                    return
            except httpx.TransportError:
                time.sleep(0.1)
        raise AssertionError(f"no 200 from /api/v1/health in {START_TIMEOUT} s")

    def cli(self, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([str(self.path), *args], env=self.env, capture_output=True, text=True,
                              timeout=START_TIMEOUT)

    def post(self, path: str, key: str, **kw: Any) -> dict[str, Any]:
        r = self.client.post(path, headers={"Authorization": f"Bearer {key}"}, **kw)
        assert r.status_code == 200, r.text
        assert r.json()["success"] is True
        return r.json()


@pytest.fixture(scope="module")
def binary(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Binary]:
    server = Binary(Path(BINARY).resolve(), tmp_path_factory.mktemp("binary") / "data").start()
    yield server
    if server.proc is not None and server.proc.poll() is None:
        server.proc.kill()
        server.proc.wait()


@pytest.fixture(scope="module")
def cli_key(binary: Binary) -> str:
    """A key made by the binary's own CLI against the live server's data dir."""
    done = binary.cli("keys", "create", "--account", "default", "--name", "smoke")
    assert done.returncode == 0, done.stderr
    match = KEY_RE.search(done.stdout)
    assert match, done.stdout
    return match.group(0)


def image_of(body: dict[str, Any]) -> Image.Image:
    return Image.open(io.BytesIO(base64.b64decode(body["output"]["content_base64"], validate=True)))


def png(size: tuple[int, int] = (48, 32)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGBA", size, (20, 120, 200, 128)).save(buffer, "PNG")
    return buffer.getvalue()


def test_first_start_prints_a_key_that_works(binary):
    assert binary.first_key
    assert binary.post("/api/v1/ping", binary.first_key)["success"] is True


def test_qr_png(binary, cli_key):
    body = binary.post("/api/v1/tools/qr", cli_key, json={"text": "https://noxus.lat", "size": 200})
    with image_of(body) as img:
        assert (img.format, img.size) == ("PNG", (200, 200))


@pytest.mark.parametrize("fmt,pil_format", [("webp", "WEBP"), ("avif", "AVIF"), ("jpeg", "JPEG")])
def test_image_convert(binary, cli_key, fmt, pil_format):
    if fmt == "avif" and not features.check("avif"):
        pytest.skip("this Pillow cannot read AVIF back")
    body = binary.post("/api/v1/tools/image-convert", cli_key,
                       files={"image": ("foto.png", png(), "image/png")}, data={"output_format": fmt})
    with image_of(body) as img:
        assert (img.format, img.size) == (pil_format, (48, 32))


def test_svg_is_drawn_by_the_bundled_renderer(binary, cli_key):
    """resvg (media/svg.py) travels in the binary: an SVG converts to PNG, text in a shipped font."""
    svg = (b'<svg xmlns="http://www.w3.org/2000/svg" width="60" height="30"><rect width="60" height="30" '
           b'fill="#ff0000"/><text x="2" y="22" font-size="20">Hola</text></svg>')
    body = binary.post("/api/v1/tools/image-convert", cli_key,
                       files={"image": ("logo.svg", svg, "image/svg+xml")}, data={"output_format": "png"})
    with image_of(body) as img:
        assert (img.format, img.size) == ("PNG", (60, 30)) and img.convert("RGB").getpixel((58, 2)) == (255, 0, 0)


def test_bundled_ffmpeg_runs(binary, cli_key):
    body = binary.post("/api/v1/tools/wait", cli_key, json={"seconds": 0.2, "engine": "ffmpeg"})
    assert base64.b64decode(body["output"]["content_base64"]) == b'{"engine":"ffmpeg"}'


def test_api_docs_assets_are_bundled(binary):
    """Swagger UI's JS/CSS are package data (openapi-ui-bundles), which PyInstaller only ships when told."""
    html = binary.client.get("/schema/swagger").text
    assets = re.findall(r"""<(?:script|link)[^>]+(?:src|href)=["'](/schema/static/[^"']+)""", html)
    assert assets, html[:500]
    for asset in assets:
        r = binary.client.get(asset)
        assert r.status_code == 200 and len(r.content) > 100, asset


def test_text_to_speech_speaks_a_sentence(binary, cli_key):
    """Kokoro through the binary's own registry (bundled models with --with-models, else the download
    cache) and the bundled espeak-ng, run by the binary itself as its helper process (no system
    espeak-ng needed: issue 17): a Spanish sentence comes back as audio."""
    fetched = binary.cli("models", "fetch", "kokoro-82m", "kokoro-voice-ef-dora")
    assert fetched.returncode == 0, fetched.stdout + fetched.stderr
    body = binary.post("/api/v1/tools/text-to-speech", cli_key,
                       json={"text": "Hola, esto es una prueba.", "voice_id": "ef_dora", "format": "wav"})
    res = body["result"]
    assert (res["model"], res["language"], len(res["words"])) == ("kokoro-82m", "es", 5)
    with wave.open(io.BytesIO(base64.b64decode(body["output"]["content_base64"]))) as w:
        frames = w.readframes(w.getnframes())
        assert w.getframerate() == 24000 and 0.8 < w.getnframes() / 24000 < 5
    pcm = array.array("h", frames)
    assert max(abs(x) for x in pcm) > 3000  # speech, not silence


@pytest.mark.parametrize(("voice", "text", "language"), [
    ("jf_alpha", "今日はとても良い天気ですね。", "ja"),
    ("zf_xiaobei", "今天的天气非常好。", "zh"),
])
def test_japanese_and_chinese_speech_run_on_the_bundled_dictionaries(binary, cli_key, voice, text, language):
    """Japanese (misaki + fugashi on UniDic-lite's dictionary) and Chinese (jieba, pypinyin) read their
    data files at run time: a build that left one out answers 500 here, not in the source tree's tests."""
    model = "kokoro-voice-" + voice.replace("_", "-")
    fetched = binary.cli("models", "fetch", "kokoro-82m", model)
    assert fetched.returncode == 0, fetched.stdout + fetched.stderr
    body = binary.post("/api/v1/tools/text-to-speech", cli_key, json={"text": text, "voice_id": voice, "format": "wav"})
    assert body["result"]["language"] == language and body["result"]["words"]
    with wave.open(io.BytesIO(base64.b64decode(body["output"]["content_base64"]))) as w:
        frames = w.readframes(w.getnframes())
        assert 0.8 < w.getnframes() / w.getframerate() < 8
    assert max(abs(x) for x in array.array("h", frames)) > 3000  # speech, not silence


def test_doctor_finds_what_the_binary_bundles(binary):
    """ffmpeg, ONNX Runtime, the model manifest and the package version must all be inside the binary."""
    done = binary.cli("doctor", "--json")
    report = json.loads(done.stdout)
    checks = {c["name"]: c for c in report["checks"]}
    assert done.returncode == 0, done.stdout
    assert report["version"] != "0+unknown"  # package metadata was bundled
    fonts = ("font Anton", "font Archivo Black", "font Luckiest Guy", "font Bebas Neue", "font Oswald",
             "font Poppins")  # the fontpkg_* packages and their licences were bundled
    for name in ("ffmpeg", "ffmpeg encode", "media probe", "onnxruntime CPUExecutionProvider", "models", "phonemizer",
                 *fonts):
        assert checks[name]["status"] == "OK", checks[name]
    # espeak-ng's library and data were bundled, and the binary runs itself as the helper
    assert checks["phonemizer"]["detail"].startswith("packaged espeak-ng 1.52"), checks["phonemizer"]
    assert checks["media probe"]["detail"].startswith("PyAV ")  # av and its FFmpeg libraries were bundled


def test_sigterm_exits_zero_within_10_s(binary):
    assert binary.proc is not None
    binary.proc.send_signal(signal.SIGTERM)
    assert binary.proc.wait(timeout=10) == 0
