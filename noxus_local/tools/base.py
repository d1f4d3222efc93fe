"""The Tool interface: a tool is a small class with class-level identity.

Tools never see HTTP, keys or money. The runner (``noxus_local.queue.runner``)
gives a tool its validated parameters, its input files on disk, the caller's
limits, a step/progress handle and a cancel token; the tool returns a
``ToolOutput`` (one primary file plus any ``extras``). Billing, limits and
idempotency wrap every tool the same way.

Example::

    class Echo(Tool):
        slug = "echo"
        aliases = ("eco",)
        title = "Echo"
        description = "Returns its text as a .txt file."
        inputs = (InputSpec("text", "string", required=True, max_length=100),)

        def run(self, ctx: ToolContext) -> ToolOutput:
            return ToolOutput(ctx.params["text"].encode(), "echo.txt", "text/plain")

A multi-step tool with several outputs declares its steps once and enters them::

    class Subtitles(Tool):
        steps = (Step("probe", 1), Step("transcribe", 6), Step("render", 3))

        def run(self, ctx: ToolContext) -> ToolOutput:
            with ctx.step("probe"):
                ...
            with ctx.step("transcribe") as step:
                step.progress(40)                  # job progress: 10 + 0.6 * 40 = 34
            with ctx.step("render"):
                ...
            return ToolOutput(mp4, "video.mp4", "video/mp4", name="video",
                              extras=[OutputFile("srt", srt_bytes, "video.srt", "application/x-subrip")])
"""

from __future__ import annotations

import re
from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar, Literal

from noxus_local.config import DEFAULT_TIERS, Config, TierSettings
from noxus_local.errors import Text, ValidationError
from noxus_local.money import Price
from noxus_local.runtime.cancel import CancelToken
from noxus_local.runtime.steps import Step, StepScope, StepTracker

__all__ = ["InputFile", "InputSpec", "Limits", "OutputFile", "Step", "Tool", "ToolContext", "ToolOutput"]

InputType = Literal["string", "integer", "number", "boolean", "file", "color", "object"]

_COLOR_RE = re.compile(r"^#?(?:[0-9a-fA-F]{3}|[0-9a-fA-F]{4}|[0-9a-fA-F]{6}|[0-9a-fA-F]{8})$")
_NAMED_COLORS = {
    "black": "#000000", "white": "#ffffff", "red": "#ff0000", "green": "#008000",
    "blue": "#0000ff", "yellow": "#ffff00", "transparent": "#00000000",
}


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

    @classmethod
    def from_tier(cls, tier: TierSettings) -> Limits:
        return cls(max_upload_bytes=int(tier.max_upload_mb * MB), max_image_pixels=tier.max_image_pixels,
                   max_video_seconds=tier.max_video_seconds, max_batch_images=tier.max_batch_images,
                   max_audio_seconds=tier.max_audio_seconds, max_output_bytes=int(tier.max_output_mb * MB),
                   storage_quota_bytes=int(tier.storage_quota_mb * MB))


@dataclass(frozen=True)
class InputSpec:
    """One input of a tool, as listed in the catalog and validated generically."""

    name: str
    type: InputType
    required: bool = False
    default: Any = None
    choices: tuple[Any, ...] | None = None
    minimum: float | None = None
    maximum: float | None = None
    max_length: int | None = None
    help: str = ""

    def describe(self) -> dict[str, Any]:
        """The catalog entry for this input (GET /api/v1/tools/{slug})."""
        out: dict[str, Any] = {"name": self.name, "type": self.type, "required": self.required}
        if self.default is not None:
            out["default"] = self.default
        if self.choices is not None:
            out["allowed_values"] = list(self.choices)
        if self.minimum is not None:
            out["minimum"] = self.minimum
        if self.maximum is not None:
            out["maximum"] = self.maximum
        if self.max_length is not None:
            out["max_length"] = self.max_length
        if self.help:
            out["description"] = self.help
        return out


@dataclass(frozen=True)
class InputFile:
    """An uploaded file, already on disk in the job's work folder."""

    path: Path
    filename: str
    content_type: str | None
    size_bytes: int


ProgressFn = Callable[[int, str | None], None]


