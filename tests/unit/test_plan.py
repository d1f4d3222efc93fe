"""One tool contract with a plan step (issue 18 item 2).

A tool's params are one typed Struct whose fields give the catalog's inputs and the
OpenAPI request schemas, unchanged from the hand-written ``InputSpec`` lists they
replace (``tool_inputs_before_structs.json`` is what the server published before);
the plan is made once at the request, stored with the job, shipped to a remote
worker in its spec, and handed to ``run(ctx, plan)``, so a job probes its input once.
"""

from __future__ import annotations

import inspect
import json
import time
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from noxus_local.accounts.keys import authenticate, create_key
from noxus_local.accounts.store import credit_account
from noxus_local.api import openapi
from noxus_local.api.submit import plan_job
from noxus_local.assets.files import FileStore
from noxus_local.config import load_config
from noxus_local.jobs import store as jobs
from noxus_local.jobs.jobspec import JobSpec
from noxus_local.jobs.runner import JobRunner
from noxus_local.media import probe as probe_module
from noxus_local.media.ffmpeg import run_ffmpeg
from noxus_local.runtime.cancel import CancelToken
from noxus_local.speech.types import Segment, Transcript, Word
from noxus_local.tools import auto_subtitles, video_analyze
from noxus_local.tools.base import InputFile, Limits, Plan, Tool, ToolContext
from noxus_local.tools.catalog import Catalog
from noxus_local.tools.params import Params, inputs_of
from noxus_local.tools.wait import WaitParams, WaitTool

BEFORE = json.loads((Path(__file__).parent / "tool_inputs_before_structs.json").read_text())
CATALOG = Catalog.default(diagnostics=True)


# --- the params Struct gives the same catalog and request schemas ----------------------------------


@pytest.mark.parametrize("slug", sorted(BEFORE["inputs"]))
def test_the_catalog_inputs_read_off_a_params_struct_are_the_ones_published_before(slug: str) -> None:
    tool = CATALOG.resolve(slug)
    assert [i.describe() for i in tool.inputs] == BEFORE["inputs"][slug]


def test_the_openapi_request_schemas_are_the_ones_published_before() -> None:
    """The tools converted to a params Struct publish exactly the schemas they published before it
    (tools added since have no earlier schemas to keep)."""
    before = [t for t in CATALOG.tools.values() if t.slug in BEFORE["inputs"]]
    assert _without_examples(openapi.tool_input_schemas(before)) == BEFORE["schemas"]


EMPTY_FORM_VALUE = {"type": "string", "maxLength": 0}


def _without_examples(schema: Any) -> Any:
    """The schemas minus what was added on purpose since: the fields' ``examples`` (the Structs' Meta, since
    the generated OpenAPI) and the empty-string arm of an optional multipart field (``openapi._or_empty``: the
    server reads ``""`` as absent, so the form schema says a part may be empty)."""
    if isinstance(schema, dict):
        arms = schema.get("anyOf")
        if isinstance(arms, list) and len(arms) == 2 and arms[1] == EMPTY_FORM_VALUE:
            rest = {k: v for k, v in schema.items() if k != "anyOf"}
            return _without_examples({**arms[0], **rest})
        return {k: _without_examples(v) for k, v in schema.items() if k != "examples"}
    return [_without_examples(v) for v in schema] if isinstance(schema, list) else schema


def test_a_fields_examples_are_read_off_its_meta_and_published() -> None:
    """Kept on the InputSpec and published in the tool's generated request schema (issue 18 item 4)."""
    examples = {i.name: i.examples for i in CATALOG.resolve("auto-subtitles").inputs}
    assert examples["language"] == ("es",) and examples["video"] == () and examples["max_lines"] == ()
    schemas = openapi.tool_input_schemas([CATALOG.resolve("auto-subtitles")])
    assert schemas["AutoSubtitlesJsonInput"]["properties"]["language"]["examples"] == ["es"]


def test_every_tool_declares_a_struct_and_runs_from_its_plan() -> None:
    """No tool lists inputs by hand or runs without its plan: the older contract is gone."""
    for tool in CATALOG.tools.values():
        assert issubclass(tool.Params, Params), tool.slug
        assert tool.inputs == inputs_of(tool.Params), tool.slug
        assert len(inspect.signature(type(tool).run).parameters) == 3, tool.slug  # (self, ctx, plan)


