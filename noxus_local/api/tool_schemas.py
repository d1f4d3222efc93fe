"""The tool catalog's bodies as msgspec Structs: what ``GET /api/v1/tools`` documents.

A catalog entry is ``Tool.describe`` plus the per-tier limits. Some tools add
members of their own (auto-subtitles' ``styles``, ``fonts``, ``positions`` and
``pricing_factors``, auto-clip's ``clip_unit_seconds``, video-ad's
``cta_designs``, dub-video's ``target_languages`` and ``lip_sync``): each is a
typed optional member of ``ToolDescription`` (``X | UnsetType = UNSET``), and the
Structs forbid unknown members when the handlers convert an entry
(``job_schemas.job_struct``), so a tool that adds a member without declaring it
here fails tests/unit/test_tool_schemas.py instead of vanishing from the answer.
Numbers that a tool gives as ints stay ints (``Number``: ``int | float``).

Example::

    @get("/api/v1/tools", **operation("listTools", "Tools", ..., ok=(ToolList, {"catalog": {...}})))
    async def list_tools(...) -> ToolList:
        return job_struct({**ok(request), "tools": [...]}, ToolList)
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from msgspec import UNSET, Meta, Struct, UnsetType

from noxus_local.api.job_schemas import Unit
from noxus_local.api.schemas import Envelope

InputType = Literal["string", "integer", "number", "boolean", "file", "color", "object"]
# an int stays an int when converted (a float member would turn 1 into 1.0); published as {"type": "number"}
Number = int | float


class ToolInputSpec(Struct, kw_only=True, forbid_unknown_fields=True):
    """One input of a tool: its name, type, and what the server checks."""

    name: str
    type: InputType
    required: bool
    default: Any | UnsetType = UNSET
    allowed_values: list[Any] | UnsetType = UNSET
    minimum: Number | UnsetType = UNSET
    maximum: Number | UnsetType = UNSET
    max_length: int | UnsetType = UNSET
    description: str | UnsetType = UNSET


class FixedPricing(Struct, kw_only=True, forbid_unknown_fields=True, tag_field="type", tag="fixed"):
    """One price per run (``type``: ``fixed``)."""

    price_usd: Annotated[str, Meta(description="Per run", examples=["0.002"])]


class DynamicPricing(Struct, kw_only=True, forbid_unknown_fields=True, tag_field="type", tag="dynamic"):
    """Per unit (``type``: ``dynamic``): the hold is unit_usd times the units measured from the validated
    input; a success is charged the units processed, rounded up to the micro-USD, never more than the hold."""

    unit: Unit
    unit_usd: Annotated[str, Meta(description="Price of one unit", examples=["0.0004"])]
    starting_usd: Annotated[str, Meta(description="One unit, or the minimum charge if higher",
                                      examples=["0.001"])]
    input_unit_usd: Annotated[str, Meta(description="Token-priced tools: one input unit")] | UnsetType = UNSET
    output_unit_usd: Annotated[str, Meta(description="Token-priced tools: one output unit")] | UnsetType = UNSET


class TierLimits(Struct, kw_only=True, forbid_unknown_fields=True):
    max_upload_mb: Number
    max_image_pixels: int


class CaptionStyle(Struct, kw_only=True, forbid_unknown_fields=True):
    name: str
    description: str
    looks_like: str


class ToolDescription(Struct, kw_only=True, forbid_unknown_fields=True):
    """A catalog entry (``Tool.describe``): inputs, pricing, availability and per-tier limits, then the members
    only some tools add (declared here, one by one: an undeclared one fails the tests)."""

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
    positions: Annotated[list[str], Meta(
        description="auto-subtitles: the caption positions (`<row>_<column>`, or `y=<0-100>`)")] | UnsetType = UNSET
    pricing_factors: Annotated[dict[str, Number], Meta(
        description="auto-subtitles: the units held per second of video, per mode")] | UnsetType = UNSET
    clip_unit_seconds: Annotated[Number, Meta(
        description="auto-clip: one rendered clip is billed as this many seconds of source")] | UnsetType = UNSET
    target_languages: Annotated[list[str], Meta(
        description="dub-video: the languages it dubs into")] | UnsetType = UNSET
    lip_sync: Annotated[bool, Meta(description="dub-video: whether lips are re-synced (never, today)")] \
        | UnsetType = UNSET
    cta_designs: Annotated[list[str], Meta(description="video-ad: the end card designs")] | UnsetType = UNSET


class ToolList(Envelope, kw_only=True, forbid_unknown_fields=True):
    tools: list[ToolDescription]


class ToolDetail(Envelope, kw_only=True, forbid_unknown_fields=True):
    tool: ToolDescription


