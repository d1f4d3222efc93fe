"""A virtual camera over face tracks: where the crop window sits at each sampled moment.

A pure function of the faces seen at a few frames a second. The camera is a
"heavy tripod" (openshorts' idea): it stays still while its subject's face is
within the dead zone (``dead_zone`` × the crop width from the crop's centre);
when the face leaves it, the camera pans to centre the face again, never faster
than ``max_speed`` crop widths a second, and keeps going until the face is
centred (hysteresis: it does not stop and start at the zone's edge). With
several faces the subject is the one that talks (mouth motion while there is
speech, ``Box.activity``), else the largest, most central one, and the camera
switches to another face only after that face has been the better subject for
``switch_seconds``. No face for more than ``lost_seconds`` → the sample is
unframed (the renderer shows the whole picture over a blurred copy). A shot
cut resets everything: the camera jumps to the new shot's subject.

Example::

    keys = camera_path([FaceSample(0.0, (Box(900, 200, 120, 160),)), ...], cuts=[], frame_width=1280,
                       crop_width=405, rules=CameraRules())
    keys[0]   # CameraKey(t=0.0, x=757.5, framed=True): the crop's left edge in source pixels
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class Box:
    x: float
    y: float
    w: float
    h: float
    activity: float = 0.0  # mouth motion while there is speech, 0–1 (clips/looking.py): the active-speaker cue

    @property
    def cx(self) -> float:
        return self.x + self.w / 2

    @property
    def area(self) -> float:
        return self.w * self.h


SPEAKER_WEIGHT = 3.0  # a fully active mouth counts as a face four times the size


@dataclass(frozen=True)
class FaceSample:
    t: float
    faces: tuple[Box, ...]


@dataclass(frozen=True)
class CameraRules:
    dead_zone: float = 0.25  # share of the crop width the face may drift from centre unnoticed
    max_speed: float = 0.6  # crop widths per second
    switch_seconds: float = 1.0
    lost_seconds: float = 1.0  # a face unseen this long: the shot is shown whole
    settle: float = 0.03  # a pan ends when the face is this close to centre (share of the crop width)

    @classmethod
    def from_settings(cls, settings: object) -> CameraRules:
        return cls(dead_zone=settings.dead_zone, max_speed=settings.max_speed,  # type: ignore[attr-defined]
                   switch_seconds=settings.switch_seconds)  # type: ignore[attr-defined]


@dataclass(frozen=True)
class CameraKey:
    t: float
    x: float  # the crop's left edge, source pixels
    framed: bool  # False: no face, the whole frame over a blurred copy


@dataclass
class _State:
    centre: float | None = None
    subject: Box | None = None
    rival: Box | None = None
    rival_since: float = 0.0
    last_seen: float = -1e9
    moving: bool = False


def _appeal(box: Box, frame_width: float) -> float:
    """Bigger and more central faces make better subjects, and one whose mouth moves while someone
    speaks (the active speaker) beats a larger silent one."""
    off = abs(box.cx - frame_width / 2) / (frame_width / 2)
    return box.area * (1.0 - 0.5 * off) * (1.0 + SPEAKER_WEIGHT * box.activity)


def _nearest(faces: Sequence[Box], to: Box) -> Box | None:
    near = min(faces, key=lambda b: abs(b.cx - to.cx))
    return near if abs(near.cx - to.cx) < max(to.w, near.w) * 1.5 else None


def _subject(state: _State, faces: Sequence[Box], t: float, frame_width: float, rules: CameraRules) -> Box:
    best = max(faces, key=lambda b: _appeal(b, frame_width))
    current = _nearest(faces, state.subject) if state.subject is not None else None
    if current is None:
        state.rival = None
        return best
    if best is current or _appeal(best, frame_width) <= _appeal(current, frame_width):
        state.rival = None
        return current
    if state.rival is None or _nearest([best], state.rival) is None:
        state.rival, state.rival_since = best, t
    state.rival = best
    return best if t - state.rival_since >= rules.switch_seconds else current


def _clamp(centre: float, frame_width: float, crop_width: float) -> float:
    return min(max(centre, crop_width / 2), frame_width - crop_width / 2)


def _pan(state: _State, target: float, dt: float, crop_width: float, rules: CameraRules) -> float:
    assert state.centre is not None
    offset = target - state.centre
    if abs(offset) > rules.dead_zone * crop_width:
        state.moving = True
    if state.moving and abs(offset) <= rules.settle * crop_width:
        state.moving = False
    if not state.moving:
        return state.centre
    step = rules.max_speed * crop_width * dt
    return state.centre + max(-step, min(step, offset))


def camera_path(samples: Sequence[FaceSample], cuts: Sequence[float], frame_width: float, crop_width: float,
                rules: CameraRules = CameraRules()) -> list[CameraKey]:
    """One key per sample, in time order."""
    state = _State()
    keys: list[CameraKey] = []
    prev_t: float | None = None
    for sample in sorted(samples, key=lambda s: s.t):
        cut = next((c for c in cuts if prev_t is not None and prev_t < c <= sample.t), None)
        if cut is not None:
            state = _State()
        dt = 0.0 if prev_t is None else sample.t - prev_t
        prev_t = sample.t
        if sample.faces:
            state.subject = _subject(state, sample.faces, sample.t, frame_width, rules)
            state.last_seen = sample.t
            target = _clamp(state.subject.cx, frame_width, crop_width)
            state.centre = target if state.centre is None else _pan(state, target, dt, crop_width, rules)
        framed = state.centre is not None and sample.t - state.last_seen <= rules.lost_seconds
        centre = state.centre if state.centre is not None else frame_width / 2
        key = CameraKey(sample.t, round(_clamp(centre, frame_width, crop_width) - crop_width / 2, 2), framed)
        if cut is not None and keys:  # a jump at the cut itself, not a pan across the sampling interval
            keys += [CameraKey(max(keys[-1].t, cut - 0.001), keys[-1].x, keys[-1].framed),
                     CameraKey(cut, key.x, key.framed)]
        keys.append(key)
    return keys


def simplify(keys: Sequence[CameraKey], tolerance: float = 0.5) -> list[CameraKey]:
    """Drop keys that lie on the line between their neighbours (a still camera is two keys)."""
    out: list[CameraKey] = []
    for i, key in enumerate(keys):
        if 0 < i < len(keys) - 1 and out:
            a, b = out[-1], keys[i + 1]
            same = a.framed == key.framed == b.framed
            span = b.t - a.t
            expected = a.x + (b.x - a.x) * (key.t - a.t) / span if span > 0 else a.x
            if same and abs(expected - key.x) <= tolerance:
                continue
        out.append(key)
    return out


def motion(keys: Sequence[CameraKey], start: float, end: float, crop_width: float) -> dict[str, float]:
    """What the camera did inside ``[start, end]``: its fastest pan (crop widths a second, a cut's
    jump excluded), how far it travelled, and the share of keys with a face framed.

    Example: a still camera → ``{"max_speed": 0.0, "travel": 0.0, "framed_share": 1.0}``.
    """
    inside = [k for k in keys if start <= k.t <= end]
    pans = [(abs(b.x - a.x) / (b.t - a.t), abs(b.x - a.x)) for a, b in zip(inside, inside[1:], strict=False)
            if b.t - a.t > 0.01]
    return {"max_speed": round(max((s for s, _ in pans), default=0.0) / crop_width, 3),
            "travel": round(sum(d for _, d in pans) / crop_width, 3),
            "framed_share": round(sum(k.framed for k in inside) / len(inside), 3) if inside else 0.0}
