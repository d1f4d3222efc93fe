"""The ffmpeg runner with the real bundled ffmpeg: success, bad input, and a kill on cancel."""

import os
import threading
import time

import pytest

from noxus_local.errors import JobCancelled, ProcessingTimeout
from noxus_local.media.ffmpeg import FfmpegFailed, run_ffmpeg
from noxus_local.media.probe import probe
from noxus_local.runtime.cancel import CancelToken


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # a zombie still answers kill(0); check its state
    with open(f"/proc/{pid}/stat") as fh:
        return fh.read().split()[2] != "Z"


def test_encodes_and_reports_progress(tmp_path):
    out = tmp_path / "a.mp4"
    seen: list[float] = []
    run_ffmpeg(["-f", "lavfi", "-i", "testsrc=size=160x120:rate=10:duration=1", "-c:v", "libx264",
                str(out)], CancelToken(), progress=seen.append)
    assert out.stat().st_size > 0
    assert 0.9 < probe(out).duration < 1.1


def test_bad_input_is_invalid_media_without_paths(tmp_path):
    bad = tmp_path / "bad.mp4"
    bad.write_bytes(b"not a video")
    with pytest.raises(FfmpegFailed) as err:
        run_ffmpeg(["-i", str(bad), str(tmp_path / "o.mp4")], CancelToken())
    assert err.value.code == "invalid_media" and str(tmp_path) not in str(err.value.details)


@pytest.mark.parametrize("reason,error", [("cancelled", JobCancelled), ("timeout", ProcessingTimeout)])
def test_cancel_kills_the_ffmpeg_child(tmp_path, reason, error):
    token = CancelToken()
    pids: list[int] = []
    threading.Timer(0.7, token.cancel, args=(reason,)).start()
    started = time.monotonic()
    with pytest.raises(error):
        run_ffmpeg(["-re", "-f", "lavfi", "-i", "testsrc=duration=60", "-f", "null", "-"], token,
                   on_start=pids.append)
    assert time.monotonic() - started < 5
    assert pids and not alive(pids[0])
