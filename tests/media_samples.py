"""Small real media files for tests: made by Pillow and the bundled ffmpeg, never hand-typed bytes.

Example::

    png_bytes(seed=3)                 # a distinct 16x16 PNG per seed
    ffmpeg_sample(tmp_path, "mp3")    # a 0.3 s sine tone as MP3
"""

from __future__ import annotations

import io
import subprocess
from pathlib import Path

import imageio_ffmpeg
import numpy as np
from PIL import Image

VIDEO = {"mp4", "webm", "mov", "mkv"}


def gradient(path: Path) -> Path:
    """A 640x480 grey ramp: a picture with no face, text or object in it (the models' negative case)."""
    ramp = np.tile(np.linspace(0, 255, 640).astype(np.uint8), (480, 1))
    Image.fromarray(ramp).convert("RGB").save(path)
    return path


def png_bytes(seed: int = 0, size: tuple[int, int] = (16, 16), fmt: str = "PNG") -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, (seed % 256, (seed * 7) % 256, (seed * 13) % 256)).save(buffer, fmt)
    return buffer.getvalue()


def noise_png(n_bytes: int, seed: int = 0) -> bytes:
    """A PNG of random pixels at least ``n_bytes`` long (noise does not compress)."""
    import random

    side = int((n_bytes / 3) ** 0.5) + 8
    rnd = random.Random(seed)
    img = Image.frombytes("RGB", (side, side), bytes(rnd.getrandbits(8) for _ in range(side * side * 3)))
    buffer = io.BytesIO()
    img.save(buffer, "PNG", compress_level=0)
    return buffer.getvalue()


def ffmpeg_sample(folder: Path, extension: str, seconds: float = 0.3) -> bytes:
    path = folder / f"sample.{extension}"
    video = ["-f", "lavfi", "-i", f"testsrc=d={seconds}:s=32x32"] if extension in VIDEO else []
    subprocess.run([imageio_ffmpeg.get_ffmpeg_exe(), "-loglevel", "error", "-y", "-f", "lavfi",
                    "-i", f"sine=d={seconds}", *video, "-shortest", str(path)], check=True, timeout=60)
    return path.read_bytes()


SAFE_SVG = (b'<?xml version="1.0"?>\n<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10">'
            b'<defs><linearGradient id="g"/></defs><rect width="10" height="10" fill="url(#g)"/></svg>')
SCRIPT_SVG = (b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>')
ONLOAD_SVG = b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"><rect/></svg>'
EXTERNAL_SVG = (b'<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink">'
                b'<image xlink:href="http://169.254.169.254/latest/meta-data"/></svg>')
ENTITY_SVG = (b'<?xml version="1.0"?><!DOCTYPE svg [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
              b'<svg xmlns="http://www.w3.org/2000/svg"><text>&x;</text></svg>')


def product_photo(size: tuple[int, int] = (1200, 900), background: str = "cluttered",
                  seed: int = 3) -> tuple[Image.Image, Image.Image]:
    """A product shot and its true mask ("L", 255 = product): a shaded red bottle (a rounded body
    and a cap) with a highlight, on a warm striped, grainy table scattered with coloured dots
    (``"cluttered"``) or on plain white (``"white"``). Deterministic per seed."""
    from PIL import ImageDraw, ImageFilter

    w, h = size
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:h, 0:w].astype(np.float32)
    if background == "white":
        table = np.full((h, w, 3), 250.0, np.float32) - rng.normal(0, 2, (h, w, 1))
    else:
        table = np.stack([200 - 0.04 * y + 10 * np.sin(x / 17), 190 - 0.05 * y + 8 * np.sin(x / 23 + 1),
                          170 - 0.05 * y + 6 * np.sin(x / 11)], -1) + rng.normal(0, 12, (h, w, 3))
    photo = Image.fromarray(np.clip(table, 0, 255).astype(np.uint8)).filter(ImageFilter.GaussianBlur(1.2))
    if background != "white":
        dots = ImageDraw.Draw(photo)
        for _ in range(25):
            cx, cy, r = int(rng.integers(0, w)), int(rng.integers(0, h)), int(rng.integers(5, 30))
            dots.ellipse((cx - r, cy - r, cx + r, cy + r), fill=tuple(int(v) for v in rng.integers(120, 230, 3)))
    truth = Image.new("L", size, 0)
    shape = ImageDraw.Draw(truth)
    bx, by, bw, bh = int(w * 0.36), int(h * 0.26), int(w * 0.28), int(h * 0.54)
    shape.rounded_rectangle((bx, by, bx + bw, by + bh), radius=bw // 5, fill=255)
    shape.rectangle((bx + bw * 0.32, by - h * 0.1, bx + bw * 0.68, by + 2), fill=255)
    across = np.cos((x - (bx + bw * 0.4)) / bw * 2.2).clip(0, 1)  # lit from the left
    body = np.stack([120 + 110 * across, 12 + 25 * across, 18 + 20 * across], -1)
    body += 60 * np.exp(-(((x - bx - bw * 0.3) / (bw * 0.05)) ** 2))[..., None]  # a vertical highlight
    bottle = Image.fromarray(np.clip(body, 0, 255).astype(np.uint8))
    return Image.composite(bottle, photo, truth), truth
