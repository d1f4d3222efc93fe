import io
import struct
import zlib

import pytest
from PIL import Image

from noxus_local.errors import InvalidMedia, LimitExceeded
from noxus_local.media import images
from noxus_local.media.images import FORMATS, Frame


def png_claiming(width: int, height: int) -> bytes:
    """A PNG whose header claims ``width`` × ``height`` but whose pixel data is junk.

    Decoding it would fail, so a LimitExceeded proves nothing was decoded.
    """
    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", b"junk" * 8) + chunk(b"IEND", b"")


def rotated_jpeg(path, size=(60, 40), orientation=6):
    exif = Image.Exif()
    exif[images.ORIENTATION_TAG] = orientation
    Image.new("RGB", size, (200, 10, 10)).save(path, exif=exif)
    return path


@pytest.mark.parametrize(("src", "width", "height", "fit", "expected"), [
    ((4000, 3000), 800, None, "contain", (800, 600)),
    ((4000, 3000), None, 300, "cover", (400, 300)),
    ((4000, 3000), 800, 800, "contain", (800, 600)),
    ((4000, 3000), 800, 800, "cover", (800, 800)),
    ((4000, 3000), 800, 100, "fill", (800, 100)),
    ((4000, 3000), None, None, "fill", (4000, 3000)),
    ((10, 1000), 5, None, "contain", (5, 500)),
    ((1000, 10), 10, None, "contain", (10, 1)),  # never 0 px
    ((100, 50), 400, 400, "contain", (400, 200)),  # upscales
])
def test_plan_size(src, width, height, fit, expected):
    assert images.plan_size(src, width, height, fit) == expected


def test_header_over_limit_is_refused_without_decoding(tmp_path):
    path = tmp_path / "lies.png"
    path.write_bytes(png_claiming(5000, 5000))
    with pytest.raises(LimitExceeded) as caught:
        images.open_image(path, max_pixels=1_000_000)
    assert caught.value.details == {"limit": "max_image_pixels", "max": 1_000_000, "actual": 25_000_000}


def test_pillow_bomb_error_becomes_limit_exceeded(tmp_path):
    path = tmp_path / "bomb.png"
    path.write_bytes(png_claiming(50_000, 50_000))
    with pytest.raises(LimitExceeded) as caught:
        images.open_image(path, max_pixels=10**12)
    assert caught.value.details["actual"] == 2_500_000_000


def test_junk_pixels_under_the_limit_are_invalid_media(tmp_path):
    path = tmp_path / "lies.png"
    path.write_bytes(png_claiming(50, 50))
    img = images.open_image(path, max_pixels=1_000_000)
    with pytest.raises(InvalidMedia):
        images.decode(img)


def test_not_an_image(tmp_path):
    path = tmp_path / "notes.png"
    path.write_text("hola, esto no es una imagen")
    with pytest.raises(InvalidMedia) as caught:
        images.open_image(path, max_pixels=1_000_000)
    assert str(tmp_path) not in caught.value.message


def test_probe_reports_displayed_size(tmp_path):
    path = rotated_jpeg(tmp_path / "r.jpg")
    assert images.probe(path, 1_000_000) == images.ImageInfo("JPEG", 40, 60)


def test_orient_turns_the_pixels(tmp_path):
    img = images.decode(images.open_image(rotated_jpeg(tmp_path / "r.jpg"), 1_000_000))
    assert images.orient(img).size == (40, 60)


def test_draft_decodes_jpeg_at_a_fraction(tmp_path):
    path = tmp_path / "big.jpg"
    Image.new("RGB", (2000, 1000), "blue").save(path)
    img = images.open_image(path, 10_000_000)
    images.draft_for(img, (250, 125), "contain")
    assert images.decode(img).size == (250, 125)


def test_draft_respects_orientation(tmp_path):
    img = images.open_image(rotated_jpeg(tmp_path / "r.jpg", size=(2000, 1000)), 10_000_000)
    images.draft_for(img, (125, 250), "contain")  # displayed orientation
    assert images.decode(img).size == (250, 125)  # stored orientation


def test_draft_never_goes_below_the_cover_size(tmp_path):
    path = tmp_path / "wide.jpg"
    Image.new("RGB", (4000, 1000), "blue").save(path)
    img = images.open_image(path, 10_000_000)
    images.draft_for(img, (200, 200), "cover")
    assert images.decode(img).size == (1000, 250)  # 1/4: covers 800x200 before the crop


def test_cover_keeps_the_centre():
    img = Image.new("RGB", (300, 100), "red")
    img.paste((0, 255, 0), (100, 0, 200, 100))
    out = images.resize(img, (50, 50), "cover")
    assert out.size == (50, 50)
    corners = [out.getpixel((x, y)) for x in (2, 47) for y in (2, 47)]
    assert all(r < 8 and g > 247 and b < 8 for r, g, b in corners)


def test_flatten_uses_the_background():
    img = Image.new("RGBA", (4, 4), (255, 0, 0, 0))
    assert images.flatten(img, (0, 0, 255, 255)).getpixel((0, 0)) == (0, 0, 255)


@pytest.mark.parametrize(("mode", "fmt", "expected"), [
    ("RGBA", "jpeg", "RGB"), ("RGBA", "png", "RGBA"), ("LA", "webp", "RGBA"), ("CMYK", "png", "RGB"),
    ("L", "jpeg", "L"), ("P", "webp", "RGB"), ("RGB", "ico", "RGBA"), ("RGBA", "bmp", "RGB"),
])
def test_to_mode(mode, fmt, expected):
    img = Image.new(mode, (4, 4))
    assert images.to_mode(img, FORMATS[fmt], (255, 255, 255, 255)).mode == expected


def test_save_writes_only_the_metadata_passed_in(tmp_path):
    exif = Image.Exif()
    exif[0x010F] = "NoxusCam"
    img = Image.new("RGB", (8, 8))
    img.info.update(exif=exif.tobytes(), comment=b"secret", icc_profile=b"")
    for name in ("jpeg", "png", "webp", "tiff"):
        out = Image.open(io.BytesIO(images.save([Frame(img.copy(), 0)], FORMATS[name])))
        assert 0x010F not in out.getexif(), name
        assert "comment" not in out.info


def test_frames_keep_durations(tmp_path):
    path = tmp_path / "a.gif"
    frames = [Image.new("RGB", (8, 8), (i * 60, 0, 0)) for i in range(4)]
    frames[0].save(path, save_all=True, append_images=frames[1:], duration=[10, 20, 30, 40], loop=0)
    with images.open_image(path, 1000) as img:
        got = list(images.frames(img))
    assert [f.duration for f in got] == [10, 20, 30, 40]
    assert {f.image.mode for f in got} == {"RGBA"}


def test_palette_alpha_from_png_converts_for_gif():
    img = Image.new("P", (4, 4), 3)
    img.info["transparency"] = b"\xff\xff\xff\x00"
    assert images.to_mode(img, FORMATS["gif"], (255, 255, 255, 255)).mode == "RGBA"
