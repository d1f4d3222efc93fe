"""The timeline: one data model for a composed video, and its ``timeline.json``.

A ``Timeline`` is the picture size, the frame rate and the scenes in order;
each ``Scene`` covers ``[start, end)`` seconds of the final video and carries
its text, its ``Visual`` (a material, a generated image or a designed scene)
and the words spoken in it (absolute times, from speech synthesis). Beside the
scenes sit the tracks that span the whole video: the narration WAV, captions
(a style preset, cut from the scenes' words), music, a logo overlay.

Why a JSON form: a client gets ``timeline.json`` back and may post it edited;
so loading it is validation, not trust. Every path is stored relative to one
allowed root and resolved under it (``..``, absolute paths and links that
leave the root are refused); texts are data only (the renderer writes them to
files, never into ffmpeg's arguments or filter graph).

Example::

    tl = Timeline(360, 640, 25, (Scene(0, "Hola.", 0.0, 2.0, Visual("designed")),))
    data = to_dict(tl, root)                  # JSON-ready, paths relative to root
    assert from_dict(data, root) == tl        # exact round trip
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from noxus_local.captions.styles import resolve_style
from noxus_local.compose.music import MusicLibrary
from noxus_local.errors import ValidationError
from noxus_local.speech.types import Word

VISUAL_KINDS = ("material", "generated", "designed")
TRANSITIONS = ("cut", "fade", "slide")
LOGO_PLACES = ("top_left", "top_right", "bottom_left", "bottom_right")
MAX_SCENES = 200
MAX_TEXT = 5000
MAX_SIDE = 3840


@dataclass(frozen=True)
class KenBurns:
    """A still's camera path: zoom from ``zoom_start`` to ``zoom_end`` while the window's centre
    moves from (``x_start``, ``y_start``) to (``x_end``, ``y_end``), fractions of the picture."""

    zoom_start: float = 1.0
    zoom_end: float = 1.12
    x_start: float = 0.5
    y_start: float = 0.5
    x_end: float = 0.5
    y_end: float = 0.5


@dataclass(frozen=True)
class Visual:
    """What a scene shows. ``source`` (material/generated) is an image or a video; a video plays
    from ``trim_start`` and loops when shorter than the scene. ``palette`` colours a designed scene,
    whose words are ``text`` (default: the scene's key words)."""

    kind: str
    source: Path | None = None
    ken_burns: KenBurns | None = None
    trim_start: float = 0.0
    palette: tuple[str, ...] = ()
    text: str | None = None


@dataclass(frozen=True)
class Scene:
    index: int
    text: str
    start: float
    end: float
    visual: Visual
    words: tuple[Word, ...] = ()

    @property
    def duration(self) -> float:
        return self.end - self.start


@dataclass(frozen=True)
class Captions:
    """Burned captions in a ``captions/`` preset with its options; cues are cut from the words."""

    style: str = "classic"
    options: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Music:
    """A soundtrack looped or trimmed to the video, faded, ducked under the narration. ``track`` names a
    bundled track (compose/music.py): its file lives in the library, not among the job's files."""

    source: Path
    volume: float = 0.35
    duck: bool = True
    fade_in: float = 1.0
    fade_out: float = 2.0
    track: str | None = None


@dataclass(frozen=True)
class Logo:
    source: Path
    position: str = "top_right"
    opacity: float = 0.8
    width: float = 0.18  # fraction of the video's width


@dataclass(frozen=True)
class Transition:
    kind: str = "fade"
    duration: float = 0.5


@dataclass(frozen=True)
class Timeline:
    width: int
    height: int
    fps: int
    scenes: tuple[Scene, ...]
    narration: Path | None = None
    captions: Captions | None = None
    music: Music | None = None
    logo: Logo | None = None
    transition: Transition = Transition()
    loudness: float = -16.0  # LUFS the narration is normalised to (EBU R128)

    @property
    def duration(self) -> float:
        return self.scenes[-1].end if self.scenes else 0.0

    @property
    def words(self) -> tuple[Word, ...]:
        return tuple(w for s in self.scenes for w in s.words)


# ---------------------------------------------------------------- to JSON


def to_dict(tl: Timeline, root: Path) -> dict[str, Any]:
    """The JSON form, every path relative to ``root``. Example: ``json.dumps(to_dict(tl, root))``."""
    return {"version": 1, "width": tl.width, "height": tl.height, "fps": tl.fps, "loudness": tl.loudness,
            "transition": {"kind": tl.transition.kind, "duration": tl.transition.duration},
            "narration": _rel(tl.narration, root),
            "captions": None if tl.captions is None else {"style": tl.captions.style,
                                                          "options": dict(tl.captions.options)},
            "music": None if tl.music is None else {
                **({"track": tl.music.track} if tl.music.track else {"source": _rel(tl.music.source, root)}),
                "volume": tl.music.volume, "duck": tl.music.duck, "fade_in": tl.music.fade_in,
                "fade_out": tl.music.fade_out},
            "logo": None if tl.logo is None else {
                "source": _rel(tl.logo.source, root), "position": tl.logo.position,
                "opacity": tl.logo.opacity, "width": tl.logo.width},
            "scenes": [_scene_dict(s, root) for s in tl.scenes]}


def _scene_dict(s: Scene, root: Path) -> dict[str, Any]:
    v = s.visual
    kb = None if v.ken_burns is None else {k: getattr(v.ken_burns, k) for k in KenBurns.__dataclass_fields__}
    return {"index": s.index, "text": s.text, "start": s.start, "end": s.end,
            "visual": {"kind": v.kind, "source": _rel(v.source, root), "ken_burns": kb,
                       "trim_start": v.trim_start, "palette": list(v.palette), "text": v.text},
            "words": [{"word": w.word, "start": w.start, "end": w.end} for w in s.words]}


def _rel(path: Path | None, root: Path) -> str | None:
    return None if path is None else path.relative_to(root.resolve()).as_posix()


def save(tl: Timeline, path: Path, root: Path) -> Path:
    path.write_text(json.dumps(to_dict(tl, root), ensure_ascii=False, indent=1), "utf-8")
    return path


# ---------------------------------------------------------------- from JSON, validated


def load(path: Path, root: Path, library: MusicLibrary | None = None) -> Timeline:
    try:
        data = json.loads(path.read_text("utf-8"))
    except (OSError, ValueError) as exc:
        raise _bad("timeline", f"not a readable JSON document ({type(exc).__name__})") from None
    return from_dict(data, root, library)


def from_dict(data: Any, root: Path, library: MusicLibrary | None = None) -> Timeline:
    """A validated ``Timeline``; a ``ValidationError`` (400) names the first bad field.

    Example: ``from_dict({"width": 360, ..., "scenes": [...]}, Path("/data/job/inputs"))``.
    """
    d = _obj(data, "timeline")
    width, height = _int(d, "width", 16, MAX_SIDE), _int(d, "height", 16, MAX_SIDE)
    if width % 2 or height % 2:
        raise _bad("width", "width and height must be even (H.264 4:2:0)")
    scenes = tuple(_scene(s, i, root) for i, s in enumerate(_list(d, "scenes", 1, MAX_SCENES)))
    for before, after in zip(scenes, scenes[1:], strict=False):
        if not math.isclose(before.end, after.start, abs_tol=1e-6):
            raise _bad(f"scenes[{after.index}].start", "scenes must follow each other without gaps")
    cap = _opt_obj(d, "captions")
    music, logo = _opt_obj(d, "music"), _opt_obj(d, "logo")
    tr = _opt_obj(d, "transition") or {}
    return Timeline(
        width, height, _int(d, "fps", 1, 60), scenes,
        narration=_opt_path(d, "narration", root),
        captions=None if cap is None else _captions(cap),
        music=None if music is None else _music(music, root, library),
        logo=None if logo is None else Logo(
            _path(logo, "source", root, "logo.source"), _choice(logo, "position", LOGO_PLACES, "top_right", "logo"),
            _num(logo, "opacity", 0, 1, 0.8, "logo"), _num(logo, "width", 0.02, 1, 0.18, "logo")),
        transition=Transition(_choice(tr, "kind", TRANSITIONS, "fade", "transition"),
                              _num(tr, "duration", 0, 3, 0.5, "transition")),
        loudness=_num(d, "loudness", -70, -5, -16.0))


def _captions(d: dict[str, Any]) -> Captions:
    """A preset with its options, checked now (400 listing the presets) rather than at render time."""
    captions = Captions(_str(d, "style", 64, "captions"), _obj(d.get("options", {}), "captions.options"))
    try:
        resolve_style(captions.style, captions.options)
    except ValidationError as exc:  # the same 400, its field named from the timeline's root
        errors = (exc.details or {}).get("field_errors", {"style": ["invalid"]})
        name = next(iter(errors))
        raise ValidationError(f"timeline: captions.{name}: {errors[name][0]}",
                              details={**(exc.details or {}), "field": f"captions.{name}"}) from None
    return captions


def _music(d: dict[str, Any], root: Path, library: MusicLibrary | None) -> Music:
    """A file among the job's (``source``), or a bundled track by id (``track``: its file in the library)."""
    track = None
    if d.get("track") is None:
        source = _path(d, "source", root, "music.source")
    elif library is None:
        raise _bad("music.track", "no music library is installed")
    else:
        found = library.get(_str(d, "track", 100, "music"))
        source, track = found.path, found.id
    return Music(source, _num(d, "volume", 0, 4, 0.35, "music"), _bool(d, "duck", True, "music"),
                 _num(d, "fade_in", 0, 30, 1.0, "music"), _num(d, "fade_out", 0, 30, 2.0, "music"), track)


def _scene(data: Any, i: int, root: Path) -> Scene:
    where = f"scenes[{i}]"
    s = _obj(data, where)
    start, end = _num(s, "start", 0, 86400, None, where), _num(s, "end", 0, 86400, None, where)
    if end <= start:
        raise _bad(f"{where}.end", "must be after start")
    if s.get("index", i) != i:
        raise _bad(f"{where}.index", f"must be {i} (scenes in order)")
    v = _obj(s.get("visual"), f"{where}.visual")
    kind = _choice(v, "kind", VISUAL_KINDS, None, f"{where}.visual")
    source = _opt_path(v, "source", root, f"{where}.visual.source")
    if kind != "designed" and source is None:
        raise _bad(f"{where}.visual.source", f"a {kind} visual needs a source")
    kb = v.get("ken_burns")
    visual = Visual(kind, source, None if kb is None else _ken_burns(kb, f"{where}.visual.ken_burns"),
                    _num(v, "trim_start", 0, 86400, 0.0, f"{where}.visual"),
                    tuple(_colour(c, f"{where}.visual.palette") for c in _list(v, "palette", 0, 8, where)),
                    _opt_str(v, "text", MAX_TEXT, f"{where}.visual"))
    words = tuple(_word(w, f"{where}.words[{k}]") for k, w in enumerate(_list(s, "words", 0, 5000, where)))
    return Scene(i, _str(s, "text", MAX_TEXT, where, empty=True), start, end, visual, words)


def _ken_burns(data: Any, where: str) -> KenBurns:
    d = _obj(data, where)
    zooms = {k: _num(d, k, 1.0, 3.0, 1.0, where) for k in ("zoom_start", "zoom_end")}
    places = {k: _num(d, k, 0.0, 1.0, 0.5, where) for k in ("x_start", "y_start", "x_end", "y_end")}
    return KenBurns(**zooms, **places)


def _word(data: Any, where: str) -> Word:
    d = _obj(data, where)
    start, end = _num(d, "start", 0, 86400, None, where), _num(d, "end", 0, 86400, None, where)
    return Word(_str(d, "word", 300 * 4, where), start, max(start, end), 1.0)


# ---------------------------------------------------------------- field readers


def _bad(name: str, reason: str) -> ValidationError:
    return ValidationError(f"timeline: {name}: {reason}", details={"field": name, "reason": reason})


def _obj(value: Any, where: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise _bad(where, "must be an object")
    return value


def _opt_obj(d: Mapping[str, Any], key: str) -> dict[str, Any] | None:
    return None if d.get(key) is None else _obj(d[key], key)


def _list(d: Mapping[str, Any], key: str, least: int, most: int, where: str = "") -> list[Any]:
    value = d.get(key, [])
    name = f"{where}.{key}" if where else key
    if not isinstance(value, list) or not least <= len(value) <= most:
        raise _bad(name, f"must be a list of {least} to {most} items")
    return value


def _num(d: Mapping[str, Any], key: str, low: float, high: float, default: float | None,
         where: str = "") -> float:
    value = d.get(key, default)
    name = f"{where}.{key}" if where else key
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value) \
            or not low <= value <= high:
        raise _bad(name, f"must be a number from {low} to {high}")
    return value


def _int(d: Mapping[str, Any], key: str, low: int, high: int) -> int:
    value = d.get(key)
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise _bad(key, f"must be a whole number from {low} to {high}")
    return value


def _bool(d: Mapping[str, Any], key: str, default: bool, where: str) -> bool:
    value = d.get(key, default)
    if not isinstance(value, bool):
        raise _bad(f"{where}.{key}", "must be true or false")
    return value


def _str(d: Mapping[str, Any], key: str, most: int, where: str = "", empty: bool = False) -> str:
    value = d.get(key)
    name = f"{where}.{key}" if where else key
    if not isinstance(value, str) or len(value) > most or (not empty and not value.strip()):
        raise _bad(name, f"must be a text of at most {most} characters")
    return value


def _opt_str(d: Mapping[str, Any], key: str, most: int, where: str) -> str | None:
    return None if d.get(key) is None else _str(d, key, most, where)


def _choice(d: Mapping[str, Any], key: str, allowed: Sequence[str], default: str | None, where: str = "") -> str:
    value = d.get(key, default)
    if value not in allowed:
        name = f"{where}.{key}" if where else key
        raise _bad(name, f"must be one of {', '.join(allowed)}")
    return value


def _colour(value: Any, where: str) -> str:
    if not isinstance(value, str) or len(value) != 7 or value[0] != "#" \
            or any(c not in "0123456789abcdefABCDEF" for c in value[1:]):
        raise _bad(where, "colours are #RRGGBB")
    return value.upper()


def _opt_path(d: Mapping[str, Any], key: str, root: Path, where: str | None = None) -> Path | None:
    return None if d.get(key) is None else _path(d, key, root, where or key)


def _path(d: Mapping[str, Any], key: str, root: Path, where: str) -> Path:
    """A file under ``root``: relative, no way out (``..``, an absolute path, a link elsewhere)."""
    value = d.get(key)
    if not isinstance(value, str) or not value or len(value) > 1024 or "\x00" in value:
        raise _bad(where, "must be a file name relative to the job's files")
    base = root.resolve()
    if Path(value).is_absolute():
        raise _bad(where, "must be relative to the job's files, not an absolute path")
    resolved = (base / value).resolve()
    if not resolved.is_relative_to(base):
        raise _bad(where, "is outside the job's files")
    if not resolved.is_file():
        raise _bad(where, "no such file among the job's files")
    return resolved
