"""What the API adds to a tool run: the same work in-process vs through HTTP, one at a time.

"Direct" is the tool's own library work with nothing around it: QrTool.run()
on validated params, and for image-convert the plain Pillow calls a careful
script would make (open, draft-decode for a downscale, LANCZOS resize, WebP
q80 into memory). "API" is the real server: upload, parse, validate, hold,
job row, run in a thread, write the output, settle, respond. The ratio of
their medians is the overhead a user pays for the API; image-convert's
target is <= 1.15.

Requests are sequential on one keep-alive connection so the numbers are
latencies, not throughput. Direct and API runs alternate per iteration so
drift hits both. The API's job timestamps (created/started/finished, same
clock as this process) split its time into phases for the breakdown table.

Example::

    .venv/bin/python scripts/bench/bench_tools.py            # 50 qr, 15 image iterations
    .venv/bin/python scripts/bench/bench_tools.py --quick
"""

from __future__ import annotations

import argparse
import datetime as dt
import http.client
import io
import json
import os
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from _server import BenchServer, running_server
from PIL import Image, ImageDraw, ImageFilter

from noxus_local.tools.base import Limits, ToolContext
from noxus_local.tools.qr import QrTool

QR_TEXT = "https://noxus.lat/herramientas/crear-qr?utm_source=bench&utm_medium=api"
PHOTO_SIZE = (4000, 3000)
SMALL_WIDTH = 1080
IMAGE_TARGET = 1.15


@dataclass
class Case:
    """One benchmark row: a direct callable and an API request, timed alternately."""

    name: str
    direct: Callable[[], Any]
    api: Callable[[], dict[str, Any]]
    target: float | None
    direct_ms: list[float] = field(default_factory=list)
    api_ms: list[float] = field(default_factory=list)
    phases: list[dict[str, float]] = field(default_factory=list)
    direct_cpu_s: float = 0.0
    api_cpu_s: float | None = 0.0


# --- the test photo ---------------------------------------------------------

def make_photo(path: Path, size: tuple[int, int] = PHOTO_SIZE, seed: int = 7) -> int:
    """A 12 MP JPEG (q90, 4:2:0) that compresses like a photo, not like a flat test card.

    Smooth colour fields (sky, walls), mid-frequency texture (foliage), hard
    edges (objects) and sensor noise: flat or pure-noise images make JPEG
    decode and WebP encode unrealistically fast or slow.
    """
    rng = np.random.default_rng(seed)
    w, h = size
    base = _upscaled_noise(rng, (16, 12), size, np.float32)
    texture = _upscaled_noise(rng, (400, 300), size, np.float32)
    img = Image.fromarray(np.clip(base * 0.8 + texture * 0.2, 0, 255).astype(np.uint8))
    _draw_objects(img, rng)
    img = img.filter(ImageFilter.GaussianBlur(1.2))  # lens softness: edges are not 1 px steps
    pixels = np.asarray(img, dtype=np.float32)
    pixels += rng.normal(0, 5, (h, w, 1)).astype(np.float32)  # luma noise
    pixels += rng.normal(0, 2, (h, w, 3)).astype(np.float32)  # chroma noise
    Image.fromarray(np.clip(pixels, 0, 255).astype(np.uint8)).save(path, "JPEG", quality=90)
    return path.stat().st_size


def _upscaled_noise(rng: np.random.Generator, cells: tuple[int, int], size: tuple[int, int],
                    dtype: type) -> np.ndarray:
    small = Image.fromarray(rng.integers(0, 256, (cells[1], cells[0], 3), dtype=np.uint8))
    return np.asarray(small.resize(size, Image.Resampling.BICUBIC), dtype=dtype)


