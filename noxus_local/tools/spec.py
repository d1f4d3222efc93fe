"""One input of a tool as the catalog lists it and the strict reader checks it.

Every tool gets these from its params Struct (``tools/params.py``: ``inputs_of``); a Struct's
``file_inputs`` are written as InputSpecs (files are not params).

Example::

    InputSpec("seconds", "number", default=1.0, minimum=0, maximum=3600).describe()
    # {"name": "seconds", "type": "number", "required": False, "default": 1.0, "minimum": 0, "maximum": 3600}
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

InputType = Literal["string", "integer", "number", "boolean", "file", "color", "object"]


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
    examples: tuple[Any, ...] = ()  # from a params Struct's Meta(examples=...); for the generated OpenAPI

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
