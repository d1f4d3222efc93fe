"""Diagnostic tool ``wait``: sleeps N seconds, honouring cancel and timeouts.

Off by default (``[jobs] diagnostic_tools = true`` adds it). Operators use it
to check Max-Processing-Time, cancellation, webhooks, capacity and crash
recovery without a heavy media job; the end-to-end tests use it the same way.

With ``cpu: N`` a run holds N CPU slots of the compute pool while it waits,
like a heavy tool would, and its result says how many such runs were going
on in this process when it started (``concurrent_cpu_waits``), so a test can
prove the pool keeps them apart.

Example::

    curl -X POST http://127.0.0.1:8080/api/v1/tools/wait -H "Authorization: Bearer $KEY" \\
      -H "Prefer: respond-async" -d '{"seconds": 5}'
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Mapping
from typing import Annotated, Any, ClassVar, Literal

from msgspec import Meta

from noxus_local.media.ffmpeg import run_ffmpeg
from noxus_local.tools.base import InputFile, Limits, Params, Plan, Tool, ToolContext, ToolOutput

MAX_CPU = 64


class WaitParams(Params):
    """What ``POST /api/v1/tools/wait`` takes."""

    seconds: Annotated[float, Meta(ge=0, le=3600, examples=[5.0])] = 1.0
    fail: Annotated[bool, Meta(description="End with a failure instead.")] = False
    engine: Annotated[Literal["sleep", "ffmpeg"], Meta(description=(
        "ffmpeg: spend the time in a real ffmpeg child (checks that cancel kills it)."))] = "sleep"
    stop_after: Annotated[float, Meta(ge=0, le=3600, description=(
        "Succeed after this many seconds when fewer than `seconds`: "
        "a run that processes less than its estimate, and is charged less."))] | None = None
    cpu: Annotated[int, Meta(ge=0, le=MAX_CPU, description=(
        "CPU slots of the compute pool to hold while waiting (0 = none: a sleep uses no core)."))] = 0


class WaitTool(Tool):
    slug = "wait"
    aliases = ("esperar",)
    title = "Wait (diagnostics)"
    description = "Waits the given seconds, reporting progress; for testing timeouts and webhooks."
    Params = WaitParams
    measures = "seconds"  # priced per second by default: the hold is `seconds`, the charge what was waited
    default_price: ClassVar[Mapping[str, str]] = {"unit": "second", "unit_usd": "0.0001", "minimum_usd": "0.001"}
    media_type = "diagnostic"  # its runs never count in the image or video latency
    resources: ClassVar[Mapping[str, int]] = {}  # by default; the plan holds `cpu` slots

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._cpu_runs = 0  # runs holding CPU slots now, in this process

    def plan(self, params: WaitParams, files: Mapping[str, InputFile], limits: Limits) -> Plan:
        """Hold ``seconds``, and ``cpu`` slots while waiting; one work unit is one second asked for."""
        return Plan(units=params.seconds, resources={"cpu": params.cpu} if params.cpu else {},
                    work_units=params.seconds)

    def resources_for(self, params: dict[str, Any]) -> Mapping[str, int]:
        """For a job queued before plans were stored."""
        cpu = int(params.get("cpu") or 0)
        return {"cpu": cpu} if cpu else {}

    def run(self, ctx: ToolContext, plan: Plan) -> ToolOutput:
        if not ctx.params.cpu:
            return self._run(ctx)
        with self._lock:
            self._cpu_runs += 1
            concurrent = self._cpu_runs
        try:
            out = self._run(ctx)
        finally:
            with self._lock:
                self._cpu_runs -= 1
        out.result["concurrent_cpu_waits"] = concurrent
        return out

    def _run(self, ctx: ToolContext) -> ToolOutput:
        seconds = _processed(ctx.params)
        if ctx.params.engine == "ffmpeg":
            return self._ffmpeg(ctx, seconds)
        start = time.monotonic()
        while (elapsed := time.monotonic() - start) < seconds:
            ctx.cancel.check()
            ctx.progress(elapsed / seconds, "waiting")
            ctx.cancel.wait(min(0.05, seconds - elapsed))
        ctx.cancel.check()
        if ctx.params.fail:
            raise RuntimeError("requested failure")
        body = json.dumps({"waited_seconds": round(time.monotonic() - start, 3)}).encode()
        return ToolOutput(body, "wait.json", "application/json", {"waited_seconds": seconds},
                          units=seconds, media_units=seconds)

    def _ffmpeg(self, ctx: ToolContext, seconds: float) -> ToolOutput:
        pid_file = ctx.workdir / "ffmpeg.pid"
        run_ffmpeg(["-re", "-f", "lavfi", "-i", f"anullsrc=r=8000:cl=mono:d={seconds}", "-f", "null", "-"],
                   ctx.cancel, progress=lambda t: ctx.progress(t / max(seconds, 0.001), "ffmpeg"),
                   on_start=lambda pid: pid_file.write_text(str(pid)))
        return ToolOutput(b'{"engine":"ffmpeg"}', "wait.json", "application/json",
                          {"waited_seconds": seconds, "ffmpeg_pid": int(pid_file.read_text())},
                          units=seconds, media_units=seconds)


def _processed(params: WaitParams) -> float:
    """The seconds this run waits: ``seconds``, or ``stop_after`` when that is shorter.

    The charge counts these requested seconds, not the wall clock (which runs a
    few milliseconds over), so the same request always costs the same.
    """
    return params.seconds if params.stop_after is None else min(params.seconds, params.stop_after)
