"""When the model store last changed: a cheap stamp that says whether a listing is still current.

Listing the models (``ModelRegistry.from_config(cfg).list_models()``) parses the manifest and stats
every declared file: ~8 ms of CPU, too much for ``GET /v1/models`` on every call. The stamp is the
manifest's and ``local-models.toml``'s (size, mtime), the models dir's mtime and each model folder's
(a file added, replaced or removed inside changes its folder's mtime), plus a counter this process
bumps, and the models dir's mtime that every fetch, ``models add`` and ``models remove`` touches
(``changed``), so another process (the CLI beside a running server) invalidates it too. One
``scandir`` of the models dir: tens of microseconds.

Example::

    before = stamp(models, manifest_file)
    changed(models)                        # after a fetch/add/remove through the registry
    stamp(models, manifest_file) != before
"""

from __future__ import annotations

import itertools
import os
from pathlib import Path
from typing import Any

__all__ = ["changed", "stamp"]

LOCAL_FILE = "local-models.toml"  # registry/local.py's record of ``models add`` (kept in step with it)

_generation = itertools.count(1)
_current = 0


def changed(models_dir: Path) -> None:
    """The store changed through our registry: bump this process's counter and touch the models dir
    (its mtime is what other processes see)."""
    global _current
    _current = next(_generation)
    try:
        os.utime(models_dir)
    except OSError:  # no models dir yet: nothing was installed, nothing is cached for it
        pass


def _file(path: Path | None) -> tuple[int, int] | None:
    if path is None:
        return None
    try:
        st = path.stat()
    except OSError:
        return None
    return st.st_size, st.st_mtime_ns


def stamp(models_dir: Path, manifest_file: Path | None) -> tuple[Any, ...]:
    """What a cached listing of ``models_dir`` against ``manifest_file`` was made from; equal stamps:
    nothing changed that the listing reads."""
    folders: list[tuple[str, int]] = []
    try:
        with os.scandir(models_dir) as entries:
            for entry in entries:
                try:
                    folders.append((entry.name, entry.stat(follow_symlinks=False).st_mtime_ns))
                except OSError:
                    continue
    except OSError:  # no models dir: nothing installed
        pass
    return (_current, str(manifest_file), _file(manifest_file), _file(models_dir / LOCAL_FILE), _file(models_dir),
            tuple(sorted(folders)))
