"""``probe(path) -> MediaInfo``: what an audio or video file holds, or a clear 400.

Every audio/video tool probes its input before any money moves: the price
estimate uses ``duration``, the limits use it and the frame size, and garbage
(zero bytes, random bytes, a text file named ``.mp4``, an MP4 whose ``moov``
index is missing or whose data was cut off) is refused as ``invalid_media``
with a sentence that says what is wrong, in well under a second.

Two readers give the same ``MediaInfo`` (scripts/bench/bench_probe.py measures
both): PyAV (``av``: FFmpeg's libraries in-process, the default) and the
bundled ``ffmpeg -i`` with its stderr parsed (no ffprobe is bundled; kept as
the fallback where ``av`` cannot be imported). Encoding and libass burn-in
stay with the ffmpeg executable either way.

Example::

    info = probe(Path("clip.mp4"))
    info.duration, info.video.width, info.video.rotation      # 12.5, 1080, 90
    info.require_video()                                        # InvalidMedia for audio or an image
"""

from __future__ import annotations

import re
import subprocess
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path
from typing import Any

from noxus_local.errors import InvalidMedia
from noxus_local.locale import t

PROBE_TIMEOUT_SECONDS = 15
# containers FFmpeg reports for a single still image read as "video"
IMAGE_CONTAINERS = re.compile(r"^(image2|.*_pipe)$")
# an MP4/MOV index states every sample's size: file data this far short of it was cut off
TRUNCATION_SLACK = 0.9

NOT_MEDIA = t("probe.not_media")
EMPTY = t("probe.empty")
TRUNCATED = t("probe.truncated")
NO_VIDEO = t("probe.no_video")
NO_AUDIO = t("probe.no_audio")
IMAGE_NOT_VIDEO = t("probe.image_not_video")
TOO_SLOW = t("probe.too_slow")


@dataclass(frozen=True)
class StreamInfo:
    """One stream. ``rotation`` is the display matrix's angle (0, 90, 180, 270)."""

    index: int
    kind: str  # "video" | "audio" | "subtitle" | "data" | "attachment"
    codec: str
    bit_rate: int | None = None
    width: int | None = None
    height: int | None = None
    fps: float | None = None
    rotation: int = 0
    sample_rate: int | None = None
    channels: int | None = None
    attached_pic: bool = False  # cover art of an audio file: a "video" stream that is one picture

    @property
    def display_size(self) -> tuple[int, int] | None:
        """Width × height as shown: a phone video stored 1920×1080 at rotation 90 shows 1080×1920."""
        if self.width is None or self.height is None:
            return None
        return (self.height, self.width) if self.rotation in (90, 270) else (self.width, self.height)


@dataclass(frozen=True)
class MediaInfo:
    container: str  # FFmpeg's demuxer name, e.g. "mov,mp4,m4a,3gp,3g2,mj2", "wav", "png_pipe"
    duration: float | None  # seconds; None for a still image
    bit_rate: int | None
    size_bytes: int
    streams: tuple[StreamInfo, ...] = field(default_factory=tuple)

    @property
    def video(self) -> StreamInfo | None:
        """The first real video stream (an MP3's cover art is not one)."""
        return next((s for s in self.streams if s.kind == "video" and not s.attached_pic), None)

    @property
    def audio(self) -> StreamInfo | None:
        return next((s for s in self.streams if s.kind == "audio"), None)

    @property
    def is_image(self) -> bool:
        return bool(IMAGE_CONTAINERS.match(self.container)) and not self.duration

    def require_video(self) -> StreamInfo:
        """The video stream, or ``invalid_media`` for audio-only files and still images."""
        if self.is_image:
            raise InvalidMedia(IMAGE_NOT_VIDEO, details={"reason": "image", "container": self.container})
        if self.video is None:
            raise InvalidMedia(NO_VIDEO, details={"reason": "no_video_stream"})
        return self.video

    def require_audio(self) -> StreamInfo:
        if self.audio is None:
            raise InvalidMedia(NO_AUDIO, details={"reason": "no_audio_stream"})
        return self.audio


def probe(path: Path, backend: str = "auto") -> MediaInfo:
    """Read ``path``'s container and streams; raise ``InvalidMedia`` for anything else.

    ``backend`` is ``"pyav"``, ``"ffmpeg"`` or ``"auto"`` (PyAV when importable).
    Example: ``probe(Path("a.wav")).audio.sample_rate == 16000``.
    """
    size = path.stat().st_size
    if size == 0:
        raise InvalidMedia(EMPTY, details={"reason": "empty"})
    if backend == "auto":
        backend = "pyav" if _have_pyav() else "ffmpeg"
    info = probe_pyav(path, size) if backend == "pyav" else probe_ffmpeg(path, size)
    if not info.streams:
        raise InvalidMedia(NOT_MEDIA, details={"reason": "no_streams"})
    _refuse_truncated(info)
    return info


