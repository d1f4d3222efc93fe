"""Pid files in the data dir, so ``restore`` can tell a server is using it.

``serve`` writes ``noxus.pid`` and each ``worker`` ``noxus-worker-<pid>.pid``;
both are removed at a clean exit. A file left by a killed process is stale:
its pid is not alive, or (on Linux) is now some other program.

Example::

    with pid_file(data_dir, "noxus.pid"):
        server.run()
    running_pids(data_dir)      # [] once it has exited
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from pathlib import Path

PATTERN = "noxus*.pid"


@contextlib.contextmanager
def pid_file(data_dir: Path, name: str) -> Iterator[Path]:
    path = data_dir / name
    data_dir.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".pid.tmp")
    tmp.write_text(f"{os.getpid()}\n")
    os.replace(tmp, path)
    try:
        yield path
    finally:
        with contextlib.suppress(FileNotFoundError):
            if path.read_text().strip() == str(os.getpid()):  # never remove another process's file
                path.unlink()


def running_pids(data_dir: Path) -> list[int]:
    """Pids from the data dir's pid files whose process is alive and is NOXUS Local."""
    pids = []
    for path in sorted(data_dir.glob(PATTERN)):
        try:
            pid = int(path.read_text().strip())
        except (OSError, ValueError):
            continue
        if pid != os.getpid() and is_alive(pid):
            pids.append(pid)
    return pids


def is_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # alive, owned by another user
        return True
    cmdline = Path(f"/proc/{pid}/cmdline")
    if cmdline.exists():  # a reused pid belongs to another program
        with contextlib.suppress(OSError):
            return b"noxus" in cmdline.read_bytes()
    return True
