"""Burn-in with libass, checked by decoding frames (issue 10, item 1 and the evidence list)."""

from __future__ import annotations

from pathlib import Path

import av
import numpy as np
import pytest

from noxus_local import captions
from noxus_local.captions import styles
from noxus_local.captions.cues import CueRules, build_cues
from noxus_local.media.ffmpeg import run_ffmpeg
from noxus_local.media.probe import probe
from noxus_local.runtime.cancel import CancelToken
from noxus_local.speech.types import Segment, Word


@pytest.fixture(scope="module")
def clip(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("burn") / "clip.mp4"
    run_ffmpeg(["-f", "lavfi", "-i", "color=c=0x404040:s=320x240:d=4:r=25", "-f", "lavfi",
                "-i", "sine=f=440:d=4", "-c:v", "libx264", "-preset", "ultrafast", "-c:a", "aac",
                "-shortest", str(out)], CancelToken())
    return out


@pytest.fixture(scope="module")
def burned(clip: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    work = tmp_path_factory.mktemp("burned")
    words = tuple(Word(w, 1.0 + i * 0.4, 1.3 + i * 0.4, 0.9) for i, w in enumerate(["Hola", "mundo", "feliz."]))
    cues = build_cues([Segment(0, 1.0, 2.2, "", words, -0.1, 0.0)], CueRules(max_chars_per_line=32))
    style = styles.resolve_style("yellow_punch")
    seen: list[float] = []
    out = captions.burn(clip, cues, style, work / "out.mp4", cancel=CancelToken(), progress=seen.append)
    assert seen and all(0.0 <= f <= 1.0 for f in seen) and seen == sorted(seen)  # a fraction, never percent
    captions.preview(clip, cues, style, 1.5, work / "frame.png", cancel=CancelToken(), size=(320, 240))
    return out, work / "frame.png"


def _frames(path: Path, times: list[float]) -> dict[float, np.ndarray]:
    found: dict[float, np.ndarray] = {}
    with av.open(str(path)) as container:
        for frame in container.decode(video=0):
            t = float(frame.time)
            for want in times:
                if want not in found and t >= want:
                    found[want] = frame.to_ndarray(format="rgb24")
    return found


def _yellow(rgb: np.ndarray) -> int:
    r, g, b = (rgb[..., i].astype(int) for i in range(3))
    return int(((r > 200) & (g > 180) & (b < 90)).sum())


def test_captions_appear_only_during_cues_in_yellow(burned: tuple[Path, Path]) -> None:
    out, _ = burned
    frames = _frames(out, [0.5, 1.6, 3.7])
    caption = slice(120, 220)  # y=70 %: centred at 168 px of 240
    before, during, after = (frames[t][caption].astype(int) for t in (0.5, 1.6, 3.7))
    assert np.abs(during - before).mean() > 1.0
    assert np.abs(after - before).mean() < 0.05
    assert _yellow(frames[1.6]) > 200 and _yellow(frames[0.5]) == 0


def test_burn_keeps_size_and_audio(burned: tuple[Path, Path]) -> None:
    info = probe(burned[0])
    assert info.require_video().display_size == (320, 240) and info.require_video().codec == "h264"
    assert info.require_audio().codec == "aac"


def test_preview_frame_is_a_styled_png(burned: tuple[Path, Path]) -> None:
    with av.open(str(burned[1])) as container:
        rgb = next(container.decode(video=0)).to_ndarray(format="rgb24")
    assert rgb.shape == (240, 320, 3) and _yellow(rgb) > 200
