"""ffmpeg as a child process that stops when its job stops.

Tools run ffmpeg through ``run_ffmpeg``: it starts the bundled binary
(imageio-ffmpeg) in its own process group, watches the job's cancel token
while it runs, and on cancel or Max-Processing-Time kills the whole group
(SIGTERM, then SIGKILL after a grace period) before raising, so no orphan
encoder keeps burning CPU after the job has ended.

Example::

    run_ffmpeg(["-f", "lavfi", "-i", "testsrc=d=3", "out.mp4"], ctx.cancel,
               progress=lambda seconds: ctx.progress(int(100 * seconds / 3), "encode"))
"""

from __future__ import annotations

import contextlib
import os
import re
import signal
import subprocess
import threading
from collections.abc import Callable
from typing import IO

import imageio_ffmpeg

from noxus_local.errors import InsufficientStorage, InvalidMedia
from noxus_local.runtime.cancel import CancelToken

_TIME_RE = re.compile(rb"time=(\d+):(\d+):(\d+(?:\.\d+)?)")
GRACE_SECONDS = 2.0
# strerror of ENOSPC, EDQUOT and EFBIG as ffmpeg prints them ("av_interleaved_write_frame(): No space left on
# device"): a write that failed for want of space is a 507 for the job, not 400 invalid_media (issue 17)
NO_SPACE = (b"No space left on device", b"Disk quota exceeded", b"File too large")


def ffmpeg_exe() -> str:
    return imageio_ffmpeg.get_ffmpeg_exe()


class FfmpegFailed(InvalidMedia):
    """ffmpeg exited non-zero: usually the input is not what it claims."""


def run_ffmpeg(args: list[str], cancel: CancelToken, progress: Callable[[float], None] | None = None,
               on_start: Callable[[int], None] | None = None, env: dict[str, str] | None = None,
               keep: int = 8192, feed: Callable[[IO[bytes]], None] | None = None) -> bytes:
    """Run ``ffmpeg -y -nostdin <args>``; raise on failure, cancel or timeout.

    ``feed`` writes ffmpeg's standard input (``-i pipe:0``: raw frames decoded by Pillow) from a thread of
    its own while stderr is drained here; without it stdin is closed.

    ``env`` replaces the environment (e.g. ``LibassFonts.env()``: fontconfig sees only our fonts).
    Returns the last ``keep`` bytes of stderr, where filters such as ``ebur128`` print their reports.
    """
    head = [ffmpeg_exe(), "-hide_banner", *([] if feed else ["-nostdin"]), "-y"]
    proc = subprocess.Popen([*head, *args], stdin=subprocess.PIPE if feed else subprocess.DEVNULL,
                            stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE, start_new_session=True, env=env)
    if on_start is not None:
        on_start(proc.pid)
    watcher = threading.Thread(target=_watch, args=(proc, cancel), daemon=True)
    watcher.start()
    feeder = None
    if feed is not None:
        feeder = threading.Thread(target=_feed, args=(proc, feed), daemon=True)
        feeder.start()
    tail = _drain(proc, progress, keep)
    code = proc.wait()
    watcher.join(timeout=GRACE_SECONDS + 1)
    if feeder is not None:
        feeder.join(timeout=GRACE_SECONDS + 1)
    cancel.check()  # a kill because of cancel/timeout raises the job's own error
    if code != 0:
        # the output could not be written: not the input's fault. SIGXFSZ is the kernel's word for a write
        # past the file-size limit (Popen restores its default action in the child, so ffmpeg dies of it)
        if code == -signal.SIGXFSZ or any(words in tail for words in NO_SPACE):
            raise InsufficientStorage()
        raise FfmpegFailed(details={"reason": _last_error(tail[-8192:])})
    return tail


def _feed(proc: subprocess.Popen[bytes], feed: Callable[[IO[bytes]], None]) -> None:
    """Write stdin, then close it; ffmpeg that died early (a cancel, bad input) closes the pipe: not ours to
    report, its exit code is."""
    assert proc.stdin is not None
    try:
        feed(proc.stdin)
    except (BrokenPipeError, ValueError, OSError):
        pass
    finally:
        with contextlib.suppress(OSError):
            proc.stdin.close()


def _watch(proc: subprocess.Popen[bytes], cancel: CancelToken) -> None:
    while proc.poll() is None:
        if cancel.wait(0.1):
            _kill_group(proc)
            return


def _kill_group(proc: subprocess.Popen[bytes]) -> None:
    try:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(GRACE_SECONDS)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
    except ProcessLookupError:
        pass


def _drain(proc: subprocess.Popen[bytes], progress: Callable[[float], None] | None, keep: int = 8192) -> bytes:
    """Read stderr as it comes (so ffmpeg never blocks on a full pipe); report time=."""
    assert proc.stderr is not None
    tail = b""
    for chunk in iter(lambda: proc.stderr.read1(4096), b""):  # type: ignore[union-attr]
        tail = (tail + chunk)[-keep:]
        times = _TIME_RE.findall(chunk)
        if times and progress is not None:
            h, m, s = times[-1]
            progress(int(h) * 3600 + int(m) * 60 + float(s))
    return tail


def _last_error(tail: bytes) -> str:
    lines = [ln.strip() for ln in tail.decode(errors="replace").splitlines() if ln.strip()]
    useful = [ln for ln in lines if not ln.startswith(("frame=", "size=", "Press"))]
    # keep the message, never a local path
    return re.sub(r"(/[^\s:]+)+", "<file>", useful[-1] if useful else "ffmpeg failed")[:300]

