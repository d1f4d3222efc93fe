"""The auto-clip steps that join the rooms: score every candidate, then make one clip's files.

``score_candidates`` gives every window a heuristic hook, scores them all, then
asks the text model (when there is one) about the openings of the best
``llm_candidates`` and scores again; ``make_clip`` writes one clip's MP4 (one
ffmpeg pass), and returns its SRT, caption cues, camera summary and the
``result.clips`` entry. tools/auto_clip.py adapts a job to these.

Example::

    scored, warnings = score_candidates(windows, evidence, Weights(), HookPlan(5.0, 4, "en"), lambda: llm, token)
    clip = make_clip(source, 1, scored[0], frame, keys, transcript.words, ClipLook(style, True, "auto", 5.0),
                     workdir, token)
    clip.entry["viral_score"], clip.mp4
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from noxus_local.captions import subtitles
from noxus_local.captions.cues import cues_from_words
from noxus_local.captions.styles import CaptionStyle
from noxus_local.clips.camera import CameraKey, motion
from noxus_local.clips.candidates import Window
from noxus_local.clips.hook import MODEL_SHARE, heuristic_hook, judge_hook, opening
from noxus_local.clips.render import Framing, caption_rules, clip_ass, clip_words, render_clip
from noxus_local.clips.signals import Evidence, Hook, Scored, Weights, score_window
from noxus_local.media.fonts import prepare_fonts
from noxus_local.runtime.cancel import CancelToken
from noxus_local.speech.types import Word


@dataclass(frozen=True)
class HookPlan:
    seconds: float  # the opening judged
    llm_candidates: int  # openings the text model judges, best first
    language: str
    model_share: float = MODEL_SHARE  # the model's part of the hook, the rest the rules' ([clips] hook_model_share)


@dataclass(frozen=True)
class ClipLook:
    style: CaptionStyle
    captions: bool
    hook_title: str | None  # None, "auto" (the hook line) or the caller's text
    title_seconds: float


@dataclass(frozen=True)
class ClipFiles:
    mp4: Path
    srt: str
    cues: list[dict[str, Any]]
    entry: dict[str, Any]  # the result.clips item


def score_candidates(windows: Sequence[Window], evidence: Evidence, weights: Weights, plan: HookPlan,
                     llm: Callable[[], Any], cancel: CancelToken) -> tuple[list[Scored], list[str]]:
    """(every window scored, warnings): the heuristic hook everywhere, the model's on the best openings;
    ``llm`` is called once, only when the model is wanted (``llm_candidates`` > 0 and ``model_share`` > 0),
    and may give None (not installed)."""
    hooks: dict[float, Hook] = {}
    for w in windows:
        hooks.setdefault(w.start, heuristic_hook(opening(w, plan.seconds)))
    scored = [score_window(w, hooks[w.start], evidence, weights) for w in windows]
    starts = list(dict.fromkeys(s.window.start for s in sorted(scored, key=lambda s: -s.score)))
    ask = starts[:plan.llm_candidates] if plan.model_share > 0 else []  # share 0: the rules alone, no model
    if not ask:
        return scored, []
    model = llm()
    warnings: list[str] = []
    by_start = {w.start: w for w in windows}
    for start in ask:
        cancel.check()
        hook, warning = judge_hook(model, opening(by_start[start], plan.seconds), plan.language, plan.seconds,
                                   plan.model_share)
        hooks[start] = hook
        if warning and warning not in warnings:
            warnings.append(warning)
        if model is None:
            break  # the heuristic already judged every opening
    return [score_window(w, hooks[w.start], evidence, weights) for w in windows], warnings


def title_for(asked: str | None, hook: Hook) -> str | None:
    """``"auto"`` → the hook line; any other text as given; empty → no title."""
    if not asked or not asked.strip():
        return None
    return hook.line if asked.strip().lower() == "auto" else asked.strip()


def clip_entry(n: int, scored: Scored, filename: str, title: str | None, camera: dict[str, float]) -> dict[str, Any]:
    """One ``result.clips`` item; ``camera`` is clips/camera.py ``motion`` (pans in crop widths a second)."""
    w = scored.window
    return {"index": n, "start": round(w.start, 3), "end": round(w.end, 3), "duration": round(w.duration, 3),
            "viral_score": scored.score, "reasons": [r.as_dict() for r in scored.reasons],
            "hook": {"text": scored.hook.line, "score": round(scored.hook.strength * 10, 1),
                     "reason": scored.hook.reason, "source": scored.hook.source, "title": title},
            "transcript": w.text, "output": filename, "camera": camera}


def make_clip(source: Path, n: int, scored: Scored, frame: Framing, keys: Sequence[CameraKey],
              words: Sequence[Word], look: ClipLook, workdir: Path, cancel: CancelToken,
              progress: Callable[[float], None] = lambda f: None) -> ClipFiles:
    """Clip ``n``: ``clip-<n>.mp4`` in ``workdir`` (trim, crop path, captions, hook title in one pass)."""
    w = scored.window
    own = clip_words(words, w.start, w.end)
    title = title_for(look.hook_title, scored.hook)
    ass_path: Path | None = None
    if look.captions or title:
        ass_path = workdir / f"clip-{n}.ass"
        ass_path.write_text(clip_ass(own, look.style, frame.output, look.captions, title,
                                     min(look.title_seconds, w.duration)), "utf-8")
    fonts = prepare_fonts(workdir / "fonts") if ass_path is not None else None
    mp4 = render_clip(source, w.start, w.end, frame, keys, ass_path, workdir / f"clip-{n}.mp4", fonts, cancel,
                      progress=progress)
    cues = cues_from_words(own, caption_rules(frame.output))
    entry = clip_entry(n, scored, mp4.name, title, motion(keys, w.start, w.end, frame.crop[0]))
    return ClipFiles(mp4, subtitles.srt_text(cues), [c.as_dict() for c in cues], entry)
