"""Our motion engine for a video ad scene: two layers moved per frame, with zoom punches, as one clip.

A scene's picture is kept in layers — the backdrop (RGB) and the product
(RGBA: the cut-out with its shadow and reflection on a transparent canvas) —
plus its on-screen text, fixed on the screen. Each frame is drawn with Pillow
(one box resize per layer, bilinear: Pillow's SIMD path) and piped raw into ffmpeg (libx264):

- ``push_in`` / ``pull_out`` / ``pan``: both layers follow the scene's camera
  (``KenBurns``: a zoom and a window centre, zoompan's meaning), as one picture;
- ``parallax``: the backdrop follows the camera while the product, nearer the
  lens, slides ``PARALLAX`` times further and grows a little (a dolly), so the
  product moves against its backdrop;
- a **punch** at each beat time: a short scale pulse of the whole frame about
  the product (1 → 1 + amount → 1 over ``PUNCH_SECONDS``, a half sine).

Why frames and not ffmpeg expressions: two layers at different speeds plus
pulses are one scale and shift per layer here, exact and testable frame by frame.
``emotion`` sets the energy (products/ad_shots.py ``energy``): the camera's
travel and the punch's amount grow with it.

Example::

    layers = Layers(backdrop_rgb, product_layer(cutout, (720, 1280), placement))
    move = Move("parallax", motion(1, "excitement"), punches=(0.4, 2.1), punch=0.06)
    render_clip(layers, move, (720, 1280), 25, 4.0, Path("scene-1.mp4"))
"""

from __future__ import annotations

import math
import subprocess
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from PIL import Image

from noxus_local.compose.timeline import KenBurns
from noxus_local.media.ffmpeg import FfmpegFailed, ffmpeg_exe
from noxus_local.products.cutout import Placement, paste_layer, place, reflection, soft_shadow
from noxus_local.runtime.cancel import CancelToken

KINDS = ("push_in", "parallax", "pull_out", "pan")
PARALLAX = 1.6  # the product travels this many times the backdrop's distance on screen
DOLLY = 0.35  # and grows by this share of the camera's zoom range over the scene
PUNCH = 0.06  # a punch's peak scale at energy 1 (1.0 → 1.06 → 1.0)
PUNCH_SECONDS = 0.25
THREADS, BATCH = 2, 8  # frame-drawing threads (this machine class has 2 cores) and frames per batch
CRF, PRESET = 17, "ultrafast"  # an intermediate: compositing encodes it again


@dataclass(frozen=True)
class Layers:
    """A scene's picture in parts: ``backdrop`` RGB at the frame size, ``product`` RGBA at the frame size,
    ``text`` an RGBA band drawn at ``text_at`` on the screen (never moved)."""

    backdrop: Image.Image
    product: Image.Image
    text: Image.Image | None = None
    text_at: tuple[int, int] = (0, 0)


@dataclass(frozen=True)
class Move:
    """How a scene moves: ``kind`` (one of ``KINDS``), the backdrop's ``camera``, punch times in seconds
    from the clip's start and the punch's peak (0.06 = +6 %)."""

    kind: str
    camera: KenBurns
    punches: tuple[float, ...] = ()
    punch: float = PUNCH


def product_layer(cutout: Image.Image, size: tuple[int, int], placement: Placement) -> Image.Image:
    """The product as ``cutout.composite`` places it — reflection, shadow, product — on a transparent canvas.

    Example: ``product_layer(red_bottle, (720, 1280), Placement(scale=0.55)).getbbox()`` → the bottle's box.
    """
    canvas = Image.new("RGBA", size, (0, 0, 0, 0))
    product, (x, y) = place(cutout, size, placement)
    if placement.reflection > 0:
        paste_layer(canvas, reflection(product, placement.reflection), (x, y + product.height))
    shadow = soft_shadow(product, placement.shadow, placement.shadow_strength)
    paste_layer(canvas, shadow.image, (x + shadow.offset[0], y + shadow.offset[1]))
    paste_layer(canvas, product, (x, y))
    return canvas


def pulse(t: float, punches: tuple[float, ...], amount: float) -> float:
    """The punch scale at ``t``: 1 + amount × sin(π·phase) inside a punch, else 1.

    Example: ``pulse(0.525, (0.4,), 0.06)`` → 1.06 (the peak, half-way); ``pulse(1.0, (0.4,), 0.06)`` → 1.0.
    """
    scale = 1.0
    for at in punches:
        phase = (t - at) / PUNCH_SECONDS
        if 0.0 <= phase <= 1.0:
            scale = max(scale, 1.0 + amount * math.sin(math.pi * phase))
    return scale


