"""media.sniff: the kind of a file comes from its bytes; unsafe SVGs are refused."""

from pathlib import Path

import pytest

from noxus_local.errors import InvalidMedia
from noxus_local.media.sniff import check_svg, sniff, sniff_file
from tests.media_samples import (
    ENTITY_SVG,
    EXTERNAL_SVG,
    ONLOAD_SVG,
    SAFE_SVG,
    SCRIPT_SVG,
    ffmpeg_sample,
    png_bytes,
)


@pytest.mark.parametrize(("fmt", "mime"), [("PNG", "image/png"), ("JPEG", "image/jpeg"), ("WEBP", "image/webp")])
def test_images_by_magic_bytes(fmt: str, mime: str) -> None:
    found = sniff(png_bytes(fmt=fmt))
    assert found is not None and (found.kind, found.mime) == ("image", mime)


@pytest.mark.parametrize(("ext", "kind", "mime"), [
    ("mp3", "audio", "audio/mpeg"), ("wav", "audio", "audio/wav"), ("ogg", "audio", "audio/ogg"),
    ("aac", "audio", "audio/aac"), ("m4a", "audio", "audio/mp4"), ("mp4", "video", "video/mp4"),
    ("webm", "video", "video/webm"), ("mov", "video", "video/quicktime")])
def test_audio_and_video_made_by_ffmpeg(tmp_path: Path, ext: str, kind: str, mime: str) -> None:
    ffmpeg_sample(tmp_path, ext)
    found = sniff_file(tmp_path / f"sample.{ext}")
    assert found is not None and (found.kind, found.mime) == (kind, mime)


def test_names_and_text_are_not_media() -> None:
    assert sniff(b"<html><body>hello</body></html>") is None
    assert sniff(b"GIF89a" + b"\0" * 20) is None  # a real format, but not one we accept
    assert sniff(b"") is None


def test_svg_recognised_with_declaration_comment_and_bom() -> None:
    found = sniff(b"\xef\xbb\xbf<?xml version='1.0'?>\n<!-- logo -->\n<svg width='1'></svg>")
    assert found is not None and found.mime == "image/svg+xml"


@pytest.mark.parametrize(("body", "reason"), [(SCRIPT_SVG, "svg_script"), (ONLOAD_SVG, "svg_script"),
                                              (EXTERNAL_SVG, "svg_external_reference"),
                                              (ENTITY_SVG, "svg_invalid")])
def test_unsafe_svg_refused(tmp_path: Path, body: bytes, reason: str) -> None:
    path = tmp_path / "x.svg"
    path.write_bytes(body)
    with pytest.raises(InvalidMedia) as info:
        check_svg(path)
    assert info.value.details == {"reason": reason}


def test_safe_svg_with_internal_reference_passes(tmp_path: Path) -> None:
    path = tmp_path / "ok.svg"
    path.write_bytes(SAFE_SVG)
    check_svg(path)
