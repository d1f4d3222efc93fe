"""Diagnostic tool ``wait``: sleeps N seconds, honouring cancel and timeouts.

Off by default (``[jobs] diagnostic_tools = true`` adds it). Operators use it
to check Max-Processing-Time, cancellation, webhooks, capacity and crash
recovery without a heavy media job; the end-to-end tests use it the same way.

Example::

    curl -X POST http://127.0.0.1:8080/api/v1/tools/wait -H "Authorization: Bearer $KEY" \\
      -H "Prefer: respond-async" -d '{"seconds": 5}'
"""

from __future__ import annotations

import json
import time

from noxus_local.tools.base import InputSpec, Tool, ToolContext, ToolOutput


class WaitTool(Tool):
    slug = "wait"
    aliases = ("esperar",)
    title = "Wait (diagnostics)"
    description = "Waits the given seconds, reporting progress; for testing timeouts and webhooks."
    inputs = (InputSpec("seconds", "number", default=1.0, minimum=0, maximum=3600),
              InputSpec("fail", "boolean", default=False, help="End with a failure instead."))

    def run(self, ctx: ToolContext) -> ToolOutput:
        seconds = float(ctx.params["seconds"])
        start = time.monotonic()
        while (elapsed := time.monotonic() - start) < seconds:
            ctx.cancel.check()
            ctx.progress(int(100 * elapsed / seconds), "waiting")
            ctx.cancel.wait(min(0.05, seconds - elapsed))
        ctx.cancel.check()
        if ctx.params["fail"]:
            raise RuntimeError("requested failure")
        body = json.dumps({"waited_seconds": round(time.monotonic() - start, 3)}).encode()
        return ToolOutput(body, "wait.json", "application/json", {"waited_seconds": seconds})
