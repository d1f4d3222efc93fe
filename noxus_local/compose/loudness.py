"""The narration's loudness, measured once so the render can normalise it linearly (EBU R128).

``loudnorm`` in one pass works in 3 s windows and rides the gain (pumping on
short narrations); measured first, it applies one gain to reach the target
(``linear=true``), which keeps the voice natural. The measuring pass reads
only the audio: ~0.1 s for a minute of speech.

Example::

    voice = measure(Path("narration.wav"), cancel)
    voice.integrated                          # -21.3 (LUFS)
    voice.filter(-16.0)                       # "loudnorm=I=-16.0:TP=-1.5:LRA=11:measured_I=-21.3:...:linear=true"
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path

from noxus_local.media.ffmpeg import run_ffmpeg
from noxus_local.runtime.cancel import CancelToken

TRUE_PEAK = -1.5
RANGE = 11.0
_JSON = re.compile(rb"\{[^{}]*\"input_i\"[^{}]*\}", re.S)


@dataclass(frozen=True)
class Loudness:
    integrated: float
    true_peak: float
    lra: float
    threshold: float

    def filter(self, target: float) -> str:
        return (f"loudnorm=I={target:.1f}:TP={TRUE_PEAK}:LRA={RANGE}:measured_I={self.integrated:.2f}"
                f":measured_TP={self.true_peak:.2f}:measured_LRA={self.lra:.2f}"
                f":measured_thresh={self.threshold:.2f}:linear=true")


def measure(audio: Path, cancel: CancelToken) -> Loudness | None:
    """The file's loudness, or None when it is silent (nothing to normalise)."""
    tail = run_ffmpeg(["-i", str(audio), "-vn", "-af", f"loudnorm=I=-16:TP={TRUE_PEAK}:LRA={RANGE}"
                       ":print_format=json", "-f", "null", "-"], cancel)
    found = _JSON.findall(tail)
    if not found:
        return None
    data = json.loads(found[-1])
    values = [float(data[k]) for k in ("input_i", "input_tp", "input_lra", "input_thresh")]
    if any(v != v or v in (float("inf"), float("-inf")) for v in values) or values[0] < -69:
        return None
    return Loudness(*values)
