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
from typing import Any, ClassVar

from noxus_local.media.ffmpeg import run_ffmpeg
from noxus_local.tools.base import InputFile, InputSpec, Tool, ToolContext, ToolOutput

MAX_CPU = 64


class WaitTool(Tool):
    slug = "wait"
    aliases = ("esperar",)
    title = "Wait (diagnostics)"
    description = "Waits the given seconds, reporting progress; for testing timeouts and webhooks."
    measures = "seconds"  # priced per second by default: the hold is `seconds`, the charge what was waited
    inputs = (InputSpec("seconds", "number", default=1.0, minimum=0, maximum=3600),
              InputSpec("fail", "boolean", default=False, help="End with a failure instead."),
              InputSpec("engine", "string", default="sleep", choices=("sleep", "ffmpeg"),
                        help="ffmpeg: spend the time in a real ffmpeg child (checks that cancel kills it)."),
              InputSpec("stop_after", "number", minimum=0, maximum=3600,
                        help="Succeed after this many seconds when fewer than `seconds`: "
                             "a run that processes less than its estimate, and is charged less."),
              InputSpec("cpu", "integer", default=0, minimum=0, maximum=MAX_CPU,
                        help="CPU slots of the compute pool to hold while waiting (0 = none: a sleep uses no core)."))
    media_type = "diagnostic"  # its runs never count in the image or video latency
    resources: ClassVar[Mapping[str, int]] = {}  # by default; see resources_for
    default_price: ClassVar[Mapping[str, str]] = {"unit": "second", "unit_usd": "0.0001", "minimum_usd": "0.001"}

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._cpu_runs = 0  # runs holding CPU slots now, in this process

    def resources_for(self, params: dict[str, Any]) -> Mapping[str, int]:
        cpu = int(params.get("cpu") or 0)
        return {"cpu": cpu} if cpu else {}

    def work_units(self, params: dict[str, Any]) -> float:
        return float(params.get("seconds") or 0.0)  # one unit = one second asked for

    def units(self, params: dict[str, Any], files: Mapping[str, InputFile]) -> float:
        return float(params["seconds"])

    def run(self, ctx: ToolContext) -> ToolOutput:
        if not ctx.params.get("cpu"):
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
        if ctx.params["engine"] == "ffmpeg":
            return self._ffmpeg(ctx, seconds)
        start = time.monotonic()
        while (elapsed := time.monotonic() - start) < seconds:
            ctx.cancel.check()
            ctx.progress(elapsed / seconds, "waiting")
            ctx.cancel.wait(min(0.05, seconds - elapsed))
        ctx.cancel.check()
        if ctx.params["fail"]:
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


def _processed(params: dict[str, Any]) -> float:
    """The seconds this run waits: ``seconds``, or ``stop_after`` when that is shorter.

    The charge counts these requested seconds, not the wall clock (which runs a
    few milliseconds over), so the same request always costs the same.
    """
    seconds = float(params["seconds"])
    stop_after = params.get("stop_after")
    return seconds if stop_after is None else min(seconds, float(stop_after))
