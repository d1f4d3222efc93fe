"""The Tool interface: a tool is a small class with class-level identity.

Tools never see HTTP, keys or money. The runner (``noxus_local.queue.runner``)
gives a tool its validated parameters, its input files on disk, the caller's
limits, a progress callback and a cancel token; the tool returns a
``ToolOutput``. Billing, limits and idempotency wrap every tool the same way.

Example::

    class Echo(Tool):
        slug = "echo"
        aliases = ("eco",)
        title = "Echo"
        description = "Returns its text as a .txt file."
        inputs = (InputSpec("text", "string", required=True, max_length=100),)

        def run(self, ctx: ToolContext) -> ToolOutput:
            return ToolOutput(ctx.params["text"].encode(), "echo.txt", "text/plain")
"""

from __future__ import annotations

import re
from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar, Literal

from noxus_local.errors import ValidationError
from noxus_local.runtime.cancel import CancelToken

InputType = Literal["string", "integer", "number", "boolean", "file", "color", "object"]

_COLOR_RE = re.compile(r"^#?(?:[0-9a-fA-F]{3}|[0-9a-fA-F]{4}|[0-9a-fA-F]{6}|[0-9a-fA-F]{8})$")
_NAMED_COLORS = {
    "black": "#000000", "white": "#ffffff", "red": "#ff0000", "green": "#008000",
    "blue": "#0000ff", "yellow": "#ffff00", "transparent": "#00000000",
}


@dataclass(frozen=True)
class Limits:
    """The caller's tier limits that a tool must respect while it runs."""

    max_upload_bytes: int = 25 * 1024 * 1024
    max_image_pixels: int = 40_000_000
    max_video_seconds: int = 600
    max_batch_images: int = 10


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
    models: Any = None  # the process's inference.cache.ModelCache: ctx.models.get(SileroVad)


@dataclass
class ToolOutput:
    """What a tool produced: bytes or a file in the workdir, plus a result dict."""

    data: bytes | Path
    filename: str
    mime_type: str
    result: dict[str, Any] = field(default_factory=dict)
    # charge for dynamic tools; None = the estimate
    actual_micros: int | None = None
    # what was processed, for /status/latency: images, or seconds of video
    media_units: float = 1.0


class Tool(ABC):
    """Base class; subclasses set the class variables and implement ``run``."""

    slug: ClassVar[str]
    aliases: ClassVar[tuple[str, ...]] = ()
    title: ClassVar[str]
    description: ClassVar[str]
    inputs: ClassVar[tuple[InputSpec, ...]] = ()
    media_type: ClassVar[str] = "image"
    pricing_unit: ClassVar[str | None] = None  # None = fixed price per run
    # compute slots one run holds while it runs (queue/pool.py): whole CPU cores or GPUs.
    # One core is the default; a tool that runs a model with N threads declares {"cpu": N}.
    resources: ClassVar[Mapping[str, int]] = {"cpu": 1}

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

    def estimate_micros(self, params: dict[str, Any], price_micros: int) -> int:
        """The hold for a run; fixed-price tools hold their price."""
        return price_micros

    @abstractmethod
    def run(self, ctx: ToolContext) -> ToolOutput:
        """Do the work; raise a NoxusError for bad input, poll ``ctx.cancel`` in long loops."""

    def describe(self, price_micros: int, available: bool = True,
                 reason: str | None = None) -> dict[str, Any]:
        from noxus_local.money import format_usd

        pricing: dict[str, Any]
        if self.pricing_unit is None:
            pricing = {"type": "fixed", "price_usd": format_usd(price_micros)}
        else:
            pricing = {"type": "dynamic", "starting_usd": format_usd(price_micros),
                       "unit": self.pricing_unit}
        out: dict[str, Any] = {
            "slug": self.slug, "aliases": list(self.aliases), "title": self.title,
            "description": self.description, "media_type": self.media_type,
            "inputs": [i.describe() for i in self.inputs], "pricing": pricing,
            "available": available,
        }
        if reason:
            out["unavailable_reason"] = reason
        return out


def coerce_inputs(specs: tuple[InputSpec, ...], raw: Mapping[str, Any],
                  files: Mapping[str, InputFile]) -> tuple[dict[str, Any], dict[str, list[str]]]:
    """Typed params and field errors from raw values. Unknown fields are ignored."""
    params: dict[str, Any] = {}
    errors: dict[str, list[str]] = {}
    for spec in specs:
        if spec.type == "file":
            if spec.required and spec.name not in files:
                errors[spec.name] = ["es obligatorio / is required"]
            continue
        value = raw.get(spec.name)
        if value is None or value == "":
            if spec.required:
                errors[spec.name] = ["es obligatorio / is required"]
            elif spec.default is not None:
                params[spec.name] = spec.default
            continue
        try:
            params[spec.name] = _coerce_one(spec, value)
        except ValueError as exc:
            errors[spec.name] = [str(exc)]
    return params, errors


def _coerce_one(spec: InputSpec, value: Any) -> Any:
    converted = _CONVERTERS[spec.type](value)
    if spec.choices is not None and isinstance(converted, str) and all(
            isinstance(c, str) and c == c.lower() for c in spec.choices):
        converted = converted.strip().lower()  # output_format=PNG means png
    if spec.choices is not None and converted not in spec.choices:
        allowed = ", ".join(str(c) for c in spec.choices)
        raise ValueError(f"debe ser uno de / must be one of: {allowed}")
    if spec.minimum is not None and converted < spec.minimum:
        raise ValueError(f"debe ser >= {spec.minimum} / must be >= {spec.minimum}")
    if spec.maximum is not None and converted > spec.maximum:
        raise ValueError(f"debe ser <= {spec.maximum} / must be <= {spec.maximum}")
    if spec.max_length is not None and len(converted) > spec.max_length:
        raise ValueError(f"máximo {spec.max_length} caracteres / at most {spec.max_length} characters")
    return converted


def _to_string(value: Any) -> str:
    if not isinstance(value, str):
        raise ValueError("debe ser texto / must be a string")
    return value


def _to_int(value: Any) -> int:
    if isinstance(value, bool):
        raise ValueError("debe ser un entero / must be an integer")
    if isinstance(value, int):
        return value
    if isinstance(value, str) and re.fullmatch(r"[+-]?\d{1,12}", value.strip()):
        return int(value)
    raise ValueError("debe ser un entero / must be an integer")


def _to_number(value: Any) -> float:
    if isinstance(value, bool):
        raise ValueError("debe ser un número / must be a number")
    if isinstance(value, int | float):
        return float(value)
    try:
        return float(str(value).strip())
    except ValueError:
        raise ValueError("debe ser un número / must be a number") from None


def _to_bool(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in {"true", "1", "yes", "on"}:
        return True
    if text in {"false", "0", "no", "off"}:
        return False
    raise ValueError("debe ser true o false / must be true or false")


def _to_color(value: Any) -> str:
    """Normalise ``red``, ``#f00``, ``ff0000`` or ``#ff000080`` to ``#rrggbb[aa]``."""
    text = _to_string(value).strip().lower()
    text = _NAMED_COLORS.get(text, text)
    if not _COLOR_RE.match(text):
        raise ValueError("color inválido, usa #rrggbb / invalid colour, use #rrggbb")
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