def _draw_objects(img: Image.Image, rng: np.random.Generator) -> None:
    draw = ImageDraw.Draw(img)
    w, h = img.size
    for _ in range(120):
        x, y = int(rng.integers(0, w)), int(rng.integers(0, h))
        dx, dy = int(rng.integers(20, w // 6)), int(rng.integers(20, h // 6))
        color = tuple(int(c) for c in rng.integers(0, 256, 3))
        shape = draw.ellipse if rng.random() < 0.5 else draw.rectangle
        shape((x, y, x + dx, y + dy), fill=color)


# --- direct (in-process) work -----------------------------------------------

def direct_qr(workdir: Path) -> Callable[[], Any]:
    """QrTool.run() exactly as the job runner calls it, params validated once beforehand."""
    tool, limits = QrTool(), Limits()
    params = tool.validate({"text": QR_TEXT, "output_format": "png"}, {}, limits)
    return lambda: tool.call(ToolContext(params=dict(params), files={}, limits=limits, workdir=workdir))


def direct_webp(photo: Path, width: int | None) -> Callable[[], bytes]:
    """Plain Pillow: open, (draft + LANCZOS resize), WebP q80 into memory."""
    def run() -> bytes:
        buffer = io.BytesIO()
        with Image.open(photo) as img:
            if width is None:
                img.save(buffer, "WEBP", quality=80)
            else:
                size = (width, round(img.height * width / img.width))
                img.draft("RGB", size)
                img.resize(size, Image.Resampling.LANCZOS, reducing_gap=3.0).save(buffer, "WEBP", quality=80)
        return buffer.getvalue()
    return run


# --- API requests -----------------------------------------------------------

class ApiClient:
    """Sequential requests on one keep-alive connection; returns the parsed JSON body."""

    def __init__(self, server: BenchServer) -> None:
        self.server = server
        self.conn = server.connection()

    def post(self, path: str, body: bytes, content_type: str) -> dict[str, Any]:
        headers = {**self.server.auth(), "Content-Type": content_type}
        sent = time.time()
        try:
            self.conn.request("POST", path, body=body, headers=headers)
            response = self.conn.getresponse()
        except (BrokenPipeError, ConnectionResetError, http.client.RemoteDisconnected):
            # uvicorn closes a keep-alive connection idle for 5 s; on a busy machine the direct run in
            # between can take longer. Reconnect and send again (the connect is outside the timing).
            self.conn.close()
            self.conn = self.server.connection()
            sent = time.time()
            self.conn.request("POST", path, body=body, headers=headers)
            response = self.conn.getresponse()
        raw = response.read()
        received = time.time()
        data: dict[str, Any] = json.loads(raw)
        if response.status != 200 or not data.get("success"):
            raise RuntimeError(f"{path} answered {response.status}: {raw[:500]!r}")
        data["_sent"], data["_received"], data["_bytes"] = sent, received, len(raw)
        return data


def api_qr(client: ApiClient, return_base64: bool) -> Callable[[], dict[str, Any]]:
    fields: dict[str, Any] = {"text": QR_TEXT, "output_format": "png"}
    if not return_base64:
        fields["return_base64"] = False
    body = json.dumps(fields).encode()
    return lambda: client.post("/api/v1/tools/qr", body, "application/json")


def api_convert(client: ApiClient, photo: Path, width: int | None, return_base64: bool) -> Callable[[], Any]:
    fields = {"output_format": "webp", "quality": "80"}
    if width is not None:
        fields["width"] = str(width)
    if not return_base64:
        fields["return_base64"] = "false"
    body, ctype = multipart(fields, "image", photo.name, photo.read_bytes(), "image/jpeg")
    return lambda: client.post("/api/v1/tools/image-convert", body, ctype)


def multipart(fields: dict[str, str], file_field: str, filename: str, data: bytes,
              file_type: str) -> tuple[bytes, str]:
    """A multipart/form-data body built once, so the client adds no per-request work."""
    boundary = uuid.uuid4().hex
    parts = [f'--{boundary}\r\nContent-Disposition: form-data; name="{k}"\r\n\r\n{v}\r\n'.encode()
             for k, v in fields.items()]
    parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{file_field}"; '
                 f'filename="{filename}"\r\nContent-Type: {file_type}\r\n\r\n'.encode() + data + b"\r\n")
    parts.append(f"--{boundary}--\r\n".encode())
    return b"".join(parts), f"multipart/form-data; boundary={boundary}"


def phases(body: dict[str, Any]) -> dict[str, float]:
    """Split one API call (ms) with the job's timestamps: before the row, queued, running, after."""
    created, started, finished = (_ts(body[k]) for k in ("created_at", "started_at", "finished_at"))
    return {"intake": (created - body["_sent"]) * 1e3, "dispatch": (started - created) * 1e3,
            "run+settle": (finished - started) * 1e3, "respond": (body["_received"] - finished) * 1e3}


def _ts(iso: str) -> float:
    return dt.datetime.fromisoformat(iso.replace("Z", "+00:00")).timestamp()


# --- running and reporting --------------------------------------------------

def measure(case: Case, server: BenchServer, iterations: int, warmup: int) -> None:
    """Alternate direct and API calls; the first ``warmup`` pairs are not recorded.

    CPU time is summed too (this thread for direct, the whole server process
    for the API): unlike wall time it hardly moves when other work shares
    the machine, so a wall ratio far above the CPU ratio means contention.
    """
    for i in range(warmup + iterations):
        c0, t0 = time.thread_time(), time.perf_counter()
        case.direct()
        c1, t1 = time.thread_time(), time.perf_counter()
        s0 = server.cpu_seconds()
        t2 = time.perf_counter()
        body = case.api()
        t3 = time.perf_counter()
        s1 = server.cpu_seconds()
        if i >= warmup:
            case.direct_ms.append((t1 - t0) * 1e3)
            case.api_ms.append((t3 - t2) * 1e3)
            case.phases.append(phases(body))
            case.direct_cpu_s += c1 - c0
            case.api_cpu_s = None if s0 is None or s1 is None or case.api_cpu_s is None \
                else case.api_cpu_s + s1 - s0


def p90(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(0.9 * len(ordered)))]


