"""A picture for each planned scene: the user's materials first, then a generator, then a designed scene.

``match`` gives each scene one of the given materials and says why: every
material is used once before any is used again (so four materials over six
scenes show all four, then two again), and within each such round the scene
and material that share the most go together first — the scene's search terms
(in the script's language, plus the planner's English ones) against what our
analysis found in the material (its ImageNet tags and OCR text,
analysis/materials.py) and its file name, compared across languages by
compose/lexicon.py (``gato`` meets ``tabby cat``, ``cohete`` meets
``missile``). Ties, and scenes with nothing in common, take the materials in
the order given. ``Match.by`` is ``content``, ``name`` or ``order``.

``choose`` turns that into ``compose.Visual`` values: a material as it is (the
renderer trims, loops and crops videos and moves stills on a Ken Burns path);
without one, ``generate(prompt, width, height, seed) -> Path`` when a generator
is configured (the seam for image generators; a failure falls back and adds a
warning); else a designed scene (compose/designed.py), which never looks empty.

Example::

    picks = match_materials([("playa", "sol"), ("ciudad",)], [Material(p1, "ciudad-noche.jpg"),
                                                               Material(p2, "playa.mp4")])
    picks  # [1, 0]: the beach clip for the beach scene, the city for the city
    why = match([("gato",), ("taza", "café")], [Material(p3, "IMG_1.jpg", ("espresso", "cup")),
                                                Material(p4, "IMG_2.jpg", ("tabby cat",))])
    why[0]  # Match(index=1, by="content", terms=("gato",), found=("tabby cat",))
"""

from __future__ import annotations

import hashlib
import logging
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from noxus_local.compose import lexicon
from noxus_local.compose.timeline import Visual
from noxus_local.errors import JobCancelled, ProcessingTimeout, Text
from noxus_local.locale import t

log = logging.getLogger(__name__)
Generate = Callable[[str, int, int, int], Path]
_WORD = re.compile(r"[^\W_]+")


@dataclass(frozen=True)
class Material:
    path: Path
    name: str = ""  # the file name the client gave
    tags: tuple[str, ...] = field(default_factory=tuple)  # the tagger's labels, best first, when analysed
    text: str = ""  # the text OCR read in it, when analysed


@dataclass(frozen=True)
class Match:
    """Why a scene got its material: ``by`` ``content`` (the scene's terms met the material's tags or
    text), ``name`` (its file name) or ``order`` (nothing in common: the order given); ``terms`` the
    scene's terms that matched, ``found`` what of the material they met (labels, text words, name)."""

    index: int
    by: str
    terms: tuple[str, ...] = ()
    found: tuple[str, ...] = ()
    score: float = 0.0

    def as_dict(self) -> dict[str, object]:
        return {"by": self.by, "terms": list(self.terms), "found": list(self.found)}


def _name_stem(name: str) -> str:
    return Path(name).stem if name else ""


class _Known:
    """A material's keys (lexicon.keys: normalised words and concepts) with their weight and origin."""

    def __init__(self, material: Material, label_index: Mapping[str, int]) -> None:
        self.content: dict[str, tuple[float, str]] = {}
        for rank, label in enumerate(material.tags):
            weight = 1.0 / (1.0 + 0.5 * rank)  # the best label counts most
            for key in lexicon.label_keys(label, label_index.get(label)):
                if weight > self.content.get(key, (0.0, ""))[0]:
                    self.content[key] = (weight, label)
        for word in _WORD.findall(material.text):
            for key in lexicon.keys(word):
                self.content.setdefault(key, (1.0, word))
        self.stem = _name_stem(material.name)
        self.name = lexicon.keys(self.stem)


TEXT_WEIGHT = 0.5  # a word of the scene's text that is not one of its search terms counts half


def _score(terms: Sequence[str], known: _Known, index: int, text: str = "") -> Match:
    """How well one scene's terms (and, at half weight, the other words of its text) fit one material."""
    content = name = 0.0
    hit_terms: list[str] = []
    found: list[str] = []
    said = {k for term in terms for k in lexicon.keys(term)}
    extra = [w for w in _WORD.findall(text) if lexicon.keys(w) - said]
    for weight_of_term, term in [*((1.0, each) for each in terms), *((TEXT_WEIGHT, w) for w in extra)]:
        best_content, best_name, origin = 0.0, 0.0, ""
        for key in lexicon.keys(term):
            weight, label = known.content.get(key, (0.0, ""))
            if weight > best_content:
                best_content, origin = weight, label
            if key in known.name:
                best_name = 1.0
        if best_content or best_name:
            hit_terms.append(term)
            found.append(origin or known.stem)
        content += weight_of_term * best_content
        name += weight_of_term * best_name
    by = "content" if content else "name" if name else "order"
    return Match(index, by, tuple(dict.fromkeys(hit_terms)), tuple(dict.fromkeys(f for f in found if f)),
                 content + name)


