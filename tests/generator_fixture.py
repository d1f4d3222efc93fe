"""A fake image engine in the test process: ComfyUI's /prompt, /history and /view and an OpenAI-compatible
/v1/images/generations answering real PNGs made by Pillow (an outside service: the one thing a test may stand
in for). ``server.mode`` picks its behaviour: ok, never (no result), error, garbage, 500, oversize, url, tiny,
webp. Used by tests/unit/test_generators.py and script-to-video's end-to-end tests.

Example::

    with fake_engine() as server:
        url = f"http://127.0.0.1:{server.server_address[1]}"
        server.mode = "500"                 # every request now fails
"""

from __future__ import annotations

import base64
import io
import json
import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs

from PIL import Image

COLOUR = (30, 120, 200)  # every ok picture is this colour

# an API-format workflow as ComfyUI's "Save (API format)" writes it, with placeholders; width is bare
WORKFLOW = """{
  "3": {"class_type": "KSampler", "inputs": {"seed": "{{seed}}", "steps": 20, "cfg": 7.0, "model": ["4", 0],
        "positive": ["6", 0], "negative": ["7", 0], "latent_image": ["5", 0]}},
  "4": {"class_type": "CheckpointLoaderSimple", "inputs": {"ckpt_name": "sd15.safetensors"}},
  "5": {"class_type": "EmptyLatentImage", "inputs": {"width": {{width}}, "height": "{{height}}", "batch_size": 1}},
  "6": {"class_type": "CLIPTextEncode", "inputs": {"text": "{{prompt}}", "clip": ["4", 1]}},
  "7": {"class_type": "CLIPTextEncode", "inputs": {"text": "blurry, {{negative_prompt}}", "clip": ["4", 1]}},
  "8": {"class_type": "VAEDecode", "inputs": {"samples": ["3", 0], "vae": ["4", 2]}},
  "9": {"class_type": "SaveImage", "inputs": {"filename_prefix": "noxus", "images": ["8", 0]}}
}"""


def png(width: int, height: int, noise: bool = False) -> bytes:
    img = Image.frombytes("RGB", (width, height), os.urandom(width * height * 3)) if noise else \
        Image.new("RGB", (width, height), COLOUR)
    buffer = io.BytesIO()
    img.save(buffer, "PNG")
    return buffer.getvalue()


class FakeEngine(BaseHTTPRequestHandler):
    """ComfyUI and an OpenAI-compatible image server in one; ``server.mode`` picks the behaviour."""

    server: Any

    def log_message(self, *args: Any) -> None:
        pass

    def do_POST(self) -> None:  # noqa: N802 (http.server's name)
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        self.server.seen.append(("POST", self.path, body, dict(self.headers)))
        if self.server.mode == "500":
            return self._send(500, b'{"error": "boom"}')
        if self.path == "/prompt":
            self.server.workflow = body["prompt"]
            return self._json({"prompt_id": "p-1", "number": 1, "node_errors": {}})
        if self.path == "/v1/images/generations":
            return self._images(body)
        self._send(404, b"{}")

    def do_GET(self) -> None:  # noqa: N802
        path, _, query = self.path.partition("?")
        self.server.seen.append(("GET", path, parse_qs(query), dict(self.headers)))
        if path == "/history/p-1":
            return self._history()
        if path in ("/view", "/files/out.png"):
            return self._image()
        self._send(404, b"{}")

    def _history(self) -> None:
        self.server.polls += 1
        if self.server.mode == "never" or self.server.polls < 3:  # queued, then running, then done
            return self._json({})
        if self.server.mode == "error":
            return self._json({"p-1": {"outputs": {}, "status": {"status_str": "error", "completed": False}}})
        images = [{"filename": "noxus_00001_.png", "subfolder": "", "type": "output"}]
        self._json({"p-1": {"outputs": {"9": {"images": images}}, "status": {"status_str": "success",
                                                                               "completed": True}}})

    def _image(self) -> None:
        if self.server.mode == "garbage":
            return self._send(200, b"\x89PNG\r\n\x1a\n" + os.urandom(3000), "image/png")
        self._send(200, self._png(), "image/png")

    def _png(self) -> bytes:
        if self.server.workflow:  # the size the workflow asked for, as ComfyUI would render it
            latent = self.server.workflow["5"]["inputs"]
            return png(latent["width"], latent["height"], noise=self.server.mode == "oversize")
        width, height = (int(v) for v in self.server.seen[0][2]["size"].split("x"))
        return png(width, height, noise=self.server.mode == "oversize")

    def _images(self, body: dict[str, Any]) -> None:
        if self.server.mode == "url":
            return self._json({"created": 1, "data": [{"url": "/files/out.png"}]})
        data = os.urandom(600) if self.server.mode == "garbage" else self._png()
        if self.server.mode in ("tiny", "webp"):  # a degenerate size, or a format we re-encode
            buffer = io.BytesIO()
            Image.new("RGB", (8, 8) if self.server.mode == "tiny" else (80, 48), "white").save(
                buffer, "PNG" if self.server.mode == "tiny" else "WEBP")
            data = buffer.getvalue()
        self._json({"created": 1, "data": [{"b64_json": base64.b64encode(data).decode()}]})

    def _json(self, value: Any) -> None:
        self._send(200, json.dumps(value).encode())

    def _send(self, status: int, payload: bytes, kind: str = "application/json") -> None:
        self.send_response(status)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)


@contextmanager
def fake_engine() -> Iterator[Any]:
    """A started fake engine on loopback; ``seen`` lists its requests, ``mode`` is ``ok``."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), FakeEngine)
    server.seen, server.mode, server.polls, server.workflow = [], "ok", 0, None  # type: ignore[attr-defined]
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()