def test_a_field_the_server_sets_is_typed_and_kept_but_listed_nowhere() -> None:
    """text-to-speech's ``voice_mix`` (an account's saved voice, looked up at the request)."""
    tool = CATALOG.resolve("text-to-speech")
    assert "voice_mix" not in [i.name for i in tool.inputs]
    params = tool.typed({"text": "hola", "voice_id": "custom_0123456789abcdef", "voice_mix": {"ef_dora": 1.0}})
    assert params.voice_mix == {"ef_dora": 1.0} and "voice_mix" in params and "stream_pcm" not in params
    assert tool.stored(params)["voice_mix"] == {"ef_dora": 1.0}


def test_the_struct_is_what_run_reads_and_the_job_keeps_a_json_dict() -> None:
    tool = WaitTool()
    raw = tool.validate({"seconds": "2.5", "cpu": "1"}, {}, Limits())  # the strict reader, as before
    assert raw == {"seconds": 2.5, "fail": False, "engine": "sleep", "cpu": 1}
    params = tool.typed(raw)
    assert params == WaitParams(seconds=2.5, cpu=1) and params["seconds"] == params.seconds == 2.5
    assert tool.stored(params) == raw  # absent fields (stop_after) stay absent
    assert tool.plan(params, {}, Limits()) == Plan(units=2.5, resources={"cpu": 1}, work_units=2.5)


def test_a_params_struct_reads_like_a_dict_for_shared_helpers() -> None:
    class P(Params, kw_only=True):
        a: int = 1
        b: str | None = None

    p = P()
    assert (p["a"], p.get("b"), p.get("missing", 7), "a" in p, "b" in p, "z" in p) == (1, None, 7, True, False, False)
    p["a"] = 3
    assert p.a == 3 and p.to_dict() == {"a": 3, "b": None}


# --- the plan is made once, stored, shipped and read -----------------------------------------------


class Env:
    def __init__(self, db: Any, tmp_path: Path, tool: Tool) -> None:
        self.cfg = load_config(None, {"NOXUS_DATA_DIR": str(tmp_path)})
        self.db, self.tool = db, tool
        self.files = FileStore(tmp_path, b"secret")
        self.runner = JobRunner(db, Catalog([tool]), self.files, self.cfg)
        plain, _ = create_key(db, account_id="acme", name="t", environment="test")
        self.principal = authenticate(db, plain)
        credit_account(db, "acme", "test", 10_000_000)

    def submit(self, raw: dict[str, Any], source: Path) -> str:
        """What prepare_job does with already-read input: validate, plan once, store the job row."""
        job_id = f"job_{time.monotonic_ns()}"
        upload = self.files.work_dir(job_id) / source.name
        upload.parent.mkdir(parents=True, exist_ok=True)
        upload.write_bytes(source.read_bytes())
        files = {"video": InputFile(upload, source.name, "video/mp4", upload.stat().st_size)}
        params = self.tool.validate(raw, files, Limits())
        params, plan = plan_job(self.tool, params, files, Limits())
        new = jobs.NewJob(id=job_id, principal=self.principal, tool=self.tool.slug, params=params,
                          files=[{"field": "video", "path": str(upload), "filename": source.name,
                                  "content_type": "video/mp4", "size_bytes": upload.stat().st_size}],
                          limits=Limits().__dict__, estimate_micros=1000, request_id="req_x", plan=plan.dumps())
        assert jobs.submit(self.db, new, self.cfg.tiers["enterprise"], 24) is None
        return job_id


