"""The Tool interface: a tool is a small class with class-level identity.

Tools never see HTTP, keys or money. At the request, ``Tool.validate`` reads the
raw fields strictly into params and ``Tool.plan`` decides the run once (probe,
units for the price, compute slots, models, warnings: ``tools/plan.py``); the
plan is stored with the job. The runner (``noxus_local.jobs.runner``) or a
remote worker then calls ``run(ctx, plan)`` with the typed params
(``ctx.params``), the input files on disk, the caller's limits, a step/progress
handle (progress is a fraction, 0.0-1.0), a cancel token, the model cache
(``ctx.models``) and the settings (``ctx.settings``); the tool returns a
``ToolOutput`` (one primary file plus any ``extras``). Billing, limits and
idempotency wrap every tool the same way.

A tool's identity, default price, examples and model needs are class variables,
so adding a tool is its own module plus one line in ``tools/catalog.py``::

    class EchoParams(Params):
        text: Annotated[str, Meta(max_length=100, description="What to echo.", examples=["hola"])]
        shout: bool = False

    class Echo(Tool):
        slug = "echo"
        aliases = ("eco",)
        title = "Echo"
        description = "Returns its text as a .txt file."
        Params = EchoParams                  # the catalog's inputs are read off it
        measures = "characters"
        default_price = {"unit": "1k_chars", "unit_usd": "0.001"}   # config's [prices.echo] overrides
        examples = (Example("echo", "echo: a greeting", {"text": "hola"}),)

        def plan(self, params: EchoParams, files, limits) -> Plan:
            return Plan(units=len(params.text), resources=self.resources)

        def run(self, ctx: ToolContext, plan: Plan) -> ToolOutput:
            text = ctx.params.text.upper() if ctx.params.shout else ctx.params.text
            ctx.progress(0.5, "write")
            return ToolOutput(text.encode(), "echo.txt", "text/plain")

A multi-step tool declares its steps once and enters them; a step's progress is a fraction::

    class Subtitles(Tool):
        steps = (Step("probe", 1), Step("transcribe", 6), Step("render", 3))

        def run(self, ctx: ToolContext, plan: Plan) -> ToolOutput:
            info = plan.fact("probe", MediaInfo)   # probed once, at the request
            with ctx.step("transcribe") as step:
                step.progress(0.4)                 # job progress: 10 + 0.6 * 40 = 34 (%)
            ...

Every tool declares its ``Params`` (the catalog's inputs are read off it) and runs as
``run(ctx, plan)``; server facts (config values frozen at the request, probes, the models a run
needs) go in the plan, so a remote worker gets the same ones. A tool whose plan
needs the server's config reads ``self.settings``: the catalog binds it (``Catalog.default(cfg=cfg)``,
or ``tool.bind(cfg)`` in a test); unbound, it is the defaults (``Config()``).
"""

from __future__ import annotations

import inspect
import re
from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from noxus_local.config import DEFAULT_TIERS, Config, TierSettings
from noxus_local.errors import ValidationError
from noxus_local.money import Price
from noxus_local.runtime.cancel import CancelToken
from noxus_local.runtime.steps import Step, StepScope, StepTracker
from noxus_local.tools.params import Params, inputs_of, read_params
from noxus_local.tools.plan import Plan
from noxus_local.tools.reader import coerce_inputs
from noxus_local.tools.spec import InputSpec, InputType

if TYPE_CHECKING:
    from noxus_local.inference.cache import ModelCache
    from noxus_local.net.fetch_slots import FetchSlots

__all__ = ["Example", "InputFile", "InputSpec", "InputType", "Limits", "OutputFile", "Params", "Plan", "Step",
           "Tool", "ToolContext", "ToolOutput", "coerce_inputs"]

MB = 1024 * 1024
# the defaults of ``Limits()`` are the free tier's, read from config's one declaration
_FREE = TierSettings(**DEFAULT_TIERS["free"])


