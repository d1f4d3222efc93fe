"""A video ad scene's on-screen text, drawn into its product shot where the camera never crops it.

The text is pixels, set by our lettering (products/lettering.py: wrapped and
shrunk to fit, font fallback for any script, emoji) on a rounded translucent
band, so nothing a prompt or a text model writes ever reaches ffmpeg's filter
graph. The scene then moves on a Ken Burns path (compose's ``zoompan``), which
crops the picture; ``safe_box`` is the part of the picture inside the camera's
window all the way along that path, and the text band sits at its bottom.

Example::

    kb = KenBurns(1.0, 1.19)                          # a push-in
    safe_box(kb)                                      # (0.08, 0.08, 0.92, 0.92): the last frame's window
    shot = draw_on_screen(shot, "Keeps drinks cold", kb)
"""

from __future__ import annotations

from PIL import Image, ImageDraw

from noxus_local.compose.timeline import KenBurns
from noxus_local.products.lettering import FaceChain, draw_block, fit

FONT = ("Poppins", 700)
SAMPLES = 25  # points along the path checked for the window
MARGIN = 0.025  # of the frame, inside the safe box
BAND = {"portrait": 0.085, "landscape": 0.13}  # the band's height, of the frame's height


def window(kb: KenBurns, t: float) -> tuple[float, float, float, float]:
    """The camera's window at ``t`` (0..1 along the path) as fractions (left, top, right, bottom), clamped
    inside the picture as zoompan clamps it. Example: ``window(KenBurns(1.25, 1.25), 0) == (0.1, 0.1, 0.9, 0.9)``."""
    zoom = kb.zoom_start + (kb.zoom_end - kb.zoom_start) * t
    half = 0.5 / max(1.0, zoom)
    edges = []
    for start, end in ((kb.x_start, kb.x_end), (kb.y_start, kb.y_end)):
        centre = start + (end - start) * t
        low = min(max(centre - half, 0.0), 1.0 - 2 * half)
        edges.append((low, low + 2 * half))
    (left, right), (top, bottom) = edges
    return left, top, right, bottom


def safe_box(kb: KenBurns) -> tuple[float, float, float, float]:
    """The part of the picture every frame of the path shows (the windows' intersection)."""
    boxes = [window(kb, i / (SAMPLES - 1)) for i in range(SAMPLES)]
    return (max(b[0] for b in boxes), max(b[1] for b in boxes), min(b[2] for b in boxes),
            min(b[3] for b in boxes))


def band(size: tuple[int, int], kb: KenBurns) -> tuple[int, int, int, int]:
    """Where the text band goes, in pixels (x, y, w, h): the bottom of the safe box, inset by ``MARGIN``."""
    w, h = size
    left, _, right, bottom = safe_box(kb)
    tall = BAND["portrait" if h >= w else "landscape"] * h
    x0, x1 = (left + MARGIN) * w, (right - MARGIN) * w
    y1 = (bottom - MARGIN) * h
    return round(x0), round(y1 - tall), round(x1 - x0), round(tall)


def draw_on_screen(picture: Image.Image, text: str, kb: KenBurns) -> Image.Image:
    """``picture`` with ``text`` white on a dark translucent band at the bottom of the path's safe box; the
    picture itself when ``text`` is blank."""
    overlay = text_layer(picture.size, text, kb)
    if overlay is None:
        return picture
    return Image.alpha_composite(picture.convert("RGBA"), overlay).convert("RGB")


def text_layer(size: tuple[int, int], text: str, kb: KenBurns) -> Image.Image | None:
    """The band and its text alone, RGBA at ``size`` (transparent elsewhere); None when ``text`` is blank.
    The motion engine lays it on the screen over its moving layers. Example:
    ``text_layer((720, 1280), "Built to last", KenBurns(1.0, 1.0)).getbbox()`` → the band's box."""
    text = " ".join(text.split())
    if not text:
        return None
    x, y, w, h = band(size, kb)
    pad = round(h * 0.14)
    block = fit(FaceChain.of(*FONT), text, (w - 4 * pad, h - 2 * pad), start=round(h * 0.62))
    overlay = Image.new("RGBA", size, (0, 0, 0, 0))
    draw = ImageDraw.Draw(overlay)
    draw.rounded_rectangle((x, y, x + w, y + h), radius=round(h * 0.3), fill=(12, 12, 16, 190))
    draw_block(draw, block, (x + 2 * pad, y + pad, w - 4 * pad, h - 2 * pad), (255, 255, 255, 255))
    return overlay
