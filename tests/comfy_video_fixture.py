"""A fake ComfyUI for video workflows in the test process (the outside service a test may stand in for).

It takes ``POST /upload/image`` (multipart, kept in ``uploads``; the file part's bytes in ``files`` by name),
``POST /prompt`` (the filled workflow in ``workflow``, every one in ``workflows``), answers ``/history/<id>``
with a ``gifs`` (VHS_VideoCombine), ``videos`` (SaveWEBM) or ``images`` (SaveAnimatedWEBP) entry and serves
from ``/view`` a REAL clip: an orange 2 s 320×240 MP4 with a 440 Hz tone or a WebM made by ffmpeg
(imageio-ffmpeg), or a green 1.5 s animated GIF or WebP made by Pillow (24 frames of 62 ms).
``server.mode``: ok, webm, gif, awebp, still_gif (one frame), node_errors (a 400 as ComfyUI answers an
invalid workflow), html (``/view`` answers a web page), never (the history never fills: a timeout), still (a
PNG). ``server.fail_prompts``: the 1-based numbers of ``/prompt`` calls answered with node_errors whatever
the mode (one scene of several failing).

Example::

    with fake_comfy_video() as server:
        url = f"http://127.0.0.1:{server.server_address[1]}"
        server.mode = "webm"
"""

from __future__ import annotations

import io
import json
import subprocess
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

import imageio_ffmpeg

from tests.generator_fixture import png

# an API-format image-to-video workflow (Wan-style) with every video placeholder; frames and fps are bare numbers
I2V_WORKFLOW = """{
  "1": {"class_type": "LoadImage", "inputs": {"image": "{{image}}"}},
  "2": {"class_type": "CLIPTextEncode", "inputs": {"text": "{{prompt}}", "clip": ["9", 0]}},
  "3": {"class_type": "CLIPTextEncode", "inputs": {"text": "{{negative_prompt}}", "clip": ["9", 0]}},
  "4": {"class_type": "WanImageToVideo", "inputs": {"width": {{width}}, "height": "{{height}}",
        "length": {{frames}}, "batch_size": 1, "start_image": ["1", 0]}},
  "5": {"class_type": "KSampler", "inputs": {"seed": "{{seed}}", "steps": 20}},
  "6": {"class_type": "VHS_VideoCombine", "inputs": {"frame_rate": {{fps}}, "format": "video/h264-mp4",
        "filename_prefix": "noxus", "images": ["5", 0]}},
  "7": {"class_type": "Note", "inputs": {"text": "asked {{duration}} s"}}
}"""
# the text-to-video one: the same graph without the first frame
VIDEO_WORKFLOW = I2V_WORKFLOW.replace('''  "1": {"class_type": "LoadImage", "inputs": {"image": "{{image}}"}},
''', "").replace(''', "start_image": ["1", 0]''', "")
# a talking-head workflow: the face and the voice are required uploads
AVATAR_WORKFLOW = """{
  "1": {"class_type": "LoadImage", "inputs": {"image": "{{image}}"}},
  "2": {"class_type": "LoadAudio", "inputs": {"audio": "{{audio}}"}},
  "3": {"class_type": "Talker", "inputs": {"text": "{{prompt}}", "fps": {{fps}}, "seconds": {{duration}}}},
  "6": {"class_type": "VHS_VideoCombine", "inputs": {"frame_rate": {{fps}}, "images": ["3", 0]}}
}"""


GREEN = (40, 200, 90)
ANIMATION_FRAMES, ANIMATION_MS = 24, 62


@cache
def animation(kind: str = "gif", frames: int = ANIMATION_FRAMES) -> bytes:
    """A real animated GIF or WebP from Pillow: ``frames`` frames of 62 ms, green with a moving white bar."""
    from PIL import Image, ImageDraw

    images = []
    for i in range(frames):
        img = Image.new("RGB", (320, 240), GREEN)
        ImageDraw.Draw(img).rectangle((i * 10 % 300, 100, i * 10 % 300 + 20, 140), fill=(255, 255, 255))
        images.append(img)
    buffer = io.BytesIO()
    extra = {"save_all": True, "append_images": images[1:], "duration": ANIMATION_MS, "loop": 0} if frames > 1 \
        else {}
    images[0].save(buffer, "GIF" if kind == "gif" else "WEBP", **extra)
    return buffer.getvalue()


def part_bytes(raw: bytes) -> bytes:
    """The file part's content of a multipart body (the part with a ``filename``; others are fields)."""
    boundary = raw.split(b"\r\n", 1)[0]
    for part in raw.split(boundary):
        head, _, body = part.partition(b"\r\n\r\n")
        if b'filename="' in head:
            return body.removesuffix(b"\r\n")
    return b""