@dataclass
class ToolContext:
    """Everything a tool may use while it runs."""

    params: dict[str, Any]
    files: dict[str, InputFile]
    limits: Limits
    workdir: Path
    progress: ProgressFn = lambda pct, step=None: None
    cancel: CancelToken = field(default_factory=CancelToken)
    # the runner passes the job's tracker (stored ~4 times a second); alone, an in-memory one
    steps: StepTracker = field(default_factory=StepTracker)
    models: Any = None  # the process's inference.cache.ModelCache: ctx.models.get(SileroVad)
    job_id: str = ""  # for a tool that hands its work to the route that waits for it (tools/chat.py's stream)
    account_id: str = ""  # whose job: a tool's per-account cache (script-to-video's re-render); "" = none

    def step(self, name: str) -> StepScope:
        """Enter a declared step: ``with ctx.step("render") as step: step.progress(40)``.

        The step is marked running with its start time, then succeeded, or
        failed with the error when the block raises; the job's progress is the
        weighted sum of the tool's ``steps``.
        """
        return self.steps.step(name)


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
    """Base class; subclasses set the class variables and implement ``run``."""

    slug: ClassVar[str]
    aliases: ClassVar[tuple[str, ...]] = ()
    title: ClassVar[str]
    description: ClassVar[str]
    inputs: ClassVar[tuple[InputSpec, ...]] = ()
    media_type: ClassVar[str] = "image"
    # what the tool can measure for a per-unit price: seconds (priced per second or
    # minute), images, characters (per 1k_chars) or scenes; None = fixed prices only
    measures: ClassVar[str | None] = None
    # declared once; the job's progress is their weighted sum (empty: the tool reports progress itself)
    steps: ClassVar[tuple[Step, ...]] = ()
    # compute slots one run holds while it runs (queue/pool.py): whole CPU cores or GPUs.
    # One core is the default; a tool that runs a model with N threads declares {"cpu": N}.
    resources: ClassVar[Mapping[str, int]] = {"cpu": 1}
    # inputs that are a list of files (asset ids, URLs or repeated parts), resolved by api/input_refs.py
    # into the files ``<name>_0``, ``<name>_1``…; and text inputs that may hold an asset id for a file input
    file_lists: ClassVar[tuple[str, ...]] = ()
    asset_fields: ClassVar[Mapping[str, str]] = {}

    def validate(self, raw: Mapping[str, Any], files: Mapping[str, InputFile],
                 limits: Limits) -> dict[str, Any]:
        """Coerce raw fields (form strings or JSON values) into typed params.

        Collects every problem before raising ``ValidationError`` with
        ``details.field_errors``; subclasses add cross-field checks in
        ``check`` and raise ``LimitExceeded`` for limit problems.
        """
        params, errors = coerce_inputs(self.inputs, raw, files)
        if errors:
            raise ValidationError.fields(errors)
        self.check(params, files, limits)
        return params

    def check(self, params: dict[str, Any], files: Mapping[str, InputFile], limits: Limits) -> None:
        """Cross-field and limit checks before any money moves. Default: none."""
        return None

    def check_installed(self, params: dict[str, Any], cfg: Config) -> None:
        """The models a run of these params needs, checked before the hold: a 400 for a model
        that does not exist, ``ModelNotInstalled`` (503, with the fetch command) for one that
        is not installed. Default: none.

        Example: auto-subtitles with ``model=whisper-small`` on a data dir without it is a 503
        naming ``noxus-local models fetch whisper-small``, charged 0.
        """
        return None

    def units(self, params: dict[str, Any], files: Mapping[str, InputFile]) -> float:
        """How much this run will process, in ``measures``, from the validated input.

        The hold of a per-unit price is computed from it before any money
        moves (e.g. a probed duration in seconds, or ``len(text)``
        characters). Called only when ``measures`` is set.
        """
        return 1.0

    def token_estimate(self, params: dict[str, Any]) -> tuple[int, int]:
        """(prompt tokens, most tokens generated) a ``1k_tokens`` price holds for; only a tool that
        measures ``tokens`` is priced so (tools/chat.py)."""
        raise NotImplementedError

    def resources_for(self, params: dict[str, Any]) -> Mapping[str, int]:
        """The slots this run takes; a tool whose need depends on its input overrides it.

        Example: ``WaitTool().resources_for({"cpu": 2})`` → ``{"cpu": 2}``.
        """
        return self.resources

    def work_units(self, params: dict[str, Any]) -> float:
        """The media units a run of these params is expected to report (``ToolOutput.media_units``),
        for a queued job's ETA; one by default (one image).

        Example: a transcription tool returns the probed duration in seconds.
        """
        return 1.0

    @abstractmethod
    def run(self, ctx: ToolContext) -> ToolOutput:
        """Do the work; raise a NoxusError for bad input, poll ``ctx.cancel`` in long loops."""

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


FILE_AS_TEXT = Text("envía el archivo como parte con nombre (curl -F 'campo=@archivo') o en base64",
                    "send the file as a part with a filename (curl -F 'field=@file') or as base64")


def coerce_inputs(specs: tuple[InputSpec, ...], raw: Mapping[str, Any],
                  files: Mapping[str, InputFile]) -> tuple[dict[str, Any], dict[str, list[str]]]:
    """Typed params and field errors from raw values. Unknown fields are ignored."""
    params: dict[str, Any] = {}
    errors: dict[str, list[str]] = {}
    for spec in specs:
        if spec.type == "file":
            if spec.name not in files and raw.get(spec.name) not in (None, ""):
                # curl -F 'image=<foto.png' sends the bytes as a text field, without a filename
                errors[spec.name] = [FILE_AS_TEXT]
            elif spec.required and spec.name not in files:
                errors[spec.name] = [Text("es obligatorio", "is required")]
            continue
        value = raw.get(spec.name)
        if value is None or value == "":
            if spec.required:
                errors[spec.name] = [Text("es obligatorio", "is required")]
            elif spec.default is not None:
                params[spec.name] = spec.default
            continue
        try:
            params[spec.name] = _coerce_one(spec, value)
        except ValueError as exc:
            said = exc.args[0] if exc.args else ""
            errors[spec.name] = [said if isinstance(said, Text) else str(exc)]  # Text keeps both languages
    return params, errors