@dataclass(frozen=True)
class Limits:
    """The caller's tier limits that a tool must respect while it runs.

    One source: ``Limits.from_tier(cfg.tiers["pro"])`` for a caller, and the
    bare ``Limits()`` (tests, benchmarks) is the default free tier, so the two
    can never disagree::

        Limits().max_video_seconds == TierSettings().max_video_seconds == 120
    """

    max_upload_bytes: int = int(_FREE.max_upload_mb * MB)
    max_image_pixels: int = _FREE.max_image_pixels
    max_video_seconds: int = _FREE.max_video_seconds
    max_batch_images: int = _FREE.max_batch_images
    max_audio_seconds: int = _FREE.max_audio_seconds  # one text-to-speech request's speech, pauses included
    max_output_bytes: int = int(_FREE.max_output_mb * MB)  # one job's output files together (0 = no limit)
    storage_quota_bytes: int = int(_FREE.storage_quota_mb * MB)  # the account's assets and kept outputs
    max_output_resolution: str = _FREE.max_output_resolution  # rendered video (auto-clip): "720p" or "1080p"

    @classmethod
    def from_tier(cls, tier: TierSettings) -> Limits:
        return cls(max_upload_bytes=int(tier.max_upload_mb * MB), max_image_pixels=tier.max_image_pixels,
                   max_video_seconds=tier.max_video_seconds, max_batch_images=tier.max_batch_images,
                   max_audio_seconds=tier.max_audio_seconds, max_output_bytes=int(tier.max_output_mb * MB),
                   storage_quota_bytes=int(tier.storage_quota_mb * MB),
                   max_output_resolution=tier.max_output_resolution)


@dataclass(frozen=True)
class InputFile:
    """An uploaded file, already on disk in the job's work folder."""

    path: Path
    filename: str
    content_type: str | None
    size_bytes: int


# progress as a fraction 0.0-1.0, and optionally the step it belongs to: ``ctx.progress(0.5, "render")``
ProgressFn = Callable[[float, str | None], None]


@dataclass
class ToolContext:
    """Everything a tool may use while it runs.

    ``params`` is the tool's typed params Struct;
    ``models`` the process's model cache (``with ctx.models.use(SileroVad) as vad``); ``settings``
    the server's config (``ctx.settings.speech.beam_size``).
    """

    params: Any
    files: dict[str, InputFile]
    limits: Limits
    workdir: Path
    progress: ProgressFn = lambda fraction, step=None: None
    cancel: CancelToken = field(default_factory=CancelToken)
    # the runner passes the job's tracker (stored ~4 times a second); alone, an in-memory one
    steps: StepTracker = field(default_factory=StepTracker)
    models: ModelCache | None = None
    settings: Config = field(default_factory=Config)
    job_id: str = ""  # for a tool that hands its work to the route that waits for it (tools/chat.py's stream)
    account_id: str = ""  # whose job: a tool's per-account cache (script-to-video's re-render); "" = none

    def step(self, name: str) -> StepScope:
        """Enter a declared step: ``with ctx.step("render") as step: step.progress(0.4)``.

        The step is marked running with its start time, then succeeded, or
        failed with the error when the block raises; the job's progress is the
        weighted sum of the tool's ``steps``.
        """
        return self.steps.step(name)


@dataclass(frozen=True)
class Example:
    """One request example of a tool, shown in the OpenAPI document under its name.

    ``form``: a multipart example (a file field's value is a placeholder), else a JSON body.
    Example: ``Example("qr", "qr: a PNG QR code of a URL", {"text": "https://noxus.lat"})``.
    """

    name: str
    summary: str
    value: dict[str, Any]
    form: bool = False
    description: str = ""

    def openapi(self) -> dict[str, Any]:
        return {"summary": self.summary, **({"description": self.description} if self.description else {}),
                "value": self.value}


# an output's name (the key clients see in outputs[].name) and a filename served under its job
_NAME_RE = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")
_BAD_FILENAME = re.compile(r"[/\\\x00-\x1f\x7f]")


@dataclass(frozen=True)
class OutputFile:
    """One file a job produced: bytes or a path in the workdir, served by its own signed URL.

    Example: ``OutputFile("srt", srt_bytes, "video.srt", "application/x-subrip")``.
    """

    name: str
    data: bytes | Path
    filename: str
    mime_type: str

    def __post_init__(self) -> None:
        if not _NAME_RE.match(self.name):
            raise ValueError(f"output name {self.name!r}: lowercase letters, digits, _ or -")
        if (not self.filename or self.filename.startswith(".") or len(self.filename) > 200
                or _BAD_FILENAME.search(self.filename)):
            raise ValueError(f"output filename {self.filename!r} is not a plain file name")