@pytest.fixture(scope="module")
def clip(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("plan") / "clip.mp4"
    run_ffmpeg(["-f", "lavfi", "-i", "color=c=0x303030:s=160x120:r=25", "-f", "lavfi", "-i", "sine=f=300",
                "-t", "2", "-c:v", "libx264", "-preset", "ultrafast", "-shortest", str(path)], CancelToken())
    return path


@pytest.fixture
def probes(monkeypatch: pytest.MonkeyPatch) -> Counter[str]:
    """Every media probe of a job, by file name (the tools import ``probe`` by name: each is wrapped)."""
    seen: Counter[str] = Counter()
    real = probe_module.probe

    def counting(path: Path, *args: Any, **kwargs: Any) -> Any:
        seen[Path(path).name] += 1
        return real(path, *args, **kwargs)

    monkeypatch.setattr(auto_subtitles, "probe", counting)
    monkeypatch.setattr(video_analyze, "probe", counting)
    return seen


def _spoken(*args: Any, **kwargs: Any) -> Transcript:
    words = tuple(Word(w, 0.2 + i * 0.3, 0.45 + i * 0.3, 0.9) for i, w in enumerate("hola a todos".split()))
    return Transcript("es", 0.97, 2.0, (Segment(0, 0.2, 1.1, " hola a todos", words, -0.1, 0.01),))


def test_auto_subtitles_probes_its_input_once_per_job(db: Any, tmp_path: Path, clip: Path,
                                                      probes: Counter[str], monkeypatch: pytest.MonkeyPatch) -> None:
    """The request probes (limits, units, the price); the run reads the stored plan's probe and never
    opens the input's header again (it probed it three times before: check, units, run)."""
    monkeypatch.setattr(auto_subtitles, "recognise", _spoken)  # recognition is speech/asr's, tested there
    env = Env(db, tmp_path, auto_subtitles.AutoSubtitlesTool())
    job_id = env.submit({"language": "es"}, clip)
    assert probes["clip.mp4"] == 1
    env.runner.execute(job_id)
    row = jobs.get(db, job_id)
    assert row["status"] == "succeeded", row["error_message"]
    assert probes["clip.mp4"] == 1  # the burned MP4 is probed for its length; the input never again
    plan = Plan.loads(row["plan"])
    assert plan is not None and plan.models == ("whisper-base", "silero-vad")
    assert plan.units == pytest.approx(2.0, abs=0.1) and plan.facts["probe"]["streams"][0]["width"] == 160


def test_video_analyze_probes_its_input_once_per_job(db: Any, tmp_path: Path, clip: Path,
                                                     probes: Counter[str]) -> None:
    env = Env(db, tmp_path, video_analyze.VideoAnalyzeTool())
    job_id = env.submit({"features": "colors"}, clip)
    env.runner.execute(job_id)
    row = jobs.get(db, job_id)
    assert row["status"] == "succeeded", row["error_message"]
    assert probes["clip.mp4"] == 1
    assert json.loads(row["params"]) == {"features": ["colors"]}  # normalised by plan(), kept with the job


def test_the_plan_is_stored_and_a_remote_worker_spec_carries_it(db: Any, tmp_path: Path, clip: Path) -> None:
    env = Env(db, tmp_path, video_analyze.VideoAnalyzeTool())
    job_id = env.submit({}, clip)
    row = jobs.get(db, job_id)
    stored = json.loads(row["plan"])
    assert stored["units"] == pytest.approx(2.0, abs=0.1) and stored["resources"] == {"cpu": 2}
    spec = JobSpec.from_row(row, "attempt-1", {"video": ("ab" * 32, 10)})
    assert spec.plan == stored
    shipped = JobSpec.loads(spec.dumps())
    assert shipped.plan == stored
    plan = env.tool.planned(shipped.plan, ToolContext(params={}, files={}, limits=Limits(), workdir=tmp_path))
    assert plan.fact("probe", probe_module.MediaInfo) == probe_module.probe(clip)  # the same facts, no probe
    old = json.loads(spec.dumps())
    del old["plan"]  # a spec a node older than plans published
    assert JobSpec.loads(json.dumps(old)).plan is None


def test_a_job_queued_before_plans_were_stored_is_planned_when_it_runs(db: Any, tmp_path: Path, clip: Path,
                                                                       probes: Counter[str]) -> None:
    env = Env(db, tmp_path, video_analyze.VideoAnalyzeTool())
    job_id = env.submit({}, clip)
    with db.write() as conn:
        conn.execute("UPDATE jobs SET plan = NULL WHERE id = ?", (job_id,))
    env.runner.execute(job_id)
    assert jobs.get(db, job_id)["status"] == "succeeded"
    assert probes["clip.mp4"] == 2  # once at the request, once to plan the old job


def test_a_batch_item_refused_at_submission_is_kept_with_its_message_as_text() -> None:
    """The analysis route records a refused item's error as a ``Text`` (a str in two languages); the job
    row keeps the plain string, as ``json.dumps`` wrote it before the params were a Struct."""
    from noxus_local.analysis.batch import failed_item
    from noxus_local.errors import Text, ValidationError

    tool = CATALOG.resolve("image-analyze-batch")
    items = [failed_item(0, "a", ValidationError.fields({"data": [Text("falta", "missing")]}))]
    params = tool.validate({"items": items, "features": ["hash"]}, {}, Limits())
    stored = tool.stored(tool.typed(params))
    assert json.dumps(stored) == json.dumps(params) and stored["items"][0]["error"]["code"] == "validation_error"
    assert tool.plan(tool.typed(params), {}, Limits()) == Plan(units=0.0, resources={"cpu": 1}, work_units=0.0)
