import io
import xml.etree.ElementTree as ET

import pytest
from PIL import Image

from noxus_local.errors import LimitExceeded, ValidationError
from noxus_local.tools.base import Limits, ToolContext, ToolOutput
from noxus_local.tools.qr import QrTool, byte_capacity

SVG = "{http://www.w3.org/2000/svg}"


def make_qr(tmp_path, **raw) -> ToolOutput:
    tool = QrTool()
    params = tool.validate({"text": "https://noxus.example/hola", **raw}, {}, Limits())
    return tool.call(ToolContext(params=params, files={}, limits=Limits(), workdir=tmp_path))


def field_errors(raw) -> dict[str, list[str]]:
    with pytest.raises(ValidationError) as caught:
        QrTool().validate(raw, {}, Limits())
    return caught.value.details["field_errors"]


def test_identity():
    assert (QrTool.slug, QrTool.aliases, QrTool.media_type) == ("qr", ("crear-qr",), "image")


def test_png_has_the_module_grid_size(tmp_path):
    out = make_qr(tmp_path, text="hola", scale="4", border="2")
    img = Image.open(io.BytesIO(out.data))
    version = out.result["version"]
    side = (version * 4 + 17 + 2 * 2) * 4
    assert (out.filename, out.mime_type, img.format) == ("qr.png", "image/png", "PNG")
    assert out.result == {"width": side, "height": side, "version": 1, "error_correction": "M",
                          "modules": 21}
    assert img.size == (side, side)


def test_png_draws_finder_patterns_in_the_right_colours(tmp_path):
    out = make_qr(tmp_path, text="hola", scale="10", border="4", foreground="#ff0000")
    rgb = Image.open(io.BytesIO(out.data)).convert("RGB")
    module = lambda col, row: rgb.getpixel((40 + col * 10 + 5, 40 + row * 10 + 5))  # noqa: E731
    assert rgb.getpixel((0, 0)) == (255, 255, 255)  # quiet zone
    # finder pattern: dark ring, light ring, dark 3x3 centre
    assert [module(c, 0) for c in range(7)] == [(255, 0, 0)] * 7
    assert [module(c, 1) for c in (1, 2, 3, 4, 5)] == [(255, 255, 255)] * 5
    assert module(3, 3) == (255, 0, 0)
    assert module(7, 0) == (255, 255, 255)  # separator


def test_size_gives_exact_side(tmp_path):
    out = make_qr(tmp_path, size="500")
    assert Image.open(io.BytesIO(out.data)).size == (500, 500)
    assert (out.result["width"], out.result["height"]) == (500, 500)


def test_transparent_png_background(tmp_path):
    out = make_qr(tmp_path, background="transparent")
    rgba = Image.open(io.BytesIO(out.data)).convert("RGBA")
    assert rgba.getpixel((0, 0))[3] == 0
    assert rgba.getpixel((45, 45)) == (0, 0, 0, 255)


def test_jpeg(tmp_path):
    out = make_qr(tmp_path, output_format="jpeg", scale="5", filename="../../mi qr")
    img = Image.open(io.BytesIO(out.data))
    side = out.result["width"]
    assert (out.filename, out.mime_type, img.format, img.size) == ("mi-qr.jpg", "image/jpeg", "JPEG",
                                                                   (side, side))
    assert side == (out.result["modules"] + 8) * 5
    assert all(v > 240 for v in img.convert("RGB").getpixel((2, 2)))


def test_webp_is_lossless_and_transparent(tmp_path):
    out = make_qr(tmp_path, output_format="webp", background="transparent", foreground="#0000ff")
    img = Image.open(io.BytesIO(out.data))
    assert (out.filename, out.mime_type, img.format) == ("qr.webp", "image/webp", "WEBP")
    rgba = img.convert("RGBA")
    assert rgba.getpixel((0, 0))[3] == 0
    assert rgba.getpixel((45, 45)) == (0, 0, 255, 255)


def test_svg_honours_colours_and_size(tmp_path):
    out = make_qr(tmp_path, output_format="svg", size="300", foreground="#112233", background="#ffeedd")
    root = ET.fromstring(out.data)
    assert (out.filename, out.mime_type) == ("qr.svg", "image/svg+xml")
    assert (root.get("width"), root.get("height")) == ("300", "300")
    assert root.find(f"{SVG}rect").get("fill") == "#ffeedd"
    assert root.find(f"{SVG}path").get("fill") == "#112233"
    modules = out.result["modules"] + 8  # 4-module quiet zone on each side
    assert root.get("viewBox") == f"0 0 {modules} {modules}"