@dataclass
class ToolOutput:
    """What a tool produced: the primary file (bytes or a path), any extra files, a result dict.

    ``output`` in the job body is the primary; ``outputs`` lists it first
    (under ``name``) and then every ``extras`` file.
    """

    data: bytes | Path
    filename: str
    mime_type: str
    result: dict[str, Any] = field(default_factory=dict)
    # a fixed-price tool's own charge (≤ the hold); None = the hold. Per-unit prices use ``units``
    actual_micros: int | None = None
    # what was processed, in the tool's ``measures`` (e.g. seconds); None = what ``units`` estimated.
    # A per-unit price charges this (never above the hold): a run that did less costs less.
    units: float | None = None
    # what was processed, for /status/latency: images, or seconds of video
    media_units: float = 1.0
    extras: list[OutputFile] = field(default_factory=list)
    name: str = "primary"

    def files(self) -> list[OutputFile]:
        """Every file, primary first; names and filenames are unique within a job.

        Example: ``[f.name for f in out.files()]`` → ``["primary", "srt", "vtt"]``.
        """
        files = [OutputFile(self.name, self.data, self.filename, self.mime_type), *self.extras]
        for attr in ("name", "filename"):
            values = [getattr(f, attr) for f in files]
            if len(set(values)) != len(values):
                raise ValueError(f"output {attr}s must be unique within a job: {values}")
        return files