def table(cases: list[Case]) -> None:
    print(f"{'case':<44} {'direct p50':>10} {'p90':>8} {'API p50':>9} {'p90':>8} {'ratio':>6} "
          f"{'target':>7}  result")
    for c in cases:
        ratio = statistics.median(c.api_ms) / statistics.median(c.direct_ms)
        target = f"<={c.target:.2f}" if c.target else "-"
        verdict = ("PASS" if ratio <= c.target else "FAIL") if c.target else "info"
        print(f"{c.name:<44} {statistics.median(c.direct_ms):10.1f} {p90(c.direct_ms):8.1f} "
              f"{statistics.median(c.api_ms):9.1f} {p90(c.api_ms):8.1f} {ratio:6.2f} {target:>7}  {verdict}")


def breakdown(cases: list[Case]) -> None:
    print("\nAPI time by phase, p50 ms (intake = send -> job row; dispatch = row -> running; "
          "run+settle = tool, output file, settlement; respond = settled -> last byte received)")
    names = ("intake", "dispatch", "run+settle", "respond")
    print(f"{'case':<44} " + " ".join(f"{n:>10}" for n in names) + f" {'API - direct':>13}")
    for c in cases:
        cols = [statistics.median(p[n] for p in c.phases) for n in names]
        extra = statistics.median(c.api_ms) - statistics.median(c.direct_ms)
        print(f"{c.name:<44} " + " ".join(f"{v:10.1f}" for v in cols) + f" {extra:13.1f}")


def cpu_table(cases: list[Case]) -> None:
    print("\nCPU per call, mean ms (direct: this thread; API: the whole server process, 10 ms ticks)")
    print(f"{'case':<44} {'direct':>10} {'API':>9} {'ratio':>6}")
    for c in cases:
        direct = c.direct_cpu_s / len(c.direct_ms) * 1e3
        if c.api_cpu_s is None:
            print(f"{c.name:<44} {direct:10.1f} {'n/a':>9}")
            continue
        api = c.api_cpu_s / len(c.api_ms) * 1e3
        print(f"{c.name:<44} {direct:10.1f} {api:9.1f} {api / direct:6.2f}")


def build_cases(server: BenchServer, tmp: Path) -> list[Case]:
    photo = tmp / "photo.jpg"
    size = make_photo(photo)
    print(f"test photo: {PHOTO_SIZE[0]}x{PHOTO_SIZE[1]} JPEG q90, {size / 1e6:.2f} MB")
    client = ApiClient(server)
    (tmp / "work").mkdir()
    qr = direct_qr(tmp / "work")
    full, small = direct_webp(photo, None), direct_webp(photo, SMALL_WIDTH)
    return [
        Case("qr png (API default: base64)", qr, api_qr(client, True), None),
        Case("qr png (return_base64=false)", qr, api_qr(client, False), None),
        Case("image-convert 12MP -> webp q80 full", full, api_convert(client, photo, None, False), IMAGE_TARGET),
        Case("image-convert 12MP -> webp q80 full (base64)", full, api_convert(client, photo, None, True), None),
        Case(f"image-convert 12MP -> webp q80 {SMALL_WIDTH}w", small,
             api_convert(client, photo, SMALL_WIDTH, False), IMAGE_TARGET),
        Case(f"image-convert 12MP -> webp q80 {SMALL_WIDTH}w (base64)", small,
             api_convert(client, photo, SMALL_WIDTH, True), None),
    ]


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    p.add_argument("--qr-iterations", type=int, default=50)
    p.add_argument("--image-iterations", type=int, default=15)
    p.add_argument("--warmup", type=int, default=2)
    p.add_argument("--quick", action="store_true", help="10 qr / 3 image iterations, 1 warm-up.")
    args = p.parse_args(argv)
    if args.quick:
        args.qr_iterations, args.image_iterations, args.warmup = 10, 3, 1
    print(f"bench_tools: sequential requests, {args.qr_iterations} qr / {args.image_iterations} image "
          f"iterations after {args.warmup} warm-up(s); {os.cpu_count()} CPU(s), client and server share them")
    with tempfile.TemporaryDirectory(prefix="noxus-bench-tools-") as tmp, running_server() as server:
        cases = build_cases(server, Path(tmp))
        for case in cases:
            n = args.qr_iterations if case.name.startswith("qr") else args.image_iterations
            measure(case, server, n, args.warmup)
            print(f"  done: {case.name}", flush=True)
    table(cases)
    breakdown(cases)
    cpu_table(cases)
    return 0


if __name__ == "__main__":
    sys.exit(main())
