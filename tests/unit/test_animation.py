"""media/animation.py: animated GIF and WebP (made here by Pillow) to H.264 MP4, judged by PyAV; the frame grid
from uneven frame durations; and a still refused."""

from __future__ import annotations

import io
from pathlib import Path

import av
import pytest
from PIL import Image

from noxus_local.media import animation
from noxus_local.runtime.cancel import CancelToken


def write(path: Path, kind: str, durations: list[int], size: tuple[int, int] = (97, 61)) -> Path:
    frames = [Image.new("RGB", size, (i * 40 % 256, 200, 255 - i * 40 % 256)) for i in range(len(durations))]
    buffer = io.BytesIO()
    if len(frames) == 1:
        frames[0].save(buffer, kind)
    else:
        frames[0].save(buffer, kind, save_all=True, append_images=frames[1:], duration=durations, loop=0)
    path.write_bytes(buffer.getvalue())
    return path


def decoded(path: Path) -> tuple[str, int, int, int, float]:
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        count = sum(1 for _ in container.decode(stream))
        return stream.codec_context.name, stream.width, stream.height, count, float(container.duration / 1e6)


def test_the_grid_shows_each_frame_for_its_duration():
    assert animation.grid([125, 250, 125], 8) == [0, 1, 1, 2]
    assert animation.grid([100] * 5, 10) == [0, 1, 2, 3, 4]
    assert animation.grid([], 10) == []
    assert animation.frame_ms(0) == 100 and animation.frame_ms(62.5) == 62 and animation.frame_ms(None) == 100
    assert animation.rate_for(62) == 16 and animation.rate_for(5000) == 1 and animation.rate_for(20) == 50


def test_an_animated_webp_with_uneven_durations_becomes_an_mp4_of_its_length(tmp_path: Path):
    src = write(tmp_path / "a.webp", "WEBP", [125, 250, 125, 500])  # 1 s on an 8 fps grid: 8 frames
    out = animation.to_mp4(src, tmp_path / "a.mp4", CancelToken())
    codec, width, height, frames, seconds = decoded(out)
    assert (codec, width, height, frames) == ("h264", 98, 62, 8) and abs(seconds - 1.0) < 0.05  # even sides


def test_an_animated_gif_becomes_an_mp4(tmp_path: Path):
    out = animation.to_mp4(write(tmp_path / "a.gif", "GIF", [100] * 6), tmp_path / "g.mp4", CancelToken())
    codec, width, height, frames, seconds = decoded(out)
    assert (codec, width, height) == ("h264", 98, 62) and frames >= 6 and abs(seconds - 0.6) < 0.1


@pytest.mark.parametrize("kind", ["GIF", "WEBP"])
def test_a_still_or_garbage_is_not_an_animation(tmp_path: Path, kind: str):
    with pytest.raises(animation.NotAnimated):
        animation.to_mp4(write(tmp_path / "s", kind, [100]), tmp_path / "s.mp4", CancelToken())
    (tmp_path / "junk").write_bytes(b"GIF89a" + b"\0" * 50)
    with pytest.raises(animation.NotAnimated):
        animation.to_mp4(tmp_path / "junk", tmp_path / "j.mp4", CancelToken())
    assert not (tmp_path / "s.mp4").exists()
