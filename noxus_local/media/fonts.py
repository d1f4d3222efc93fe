"""The subtitle fonts we ship, and the one folder libass reads them from.

Fonts come from PyPI ``fontpkg-*`` packages (Google Fonts TTFs under the SIL
Open Font License, Luckiest Guy under Apache-2.0, each with its ``LICENSE``), so a pip install and the
PyInstaller binary carry the same files. ``FAMILIES`` is the explicit list:
a family name as an ``.ass`` style writes it → the package holding it.

libass must never pick a system font: with ``fontsdir`` alone it still asks
the system's fontconfig, falls back to DejaVu for an unknown family, and for
a *variable* font (Oswald) ignores the weight. So ``prepare_fonts`` copies our
files into one folder and writes a ``fonts.conf`` that names only that folder;
ffmpeg runs with ``FONTCONFIG_FILE`` pointing at it (``LibassFonts.env``).

Example::

    fonts = prepare_fonts(cfg.data_dir / "fonts")
    run_ffmpeg(["-i", "in.mp4", "-vf", fonts.ass_filter(Path("subs.ass")), "out.mp4"],
               ctx.cancel, env=fonts.env())
"""

from __future__ import annotations

import importlib
import json
import os
import shutil
import threading
from dataclasses import dataclass
from pathlib import Path

import fontpkg

# family → (package module, weights we ship, what it is for). Static weights
# where the family has them: they select right with or without fontconfig.
FAMILIES: dict[str, tuple[str, tuple[int, ...], str]] = {
    "Anton": ("fontpkg_anton", (400,), "heavy condensed display, social subtitles"),
    "Archivo Black": ("fontpkg_archivo_black", (400,), "heavy display"),
    "Luckiest Guy": ("fontpkg_luckiest_guy", (400,), "playful heavy display"),
    "Bebas Neue": ("fontpkg_bebas_neue", (400,), "condensed capitals"),
    "Oswald": ("fontpkg_oswald", (200, 700), "condensed, variable weight 200-700"),
    "Poppins": ("fontpkg_poppins", (400, 700), "clean sans, regular and bold"),
}
# Script fallbacks: not a style's choice (FAMILIES is what the tools offer); libass (through the
# fontconfig folder) and the Pillow chains (media/lettering.py) take a glyph from them when the
# display face lacks it.
SCRIPT_FAMILIES: dict[str, tuple[str, tuple[int, ...], str]] = {
    "Noto Sans Arabic": ("fontpkg_noto_sans_arabic", (400, 700), "Arabic fallback, variable weight"),
    "Heebo": ("fontpkg_heebo", (400, 700), "Hebrew fallback, variable weight"),
    "Noto Sans Devanagari": ("fontpkg_noto_sans_devanagari", (400, 700), "Devanagari fallback, variable"),
}
SCRIPT_FALLBACKS = tuple(SCRIPT_FAMILIES)
# Emoji come from the system (Debian packages installed by scripts/setup_system.sh), not PyPI:
# libass draws outlines only, so captions get the monochrome outline font (Symbola, in the
# caption's colour); Pillow draws the colour bitmap font (CBDT, only at its 109 px strike).
EMOJI_OUTLINE = (Path("/usr/share/fonts/truetype/ancient-scripts/Symbola_hint.ttf"),
                 Path("/usr/share/fonts/truetype/ancient-scripts/Symbola.ttf"))
EMOJI_COLOR = (Path("/usr/share/fonts/truetype/noto/NotoColorEmoji.ttf"),)
EMOJI_COLOR_SIZE = 109
DEFAULT_FAMILY = "Poppins"
SPANISH_GLYPHS = "ñáéíóúüÑÁÉÍÓÚÜ¡¿"
# what each script fallback must draw (doctor checks it); the display faces must draw SPANISH_GLYPHS
SCRIPT_GLYPHS = {"Noto Sans Arabic": "مرحبا", "Heebo": "שלום", "Noto Sans Devanagari": "नमस्ते"}
_LOCK = threading.Lock()


class FontMissing(LookupError):
    """A family we do not ship, or whose package is not installed."""


@dataclass(frozen=True)
class FontFace:
    family: str
    path: Path
    weight: int | None  # None: a variable font covering the family's range
    licence: Path
    licence_id: str  # SPDX, e.g. "OFL-1.1" (Luckiest Guy is "Apache-2.0")

    @property
    def licence_name(self) -> str:
        """The licence's file name in the prepared folder, e.g. ``Anton-OFL-1.1.txt``."""
        return f"{self.family.replace(' ', '')}-{self.licence_id}.txt"


@dataclass(frozen=True)
class LibassFonts:
    """The prepared folder: pass ``ass_filter`` to ffmpeg and run it with ``env()``."""

    directory: Path
    config_file: Path

    def env(self) -> dict[str, str]:
        """ffmpeg's environment: ours, with fontconfig reading only our folder."""
        return {**os.environ, "FONTCONFIG_FILE": str(self.config_file)}

    def ass_filter(self, ass_file: Path) -> str:
        """Example: ``ass='/w/subs.ass':fontsdir='/data/fonts'``."""
        return f"ass={_quote(ass_file)}:fontsdir={_quote(self.directory)}"


