"""The cheap image features (issue 9 item 2) and the per-item batch loop, on images drawn here."""

from __future__ import annotations

import json
import struct
import zlib
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageDraw, ImageFilter

from noxus_local.analysis import cheap
from noxus_local.analysis.batch import failed_item, plan_item, read_progress, run_batch
from noxus_local.analysis.features import DEFAULT_FEATURES, analyse, check_features
from noxus_local.errors import InvalidMedia, JobCancelled, LimitExceeded, ValidationError
from noxus_local.runtime.cancel import CancelToken

MAX_PIXELS = 40_000_000


def scene(seed: int = 1, size: tuple[int, int] = (320, 240)) -> Image.Image:
    """A busy, sharp picture: random rectangles on a sky-blue ground."""
    rng = np.random.default_rng(seed)
    img = Image.new("RGB", size, "#1e90ff")
    draw = ImageDraw.Draw(img)
    for _ in range(40):
        x, y = rng.integers(0, size[0] - 20), rng.integers(0, size[1] - 20)
        colour = tuple(int(c) for c in rng.integers(0, 256, 3))
        draw.rectangle((x, y, x + rng.integers(5, 60), y + rng.integers(5, 60)), fill=colour)
    return img


def png_header_only(width: int, height: int) -> bytes:
    """A PNG whose header claims width × height; a few bytes, never decodable as a whole."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(b"\0" * 64)) + \
        chunk(b"IEND", b"")


def test_sharpness_falls_when_the_same_picture_is_blurred() -> None:
    sharp = cheap.quality(scene())
    blurred = cheap.quality(scene().filter(ImageFilter.GaussianBlur(4)))
    assert sharp["sharpness"] > 10 * blurred["sharpness"]
    assert (sharp["blurry"], blurred["blurry"]) == (False, True)


def test_brightness_contrast_and_noise_read_what_was_drawn() -> None:
    flat_grey = cheap.quality(Image.new("L", (200, 200), 128))
    assert flat_grey["brightness"] == pytest.approx(128 / 255, abs=1e-3)
    assert flat_grey["contrast"] == 0 and flat_grey["noise"] == 0
    rng = np.random.default_rng(0)
    noisy = np.clip(128 + rng.normal(0, 10, (200, 200)), 0, 255).astype(np.uint8)
    assert cheap.quality(Image.fromarray(noisy, "L"))["noise"] == pytest.approx(10, abs=1.5)


def test_phash_matches_near_duplicates_and_separates_different_pictures() -> None:
    def bits(a: str, b: str) -> int:
        return bin(int(a, 16) ^ int(b, 16)).count("1")
    original = cheap.phash(scene(1))["phash"]
    smaller = cheap.phash(scene(1).resize((160, 120)))["phash"]
    other = cheap.phash(scene(7))["phash"]
    assert len(original) == 16
    assert bits(original, smaller) <= 6
    assert bits(original, other) >= 16


def test_palette_gives_the_dominant_colour_first_with_shares_summing_to_one() -> None:
    img = Image.new("RGB", (100, 100), "#ff0000")
    ImageDraw.Draw(img).rectangle((0, 0, 24, 99), fill="#0000ff")
    palette = cheap.colors(img)["palette"]
    assert palette[0]["hex"] == "#ff0000" and palette[0]["share"] == pytest.approx(0.75, abs=0.02)
    assert palette[1]["hex"] == "#0000ff"
    assert sum(p["share"] for p in palette) == pytest.approx(1, abs=1e-3)


def test_metadata_summarises_exif_camera_time_and_gps_presence(tmp_path: Path) -> None:
    exif = Image.Exif()
    exif[0x010F], exif[0x0110], exif[0x0132] = "Canon", "EOS 5D", "2026:05:25 10:30:00"
    exif.get_ifd(0x8825)[1] = "N"  # GPSLatitudeRef: GPS present
    scene().save(tmp_path / "photo.jpg", exif=exif)
    scene().save(tmp_path / "plain.png")
    meta = analyse(tmp_path / "photo.jpg", ("metadata",), MAX_PIXELS)["metadata"]
    assert (meta["format"], meta["width"], meta["height"], meta["animated"]) == ("JPEG", 320, 240, False)
    assert meta["exif"] | {"orientation": None} == {
        "present": True, "camera_make": "Canon", "camera_model": "EOS 5D", "datetime": "2026:05:25 10:30:00",
        "orientation": None, "software": None, "gps_present": True}
    plain = analyse(tmp_path / "plain.png", ("metadata",), MAX_PIXELS)["metadata"]
    assert plain["exif"]["present"] is False and plain["exif"]["gps_present"] is False


def test_model_features_answer_unavailable_and_the_rest_still_run(tmp_path: Path) -> None:
    scene().save(tmp_path / "a.png")
    result = analyse(tmp_path / "a.png", ("tags", "hash"), MAX_PIXELS)
    assert result["tags"]["unavailable"] is True and result["tags"]["reason"]
    assert len(result["hash"]["phash"]) == 16


def test_feature_names_are_checked_and_default_to_the_cheap_set() -> None:
    assert check_features(None) == DEFAULT_FEATURES
    assert check_features("hash, quality,hash") == ("hash", "quality")
    with pytest.raises(ValidationError) as caught:
        check_features(["hash", "nope"])
    assert caught.value.details["unknown_features"] == ["nope"]


def test_bad_files_are_invalid_media_or_over_the_pixel_limit(tmp_path: Path) -> None:
    (tmp_path / "junk.png").write_bytes(b"not an image at all")
    (tmp_path / "huge.png").write_bytes(png_header_only(20_000, 20_000))
    with pytest.raises(InvalidMedia):
        analyse(tmp_path / "junk.png", DEFAULT_FEATURES, MAX_PIXELS)
    with pytest.raises(LimitExceeded) as caught:
        analyse(tmp_path / "huge.png", DEFAULT_FEATURES, MAX_PIXELS)
    assert caught.value.details["limit"] == "max_image_pixels"


def test_a_batch_fails_bad_items_alone_and_writes_progress_per_item(tmp_path: Path) -> None:
    scene().save(tmp_path / "good.png")
    (tmp_path / "huge.png").write_bytes(png_header_only(20_000, 20_000))
    items = [plan_item(0, "a", "good", None), plan_item(1, "b", "huge", None),
             failed_item(2, "c", ValidationError("bad base64")), plan_item(3, "d", "good", ["hash"])]
    seen: list[list[str]] = []
    progress_file = tmp_path / "items.json"
    report = run_batch(items, {"good": tmp_path / "good.png", "huge": tmp_path / "huge.png"}, ("quality",),
                       MAX_PIXELS, CancelToken(), progress_file, group_size=1,  # groups of one: progress per item
                       progress=lambda pct: seen.append([i["status"] for i in read_progress(progress_file) or []]))
    assert [i["status"] for i in report.items] == ["finished", "failed", "failed", "finished"]
    assert report.items[1]["error"]["code"] == "limit_exceeded"
    assert report.items[2]["error"]["code"] == "validation_error"
    assert set(report.items[3]["result"]) == {"hash"} and set(report.items[0]["result"]) == {"quality"}
    assert (report.succeeded, report.failed) == (2, 2)
    assert seen[0] == ["finished", "queued", "failed", "queued"]  # visible while the batch still runs
    assert json.loads(progress_file.read_text()) == report.items


def test_a_cancelled_batch_stops_between_items(tmp_path: Path) -> None:
    scene().save(tmp_path / "good.png")
    token = CancelToken()
    token.cancel("cancelled")
    with pytest.raises(JobCancelled):
        run_batch([plan_item(0, "a", "good", None)], {"good": tmp_path / "good.png"}, ("hash",), MAX_PIXELS, token)
