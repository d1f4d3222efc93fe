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


def _svg(body: str) -> bytes:
    return ('<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" '
            f'width="10" height="10">{body}</svg>').encode()


# issue 17 item 5: animations that rewrite a link or add a handler, and CSS hidden behind escapes
@pytest.mark.parametrize("body", [
    '<a href="#x"><set attributeName="href" to="javascript:alert(1)"/><rect/></a>',
    '<a xlink:href="#x"><animate attributeName="xlink:href" values="javascript:alert(1)"/></a>',
    '<a href="#x"><animate attributeName=" HREF " to="javascript:alert(1)"/></a>',
    '<rect><set attributeName="onclick" to="alert(1)"/></rect>',
    '<rect><animate attributeName="onmouseover" to="alert(1)"/></rect>',
    '<rect><animateTransform attributeName="href" to="javascript:alert(1)"/></rect>',
    '<rect><animateMotion attributeName="onbegin" to="alert(1)"/></rect>',
])
def test_animations_of_links_and_handlers_refused(tmp_path: Path, body: str) -> None:
    path = tmp_path / "x.svg"
    path.write_bytes(_svg(body))
    with pytest.raises(InvalidMedia) as err:
        check_svg(path)
    assert err.value.details == {"reason": "svg_script"}


@pytest.mark.parametrize("css", [
    "fill: \\75 rl(http://evil/x.png)",                # hex escape, one trailing space eaten
    "fill: \\000075rl(http://evil/x.png)",             # six hex digits, no space
    "fill: \\55 \\52 \\4c (http://evil/x.png)",        # upper case, every letter escaped
    "fill: \\75\trl(http://evil/x.png)",               # a tab ends the escape as a space does
    "fill: u\\rl(http://evil/x.png)",                   # a backslash before a letter is the letter
    "fill: u/**/rl(http://evil/x.png)",                 # a comment between letters
    "fill: u/* a */r/**/l/* b */(http://evil/x.png)",
    "width: \\65 xpression(alert(1))",
    "width: expression (alert(1))",
    "background: \\6a avascript:alert(1)",
    "background: java\\73 cript:alert(1)",
    "background: \\@import 'http://evil/x.css'",        # escaped @ is still read as @import here
    "@im\\70 ort 'http://evil/x.css'",
])
def test_css_escapes_that_decode_to_a_load_or_a_script_refused(tmp_path: Path, css: str) -> None:
    for body in (f'<rect style="{css}"/>', f"<style>rect {{ {css} }}</style><rect/>",
                 f"<style><![CDATA[rect {{ {css} }}]]></style><rect/>"):
        path = tmp_path / "x.svg"
        path.write_bytes(_svg(body))
        with pytest.raises(InvalidMedia) as err:
            check_svg(path)
        assert err.value.details == {"reason": "svg_external_reference"}, body


def test_presentation_attributes_are_css_too(tmp_path: Path) -> None:
    path = tmp_path / "x.svg"
    path.write_bytes(_svg('<rect fill="\\75 rl(http://evil/x.png)"/>'))
    with pytest.raises(InvalidMedia):
        check_svg(path)


def test_benign_animation_and_css_pass(tmp_path: Path) -> None:
    path = tmp_path / "ok.svg"
    path.write_bytes(_svg(
        '<defs><linearGradient id="g"><stop offset="0" stop-color="#f00"/></linearGradient></defs>'
        '<style>/* brand */ rect { fill: url(#g); stroke: \\23 00f } .t { font-family: "Poppins" }</style>'
        '<rect width="10" height="10" style="fill: url( #g ); opacity: .9">'
        '<animate attributeName="opacity" from="0" to="1" dur="1s"/>'
        '<set attributeName="fill" to="red" begin="1s"/>'
        '<animateTransform attributeName="transform" type="rotate" from="0" to="90" dur="2s"/></rect>'
        '<a href="#g"><text class="t" x="1" y="9">on sale</text></a>'))
    check_svg(path)
