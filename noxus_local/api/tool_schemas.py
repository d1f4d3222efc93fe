"""The tool catalog's bodies as msgspec Structs: what ``GET /api/v1/tools`` documents.

A catalog entry is ``Tool.describe`` plus the per-tier limits. Some tools add
members of their own (auto-subtitles' ``styles`` and ``fonts``, video-ad's
``cta_designs``, dub-video's ``target_languages`` ...): the Structs name the
members every tool has, and their schemas stay open (no
``additionalProperties: false``), so a tool's extras are valid and shown in the
live examples. The handlers therefore answer the entry as built (JSON), and the
Structs are the published schema.

Example::

    @get("/api/v1/tools", **operation("listTools", "Tools", ..., ok=(ToolList, {"catalog": {...}})))
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from msgspec import UNSET, Meta, Struct, UnsetType

from noxus_local.api.job_schemas import Unit
from noxus_local.api.schemas import Envelope

InputType = Literal["string", "integer", "number", "boolean", "file", "color", "object"]


class ToolInputSpec(Struct, kw_only=True):
    """One input of a tool: its name, type, and what the server checks."""

    name: str
    type: InputType
    required: bool
    default: Any | UnsetType = UNSET
    allowed_values: list[Any] | UnsetType = UNSET
    minimum: float | UnsetType = UNSET
    maximum: float | UnsetType = UNSET
    max_length: int | UnsetType = UNSET
    description: str | UnsetType = UNSET


class FixedPricing(Struct, kw_only=True, tag_field="type", tag="fixed"):
    """One price per run (``type``: ``fixed``)."""

    price_usd: Annotated[str, Meta(description="Per run", examples=["0.002"])]


class DynamicPricing(Struct, kw_only=True, tag_field="type", tag="dynamic"):
    """Per unit (``type``: ``dynamic``): the hold is unit_usd times the units measured from the validated
    input; a success is charged the units processed, rounded up to the micro-USD, never more than the hold."""

    unit: Unit
    unit_usd: Annotated[str, Meta(description="Price of one unit", examples=["0.0004"])]
    starting_usd: Annotated[str, Meta(description="One unit, or the minimum charge if higher",
                                      examples=["0.001"])]
    input_unit_usd: Annotated[str, Meta(description="Token-priced tools: one input unit")] | UnsetType = UNSET
    output_unit_usd: Annotated[str, Meta(description="Token-priced tools: one output unit")] | UnsetType = UNSET


class TierLimits(Struct, kw_only=True):
    max_upload_mb: float
    max_image_pixels: int


class CaptionStyle(Struct, kw_only=True):
    name: str
    description: str
    looks_like: str


class ToolDescription(Struct, kw_only=True):
    """A catalog entry (``Tool.describe``): inputs, pricing, availability and per-tier limits."""

    slug: str
    aliases: Annotated[list[str], Meta(description="Other names the tool answers at (Spanish)")]
    title: str
    description: str
    media_type: str
    inputs: list[ToolInputSpec]
    pricing: Annotated[FixedPricing | DynamicPricing, Meta(
        description="`fixed`: one price per run. `dynamic`: the hold is unit_usd times the units measured "
                    "from the validated input; a success is charged the units processed, rounded up to the "
                    "micro-USD, never more than the hold.")]
    available: bool
    unavailable_reason: Annotated[str, Meta(description="Why, and how to install what is missing")] | UnsetType = \
        UNSET
    limits: Annotated[dict[str, TierLimits], Meta(description="Per tier")]
    styles: Annotated[list[CaptionStyle], Meta(
        description="Caption tools: the caption presets")] | UnsetType = UNSET
    fonts: Annotated[list[str], Meta(description="Caption tools: the bundled font families")] | UnsetType = UNSET


class ToolList(Envelope, kw_only=True):
    tools: list[ToolDescription]


class ToolDetail(Envelope, kw_only=True):
    tool: ToolDescription


