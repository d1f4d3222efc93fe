"""media.probe over clips the bundled ffmpeg makes: both readers (PyAV, ffmpeg -i) agree, garbage is a clear 400."""

from pathlib import Path

import numpy as np
import pytest

from noxus_local.errors import InvalidMedia
from noxus_local.media import probe as probe_module
from noxus_local.media.ffmpeg import run_ffmpeg
from noxus_local.media.probe import MediaInfo, probe
from noxus_local.runtime.cancel import CancelToken

BACKENDS = ["pyav", "ffmpeg"]


def ffmpeg(*args: str) -> None:
    run_ffmpeg(list(args), CancelToken())


@pytest.fixture(scope="module")
def media(tmp_path_factory) -> dict[str, Path]:
    d = tmp_path_factory.mktemp("media")
    clip = d / "video_audio.mp4"
    ffmpeg("-f", "lavfi", "-i", "testsrc=size=320x240:rate=25:duration=2", "-f", "lavfi", "-i",
           "sine=frequency=440:sample_rate=44100:duration=2", "-c:v", "libx264", "-preset", "ultrafast",
           "-pix_fmt", "yuv420p", "-c:a", "aac", "-ac", "2", "-movflags", "+faststart", "-shortest", str(clip))
    # a phone video: stored landscape, shown portrait through the display matrix
    ffmpeg("-display_rotation", "90", "-i", str(clip), "-c", "copy", str(d / "rotated.mp4"))
    ffmpeg("-display_rotation", "-90", "-i", str(clip), "-c", "copy", str(d / "rotated_cw.mp4"))
    ffmpeg("-f", "lavfi", "-i", "sine=sample_rate=16000:duration=1.5", "-ac", "1", str(d / "audio_only.wav"))
    ffmpeg("-f", "lavfi", "-i", "sine=duration=1", "-af", "aformat=channel_layouts=5.1", str(d / "surround.wav"))
    ffmpeg("-f", "lavfi", "-i", "testsrc=size=64x48", "-frames:v", "1", "-f", "image2", "-c:v", "png",
           str(d / "image_as_video.mp4"))
    # a song with its cover art: FFmpeg lists the picture as a video stream
    ffmpeg("-f", "lavfi", "-i", "sine=duration=1", "-i", str(d / "image_as_video.mp4"), "-map", "0", "-map", "1",
           "-c:a", "libmp3lame", "-c:v", "png", "-disposition:v", "attached_pic", str(d / "song_with_cover.mp3"))
    data = clip.read_bytes()
    (d / "truncated.mp4").write_bytes(data[: len(data) // 2])
    tail = d / "moov_at_end.mp4"
    ffmpeg("-i", str(clip), "-c", "copy", str(tail))  # no faststart: the moov index is the last atom
    whole = tail.read_bytes()
    (d / "moov_missing.mp4").write_bytes(whole[: whole.rindex(b"moov") - 4])
    (d / "zero_bytes.mp4").write_bytes(b"")
    (d / "random_bytes.mp4").write_bytes(np.random.default_rng(3).bytes(65536))
    (d / "text_renamed.mp4").write_text("hola, esto no es un video\n" * 10)
    return {p.stem: p for p in d.iterdir()}


@pytest.mark.parametrize("backend", BACKENDS)
def test_video_with_audio(media, backend):
    info = probe(media["video_audio"], backend)
    assert info.container == "mov,mp4,m4a,3gp,3g2,mj2"
    assert info.duration == pytest.approx(2.0, abs=0.05)
    assert info.size_bytes == media["video_audio"].stat().st_size
    assert info.bit_rate and 100_000 < info.bit_rate < 1_000_000
    video, audio = info.require_video(), info.require_audio()
    assert (video.kind, video.codec, video.width, video.height, video.fps, video.rotation) == (
        "video", "h264", 320, 240, 25.0, 0)
    assert (audio.kind, audio.codec, audio.sample_rate, audio.channels) == ("audio", "aac", 44100, 2)
    assert video.bit_rate and audio.bit_rate


@pytest.mark.parametrize("backend", BACKENDS)
def test_rotation_comes_from_the_display_matrix(media, backend):
    left, right = probe(media["rotated"], backend).video, probe(media["rotated_cw"], backend).video
    assert left is not None and right is not None
    assert (left.rotation, right.rotation) == (90, 270)
    assert left.display_size == (240, 320) and (left.width, left.height) == (320, 240)


@pytest.mark.parametrize("backend", BACKENDS)
def test_audio_only_has_no_video(media, backend):
    info = probe(media["audio_only"], backend)
    assert (info.container, info.duration) == ("wav", 1.5)
    assert info.require_audio().sample_rate == 16000 and info.audio.channels == 1
    with pytest.raises(InvalidMedia) as err:
        info.require_video()
    assert err.value.message == probe_module.NO_VIDEO and err.value.details == {"reason": "no_video_stream"}
    assert probe(media["surround"], backend).audio.channels == 6


@pytest.mark.parametrize("backend", BACKENDS)
def test_cover_art_is_not_a_video(media, backend):
    info = probe(media["song_with_cover"], backend)
    assert [(s.kind, s.attached_pic) for s in info.streams] == [("audio", False), ("video", True)]
    assert info.video is None and info.require_audio().codec == "mp3"
    with pytest.raises(InvalidMedia, match=probe_module.NO_VIDEO):
        info.require_video()


@pytest.mark.parametrize("backend", BACKENDS)
def test_an_image_is_not_a_video(media, backend):
    info = probe(media["image_as_video"], backend)
    assert info.is_image and info.duration is None and info.video.width == 64
    with pytest.raises(InvalidMedia) as err:
        info.require_video()
    assert err.value.message == probe_module.IMAGE_NOT_VIDEO and err.value.status == 400


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize(("name", "sentence", "reason"), [
    ("zero_bytes", probe_module.EMPTY, "empty"),
    ("truncated", probe_module.TRUNCATED, "truncated"),
    ("random_bytes", probe_module.NOT_MEDIA, None),
    ("text_renamed", probe_module.NOT_MEDIA, None),
    ("moov_missing", probe_module.NOT_MEDIA, None),
])
def test_broken_files_are_invalid_media_with_a_clear_sentence(media, backend, name, sentence, reason):
    with pytest.raises(InvalidMedia) as err:
        probe(media[name], backend)
    assert (err.value.status, err.value.code, err.value.message) == (400, "invalid_media", sentence)
    if reason is not None:
        assert err.value.details["reason"] == reason
    assert str(media[name].parent) not in str(err.value.details)  # no local path leaks to the client


def test_auto_uses_pyav_and_gives_what_ffmpeg_gives(media):
    def facts(info: MediaInfo) -> list[tuple]:
        return [(s.kind, s.codec, s.width, s.height, s.fps, s.rotation, s.sample_rate, s.channels, s.attached_pic)
                for s in info.streams]

    for name in ("video_audio", "rotated", "audio_only", "surround", "song_with_cover"):
        auto, by_ffmpeg = probe(media[name]), probe(media[name], "ffmpeg")
        assert facts(auto) == facts(by_ffmpeg) and auto.container == by_ffmpeg.container, name
        assert auto.duration == pytest.approx(by_ffmpeg.duration, abs=0.01)
    # PyAV's bit rates are exact; ffmpeg -i prints kb/s
    assert probe(media["video_audio"]).bit_rate % 1000 != 0


def test_ffmpeg_report_without_input_names_the_cause():
    report = ("[in#0 @ 0x55d1cc1d0080] moov atom not found\n"
              "[in#0 @ 0x55d1cc1d0080] Error opening input: Invalid data found when processing input\n"
              "Error opening input file /srv/work/x.mp4.\n")
    with pytest.raises(InvalidMedia) as err:
        probe_module.parse_ffmpeg_report(report, 10)
    assert err.value.details == {"reason": "moov atom not found"}
