"""The pipeline diagnostic tool run directly, and the output declarations every tool returns."""

from pathlib import Path

import pytest

from noxus_local.errors import InternalError
from noxus_local.runtime.steps import StepTracker
from noxus_local.tools.base import Limits, OutputFile, ToolContext, ToolOutput
from noxus_local.tools.catalog import Catalog
from noxus_local.tools.pipeline import PipelineTool


def context(tmp_path: Path, **params) -> ToolContext:
    tool = PipelineTool()
    return ToolContext(params=tool.validate(params, {}, Limits()), files={}, limits=Limits(), workdir=tmp_path,
                       steps=StepTracker(tool.steps))  # what the runner does, without a job row


def test_pipeline_enters_each_declared_step_and_returns_extra_files(tmp_path):
    ctx = context(tmp_path, extra_files=2)
    out = PipelineTool().call(ctx)
    assert [(s["name"], s["weight"], s["status"]) for s in ctx.steps.snapshot()] == [
        ("prepare", 1, "succeeded"), ("work", 6, "succeeded"), ("package", 3, "succeeded")]
    assert ctx.steps.overall() == 100
    assert [(f.name, f.filename, f.data) for f in out.files()] == [
        ("report", "report.json", out.data), ("part-1", "part-1.txt", b"part 1 of 2\n"),
        ("part-2", "part-2.txt", b"part 2 of 2\n")]


def test_pipeline_fail_step_fails_that_step_with_its_message(tmp_path):
    ctx = context(tmp_path, fail_step="package")
    with pytest.raises(InternalError):
        PipelineTool().call(ctx)
    steps = ctx.steps.snapshot()
    assert [s["status"] for s in steps] == ["succeeded", "succeeded", "failed"]
    assert steps[2]["error"]["message"].en == "requested failure in step package"
    assert steps[2]["error"]["message"] == "fallo solicitado en el paso package"


def test_pipeline_is_a_diagnostic_tool_only():
    assert "pipeline" not in Catalog.default().tools
    assert Catalog.default(diagnostics=True).resolve("diagnostico-pasos").slug == "pipeline"


@pytest.mark.parametrize("name, filename", [("Video", "a.mp4"), ("", "a.mp4"), ("srt", "../a.srt"),
                                            ("srt", ".hidden"), ("srt", "a\nb.srt"), ("srt", "")])
def test_output_names_and_filenames_must_be_plain(name, filename):
    with pytest.raises(ValueError):
        OutputFile(name, b"x", filename, "text/plain")


def test_the_older_constructor_still_makes_one_primary_output():
    out = ToolOutput(b"png", "qr.png", "image/png", {"width": 1})
    assert [(f.name, f.filename) for f in out.files()] == [("primary", "qr.png")]
    clash = ToolOutput(b"a", "a.txt", "text/plain", extras=[OutputFile("primary", b"b", "b.txt", "text/plain")])
    with pytest.raises(ValueError, match="unique"):
        clash.files()