def _have_pyav() -> bool:
    try:
        import av  # noqa: F401
    except ImportError:
        return False
    return True


def _refuse_truncated(info: MediaInfo) -> None:
    """An MP4/MOV whose data ends before what its index declares was cut off.

    Both readers accept such a file (the index at the front is intact) and
    decoding fails later, after the money moved; the index's per-stream bit
    rates are exact, so the expected size is known without decoding.
    """
    if "mp4" not in info.container and "mov" not in info.container:
        return
    rates = [s.bit_rate for s in info.streams if s.kind in ("video", "audio")]
    if not info.duration or not rates or None in rates:
        return
    expected = sum(r for r in rates if r) * info.duration / 8
    if info.size_bytes < expected * TRUNCATION_SLACK:
        raise InvalidMedia(TRUNCATED, details={"reason": "truncated", "size_bytes": info.size_bytes,
                                               "expected_bytes": int(expected)})


# --- PyAV ----------------------------------------------------------------------------------------

def probe_pyav(path: Path, size: int) -> MediaInfo:
    """FFmpeg's demuxer in-process. The display matrix is read from the first decoded frame
    (PyAV exposes no stream side data), so a rotated phone video costs one frame's decode."""
    import av

    try:
        with av.open(str(path), timeout=PROBE_TIMEOUT_SECONDS) as container:
            streams = tuple(_pyav_stream(container, s) for s in container.streams)
            duration = container.duration / 1_000_000 if container.duration else None
            return MediaInfo(container.format.name, duration, container.bit_rate or None, size, streams)
    except (av.FFmpegError, UnicodeDecodeError) as exc:
        raise InvalidMedia(NOT_MEDIA, details={"reason": _av_reason(exc)}) from None


def _pyav_stream(container: Any, stream: Any) -> StreamInfo:
    import av

    ctx = stream.codec_context
    common = {"index": stream.index, "kind": stream.type, "codec": _codec_name(ctx),
              "bit_rate": ctx.bit_rate or None}
    if stream.type == "video":
        rate = stream.average_rate or stream.guessed_rate
        cover = bool(stream.disposition & av.stream.Disposition.attached_pic)
        return StreamInfo(**common, width=ctx.width or None, height=ctx.height or None,
                          fps=round(float(rate), 3) if rate and not cover else None, attached_pic=cover,
                          rotation=0 if cover else _pyav_rotation(container, stream))
    if stream.type == "audio":
        return StreamInfo(**common, sample_rate=ctx.sample_rate or None, channels=ctx.channels or None)
    return StreamInfo(**common)


def _codec_name(ctx: Any) -> str:
    # the codec, not the decoder: "mp3" rather than "mp3float", as ffmpeg -i prints it
    return str(getattr(ctx.codec, "canonical_name", None) or ctx.name)


def _pyav_rotation(container: Any, stream: Any) -> int:
    try:
        frame = next(container.decode(stream), None)
    except Exception:  # a stream that cannot decode one frame still has its header facts
        return 0
    return _normalise_rotation(getattr(frame, "rotation", 0) or 0)


def _av_reason(exc: Exception) -> str:
    text = str(exc)
    # keep FFmpeg's words, never a local path
    return re.sub(r":\s*'[^']*'$", "", re.sub(r"^\[Errno -?\d+\]\s*", "", text))[:200]


# --- ffmpeg -i -----------------------------------------------------------------------------------

_INPUT_RE = re.compile(r"^Input #0, (?P<fmt>.+), from '", re.M)
_DURATION_RE = re.compile(r"Duration: (?:(\d+):(\d+):(\d+(?:\.\d+)?)|N/A)(?:, start: [-\d.]+)?, bitrate: "
                          r"(?:(\d+) kb/s|N/A)")
_STREAM_RE = re.compile(r"^\s*Stream #0:(\d+)\S*: (Video|Audio|Subtitle|Data|Attachment): ([\w-]+)(.*)$")
_ROTATION_RE = re.compile(r"Display Matrix: rotation of (-?[\d.]+) degrees")
_LAYOUTS = {"mono": 1, "stereo": 2, "2.1": 3, "3.0": 3, "3.0(back)": 3, "quad": 4, "4.0": 4, "4.1": 5,
            "5.0": 5, "5.0(side)": 5, "5.1": 6, "5.1(side)": 6, "6.1": 7, "7.1": 8, "7.1(wide)": 8}