def all_families() -> dict[str, tuple[str, tuple[int, ...], str]]:
    """The display faces and the script fallbacks: everything the fonts folder holds."""
    return {**FAMILIES, **SCRIPT_FAMILIES}


def faces(family: str) -> list[FontFace]:
    """The files of one shipped family. Example: ``faces("Poppins")[1].weight == 700``."""
    shipped = all_families()
    if family not in shipped:
        raise FontMissing(f"{family!r} is not a shipped font; shipped: {', '.join(shipped)}")
    module_name, weights, _ = shipped[family]
    try:
        root = Path(importlib.import_module(module_name).ROOT)
    except ImportError as exc:
        raise FontMissing(f"{family}: package {module_name} is not installed ({exc})") from None
    meta = fontpkg.family_from_metadata(json.loads((root / "metadata.json").read_text("utf-8")), root)
    chosen = [f for f in meta.files if f.style == "normal" and (f.variable or f.weight in weights)]
    if not chosen:
        raise FontMissing(f"{family}: no upright file for weights {weights} in {module_name}")
    return [FontFace(family, f.path, None if f.variable else f.weight, root / "LICENSE", meta.license)
            for f in chosen]


def font_path(family: str, weight: int = 400) -> Path:
    """The file for ``family`` at ``weight`` (a variable file covers every weight).

    Example: ``font_path("Poppins", 700).name == "Poppins-Bold.ttf"``.
    """
    found = faces(family)
    exact = [f.path for f in found if f.weight in (weight, None)]
    if exact:
        return exact[0]
    return min(found, key=lambda f: abs((f.weight or 400) - weight)).path


def emoji_font(color: bool) -> Path | None:
    """The installed emoji font file, or None (then an emoji draws as the missing-glyph box).

    Example: ``emoji_font(color=False).name == "Symbola_hint.ttf"`` where fonts-symbola is installed.
    """
    return next((p for p in (EMOJI_COLOR if color else EMOJI_OUTLINE) if p.is_file()), None)


def prepare_fonts(directory: Path) -> LibassFonts:
    """Copy every shipped face and its licence into ``directory`` (~4 MB); write its fonts.conf.

    Idempotent, safe from several threads and processes. Example: ``prepare_fonts(Path("/data/fonts"))``.
    """
    with _LOCK:
        directory.mkdir(parents=True, exist_ok=True)
        for family in all_families():
            for face in faces(family):
                _place(face.path, directory / face.path.name)
            _place(face.licence, directory / face.licence_name)
        outline = emoji_font(color=False)
        if outline is not None:  # libass picks it by glyph coverage for an emoji
            _place(outline, directory / outline.name)
        config = directory / "fonts.conf"
        text = _fontconfig_xml(directory)
        if not config.is_file() or config.read_text("utf-8") != text:
            tmp = config.with_name(f".fonts.conf.{os.getpid()}.tmp")
            tmp.write_text(text, "utf-8")
            tmp.replace(config)
    return LibassFonts(directory, config)


def _place(source: Path, target: Path) -> None:
    """Copy, never link: a one-file binary's package files live in a temp dir that goes away at
    exit, while ``serve`` and ``worker`` share this folder. Temp name + rename: another process
    never reads a half-copied font."""
    if target.is_file() and target.stat().st_size == source.stat().st_size:
        return
    tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    shutil.copyfile(source, tmp)
    tmp.replace(target)


def _fontconfig_xml(directory: Path) -> str:
    # only our folder, its own cache: no <include> of the system's conf.d, so no system font
    return ("<?xml version=\"1.0\"?>\n<!DOCTYPE fontconfig SYSTEM \"urn:fontconfig:fonts.dtd\">\n"
            f"<fontconfig>\n  <dir>{_xml(directory)}</dir>\n"
            f"  <cachedir>{_xml(directory / '.fccache')}</cachedir>\n</fontconfig>\n")


def _xml(path: Path) -> str:
    return str(path).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _quote(path: Path) -> str:
    """A path as one ffmpeg filter argument: quoted, with ' and : and \\ escaped for the graph."""
    escaped = str(path).replace("\\", "\\\\").replace("'", "\\'").replace(":", "\\:")
    return f"'{escaped}'"


def expected_glyphs(family: str) -> str:
    """The characters ``family`` must draw. Example: ``expected_glyphs("Heebo") == "שלום"``."""
    return SCRIPT_GLYPHS.get(family, SPANISH_GLYPHS)


def missing_glyphs(path: Path, text: str = SPANISH_GLYPHS) -> str:
    """The characters of ``text`` the font has no glyph for ("" when it covers them all).

    Pillow has no cmap query; a missing glyph renders as the font's .notdef box,
    so a character whose bitmap equals that of a private-use code point is missing.
    Example: ``missing_glyphs(font_path("Anton")) == ""``.
    """
    from PIL import ImageFont

    font = ImageFont.truetype(str(path), 48)
    notdef = _bitmap(font, "\U0010fffd")
    return "".join(ch for ch in text if _bitmap(font, ch) == notdef)


def _bitmap(font: object, ch: str) -> tuple[tuple[int, int], bytes]:
    mask = font.getmask(ch)  # type: ignore[attr-defined]
    return mask.size, bytes(mask)