def match(searches: Sequence[Sequence[str]], materials: Sequence[Material],
          labels: Sequence[str] | None = None, texts: Sequence[str] | None = None) -> list[Match | None]:
    """Per scene, its material and why (None when no materials are given).

    Scenes go in rounds of as many scenes as there are materials, and each round uses every
    material once (so each is used before any repeats). Within a round the best fitting
    (scene, material) pairs are taken first (across languages: lexicon.py), then the scenes left
    get the materials left in the order given. ``labels`` is the tagger's label list (labels.json),
    for the label families named by index (dog breeds, birds…); ``texts`` the scenes' texts, whose
    other words count half (a sentence planner's terms are its longest words: "atigrado", not "gato").
    """
    if not materials:
        return [None] * len(searches)
    label_index = {label: i for i, label in enumerate(labels or ())}
    known = [_Known(m, label_index) for m in materials]
    picks: list[Match | None] = [None] * len(searches)
    count = len(materials)
    for start in range(0, len(searches), count):
        scenes = range(start, min(start + count, len(searches)))
        scored = [_score(searches[s], known[m], m, texts[s] if texts else "") for s in scenes for m in range(count)]
        pairs = sorted(((scored[(s - start) * count + m], s) for s in scenes for m in range(count)),
                       key=lambda p: (-p[0].score, p[1], p[0].index))
        free = set(range(count))
        for found, s in pairs:
            if found.score > 0 and picks[s] is None and found.index in free:
                picks[s] = found
                free.discard(found.index)
        for s in scenes:
            if picks[s] is None:
                m = min(free)
                free.discard(m)
                picks[s] = Match(m, "order")
    return picks


def match_materials(searches: Sequence[Sequence[str]], materials: Sequence[Material],
                    labels: Sequence[str] | None = None) -> list[int | None]:
    """Per scene, the index of its material (None when no materials are given): ``match`` without the why."""
    return [None if m is None else m.index for m in match(searches, materials, labels)]


@dataclass(frozen=True)
class Chosen:
    visual: Visual
    source: str | None  # what the result names: the material's file name, the generator, or None
    warning: str | None = None


def scene_seed(prompt: str) -> int:
    """A generator's seed from the scene's visual description: the same description, the same picture
    (and the same cache entry on a re-render, wherever the scene moved). Example: ``scene_seed("un faro")``
    is the same number on every run, below 2**31."""
    return int.from_bytes(hashlib.sha256(prompt.encode("utf-8", "surrogatepass")).digest()[:4], "big") >> 1


def choose(index: int, prompt: str, material: Material | None, size: tuple[int, int],
           generate: Generate | None = None, workdir: Path | None = None, seed: int | None = None) -> Chosen:
    """One scene's visual. ``generate`` gets the scene's visual description and ``seed`` (default: the
    index + 1). A generator failure is a designed scene and a warning (a ``GeneratorError``'s own
    bilingual message); a cancelled or timed-out job is not a failure of the generator: it raises."""
    if material is not None:
        return Chosen(Visual("material", material.path), material.name or material.path.name)
    if generate is not None:
        try:
            path = generate(prompt, size[0], size[1], index + 1 if seed is None else seed)
            if workdir is not None and not Path(path).resolve().is_relative_to(workdir.resolve()):
                raise ValueError("the generator wrote outside the job's folder")
            return Chosen(Visual("generated", Path(path)), Path(path).name)
        except (JobCancelled, ProcessingTimeout):
            raise
        except Exception as exc:  # noqa: BLE001 - any generator failure is a designed scene and a warning
            log.info("scene %d: image generator failed (%s); designed scene instead", index, type(exc).__name__)
            said = getattr(exc, "message", None)
            if isinstance(said, Text):
                return Chosen(Visual("designed"), None, t("visuals.scene_designed_scene_was", index=index, said=said))
            return Chosen(Visual("designed"), None,
                          f"scene {index}: the image generator failed ({type(exc).__name__}); a designed scene "
                          "was used")
    return Chosen(Visual("designed"), None)