def _coerce_one(spec: InputSpec, value: Any) -> Any:
    converted = _CONVERTERS[spec.type](value)
    if spec.choices is not None and isinstance(converted, str) and all(
            isinstance(c, str) and c == c.lower() for c in spec.choices):
        converted = converted.strip().lower()  # output_format=PNG means png
    if spec.choices is not None and converted not in spec.choices:
        allowed = ", ".join(str(c) for c in spec.choices)
        raise ValueError(Text(f"debe ser uno de: {allowed}", f"must be one of: {allowed}"))
    if spec.minimum is not None and converted < spec.minimum:
        raise ValueError(Text(f"debe ser >= {spec.minimum}", f"must be >= {spec.minimum}"))
    if spec.maximum is not None and converted > spec.maximum:
        raise ValueError(Text(f"debe ser <= {spec.maximum}", f"must be <= {spec.maximum}"))
    if spec.max_length is not None and len(converted) > spec.max_length:
        raise ValueError(Text(f"máximo {spec.max_length} caracteres", f"at most {spec.max_length} characters"))
    return converted


# ASCII only: ``\d`` and ``str.isdigit()`` also accept "²" and Arabic-Indic digits
_INT_RE = re.compile(r"[+-]?[0-9]{1,12}")
_NUMBER_RE = re.compile(r"[+-]?(?:[0-9]{1,12}(?:\.[0-9]{0,9})?|\.[0-9]{1,9})(?:[eE][+-]?[0-9]{1,2})?")
# 12 digits bound every integer input far below SQLite's int64 and any tool's maximum
INT_BOUND = 10**12


def _to_string(value: Any) -> str:
    """Text that can be written anywhere: a lone UTF-16 surrogate (JSON ``"\\ud800"``)
    cannot be encoded as UTF-8, so it is refused here instead of failing later."""
    if not isinstance(value, str):
        raise ValueError(Text("debe ser texto", "must be a string"))
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise ValueError(Text("texto con caracteres inválidos (sustituto UTF-16 suelto)",
                              "text with invalid characters (a lone UTF-16 surrogate)")) from None
    return value


def _to_int(value: Any) -> int:
    """``7``, ``"7"``, ``" -3 "``, JSON ``7.0``; never ``"²"``, ``"1e3"``, ``7.5`` or 13 digits.

    JSON ``7.0`` (and ``7e0``) is an integer to JSON Schema, so the published
    ``"type": "integer"`` takes it; a client that writes every number as a
    float (JavaScript's ``JSON.stringify(4.0)`` is ``4``, others are not) must not get a 400.
    """
    if isinstance(value, float) and value.is_integer() and -INT_BOUND < value < INT_BOUND:
        return int(value)
    if isinstance(value, int) and not isinstance(value, bool) and -INT_BOUND < value < INT_BOUND:
        return value
    if isinstance(value, str) and _INT_RE.fullmatch(value.strip(" \t")):
        return int(value)
    raise ValueError(Text("debe ser un entero", "must be an integer"))


def _to_number(value: Any) -> float:
    """``1``, ``0.5``, ``"2.5"``; never ``"nan"``, ``"inf"``, ``"1_000"`` or ``"١"``."""
    if isinstance(value, int | float) and not isinstance(value, bool) and abs(value) < INT_BOUND:
        return float(value)  # NaN fails the comparison above too
    if isinstance(value, str) and _NUMBER_RE.fullmatch(value.strip(" \t")):
        number = float(value)
        if abs(number) < INT_BOUND:
            return number
    raise ValueError(Text("debe ser un número", "must be a number"))


def _to_bool(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in {"true", "1", "yes", "on"}:
        return True
    if text in {"false", "0", "no", "off"}:
        return False
    raise ValueError(Text("debe ser true o false", "must be true or false"))


def _to_color(value: Any) -> str:
    """Normalise ``red``, ``#f00``, ``ff0000`` or ``#ff000080`` to ``#rrggbb[aa]``."""
    text = _to_string(value).strip().lower()
    text = _NAMED_COLORS.get(text, text)
    if not _COLOR_RE.match(text):
        raise ValueError(Text("color inválido, usa #rrggbb", "invalid colour, use #rrggbb"))
    digits = text.lstrip("#")
    if len(digits) in (3, 4):
        digits = "".join(ch * 2 for ch in digits)
    return "#" + digits


def _to_object(value: Any) -> Any:
    return value


_CONVERTERS: dict[str, Callable[[Any], Any]] = {
    "string": _to_string, "integer": _to_int, "number": _to_number,
    "boolean": _to_bool, "color": _to_color, "object": _to_object,
}