def test_svg_transparent_has_no_background_rect(tmp_path):
    out = make_qr(tmp_path, output_format="svg", background="transparent")
    assert ET.fromstring(out.data).find(f"{SVG}rect") is None


@pytest.mark.parametrize(("level", "capacity"), [("L", 2953), ("M", 2331), ("Q", 1663), ("H", 1273)])
def test_capacity_overflow_is_limit_exceeded(level, capacity):
    assert byte_capacity(level) == capacity
    with pytest.raises(LimitExceeded) as caught:
        QrTool().validate({"text": "x" * (capacity + 1), "error_correction": level}, {}, Limits())
    assert caught.value.status == 413
    assert caught.value.details == {"limit": "qr_capacity", "max_bytes": capacity,
                                    "actual_bytes": capacity + 1, "error_correction": level}


def test_capacity_counts_utf8_bytes():
    with pytest.raises(LimitExceeded):
        QrTool().validate({"text": "ñ" * 1200, "error_correction": "H"}, {}, Limits())


def test_text_at_capacity_fits_version_40(tmp_path):
    out = make_qr(tmp_path, text="x" * 2331, scale="1", border="0")
    assert (out.result["version"], out.result["width"]) == (40, 177)


def test_size_and_scale_conflict():
    assert "size" in field_errors({"text": "a", "size": "300", "scale": "5"})


def test_bad_colour():
    assert "foreground" in field_errors({"text": "a", "foreground": "rojito"})


def test_transparent_jpeg_is_refused():
    assert list(field_errors({"text": "a", "output_format": "jpeg", "background": "transparent"})) == [
        "background"]


def test_same_colours_are_refused():
    assert "foreground" in field_errors({"text": "a", "foreground": "#fff", "background": "white"})


def test_size_smaller_than_the_module_grid_is_refused():
    assert "size" in field_errors({"text": "x" * 2000, "size": "100", "error_correction": "L"})


@pytest.mark.parametrize(("raw", "field"), [
    ({"text": "a", "size": "63"}, "size"), ({"text": "a", "scale": "101"}, "scale"),
    ({"text": "a", "border": "21"}, "border"), ({"text": "a", "output_format": "gif"}, "output_format"),
    ({"text": "a", "error_correction": "X"}, "error_correction"), ({}, "text"),
])
def test_generic_field_errors(raw, field):
    assert field in field_errors(raw)


# --- output size before rendering (issue 8 item 2) ----------------------------------------------

LONG = "x" * 2000  # version 38 at M: 169 modules + 2 × 4 border = 177 per side


def limit_details(raw, limits: Limits = Limits()) -> dict:
    with pytest.raises(LimitExceeded) as caught:
        QrTool().validate({"text": LONG, **raw}, {}, limits)
    assert caught.value.status == 413
    return caught.value.details


@pytest.mark.parametrize("fmt", ["png", "jpeg", "webp", "svg"])
def test_scale_100_on_long_text_is_over_the_pixel_limit(fmt):
    assert limit_details({"scale": "100", "output_format": fmt}) == {
        "limit": "max_image_pixels", "max": 40_000_000, "actual": 17_700 ** 2}


def test_pixel_limit_comes_from_the_callers_tier():
    assert limit_details({"size": "1000"}, Limits(max_image_pixels=999_999))["actual"] == 1_000_000
    QrTool().validate({"text": LONG, "size": "1000"}, {}, Limits(max_image_pixels=1_000_000))


def test_webp_side_over_libwebp_max_is_its_own_limit():
    # 17,700 px fits a huge tier's pixels but not libwebp's 16,383 px per side
    assert limit_details({"scale": "100", "output_format": "webp"}, Limits(max_image_pixels=10**9)) == {
        "limit": "max_image_side", "format": "webp", "max": 16_383, "actual": 17_700}
    QrTool().validate({"text": LONG, "scale": "100", "output_format": "png"}, {}, Limits(max_image_pixels=10**9))


def test_largest_webp_that_fits_renders(tmp_path):
    # 177 modules × 92 px = 16,284 px: just under libwebp's limit
    limits = Limits(max_image_pixels=300_000_000)
    params = QrTool().validate({"text": LONG, "scale": "92", "output_format": "webp"}, {}, limits)
    out = QrTool().call(ToolContext(params=params, files={}, limits=limits, workdir=tmp_path))
    assert (out.result["width"], out.mime_type) == (16_284, "image/webp")


def test_run_checks_the_output_size_again(tmp_path):
    params = QrTool().validate({"text": LONG, "scale": "20"}, {}, Limits())
    with pytest.raises(LimitExceeded):
        QrTool().call(ToolContext(params=params, files={}, limits=Limits(max_image_pixels=1_000_000),
                                 workdir=tmp_path))
