"""Output sizes are checked against the caller's tier before anything renders (issue 8 item 2).

A free key asking ``qr`` for ``scale: 100`` on a long text used to get an
18,900 px square rendered (357 Mpx, RSS +350 MB), and as WebP a 500. Now both
tools refuse such outputs in ``check()``: 413 ``limit_exceeded``, no job row,
no file, nothing held or charged.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pytest
from PIL import Image

from tests.e2e.conftest import Server, start_module_server

QR = "/api/v1/tools/qr"
CONVERT = "/api/v1/tools/image-convert"
LONG = "x" * 2000  # 177 modules per side with the default border


@pytest.fixture(scope="module")
def srv(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    server = start_module_server(tmp_path_factory, "output-limits", """
        [tiers.free]
        requests_per_minute = 0
        [tiers.huge]
        jobs_per_hour = 0
        requests_per_minute = 0
        max_image_pixels = 1000000000
        [[accounts]]
        id = "huge"
        tier = "huge"
        initial_test_balance_usd = "1"
        """)
    yield server
    server.stop()


@pytest.fixture(scope="module")
def huge_key(srv: Server) -> str:
    return srv.new_key("huge")


def money_and_jobs(srv: Server, key: str) -> tuple[Decimal, Decimal, int, int]:
    balance = srv.get("/api/v1/balance", key=key).json()["balance"]
    jobs = srv.get("/api/v1/jobs", key=key, params={"limit": 100}).json()["jobs"]
    outputs = sum(1 for p in Path(srv.data_dir, "outputs").rglob("*") if p.is_file())
    return Decimal(balance["balance_usd"]), Decimal(balance["available_usd"]), len(jobs), outputs


def refused(srv: Server, key: str, path: str, **kw) -> dict:
    before = money_and_jobs(srv, key)
    r = srv.post(path, key=key, **kw)
    assert r.status_code == 413, r.text
    body = r.json()
    assert (body["success"], body["error_code"], body["billing"]) == (
        False, "limit_exceeded", {"charged_usd": "0"})
    assert money_and_jobs(srv, key) == before  # no hold, no charge, no job row, no file
    return body["details"]


@pytest.mark.parametrize("fmt", ["png", "webp", "jpeg", "svg"])
def test_qr_over_the_free_tiers_pixels_is_413_before_rendering(srv, fmt):
    details = refused(srv, srv.key, QR, json={"text": LONG, "scale": 100, "output_format": fmt})
    assert details == {"limit": "max_image_pixels", "max": 40_000_000, "actual": 17_700 ** 2}


def test_qr_webp_over_libwebps_side_is_413_not_500(srv, huge_key):
    details = refused(srv, huge_key, QR, json={"text": LONG, "scale": 100, "output_format": "webp"})
    assert details == {"limit": "max_image_side", "format": "webp", "max": 16_383, "actual": 17_700}


def test_qr_within_the_limits_still_renders(srv):
    r = srv.post(QR, key=srv.key, json={"text": LONG, "scale": 20, "return_base64": False})
    assert r.status_code == 200, r.text
    assert r.json()["result"]["width"] == 3_540


def wide_png(width: int) -> bytes:
    buffer = io.BytesIO()
    Image.new("1", (width, 2)).save(buffer, "PNG")
    return buffer.getvalue()


def test_image_convert_too_wide_for_webp_is_413_not_500(srv):
    details = refused(srv, srv.key, CONVERT, files={"image": ("wide.png", wide_png(16_384), "image/png")},
                      data={"output_format": "webp"})
    assert details == {"limit": "max_image_side", "format": "webp", "max": 16_383, "actual": 16_384}


def test_image_convert_resize_target_over_the_pixels_is_413(srv):
    details = refused(srv, srv.key, CONVERT, files={"image": ("small.png", wide_png(64), "image/png")},
                      data={"output_format": "png", "width": "20000", "height": "20000", "fit": "fill"})
    assert details == {"limit": "max_image_pixels", "max": 40_000_000, "actual": 400_000_000}


def test_image_convert_animation_over_the_frame_budget_is_413_before_rendering(srv):
    frames = [Image.new("RGB", (32, 24), (i * 20, 0, 0)) for i in range(10)]
    buffer = io.BytesIO()
    frames[0].save(buffer, "GIF", save_all=True, append_images=frames[1:], duration=50)
    # each frame 6,000 × 4,500 = 27 Mpx fits 40 Mpx; ten of them pass the 4 × 40 Mpx animation budget
    details = refused(srv, srv.key, CONVERT, files={"image": ("anim.gif", buffer.getvalue(), "image/gif")},
                      data={"output_format": "webp", "width": "6000"})
    assert details == {"limit": "max_animation_pixels", "max": 160_000_000, "actual": 270_000_000, "frames": 10}
