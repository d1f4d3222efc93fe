"""The video ad's motion engine (products/ad_motion.py), judged by PyAV decoding the clips it encodes.

A parallax scene moves the product against its backdrop (the product's centroid against a dot painted on
the backdrop); a pan moves them together; a zoom punch is a scale pulse at its beat time (the product's
box area peaks there). Small frames, two seconds: the machine is shared.
"""

from __future__ import annotations

from pathlib import Path

import av
import numpy as np
from PIL import Image, ImageDraw

from noxus_local.compose.timeline import KenBurns
from noxus_local.products.ad_motion import PUNCH_SECONDS, Layers, Move, product_layer, pulse, render_clip
from noxus_local.products.ad_shots import motion, motion_kind, punch_amount
from noxus_local.products.cutout import Placement

SIZE, FPS, SECONDS = (360, 640), 25, 2.0


def layers() -> Layers:
    cut = Image.new("RGBA", (100, 200), (0, 0, 0, 0))
    ImageDraw.Draw(cut).rectangle((10, 10, 90, 190), fill=(210, 30, 40, 255))
    back = Image.new("RGB", SIZE, (235, 235, 235))
    ImageDraw.Draw(back).ellipse((60, 120, 100, 160), fill=(20, 40, 220))  # the backdrop's feature
    return Layers(back, product_layer(cut, SIZE, Placement(scale=0.4, x=0.5, floor=0.8, shadow="drop")))


def decoded(path: Path) -> list[tuple[float, np.ndarray]]:
    with av.open(str(path)) as c:
        return [(float(f.pts * f.time_base), f.to_ndarray(format="rgb24")) for f in c.decode(video=0)]


def centroid(frame: np.ndarray, colour: str) -> np.ndarray:
    r, g, b = (frame[..., i].astype(int) for i in range(3))
    mask = (r > 150) & (g < 90) & (b < 100) if colour == "red" else (b > 150) & (r < 90) & (g < 120)
    ys, xs = np.nonzero(mask)
    assert len(xs) > 20, colour
    return np.array([xs.mean(), ys.mean()])


def red_area(frame: np.ndarray) -> int:
    mask = (frame[..., 0] > 150) & (frame[..., 1] < 90) & (frame[..., 2] < 100)
    ys, xs = np.nonzero(mask)
    return int((xs.max() - xs.min() + 1) * (ys.max() - ys.min() + 1))


def relative_travel(tmp_path: Path, kind: str) -> tuple[float, float]:
    """(how far the product moved against the dot, how far the dot moved), first frame to last, in px."""
    out = render_clip(layers(), Move(kind, motion(1, "excitement")), SIZE, FPS, SECONDS, tmp_path / f"{kind}.mp4")
    frames = decoded(out)
    assert len(frames) == round(SECONDS * FPS)
    (_, first), (_, last) = frames[1], frames[-2]
    rel0 = centroid(first, "red") - centroid(first, "blue")
    rel1 = centroid(last, "red") - centroid(last, "blue")
    dot = np.linalg.norm(centroid(last, "blue") - centroid(first, "blue"))
    return float(np.linalg.norm(rel1 - rel0)), float(dot)


def test_parallax_moves_the_product_against_its_backdrop_and_a_pan_does_not(tmp_path):
    assert motion_kind(1) == "parallax" and motion_kind(3) == "pan"
    parallax, backdrop_moved = relative_travel(tmp_path, "parallax")
    together, _ = relative_travel(tmp_path, "pan")
    assert backdrop_moved > 20, backdrop_moved  # the camera pans over the backdrop
    assert parallax > 15, parallax  # and the nearer product slides further than it
    assert together < 3, together  # the same camera path as one picture: no relative motion


def test_a_zoom_punch_is_a_scale_pulse_at_its_beat(tmp_path):
    beat = 1.0
    move = Move("push_in", KenBurns(1.0, 1.0), punches=(beat,), punch=punch_amount(""))
    out = render_clip(layers(), move, SIZE, FPS, SECONDS, tmp_path / "punch.mp4")
    areas = [(t, red_area(f)) for t, f in decoded(out)]
    peak_t, peak = max(areas, key=lambda a: a[1])
    assert abs(peak_t - (beat + PUNCH_SECONDS / 2)) <= 0.08, peak_t
    calm = [a for t, a in areas if t < beat - 0.1 or t > beat + PUNCH_SECONDS + 0.1]
    assert peak >= 1.09 * max(calm), (peak, max(calm))  # 1.06² ≈ 1.12 at the peak
    assert max(calm) - min(calm) <= 0.02 * max(calm)  # still between the beats


def test_emotion_sets_the_punch_and_the_pulse_shape():
    assert punch_amount("calm") < punch_amount("") < punch_amount("excitement")
    assert pulse(0.0, (0.5,), 0.06) == 1.0 and pulse(0.5 + PUNCH_SECONDS / 2, (0.5,), 0.06) == 1.06
