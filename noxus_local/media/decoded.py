"""What was really decoded, against what the header claimed: the seconds a per-second tool charges.

A container's duration is a claim: an MKV's Duration element can say 110 s over
2 s of frames. The hold may be computed from it (nothing else is known before
the work), but the charge is what the tool decoded: audio samples read for the
speech tools, frames scanned for video analysis. When the two agree within
``TOLERANCE_FRACTION`` or ``TOLERANCE_SECONDS`` the probed duration stands (the
decode confirms it, and a last frame's worth of timestamp is no reason to move
a price the client was quoted); past both, the decoded seconds are charged and
the result carries a ``duration_mismatch`` warning.

Example::

    processed_seconds(110.0, 2.0)   # Processed(seconds=2.0, warning={"code": "duration_mismatch", ...})
    processed_seconds(12.0, 11.96)  # Processed(seconds=12.0, warning=None)
    wav_seconds(Path("audio.wav"))  # 2.0: samples in the file over its sample rate
"""

from __future__ import annotations

import wave
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from noxus_local.locale import t

TOLERANCE_FRACTION = 0.05
TOLERANCE_SECONDS = 0.5
MISMATCH = "duration_mismatch"
TRUNCATED = "content_truncated"


@dataclass(frozen=True)
class Processed:
    """The seconds to charge and, when the header disagreed with the content, the warning to show."""

    seconds: float
    warning: dict[str, Any] | None = None


def processed_seconds(probed: float | None, decoded: float) -> Processed:
    """Probed seconds when the decode confirms them, else the decoded ones with a warning.

    A file whose header gives no duration is simply charged what was decoded.
    Example: ``processed_seconds(None, 3.2).seconds == 3.2``.
    """
    if not probed:
        return Processed(decoded)
    gap = abs(probed - decoded)
    if gap <= TOLERANCE_SECONDS or gap <= TOLERANCE_FRACTION * probed:
        return Processed(probed)
    return Processed(decoded, mismatch_warning(probed, decoded))


def decode_limit(probed: float | None) -> float | None:
    """The most seconds a per-second tool may decode for what it held: the probe plus the tolerance.

    The hold (and so the charge, which ``jobs.finish`` caps at the hold) comes from the
    header, so a file whose header says 2 s over an hour of content would otherwise be
    processed for an hour at the price of 2 s. Decoders stop here instead (ffmpeg ``-t``,
    the frame scan's ``max_seconds``). None (no duration in the header): no bound here;
    the tier's own duration limit applies. Example: ``decode_limit(2.0) == 2.5``,
    ``decode_limit(100.0) == 105.0``.
    """
    if not probed:
        return None
    return probed + max(TOLERANCE_SECONDS, TOLERANCE_FRACTION * probed)


def truncated(limit: float | None, decoded: float) -> bool:
    """True when a decode ran into ``decode_limit``: the content went on past what the header claimed."""
    return limit is not None and decoded >= limit - 0.05


def truncated_warning(probed: float, limit: float) -> dict[str, Any]:
    """The result's warning when the content outlasts its header: only the held seconds were processed."""
    return {"code": TRUNCATED,
            "message": t("decoded.content_lasts_longer_than", probed=probed, limit=limit),
            "probed_seconds": round(probed, 3), "processed_seconds": round(limit, 3)}


def mismatch_warning(probed: float, decoded: float) -> dict[str, Any]:
    """The result's warning: both numbers, and what was charged."""
    return {"code": MISMATCH,
            "message": t("decoded.file_s_header_says", probed=probed, decoded=decoded),
            "probed_seconds": round(probed, 3), "decoded_seconds": round(decoded, 3)}


def add_warning(result: dict[str, Any], warning: dict[str, Any] | None) -> dict[str, Any]:
    """Append ``warning`` to ``result["warnings"]`` (created on first use); None adds nothing."""
    if warning is not None:
        result.setdefault("warnings", []).append(warning)
    return result


def wav_seconds(path: Path) -> float:
    """Seconds of PCM in a WAV ffmpeg wrote: its frame count over its rate, read from the data chunk."""
    with wave.open(str(path), "rb") as wav:
        return wav.getnframes() / wav.getframerate()
