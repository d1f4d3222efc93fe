"""What a re-render can reuse: narration and visuals kept by the hash of what made them, per account.

Posting an edited ``timeline.json`` must not re-synthesise the scenes whose
text did not change, nor redraw a generated picture whose prompt did not
change (issue 20 item 5). Each piece is an *entry*: a folder made once by a
callback, named by the SHA-256 of the canonical JSON of everything that went
into it (text, voice, speed, engine version…), under
``<root>/<account>/<kind>/<key>/``. An entry appears whole or not at all (made
in a temporary folder, then renamed), a hit refreshes its time, and each
account's entries are bounded in bytes: the least recently used go first.
``prune`` (the retention job) drops entries unused for longer than the
retention. Entries are data of one account only: the account id is part of
the path, never of a key another account could compute.

Example::

    cache = PartCache(data_dir / "cache" / "compose", max_bytes=512 * 2**20)
    key = part_key("narration", text="Hola.", voice="ef_dora", speed=1.0)
    folder, hit = cache.get_or_make("acct_1", "narration", key, lambda out: speak_into(out))
    hit                              # False the first time, True for the same text, voice and speed
    cache.made                       # entries made by this instance (what a test counts)
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import threading
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

# logo, music_file: a render's files a re-render reuses; analysis: what a material shows (by its hash)
KINDS = ("narration", "visual", "logo", "music_file", "analysis")
_SAFE = re.compile(r"^[A-Za-z0-9_-]{1,80}$")
_KEY = re.compile(r"^[0-9a-f]{64}$")


def part_key(kind: str, **inputs: Any) -> str:
    """The SHA-256 of ``kind`` and the inputs as canonical JSON (sorted keys, no spaces).

    Example: ``part_key("narration", text="Hola.", voice="ef_dora", speed=1.0)`` is the same
    on every machine and run; any changed input gives another key.
    """
    canonical = json.dumps({"kind": kind, **inputs}, sort_keys=True, separators=(",", ":"), ensure_ascii=False,
                           default=str)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


class PartCache:
    """Entries by account, kind and key; bounded per account by ``max_bytes`` (0 = keep nothing)."""

    def __init__(self, root: Path, max_bytes: int) -> None:
        self.root = root
        self.max_bytes = max_bytes
        self.made = 0  # entries made (misses) since this instance was created
        self.hits = 0
        self._lock = threading.Lock()

    def get_or_make(self, account: str, kind: str, key: str, make: Callable[[Path], None]) -> tuple[Path, bool]:
        """The entry's folder and whether it was there already; ``make(folder)`` fills a new one.

        ``make`` raising leaves nothing behind. With ``max_bytes`` 0 the entry is made in a
        scratch folder the caller's job may read until the next call evicts it.
        """
        folder = self._folder(account, kind, key)
        if folder.is_dir():
            now = time.time()
            os.utime(folder, (now, now))
            self.hits += 1
            return folder, True
        folder.parent.mkdir(parents=True, exist_ok=True)
        scratch = folder.parent / f".{key}.{uuid.uuid4().hex}.tmp"
        scratch.mkdir()
        try:
            make(scratch)
            try:
                scratch.rename(folder)
            except OSError:  # another job made the same entry meanwhile: theirs is as good
                shutil.rmtree(scratch, ignore_errors=True)
        except BaseException:
            shutil.rmtree(scratch, ignore_errors=True)
            raise
        self.made += 1
        self._bound(account, keep=folder)
        return folder, False

    def size(self, account: str) -> int:
        """Bytes the account's entries hold."""
        return sum(size for _, _, size in self._entries(account))

    def prune(self, older_than_seconds: float, now: float | None = None) -> int:
        """Drop every entry unused for longer than this (the retention job); returns how many."""
        now = time.time() if now is None else now
        dropped = 0
        if not self.root.is_dir():
            return 0
        for account_dir in self.root.iterdir():
            for folder, used, _ in self._entries(account_dir.name):
                if now - used > older_than_seconds:
                    shutil.rmtree(folder, ignore_errors=True)
                    dropped += 1
            for stale in account_dir.glob("*/.*.tmp"):  # a make the process died in
                if now - stale.stat().st_mtime > older_than_seconds:
                    shutil.rmtree(stale, ignore_errors=True)
        return dropped

    def _folder(self, account: str, kind: str, key: str) -> Path:
        if not _SAFE.fullmatch(account) or kind not in KINDS or not _KEY.fullmatch(key):
            raise ValueError(f"not a cache entry: {account!r}/{kind!r}/{key!r}")
        return self.root / account / kind / key

    def _entries(self, account: str) -> list[tuple[Path, float, int]]:
        base = self.root / account
        found = []
        for kind in KINDS:
            for folder in (base / kind).glob("*") if (base / kind).is_dir() else ():
                if folder.is_dir() and _KEY.fullmatch(folder.name):
                    size = sum(f.stat().st_size for f in folder.rglob("*") if f.is_file())
                    found.append((folder, folder.stat().st_mtime, size))
        return found

    def _bound(self, account: str, keep: Path) -> None:
        """Drop the least recently used entries until the account is within ``max_bytes``; the entry
        just made is kept (its job reads it next), so one entry over the bound lasts until the next make."""
        with self._lock:
            entries = sorted(self._entries(account), key=lambda e: e[1])
            total = sum(size for _, _, size in entries)
            for folder, _, size in entries:
                if total <= self.max_bytes:
                    break
                if folder != keep:
                    shutil.rmtree(folder, ignore_errors=True)
                    total -= size