def _camera(kb: KenBurns, u: float, size: tuple[int, int]) -> tuple[float, float, float]:
    """(zoom, window centre x, y in pixels) at ``u`` (0..1), the centre clamped so the window stays inside
    the picture, as compose's zoompan clamps it."""
    w, h = size
    zoom = max(1.0, kb.zoom_start + (kb.zoom_end - kb.zoom_start) * u)
    cx = (kb.x_start + (kb.x_end - kb.x_start) * u) * w
    cy = (kb.y_start + (kb.y_end - kb.y_start) * u) * h
    half_w, half_h = w / zoom / 2, h / zoom / 2
    return zoom, min(max(cx, half_w), w - half_w), min(max(cy, half_h), h - half_h)


def transforms(move: Move, t: float, seconds: float, size: tuple[int, int],
               anchor: tuple[float, float]) -> tuple[tuple[float, float, float], tuple[float, float, float]]:
    """(backdrop, product) as (scale, shift x, shift y): a picture point p lands on screen at
    ``scale × p + shift``. ``anchor`` is the product's centre in the picture (the punch and the dolly
    scale about it).

    Example: a ``push_in`` at t=0 with ``KenBurns(1.0, 1.2)`` → both (1.0, 0.0, 0.0).
    """
    w, h = size
    u = 0.0 if seconds <= 0 else min(1.0, max(0.0, t / seconds))
    zoom, cx, cy = _camera(move.camera, u, size)
    # the camera: the window centred at (cx, cy), 1/zoom of the picture, fills the screen
    back = (zoom, w / 2 - zoom * cx, h / 2 - zoom * cy)
    prod = back
    if move.kind == "parallax":
        zoom0, cx0, cy0 = _camera(move.camera, 0.5, size)
        # the product slides PARALLAX times the backdrop's travel (from the scene's middle) and grows a little
        extra_x = (PARALLAX - 1.0) * (back[1] - (w / 2 - zoom0 * cx0))
        extra_y = (PARALLAX - 1.0) * (back[2] - (h / 2 - zoom0 * cy0))
        grow = 1.0 + DOLLY * abs(move.camera.zoom_end - move.camera.zoom_start or 0.12) * u
        ax, ay = anchor
        scale = zoom * grow
        prod = (scale, back[1] + extra_x + zoom * ax - scale * ax, back[2] + extra_y + zoom * ay - scale * ay)
    punch = pulse(t, move.punches, move.punch)
    if punch != 1.0:  # the whole frame pulses about the product's place on screen
        px, py = prod[0] * anchor[0] + prod[1], prod[0] * anchor[1] + prod[2]
        back = (back[0] * punch, px + (back[1] - px) * punch, py + (back[2] - py) * punch)
        prod = (prod[0] * punch, px + (prod[1] - px) * punch, py + (prod[2] - py) * punch)
    return back, prod


@dataclass(frozen=True)
class _Piece:
    """A layer's opaque part, cropped once with a transparent 2 px border, and where it sits in the picture."""

    image: Image.Image
    x: int
    y: int

    @classmethod
    def of(cls, layer: Image.Image) -> _Piece | None:
        box = layer.getbbox()
        if box is None:
            return None
        x0, y0 = box[0] - 2, box[1] - 2  # crop pads past the edges with transparent pixels
        return cls(layer.crop((x0, y0, box[2] + 2, box[3] + 2)), x0, y0)


def _camera_view(image: Image.Image, s: float, dx: float, dy: float, size: tuple[int, int]) -> Image.Image:
    """The screen of ``size`` showing ``image`` moved by (s, dx, dy): one box resize (SIMD in Pillow)."""
    w, h = image.size
    x0, y0 = max(0.0, -dx / s), max(0.0, -dy / s)
    x1, y1 = min(float(w), (size[0] - dx) / s), min(float(h), (size[1] - dy) / s)
    return image.resize(size, Image.Resampling.BILINEAR, box=(x0, y0, x1, y1))