class Tool(ABC):
    """Base class; subclasses set the class variables, ``Params``, and implement ``run(ctx, plan)``."""

    # the server's config the plan reads (fps, prices, installed models), bound by the catalog; None: defaults
    _settings: Config | None = None

    slug: ClassVar[str]
    aliases: ClassVar[tuple[str, ...]] = ()
    title: ClassVar[str]
    description: ClassVar[str]
    # the params Struct (tools/params.py): the catalog's inputs, the OpenAPI schemas and what ``run`` reads;
    # the empty base for a tool that takes nothing but files (listed in its Struct's ``file_inputs``)
    Params: ClassVar[type[Params]] = Params
    inputs: ClassVar[tuple[InputSpec, ...]] = ()  # read off ``Params``, never listed by hand
    media_type: ClassVar[str] = "image"
    # what the tool can measure for a per-unit price: seconds (priced per second or
    # minute), images, characters (per 1k_chars) or scenes; None = fixed prices only
    measures: ClassVar[str | None] = None
    # its price when config's [prices.<slug>] says nothing: a fixed "0.002" (USD per run) or a
    # table {"unit": "minute", "unit_usd": "0.02", "minimum_usd": "0.002"} (config.PriceSettings)
    default_price: ClassVar[str | Mapping[str, str] | None] = None
    # request examples for the OpenAPI document
    examples: ClassVar[tuple[Example, ...]] = ()
    # every model id (models/manifest.toml) a run may need; a plan names the ones its run needs
    models: ClassVar[tuple[str, ...]] = ()
    # declared once; the job's progress is their weighted sum (empty: the tool reports progress itself)
    steps: ClassVar[tuple[Step, ...]] = ()
    # compute slots one run holds while it runs (jobs/pool.py): whole CPU cores or GPUs.
    # One core is the default; a tool that runs a model with N threads declares {"cpu": N}.
    resources: ClassVar[Mapping[str, int]] = {"cpu": 1}
    # inputs that are a list of files (asset ids, URLs or repeated parts), resolved by api/input_refs.py
    # into the files ``<name>_0``, ``<name>_1``…; and text inputs that may hold an asset id for a file input
    file_lists: ClassVar[tuple[str, ...]] = ()
    asset_fields: ClassVar[Mapping[str, str]] = {}

    def __init_subclass__(cls, **kwargs: Any) -> None:
        """Refuses the contract that is gone, at import: hand-listed ``inputs`` and ``run(ctx)`` without a plan."""
        super().__init_subclass__(**kwargs)
        if "inputs" in cls.__dict__:
            raise TypeError(f"{cls.__name__}: declare a Params Struct (tools/params.py), not `inputs`")
        run = cls.__dict__.get("run")
        if run is not None and len(inspect.signature(run).parameters) != 3:
            raise TypeError(f"{cls.__name__}.run must be run(self, ctx, plan)")
        cls.inputs = inputs_of(cls.Params)

    def bind(self, cfg: Config) -> Tool:
        """The server's config this tool plans with (the catalog binds it at start); returns the tool.

        Example: ``ScriptToVideoTool().bind(cfg).plan(params, files, limits).facts["fps"] == cfg.video.fps``.
        """
        self._settings = cfg
        return self

    @property
    def settings(self) -> Config:
        """The bound config, or the defaults for a tool nobody bound (a test, a script)."""
        if self._settings is None:
            self._settings = Config()
        return self._settings

    def validate(self, raw: Mapping[str, Any], files: Mapping[str, InputFile],
                 limits: Limits) -> dict[str, Any]:
        """Coerce raw fields (form strings or JSON values) into params, as the JSON dict a job keeps.

        Collects every problem before raising ``ValidationError`` with
        ``details.field_errors``; subclasses add cross-field checks in
        ``check`` and raise ``LimitExceeded`` for limit problems.
        """
        params, errors = coerce_inputs(self.inputs, raw, files)
        if errors:
            raise ValidationError.fields(errors)
        self.check(params, files, limits)
        return params

    def typed(self, params: Mapping[str, Any] | Params) -> Any:
        """The params as ``run`` sees them: the ``Params`` Struct (a stored dict is read into it).

        Example: ``WaitTool().typed({"seconds": 2})`` → ``WaitParams(seconds=2.0, fail=False, ...)``.
        """
        if isinstance(params, Params):
            return params
        return read_params(self.Params, params)

    def stored(self, params: Any) -> dict[str, Any]:
        """The params as the job row keeps them: a JSON dict, absent fields left out (as the reader left them).

        Example: ``WaitTool().stored(WaitParams(seconds=2))`` → ``{"seconds": 2.0, "fail": False, ...}``
        without ``stop_after`` (None).
        """
        if not isinstance(params, Params):
            return dict(params)
        return {k: v for k, v in params.to_dict().items() if v is not None}

    def check(self, params: dict[str, Any], files: Mapping[str, InputFile], limits: Limits) -> None:
        """Cross-field and limit checks on the coerced dict, before any money moves. Default: none.

        A check that needs to open the input (a probe) belongs in ``plan``, which keeps what it found.
        """
        return None

    def plan(self, params: Any, files: Mapping[str, InputFile], limits: Limits) -> Plan:
        """Decide the run once, at the request: units for the price, slots, models, facts for ``run``.

        Raise a 4xx here for input the probe refuses (nothing is charged yet). The default reads
        the hooks ``units``, ``resources_for`` and ``work_units`` with the params as a dict.
        Example: ``WaitTool().plan(WaitParams(seconds=3), {}, Limits())`` →
        ``Plan(units=3.0, resources={}, work_units=3.0)``.
        """
        raw = self.stored(params)
        return Plan(units=float(self.units(raw, files)) if self.measures else None,
                    resources=dict(self.resources_for(raw)), models=tuple(self.models),
                    work_units=float(self.work_units(raw)))

    async def prefetch(self, params: dict[str, Any], cfg: Config, slots: FetchSlots) -> None:
        """What a run must fetch from the network at the request, awaited on the event loop before
        ``check_installed`` (still before the hold): each fetch under one of the server's bounded fetch
        ``slots`` (``async with slots.hold()``: full slots are a 503 ``server_busy`` after their short
        wait, charged 0), with their TLS context and threads, as ``<field>_url`` downloads are. What it
        reads goes into ``params`` (the tool's ``Internal`` fields). Default: nothing to fetch.

        Example: instant-ad fetches and reads ``website_url``'s page here and stores its facts in
        ``params["page"]``.
        """
        return None

    def check_installed(self, params: dict[str, Any], plan: Plan, cfg: Config) -> None:
        """Before the hold, with the plan ``plan(params, files, limits)`` made once: every model of
        ``plan.models`` that the manifest knows must be installed (``ModelNotInstalled``: 503 naming
        ``noxus-local models fetch <id>``, charged 0). The plan is the one place that decides which
        models a run needs; an override adds the request-time checks a tool has beyond them (a 400 for a
        model that does not exist, a page fetched now) and calls ``require_installed(plan.models, cfg)``.

        Example: text-to-speech with ``voice_id=am_puck`` on a data dir without that voice: its plan lists
        ``("kokoro-82m", "kokoro-voice-am-puck")`` → 503 naming ``noxus-local models fetch
        kokoro-voice-am-puck``, no job written.
        """
        require_installed(plan.models, cfg)

    def units(self, params: dict[str, Any], files: Mapping[str, InputFile]) -> float:
        """Hook of the default ``plan``: how much this run will process, in ``measures``.

        The hold of a per-unit price is computed from it before any money
        moves (e.g. a probed duration in seconds, or ``len(text)``
        characters). Called only when ``measures`` is set.
        """
        return 1.0

    def resources_for(self, params: dict[str, Any]) -> Mapping[str, int]:
        """Hook of the default ``plan``: the slots this run takes.

        Example: ``WaitTool().resources_for({"cpu": 2})`` → ``{"cpu": 2}``.
        """
        return self.resources

    def work_units(self, params: dict[str, Any]) -> float:
        """Hook of the default ``plan``: the media units a run of these params is expected to
        report (``ToolOutput.media_units``), for a queued job's ETA; one by default (one image).
        """
        return 1.0

    @abstractmethod
    def run(self, ctx: ToolContext, plan: Plan) -> ToolOutput:
        """Do the work from the plan; raise a NoxusError for bad input, poll ``ctx.cancel`` in long loops."""

    def execute(self, ctx: ToolContext, plan: Plan) -> ToolOutput:
        """What the runner and a remote worker call: ``run(ctx, plan)`` with the typed params."""
        ctx.params = self.typed(ctx.params)
        out = self.run(ctx, plan)
        if plan.warnings:  # what the plan knew before the run, first
            out.result["warnings"] = [*plan.warnings, *out.result.get("warnings", [])]
        return out

    def planned(self, stored: str | dict[str, Any] | None, ctx: ToolContext) -> Plan:
        """The plan a job keeps (``jobs.plan``, a job spec's ``plan``), or, for a job queued before plans
        were stored, a plan made now from its params and files."""
        plan = Plan.loads(stored)
        if plan is None:
            ctx.params = self.typed(ctx.params)
            plan = self.plan(ctx.params, ctx.files, ctx.limits)
        return plan

    def call(self, ctx: ToolContext) -> ToolOutput:
        """Plan and run in one go, outside any job (tests, scripts): ``tool.call(ToolContext(params, ...))``."""
        ctx.params = self.typed(ctx.params)
        return self.execute(ctx, self.plan(ctx.params, ctx.files, ctx.limits))

    def describe(self, price: Price, available: bool = True,
                 reason: str | None = None) -> dict[str, Any]:
        out: dict[str, Any] = {
            "slug": self.slug, "aliases": list(self.aliases), "title": self.title,
            "description": self.description, "media_type": self.media_type,
            "inputs": [i.describe() for i in self.inputs], "pricing": price.catalog(),
            "available": available,
        }
        if reason:
            out["unavailable_reason"] = reason
        return out



def require_installed(models: tuple[str, ...], cfg: Config) -> None:
    """``ModelNotInstalled`` (503 naming ``noxus-local models fetch <id>``) for the first model of the
    manifest that is not installed; ids the manifest does not know pass, and so does ``[llm] model`` with
    ``backend = "openai"``: the admin's engine serves it, even under the id of one of our models (a
    llama-server started on the same Qwen GGUF and named after it was answered 503 before).

    Example: ``require_installed(("isnet-general",), cfg)`` on a data dir without it → 503, charged 0.
    """
    if cfg.llm.backend == "openai":
        models = tuple(m for m in models if m != cfg.llm.model)
    if not models:
        return
    from noxus_local.inference.model import ModelNotInstalled
    from noxus_local.inference.registry.installed import ModelRegistry

    registry = ModelRegistry.from_config(cfg)
    statuses = {s.spec.id: s for s in registry.list_models()}
    for model_id in dict.fromkeys(models):
        status = statuses.get(model_id)
        if status is not None and not status.installed:
            missing = [f.name for f in status.spec.files if not (registry.path(model_id) / f.name).is_file()]
            raise ModelNotInstalled.for_model(model_id, missing or [f.name for f in status.spec.files])
