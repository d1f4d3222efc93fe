"""Diagnostic tool ``pipeline``: three weighted steps and N extra output files.

Off by default, like ``wait`` (``[jobs] diagnostic_tools = true`` adds it).
It is the smallest real multi-step, multi-output tool: it declares its steps
once (``prepare`` 1, ``work`` 6, ``package`` 3), spends ``seconds`` across
them by weight, reports progress inside ``work``, and returns a JSON report
as the primary output plus ``extra_files`` text files, each behind its own
signed URL. ``fail_step`` makes that step raise, so operators and the e2e
tests can see a failing step closed ``failed`` with its error.

Example::

    curl -X POST http://127.0.0.1:8080/api/v1/tools/pipeline -H "Authorization: Bearer $KEY" \\
      -H "Content-Type: application/json" -d '{"seconds": 2, "extra_files": 3}'
"""

from __future__ import annotations

import json
import time
from typing import Annotated, Literal

from msgspec import Meta

from noxus_local.errors import InternalError
from noxus_local.locale import t
from noxus_local.runtime.steps import StepScope
from noxus_local.tools.base import OutputFile, Params, Plan, Step, Tool, ToolContext, ToolOutput

STEP_NAMES = ("prepare", "work", "package")


class PipelineParams(Params):
    seconds: Annotated[float, Meta(ge=0, le=600, description="Total time spent, split across the steps by weight.")] \
        = 0.0
    extra_files: Annotated[int, Meta(ge=0, le=20, description=(
        "How many extra .txt outputs to return beside the primary report."))] = 0
    fail_step: Annotated[Literal[("", *STEP_NAMES)], Meta(  # type: ignore[valid-type]
        description="Make this step fail (the job fails, charged 0).")] = ""


class PipelineTool(Tool):
    slug = "pipeline"
    aliases = ("diagnostico-pasos",)
    title = "Pipeline (diagnostics)"
    description = ("Runs three weighted steps and returns a JSON report plus N extra text files; "
                   "for testing steps, progress and several outputs per job.")
    media_type = "image"
    steps = (Step("prepare", 1), Step("work", 6), Step("package", 3))
    default_price = "0.001"
    Params = PipelineParams

    def run(self, ctx: ToolContext, plan: Plan) -> ToolOutput:
        total_weight = sum(s.weight for s in self.steps)
        timings: dict[str, float] = {}
        for declared in self.steps:
            with ctx.step(declared.name) as step:
                started = time.monotonic()
                self._spend(ctx, step, ctx.params["seconds"] * declared.weight / total_weight)
                if ctx.params["fail_step"] == declared.name:
                    raise InternalError(t("tools_pipeline.requested_failure_in_step", name=declared.name))
                timings[declared.name] = round(time.monotonic() - started, 3)
        count = ctx.params["extra_files"]
        extras = [OutputFile(f"part-{i}", f"part {i} of {count}\n".encode(), f"part-{i}.txt", "text/plain")
                  for i in range(1, count + 1)]
        report = json.dumps({"steps": timings, "extra_files": count}).encode()
        return ToolOutput(report, "report.json", "application/json", {"steps": timings, "extra_files": count},
                          name="report", extras=extras)

    @staticmethod
    def _spend(ctx: ToolContext, step: StepScope, seconds: float) -> None:
        """Wait ``seconds`` in small slices, honouring cancel, reporting progress within the step."""
        start = time.monotonic()
        while (elapsed := time.monotonic() - start) < seconds:
            ctx.cancel.check()
            step.progress(elapsed / seconds)
            ctx.cancel.wait(min(0.05, seconds - elapsed))
        ctx.cancel.check()