@cache
def clip(kind: str = "mp4") -> bytes:
    """A real 2 s 320×240 clip (orange, with a tone when MP4), made once per test process."""
    codec = {"mp4": ["-c:v", "libx264", "-pix_fmt", "yuv420p", "-c:a", "aac"],
             "webm": ["-c:v", "libvpx", "-b:v", "200k", "-an"], "gif": ["-an"]}[kind]
    with tempfile.TemporaryDirectory() as folder:  # no folder left behind
        out = Path(folder) / f"clip.{kind}"
        subprocess.run([imageio_ffmpeg.get_ffmpeg_exe(), "-hide_banner", "-loglevel", "error", "-y",
                        "-f", "lavfi", "-i", "color=c=orange:s=320x240:r=16:d=2", "-f", "lavfi", "-i",
                        "sine=frequency=440:duration=2", "-shortest", *codec, str(out)], check=True)
        return out.read_bytes()


class FakeComfyVideo(BaseHTTPRequestHandler):
    server: Any

    def log_message(self, *args: Any) -> None:
        pass

    def do_POST(self) -> None:  # noqa: N802 (http.server's name)
        raw = self.rfile.read(int(self.headers["Content-Length"]))
        if self.path == "/upload/image":
            name = raw.split(b'filename="', 1)[1].split(b'"', 1)[0].decode()
            self.server.uploads.append((name, raw))
            self.server.files[name] = part_bytes(raw)
            return self._json({"name": name, "subfolder": "", "type": "input"})
        body = json.loads(raw)
        if self.path == "/prompt":
            self.server.workflow = body["prompt"]
            self.server.workflows.append(body["prompt"])
            if self.server.mode == "node_errors" or len(self.server.workflows) in self.server.fail_prompts:
                return self._send(400, json.dumps({
                    "error": {"type": "prompt_outputs_failed_validation",
                              "message": "Prompt outputs failed validation"},
                    "node_errors": {"4": {"class_type": "WanImageToVideo", "errors": [
                        {"type": "value_not_in_list", "message": "Value not in list",
                         "details": "ckpt_name: 'wan2.1.safetensors' not in []"}]}}}).encode())
            return self._json({"prompt_id": "v-1", "number": 1, "node_errors": {}})
        self._send(404, b"{}")

    def do_GET(self) -> None:  # noqa: N802
        path, _, query = self.path.partition("?")
        self.server.seen.append((path, parse_qs(query)))
        if path == "/history/v-1":
            return self._history()
        if path == "/view":
            return self._view()
        self._send(404, b"{}")

    def _history(self) -> None:
        self.server.polls += 1
        if self.server.mode == "never" or self.server.polls < 2:
            return self._json({})
        key, name = {"webm": ("videos", "noxus_00001_.webm"), "gif": ("gifs", "noxus_00001.gif"),
                     "still_gif": ("gifs", "noxus_00001.gif"), "awebp": ("images", "ComfyUI_00001_.webp")}.get(
            self.server.mode, ("gifs", "noxus_00001.mp4"))
        outputs = {"6": {key: [{"filename": name, "subfolder": "", "type": "output", "format": "video/h264-mp4"}]}}
        self._json({"v-1": {"outputs": outputs, "status": {"status_str": "success", "completed": True}}})

    def _view(self) -> None:
        if self.server.mode == "html":
            return self._send(200, b"<!doctype html><html><body>ComfyUI</body></html>" * 50, "text/html")
        if self.server.mode == "still":
            return self._send(200, png(320, 240), "image/png")
        if self.server.mode == "webm":
            return self._send(200, clip("webm"), "video/webm")
        if self.server.mode in ("gif", "awebp", "still_gif"):
            kind = "gif" if "gif" in self.server.mode else "webp"
            return self._send(200, animation(kind, 1 if self.server.mode == "still_gif" else ANIMATION_FRAMES),
                              f"image/{kind}")
        self._send(200, clip("mp4"), "video/mp4")

    def _json(self, value: Any) -> None:
        self._send(200, json.dumps(value).encode())

    def _send(self, status: int, payload: bytes, kind: str = "application/json") -> None:
        self.send_response(status)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)


def start() -> Any:
    """A started fake on loopback (``shutdown()`` and ``server_close()`` when done)."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), FakeComfyVideo)
    server.seen, server.uploads, server.mode, server.polls, server.workflow = [], [], "ok", 0, None  # type: ignore[attr-defined]
    server.files, server.workflows, server.fail_prompts = {}, [], set()  # type: ignore[attr-defined]
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


@contextmanager
def fake_comfy_video() -> Iterator[Any]:
    server = start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()