def _lay(canvas: Image.Image, piece: _Piece | None, move: tuple[float, float, float]) -> None:
    """The piece scaled and shifted by ``move`` (a box resize of the part that lands on screen), alpha-pasted."""
    if piece is None:
        return
    s, dx, dy = move
    pw, ph = piece.image.size
    left, top = math.floor(s * piece.x + dx), math.floor(s * piece.y + dy)
    right, bottom = math.ceil(s * (piece.x + pw) + dx), math.ceil(s * (piece.y + ph) + dy)
    left, top = max(0, left), max(0, top)
    right, bottom = min(canvas.width, right), min(canvas.height, bottom)
    if right <= left or bottom <= top:
        return
    box = (min(max(0.0, (left - dx) / s - piece.x), pw), min(max(0.0, (top - dy) / s - piece.y), ph),
           min(max(0.0, (right - dx) / s - piece.x), pw), min(max(0.0, (bottom - dy) / s - piece.y), ph))
    if box[2] <= box[0] or box[3] <= box[1]:
        return
    scaled = piece.image.resize((right - left, bottom - top), Image.Resampling.BILINEAR, box=box)
    canvas.paste(scaled, (left, top), scaled)


def anchor_of(product: Image.Image) -> tuple[float, float]:
    """The product's centre in its layer (the box of its opaque pixels); the layer's centre when empty."""
    box = product.getchannel("A").point(lambda a: 255 if a > 128 else 0).getbbox()
    if box is None:
        return product.width / 2, product.height / 2
    return (box[0] + box[2]) / 2, (box[1] + box[3]) / 2


def frame(layers: Layers, move: Move, t: float, seconds: float,
          anchor: tuple[float, float] | None = None, piece: _Piece | None | bool = True) -> Image.Image:
    """The scene at ``t`` seconds: the backdrop seen through the camera, the product by its own transform over
    it, the text on top where it was put. RGB at the backdrop's size. ``piece``: the product's cut piece
    (``True``: cut it here; ``None``: the product is already in the backdrop, flattened)."""
    size = layers.backdrop.size
    back, prod = transforms(move, t, seconds, size, anchor or anchor_of(layers.product))
    canvas = _camera_view(layers.backdrop, *back, size)
    _lay(canvas, _Piece.of(layers.product) if piece is True else (piece if isinstance(piece, _Piece) else None),
         prod)
    if layers.text is not None:
        canvas.paste(layers.text, layers.text_at, layers.text)
    return canvas


def render_clip(layers: Layers, move: Move, size: tuple[int, int], fps: int, seconds: float, dest: Path,
                cancel: CancelToken | None = None) -> Path:
    """``round(seconds × fps)`` frames of ``move`` as an H.264 MP4 at ``dest`` (frames piped raw to ffmpeg).

    Example: ``render_clip(layers, Move("push_in", KenBurns(1.0, 1.12)), (720, 1280), 25, 3.0, out)``.
    """
    cancel = cancel or CancelToken()
    frames = max(1, round(seconds * fps))
    w, h = size
    backdrop = layers.backdrop if layers.backdrop.size == size else layers.backdrop.resize(size)
    anchor, piece = anchor_of(layers.product), _Piece.of(layers.product)
    if move.kind != "parallax":  # one camera for both layers: flatten them once, one resize a frame
        backdrop = Image.alpha_composite(backdrop.convert("RGBA"), layers.product)
        piece = None
    layers = Layers(backdrop.convert("RGB"), layers.product, layers.text, layers.text_at)
    args = [ffmpeg_exe(), "-hide_banner", "-nostdin", "-y", "-loglevel", "error", "-f", "rawvideo",
            "-pix_fmt", "rgb24", "-s", f"{w}x{h}", "-r", str(fps), "-i", "pipe:0", "-an", "-c:v", "libx264",
            "-preset", PRESET, "-crf", str(CRF), "-pix_fmt", "yuv420p", "-movflags", "+faststart", str(dest)]
    proc = subprocess.Popen(args, stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                            start_new_session=True)
    assert proc.stdin is not None
    def draw(n: int) -> bytes:
        return frame(layers, move, n / fps, seconds, anchor, piece).tobytes()

    try:
        # Pillow's resize and paste release the GIL: frames are drawn in parallel, written in order, a few
        # at a time (a batch of raw 720x1280 frames is ~22 MB)
        with ThreadPoolExecutor(max_workers=THREADS) as pool:
            for first in range(0, frames, BATCH):
                cancel.check()
                for raw in pool.map(draw, range(first, min(frames, first + BATCH))):
                    proc.stdin.write(raw)
        proc.stdin.close()
    except BaseException:
        proc.kill()
        proc.wait()
        raise
    err = proc.stderr.read() if proc.stderr is not None else b""
    if proc.wait() != 0:
        raise FfmpegFailed(details={"reason": err.decode("utf-8", "replace")[-500:] or "the clip encoder failed"})
    return dest


__all__ = ["KINDS", "Layers", "Move", "anchor_of", "frame", "product_layer", "pulse", "render_clip", "transforms"]
