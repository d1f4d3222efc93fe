"""Seed 003's credits per step of a video ad: what each step that succeeded is charged, what a failed one refunds.

Seed 003 holds the whole estimate at ``/api/v1/generate`` (its ``[credits]``
table: image editing per variant and scene, a clip per scene, the voice-over,
the compositing). "A failed step refunds its share, a failed version refunds
all": each part of a step is charged only when it succeeds; a scene whose image
edit or clip fails while the version still completes (it shows the plain photo,
or moves as a still) is not charged, and the step is recorded ``failed`` with
its error. When the version completes the job is charged the sum
(``ToolOutput.actual_micros``, never above the hold: ``jobs.finish`` caps it and
releases the rest in the same transaction); when it fails nothing is charged
and the whole hold is released.

The table comes frozen in the job (``credit_table``, set by api/ad_routes.py at
the request); a run through ``/api/v1/tools/video-ad`` has none and keeps its
per-second price.

Example::

    bill = Credits.of({"credit_table": {"usd_per_credit": "0.01", "image_edit": 10, "video_generation": 35,
                                        "voiceover": 3, "compositing": 2}})
    bill.add("image_edit", 20, scenes=2); bill.add("voiceover", 3)
    bill.micros()          # 230000 (23 credits at 0.01 USD)
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from noxus_local.errors import NoxusError
from noxus_local.runtime.steps import StepScope


class StepFailed(NoxusError):
    """Part of a step failed but the version goes on: the step is recorded ``failed`` with this message and
    its share refunded (raised inside the step's ``with`` and caught after it)."""

    status, code = 500, "step_failed"


@dataclass
class Credits:
    table: dict[str, Any] = field(default_factory=dict)
    charged: dict[str, int] = field(default_factory=dict)
    refunded: dict[str, int] = field(default_factory=dict)

    @classmethod
    def of(cls, params: Any) -> Credits:
        return cls(dict(params.get("credit_table") or {}))

    @property
    def active(self) -> bool:
        return bool(self.table)

    def add(self, step: str, credits: int, **_: Any) -> None:
        self.charged[step] = self.charged.get(step, 0) + credits

    def charge(self, step: str, scope: StepScope) -> None:
        """A whole step succeeded: its table price is charged and recorded on it."""
        credits = int(self.table.get(step, 0))
        self.add(step, credits)
        if self.active:
            scope.record(credits={"charged": credits, "refunded": 0})

    def step(self, scope: StepScope, name: str, done: list[dict[str, Any]], failed: list[dict[str, Any]],
             each: int) -> None:
        """A per-scene step ended: ``each`` credits for every scene done; the failed ones refunded. With any
        failed, ``StepFailed`` names them (the caller catches it after the step's ``with``)."""
        self.add(name, each * len(done))
        self.refunded[name] = self.refunded.get(name, 0) + each * len(failed)
        if self.active:
            scope.record(credits={"charged": each * len(done), "refunded": each * len(failed)})
        if failed:
            said = "; ".join(f"scene {f['index']}: {f['error']['message']}" for f in failed)
            refund = f"; {each * len(failed)} credits refunded" if self.active else ""
            raise StepFailed(f"{len(failed)} of {len(done) + len(failed)} scenes failed ({said}){refund}")

    def total(self) -> int:
        return sum(self.charged.values())

    def micros(self) -> int | None:
        """What the completed version is charged in micro-USD; None without a credit table (the tool's
        price then decides). Example: 168 credits at 0.01 USD → 1_680_000."""
        if not self.active:
            return None
        return int(Decimal(self.total()) * Decimal(str(self.table["usd_per_credit"])) * 1_000_000)

    def describe(self) -> dict[str, Any] | None:
        if not self.active:
            return None
        return {"charged": self.total(), "by_step": dict(self.charged), "refunded": dict(self.refunded)}
