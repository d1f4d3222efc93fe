"""Shipped subtitle fonts: resolved by family, drawn by the bundled ffmpeg's libass, never a system font."""

from pathlib import Path

import pytest
from PIL import Image, ImageChops

from noxus_local.media import fonts
from noxus_local.media.ffmpeg import run_ffmpeg
from noxus_local.runtime.cancel import CancelToken

SPANISH = "¡Señor! ¿Qué año? Pingüino ÁÉÍÓÚ"
ASS = """[Script Info]
ScriptType: v4.00+
PlayResX: 320
PlayResY: 180

[V4+ Styles]
Format: Name, Fontname, Fontsize, PrimaryColour, OutlineColour, BackColour, Bold, Italic, BorderStyle, \
Outline, Shadow, Alignment, MarginL, MarginR, MarginV
Style: Default,{family},26,&H00FFFFFF,&H00000000,&H00000000,{bold},0,1,0,0,2,10,10,10

[Events]
Format: Layer, Start, End, Style, Text
Dialogue: 0,0:00:00.00,0:00:05.00,Default,{text}
"""


@pytest.fixture(scope="module")
def prepared(tmp_path_factory) -> fonts.LibassFonts:
    return fonts.prepare_fonts(tmp_path_factory.mktemp("fonts"))


def burn(prepared: fonts.LibassFonts, work: Path, family: str, bold: bool = False) -> Image.Image:
    """Burn one subtitle into a tiny black H.264 clip, then read its first frame back."""
    ass = work / f"{family.replace(' ', '_')}_{int(bold)}.ass"
    ass.write_text(ASS.format(family=family, bold=-1 if bold else 0, text=SPANISH), "utf-8")
    clip, frame = ass.with_suffix(".mp4"), ass.with_suffix(".png")
    run_ffmpeg(["-f", "lavfi", "-i", "color=c=black:s=320x180:r=5:d=0.4", "-vf", prepared.ass_filter(ass),
                "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", str(clip)],
               CancelToken(), env=prepared.env())
    run_ffmpeg(["-i", str(clip), "-frames:v", "1", str(frame)], CancelToken())
    return Image.open(frame).convert("L")


def test_every_family_resolves_to_a_file_with_spanish_glyphs():
    for family in fonts.FAMILIES:
        path = fonts.font_path(family)
        assert path.is_file() and path.suffix == ".ttf", family
        assert fonts.missing_glyphs(path) == "", family
    assert fonts.font_path("Poppins", 700).name == "Poppins-Bold.ttf"
    assert fonts.font_path("Poppins", 400).name == "Poppins-Regular.ttf"


def test_a_missing_glyph_is_reported():
    assert fonts.missing_glyphs(fonts.font_path("Anton"), "a中") == "中"


def test_an_unknown_family_is_refused():
    with pytest.raises(fonts.FontMissing, match="not a shipped font"):
        fonts.faces("Comic Sans MS")


def test_the_folder_holds_fonts_licences_and_a_config_naming_only_it(prepared):
    names = {p.name for p in prepared.directory.iterdir()}
    marker = {"OFL-1.1": "SIL Open Font License", "Apache-2.0": "Apache License"}
    for family in fonts.FAMILIES:
        face = fonts.faces(family)[0]
        assert face.licence_name in names
        assert marker[face.licence_id] in (prepared.directory / face.licence_name).read_text(), family
    # copies, not links: a one-file binary's package files vanish when that process exits
    assert not [p for p in prepared.directory.iterdir() if p.is_symlink() or p.name.startswith(".")]
    conf = prepared.config_file.read_text()
    assert f"<dir>{prepared.directory}</dir>" in conf and "include" not in conf
    again = fonts.prepare_fonts(prepared.directory)  # idempotent
    assert again == prepared and {p.name for p in prepared.directory.iterdir()} == names


def test_libass_draws_each_family_with_our_file(prepared, tmp_path):
    blank = Image.new("L", (320, 180))
    drawn = {family: burn(prepared, tmp_path, family) for family in fonts.FAMILIES}
    fallback = burn(prepared, tmp_path, "No Such Family")
    for family, image in drawn.items():
        box = ImageChops.difference(image, blank).getbbox()
        assert box is not None and box[1] > 90, f"{family}: nothing drawn in the subtitle area"
        # a family libass could not find would look like the fallback: each one differs from it
        if family != fallback_family(drawn, fallback):
            assert ImageChops.difference(image, fallback).getbbox() is not None, family
    pictures = list(drawn.values())
    for i, a in enumerate(pictures):
        for b in pictures[i + 1:]:
            assert ImageChops.difference(a, b).getbbox() is not None  # every family looks different


def fallback_family(drawn: dict[str, Image.Image], fallback: Image.Image) -> str | None:
    """fontconfig falls back to one of OUR families; that one matches the fallback picture."""
    return next((f for f, img in drawn.items() if ImageChops.difference(img, fallback).getbbox() is None), None)


def test_system_fonts_are_never_used(prepared, tmp_path):
    # DejaVu is installed on this machine; through our fonts.conf it cannot be found
    system = burn(prepared, tmp_path, "DejaVu Sans")
    unknown = burn(prepared, tmp_path, "No Such Family")
    assert ImageChops.difference(system, unknown).getbbox() is None


def test_a_variable_font_selects_its_weight(prepared, tmp_path):
    regular, bold = burn(prepared, tmp_path, "Oswald"), burn(prepared, tmp_path, "Oswald", bold=True)
    assert ImageChops.difference(regular, bold).getbbox() is not None
    ink = lambda img: img.point(lambda v: 255 if v > 128 else 0).histogram()[255]  # noqa: E731
    assert ink(bold) > ink(regular) * 1.1
