"""The ``timeline.json`` a client gets back and may post again edited: scenes by reference, never by path.

script-to-video returns its timeline in this form and accepts it as ``timeline``
(issue 20 item 5). The server's own files never appear in it: a scene's
visual names *what* it shows, and the re-render finds the file again —

- ``{"kind": "material", "material": 2}``: the request's ``materials[2]`` (an
  asset id, a URL or an uploaded part, sent again with the re-render); ``name``
  is informative only;
- ``{"kind": "generated", "prompt": "…", "seed": 7}``: the configured image
  generator's picture for that prompt and seed (taken from the account's cache
  when it was made before; without a generator, a designed scene and a warning);
- ``{"kind": "designed", "palette": ["#112233", …], "text": "…"}``.

Scene start, end and words are *not* read back: the narration is spoken (or
taken from the cache) again for each scene's ``text``, and the scenes are
timed by it. The size and captions come from the request's own fields, as for a
script; the voice, music and logo from the document's ``narration``, ``music`` and
``logo`` (the render that made it) unless the request gives its own
(tools/script_to_video.py ``inherit``). Anything else is refused with a 400 naming the
field: a ``source`` path, an unknown kind, a material index the request does
not have, more than 200 scenes or texts over 5,000 characters.

Example::

    scenes = read_edit({"version": 1, "scenes": [
        {"text": "Hola.", "visual": {"kind": "material", "material": 0}},
        {"text": "Adiós.", "visual": {"kind": "designed", "palette": ["#102030"]}}]}, materials=1)
    scenes[0].visual.material      # 0
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from noxus_local.compose.timeline import (
           MAX_SCENES,
           MAX_TEXT,
           VISUAL_KINDS,
           KenBurns,
           _bad,
           _choice,
           _colour,
           _ken_burns,
           _list,
           _num,
           _obj,
           _opt_str,
           _str,
)

MAX_PROMPT = 1000
MAX_SEED = 2**31 - 1
_SCENE_KEYS = {"index", "text", "start", "end", "visual", "words"}
_VISUAL_KEYS = {"kind", "material", "name", "prompt", "seed", "generator", "ken_burns", "trim_start", "palette",
                "text", "source"}


@dataclass(frozen=True)
class EditedVisual:
    kind: str
    material: int | None = None
    prompt: str | None = None
    seed: int | None = None
    ken_burns: KenBurns | None = None
    trim_start: float = 0.0
    palette: tuple[str, ...] = ()
    text: str | None = None


@dataclass(frozen=True)
class EditedScene:
    text: str
    visual: EditedVisual


def read_edit(data: Any, materials: int) -> tuple[EditedScene, ...]:
    """The posted timeline's scenes, validated strictly; ``materials`` is how many the request gives."""
    d = _obj(data, "timeline")
    if d.get("version", 1) != 1:
        raise _bad("timeline.version", "must be 1")
    scenes = _list(d, "scenes", 1, MAX_SCENES, "timeline")
    return tuple(_scene(s, i, materials) for i, s in enumerate(scenes))


def _scene(data: Any, i: int, materials: int) -> EditedScene:
    where = f"timeline.scenes[{i}]"
    s = _obj(data, where)
    unknown = sorted(set(s) - _SCENE_KEYS)
    if unknown:
        raise _bad(f"{where}.{unknown[0]}", "unknown field")
    text = _str(s, "text", MAX_TEXT, where)
    v = _obj(s.get("visual", {"kind": "designed"}), f"{where}.visual")
    at = f"{where}.visual"
    unknown = sorted(set(v) - _VISUAL_KEYS)
    if unknown:
        raise _bad(f"{at}.{unknown[0]}", "unknown field")
    if v.get("source") is not None:
        raise _bad(f"{at}.source", "a posted timeline names its pictures by `material` index or by `prompt`, "
                                   "never by a server path")
    kind = _choice(v, "kind", VISUAL_KINDS, None, at)
    kb = None if v.get("ken_burns") is None else _ken_burns(v["ken_burns"], f"{at}.ken_burns")
    palette = tuple(_colour(c, f"{at}.palette") for c in _list(v, "palette", 0, 8, at))
    common = {"ken_burns": kb, "trim_start": _num(v, "trim_start", 0, 86400, 0.0, at), "palette": palette,
              "text": _opt_str(v, "text", MAX_TEXT, at)}
    if kind == "material":
        index = v.get("material")
        if isinstance(index, bool) or not isinstance(index, int) or not 0 <= index < materials:
            most = f"0 to {materials - 1}" if materials else "none: this request gives no materials"
            raise _bad(f"{at}.material", f"the index of one of the request's materials ({most})")
        return EditedScene(text, EditedVisual(kind, material=index, **common))
    if kind == "generated":
        seed = v.get("seed")
        if seed is not None and (isinstance(seed, bool) or not isinstance(seed, int) or not 0 <= seed <= MAX_SEED):
            raise _bad(f"{at}.seed", f"a whole number from 0 to {MAX_SEED}")
        return EditedScene(text, EditedVisual(kind, prompt=_str(v, "prompt", MAX_PROMPT, at), seed=seed, **common))
    return EditedScene(text, EditedVisual(kind, **common))


def edit_dict(scenes: tuple[EditedScene, ...]) -> dict[str, Any]:
    """The validated scenes as JSON again (what the job keeps in its params). Example:
    ``read_edit(edit_dict(scenes), n) == scenes``."""
    out = []
    for s in scenes:
        v = s.visual
        visual: dict[str, Any] = {"kind": v.kind, "trim_start": v.trim_start, "palette": list(v.palette)}
        if v.ken_burns is not None:
            visual["ken_burns"] = {k: getattr(v.ken_burns, k) for k in KenBurns.__dataclass_fields__}
        for name in ("material", "prompt", "seed", "text"):
            if getattr(v, name) is not None:
                visual[name] = getattr(v, name)
        out.append({"text": s.text, "visual": visual})
    return {"version": 1, "scenes": out}
