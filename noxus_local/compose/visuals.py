"""A picture for each planned scene: the user's materials first, then a generator, then a designed scene.

``match_materials`` gives each scene one of the given materials: every material is
used once before any is used again (so four materials over six scenes show all
four, then two again), and among those least used the one whose name or known
tags share the most words with the scene's search terms, ties by the order they
were given — with nothing in common, the materials come in the order given.

``choose`` turns that into ``compose.Visual`` values: a material as it is (the
renderer trims, loops and crops videos and moves stills on a Ken Burns path);
without one, ``generate(prompt, width, height, seed) -> Path`` when a generator
is configured (the seam for image generators; a failure falls back and adds a
warning); else a designed scene (compose/designed.py), which never looks empty.

Example::

    picks = match_materials([("playa", "sol"), ("ciudad",)], [Material(p1, "ciudad-noche.jpg"),
                                                               Material(p2, "playa.mp4")])
    picks  # [1, 0]: the beach clip for the beach scene, the city for the city
"""

from __future__ import annotations

import hashlib
import logging
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from noxus_local.compose.timeline import Visual
from noxus_local.errors import JobCancelled, ProcessingTimeout, Text

log = logging.getLogger(__name__)
Generate = Callable[[str, int, int, int], Path]
_WORD = re.compile(r"[^\W_]+")


@dataclass(frozen=True)
class Material:
    path: Path
    name: str = ""  # the file name the client gave
    tags: tuple[str, ...] = field(default_factory=tuple)  # what analysis knows of it, when known

    def words(self) -> set[str]:
        return {w.lower() for text in (self.name, *self.tags) for w in _WORD.findall(text)}


def match_materials(searches: Sequence[Sequence[str]], materials: Sequence[Material]) -> list[int | None]:
    """Per scene, the index of its material (None when no materials are given)."""
    if not materials:
        return [None] * len(searches)
    uses = [0] * len(materials)
    words = [m.words() for m in materials]
    picks: list[int | None] = []
    for terms in searches:
        wanted = {w.lower() for term in terms for w in _WORD.findall(term)}
        fewest = min(uses)
        best = max((i for i in range(len(materials)) if uses[i] == fewest),
                   key=lambda i: (len(wanted & words[i]), -i))
        uses[best] += 1
        picks.append(best)
    return picks


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
                return Chosen(Visual("designed"), None, Text(f"escena {index}: {said}; se usó una escena diseñada",
                                                             f"scene {index}: {said.en}; a designed scene was used"))
            return Chosen(Visual("designed"), None,
                          f"scene {index}: the image generator failed ({type(exc).__name__}); a designed scene "
                          "was used")
    return Chosen(Visual("designed"), None)
