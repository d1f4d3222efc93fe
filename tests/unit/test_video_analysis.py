"""Video analysis pieces on their own: the shot detector, the keyframe picker, the sound report.

The clips come from tests/video_clips.py (ffmpeg + espeak-ng), so the cut
times, the fade, the speech and the loudness are known by construction.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from noxus_local.analysis.scenes import Scene, SceneScores, detect, hsv_of, rgb_from_yuv
from noxus_local.analysis.soundtrack import extract, parse_loudness, parse_silences
from noxus_local.analysis.video import GridFrame, pick_keyframes, scan
from noxus_local.errors import InvalidMedia
from noxus_local.media.probe import MediaInfo, probe
from noxus_local.runtime.cancel import CancelToken
from noxus_local.tools.base import InputFile, Limits, ToolContext
from noxus_local.tools.video_analyze import VideoAnalyzeTool
from tests.video_clips import ffmpeg, shots_clip, tone_clip

FPS = 30


def scored(frames: list[tuple[float, float]], fps: int = FPS) -> SceneScores:
    """A score track from (content score, mean luma) per frame."""
    scores = SceneScores()
    for n, (score, luma) in enumerate(frames):
        scores.times.append(n / fps)
        scores.scores.append(score)
        scores.luma.append(luma)
    return scores


def test_hsv_is_on_opencvs_8_bit_scale() -> None:
    pixels = np.array([[[255, 0, 0], [0, 0, 255], [0, 255, 0], [128, 128, 128]]], dtype=np.uint8)
    hsv = hsv_of(Image.fromarray(pixels))
    assert hsv[0].tolist() == [[0, 255, 255], [120, 255, 255], [60, 255, 255], [0, 0, 128]]


def test_limited_range_yuv_becomes_full_range_rgb() -> None:
    y = np.array([[16, 235, 81]], dtype=np.uint8)
    u = np.array([[128, 128, 90]], dtype=np.uint8)
    v = np.array([[128, 128, 240]], dtype=np.uint8)
    rgb = np.asarray(rgb_from_yuv(y, u, v, full_range=False))
    assert rgb[0, 0].tolist() == [0, 0, 0] and rgb[0, 1].tolist() == [255, 255, 255]
    assert rgb[0, 2, 0] > 240 and rgb[0, 2, 1] < 15 and rgb[0, 2, 2] < 15  # BT.601 red


def test_a_cut_stands_out_of_its_neighbours_and_motion_does_not() -> None:
    # 2 s of steady motion (score 20) with one 60 at 1 s; then a pan of 35s (no cut: its neighbours are alike)
    frames = [(20.0, 100.0)] * 60 + [(35.0, 100.0)] * 30
    frames[30] = (60.0, 100.0)
    scenes = detect(scored(frames), duration=3.0)
    assert scenes == [Scene(0.0, 1.0, "start"), Scene(1.0, 3.0, "cut")]


def test_a_flash_shorter_than_min_scene_is_one_boundary() -> None:
    frames = [(0.0, 100.0)] * 90
    frames[30] = frames[35] = (80.0, 100.0)  # two cuts 1/6 s apart: the second is dropped
    scenes = detect(scored(frames), duration=3.0)
    assert [s.start for s in scenes] == [0.0, 1.0]


def test_a_fade_through_black_is_a_fade_boundary_in_the_middle_of_the_black() -> None:
    luma = [120.0] * 30 + list(np.linspace(120, 0, 15)) + [0.0] * 6 + list(np.linspace(0, 120, 15)) + [120.0] * 30
    frames = [(3.0, y) for y in luma]
    scenes = detect(scored(frames), duration=len(frames) / FPS)
    dark = [n for n, y in enumerate(luma) if y < 16]
    middle = (dark[0] + dark[-1] + 1) / 2 / FPS
    assert [s.transition for s in scenes] == ["start", "fade"]
    assert abs(scenes[1].start - middle) < 1 / FPS


def test_a_video_that_starts_black_has_no_boundary_there() -> None:
    frames = [(0.0, 0.0)] * 10 + [(2.0, 100.0)] * 50
    assert detect(scored(frames), duration=2.0) == [Scene(0.0, 2.0, "start")]


def test_keyframes_one_per_scene_plus_samples_without_repeats() -> None:
    grid = [GridFrame(t / 2, Path(f"{t}.jpg"), 64, 36) for t in range(20)]  # every 0.5 s over 10 s
    scenes = [Scene(0.0, 3.0, "start"), Scene(3.0, 3.6, "cut"), Scene(3.6, 10.0, "fade")]
    picks = pick_keyframes(scenes, grid, sample_every=None)
    assert [(p.frame.t, p.scene, p.reason) for p in picks] == [(1.5, 0, "scene"), (3.5, 1, "scene"),
                                                               (7.0, 2, "scene")]
    sampled = pick_keyframes(scenes, grid, sample_every=3.0)
    assert [(p.frame.t, p.reason) for p in sampled] == [(0.0, "sample"), (1.5, "scene"), (3.0, "sample"),
                                                        (3.5, "scene"), (6.0, "sample"), (7.0, "scene"),
                                                        (9.0, "sample")]


def test_ebur128_and_silencedetect_reports_are_read() -> None:
    report = """[Parsed_silencedetect_1 @ 0x1] silence_start: 2.999909