def probe_ffmpeg(path: Path, size: int) -> MediaInfo:
    """Parse ``ffmpeg -hide_banner -i PATH`` (it exits 1: no output given; the report is on stderr)."""
    from noxus_local.media.ffmpeg import ffmpeg_exe

    try:
        done = subprocess.run([ffmpeg_exe(), "-hide_banner", "-nostdin", "-i", str(path)],
                              capture_output=True, timeout=PROBE_TIMEOUT_SECONDS)
    except subprocess.TimeoutExpired:
        raise InvalidMedia(TOO_SLOW, details={"reason": "probe_timeout"}) from None
    return parse_ffmpeg_report(done.stderr.decode(errors="replace"), size)


def parse_ffmpeg_report(report: str, size: int) -> MediaInfo:
    """``ffmpeg -i``'s stderr → ``MediaInfo``. Example line it reads:
    ``Stream #0:0[0x1](und): Video: h264 (High) (avc1 / 0x31637661), yuv420p, 1920x1080, 30 fps``."""
    found = _INPUT_RE.search(report)
    if not found:
        raise InvalidMedia(NOT_MEDIA, details={"reason": _ffmpeg_reason(report)})
    duration, bit_rate = _ffmpeg_duration(report)
    streams: list[StreamInfo] = []
    for line in report[found.end():].splitlines():
        if (stream := _STREAM_RE.match(line)) is not None:
            streams.append(_ffmpeg_stream(*stream.groups()))
        elif (rotation := _ROTATION_RE.search(line)) is not None and streams:
            streams[-1] = _with_rotation(streams[-1], float(rotation.group(1)))
    return MediaInfo(found.group("fmt"), duration, bit_rate, size, tuple(streams))


def _ffmpeg_duration(report: str) -> tuple[float | None, int | None]:
    match = _DURATION_RE.search(report)
    if not match:
        return None, None
    h, m, s, kbps = match.groups()
    duration = int(h) * 3600 + int(m) * 60 + float(s) if h is not None else None
    return duration or None, int(kbps) * 1000 if kbps else None


def _ffmpeg_stream(index: str, kind: str, codec: str, rest: str) -> StreamInfo:
    kbps = re.search(r"(\d+) kb/s", rest)
    common: dict[str, Any] = {"index": int(index), "kind": kind.lower(), "codec": codec,
                              "bit_rate": int(kbps.group(1)) * 1000 if kbps else None}
    if kind == "Video":
        dims = re.search(r", (\d{1,5})x(\d{1,5})\b", rest)
        fps = re.search(r", ([\d.]+k?) fps", rest)
        cover = "(attached pic)" in rest
        return StreamInfo(**common, width=int(dims.group(1)) if dims else None,
                          height=int(dims.group(2)) if dims else None, attached_pic=cover,
                          fps=_fps(fps.group(1)) if fps and not cover else None)
    if kind == "Audio":
        rate = re.search(r", (\d+) Hz, ([^,]+)", rest)
        return StreamInfo(**common, sample_rate=int(rate.group(1)) if rate else None,
                          channels=_channels(rate.group(2)) if rate else None)
    return StreamInfo(**common)


def _fps(text: str) -> float:
    return float(text[:-1]) * 1000 if text.endswith("k") else float(text)


def _channels(layout: str) -> int | None:
    layout = layout.strip()
    if layout in _LAYOUTS:
        return _LAYOUTS[layout]
    counted = re.match(r"(\d+) channels", layout)
    return int(counted.group(1)) if counted else None


def _with_rotation(stream: StreamInfo, degrees: float) -> StreamInfo:
    from dataclasses import replace

    return replace(stream, rotation=_normalise_rotation(degrees))


def _normalise_rotation(degrees: float) -> int:
    """Any angle → 0/90/180/270, the way both FFmpeg readers state it (-90 is 270)."""
    return int(round(float(Fraction(degrees).limit_denominator(1000)) / 90)) % 4 * 90


def _ffmpeg_reason(report: str) -> str:
    """The line just before ffmpeg's generic "Error opening input", e.g. "moov atom not found"."""
    lines = [re.sub(r"^\[[^\]]+ @ 0x[0-9a-f]+\]\s*", "", ln.strip()) for ln in report.splitlines() if ln.strip()]
    end = next((i for i, ln in enumerate(lines) if ln.startswith("Error opening input")), len(lines))
    cause = lines[end - 1] if end > 0 else (lines[0] if lines else "unreadable")
    # keep ffmpeg's words, never a local path
    return re.sub(r"(/[^\s:']+)+", "<file>", cause)[:200]