[Parsed_ebur128_0 @ 0x2] Summary:

  Integrated loudness:
    I:         -23.0 LUFS
    Threshold: -33.0 LUFS

  Loudness range:
    LRA:         4.2 LU

  True peak:
    Peak:       -inf dBFS
[Parsed_silencedetect_1 @ 0x1] silence_end: 5 | silence_duration: 2.000091
[Parsed_silencedetect_1 @ 0x1] silence_start: 7.5
"""
    assert parse_loudness(report) == {"standard": "EBU R128", "integrated_lufs": -23.0,
                                      "loudness_range_lu": 4.2, "true_peak_dbtp": None}
    assert parse_silences(report, 9.0) == [{"start": 3.0, "end": 5.0}, {"start": 7.5, "end": 9.0}]


@pytest.fixture(scope="module")
def clips(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("video-clips")


def test_skipping_non_reference_frames_keeps_the_shots_and_counts_every_frame(clips: Path) -> None:
    """The decoder skips x264's disposable B-frames (about half the decode of 720p); the cuts,
    the fade and the frame count must come out as with every frame decoded."""
    clip = shots_clip(clips / "skip.mp4", speech=False)
    info = probe(clip.path)
    every = scan(clip.path, info, CancelToken(), clips / "every", skip_nonref=False)
    skipped = scan(clip.path, info, CancelToken(), clips / "skipped")
    assert skipped.decoded < 0.8 * every.decoded and skipped.frames == every.frames == every.decoded
    full = detect(every.scores, info.duration or 0.0)
    fast = detect(skipped.scores, info.duration or 0.0)
    assert [s.transition for s in fast] == [s.transition for s in full]
    assert all(abs(a.start - b.start) <= 0.1 for a, b in zip(fast, full, strict=True)), (fast, full)
    assert len(skipped.grid) == len(every.grid)


def test_cuts_and_the_fade_of_a_built_clip_are_found_at_their_times(clips: Path) -> None:
    clip = shots_clip(clips / "shots.mp4", speech=False)
    info = probe(clip.path)
    frames = scan(clip.path, info, CancelToken(), clips / "frames")
    scenes = detect(frames.scores, info.duration or 0.0)
    found = {(round(s.start * 5) / 5, s.transition) for s in scenes[1:]}  # to 0.2 s
    assert len(scenes) == 1 + len(clip.cuts) + len(clip.fades)
    for truth, kind in [(t, "cut") for t in clip.cuts] + [(t, "fade") for t in clip.fades]:
        assert any(abs(s.start - truth) <= 0.2 and s.transition == kind for s in scenes), (truth, kind, found)
    assert frames.frames == int(clip.duration * FPS)
    assert len(frames.grid) == int(clip.duration / 0.5) and frames.grid[0].path.read_bytes()[:2] == b"\xff\xd8"


def test_a_minus_23_lufs_tone_reads_minus_23(clips: Path) -> None:
    tone = tone_clip(clips / "tone.mov", lufs=-23.0)
    loudness, silences, pcm = extract(tone, clips, CancelToken())
    assert abs(loudness["integrated_lufs"] - -23.0) <= 0.5, loudness
    assert loudness["loudness_range_lu"] < 1 and loudness["true_peak_dbtp"] == pytest.approx(-20.0, abs=0.5)
    assert silences == [] and len(pcm) == 6 * 16_000


def test_the_tool_reports_a_video_without_sound_and_refuses_audio_only(clips: Path) -> None:
    mute = clips / "mute.mp4"
    ffmpeg("-f", "lavfi", "-i", "testsrc=s=320x240:r=25:d=2", "-c:v", "libx264", "-preset", "ultrafast",
           "-pix_fmt", "yuv420p", str(mute))
    tool = VideoAnalyzeTool()
    files = {"video": _input(mute)}
    params = tool.typed(tool.validate({"features": "hash"}, files, Limits()))
    plan = tool.plan(params, files, Limits())
    # a queued job's ETA and its hold use the probed 2 s, not a 30 s guess, and the run probes no more
    assert plan.work_units == pytest.approx(2.0) and plan.units == pytest.approx(2.0)
    assert params.features == ["hash"] and plan.fact("probe", MediaInfo).duration == pytest.approx(2.0)
    work = clips / "work"
    work.mkdir()
    out = tool.execute(ToolContext(params, files, Limits(), work), plan)
    assert out.result["audio"] == {"present": False} and out.units == pytest.approx(2.0)
    assert out.result["probe"]["audio"] == {"present": False} and len(out.result["scenes"]) == 1
    assert [f.name for f in out.files()] == ["analysis", "keyframe-000"]
    sound = clips / "sound.m4a"
    ffmpeg("-f", "lavfi", "-i", "sine=d=1", str(sound))
    with pytest.raises(InvalidMedia):
        tool.plan(tool.typed(tool.validate({}, {"video": _input(sound)}, Limits())), {"video": _input(sound)},
                  Limits())


def _input(path: Path) -> InputFile:
    return InputFile(path, path.name, None, path.stat().st_size)


@pytest.mark.parametrize("degrees", [90, -90, 180])
def test_keyframes_of_a_phone_video_are_turned_as_ffmpeg_shows_them(clips: Path, degrees: int) -> None:
    still = clips / "corner.png"
    img = Image.new("RGB", (320, 180), "white")
    img.paste((255, 0, 0), (0, 0, 60, 40))
    img.save(still)
    plain, turned, shown = clips / "plain.mp4", clips / f"turned{degrees}.mp4", clips / f"shown{degrees}.png"
    ffmpeg("-loop", "1", "-t", "1", "-framerate", "25", "-i", str(still), "-c:v", "libx264", "-pix_fmt", "yuv420p",
           str(plain))
    ffmpeg("-display_rotation", str(degrees), "-i", str(plain), "-c", "copy", str(turned))
    ffmpeg("-i", str(turned), "-frames:v", "1", str(shown))  # ffmpeg autorotates: what players show
    frames = scan(turned, probe(turned), CancelToken(), clips / f"frames{degrees}")
    ours = np.asarray(Image.open(frames.grid[0].path).convert("RGB"), dtype=np.int16)
    theirs = np.asarray(Image.open(shown).convert("RGB"), dtype=np.int16)
    assert ours.shape == theirs.shape and np.abs(ours - theirs).mean() < 3


def test_times_count_from_the_first_frame_when_the_clock_starts_late(clips: Path) -> None:
    clip = shots_clip(clips / "late.mp4", speech=False)
    late = clips / "late.ts"
    ffmpeg("-i", str(clip.path), "-c", "copy", "-output_ts_offset", "30", "-f", "mpegts", str(late))
    info = probe(late)
    frames = scan(late, info, CancelToken(), clips / "late-frames")
    starts = [s.start for s in detect(frames.scores, info.duration or 0.0)[1:]]
    assert len(starts) == 4 and all(abs(a - b) <= 0.2 for a, b in zip(starts, sorted(clip.cuts + clip.fades),
                                                                        strict=True)), starts
    assert frames.grid[0].t == 0.0
