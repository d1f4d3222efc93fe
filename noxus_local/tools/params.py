"""A tool's params as one typed msgspec Struct; the catalog's ``InputSpec`` list is read off it.

A tool declares each field once, with its type, bounds, allowed values, default,
description and examples; the catalog (``GET /api/v1/tools/{slug}``), the
OpenAPI request schemas and the strict reader (``base.coerce_inputs``: ASCII
digits, bounds, lone surrogates) all use the ``InputSpec`` tuple derived from
it, so they cannot drift apart. File inputs are not params (the tool finds them
in ``ctx.files``); they are listed in ``file_inputs``, before the fields.

Example::

    class QrParams(Params):
        file_inputs: ClassVar[tuple[InputSpec, ...]] = ()
        text: Annotated[str, Meta(description="Text or URL", examples=["https://noxus.lat"])]
        output_format: Literal["png", "svg"] = "png"
        size: Annotated[int, Meta(ge=64, le=4000)] | None = None
        foreground: Color = "#000000"

    [i.describe() for i in inputs_of(QrParams)][1]
    # {"name": "output_format", "type": "string", "required": False, "default": "png",
    #  "allowed_values": ["png", "svg"]}

A field the server sets, never the client (e.g. text-to-speech's ``voice_mix``, the account's saved
voice looked up at the request), is marked ``Internal``: it is typed and kept with the job but listed
nowhere. A field's wire name is its Python name (``msgspec.field(name=...)`` is not used:
the catalog and the stored params speak the same names).
"""

from __future__ import annotations

import types
import typing
from collections.abc import Mapping
from typing import Annotated, Any, ClassVar, Literal, Union, get_args, get_origin

import msgspec

from noxus_local.tools.spec import InputSpec, InputType

__all__ = ["Color", "Internal", "Params", "inputs_of", "read_params"]

# a colour field: any CSS-ish colour the reader normalises to #rrggbb[aa]
Color = Annotated[str, msgspec.Meta(extra={"noxus_type": "color"})]
# a field whose value is any JSON (a list or a comma-separated string, e.g. video-analyze's features)
JsonValue = Annotated[Any, msgspec.Meta(extra={"noxus_type": "object"})]

# marks a field the server sets (Annotated[dict | None, Internal]): not in the catalog, the OpenAPI
# request schemas or the strict reader's inputs
Internal = msgspec.Meta(extra={"noxus_internal": True})

_SCALARS: dict[Any, InputType] = {str: "string", int: "integer", float: "number", bool: "boolean"}


class Params(msgspec.Struct, kw_only=True):
    """Base of every tool's params Struct.

    It also reads like the dict it replaces (``params["model"]``, ``params.get("burn")``), so
    helpers shared with dict callers keep working while tools move to attributes.
    """

    file_inputs: ClassVar[tuple[InputSpec, ...]] = ()
    # the catalog's order of the inputs by name, where a file input sits among the fields (as a tool listed
    # them before its Struct); empty: the file inputs first, then the fields in order
    input_order: ClassVar[tuple[str, ...]] = ()

    def __getitem__(self, name: str) -> Any:
        try:
            return getattr(self, name)
        except AttributeError:
            raise KeyError(name) from None

    def __setitem__(self, name: str, value: Any) -> None:
        setattr(self, name, value)

    def __contains__(self, name: object) -> bool:
        """As in the reader's dict, where an absent optional field has no key: declared and not None."""
        return isinstance(name, str) and name in self.__struct_fields__ and getattr(self, name) is not None

    def get(self, name: str, default: Any = None) -> Any:
        return getattr(self, name, default)

    def to_dict(self) -> dict[str, Any]:
        """The JSON dict a job row keeps: ``{"seconds": 2.0, "fail": False, ...}``.

        A free-form value may hold a ``str`` subclass (an analysis item's error ``Text``): kept as the
        plain string ``json.dumps`` would write for it, as the job row stored it before Structs.
        """
        return msgspec.to_builtins(self, enc_hook=_plain)


def _plain(value: Any) -> Any:
    """msgspec's ``enc_hook``: a subclass of a JSON scalar becomes the scalar; anything else is a TypeError
    (a params value that is not JSON is a bug in the reader, never something to store)."""
    for kind in (str, int, float):
        if isinstance(value, kind):
            return kind(value)
    raise TypeError(f"{type(value).__name__} is not a JSON value")


def inputs_of(params: type[Params]) -> tuple[InputSpec, ...]:
    """The catalog's inputs of a params Struct: its ``file_inputs``, then one per field in order (or as
    ``input_order`` names them)."""
    hints = typing.get_type_hints(params, include_extras=True)
    info = msgspec.inspect.type_info(params)
    assert isinstance(info, msgspec.inspect.StructType)
    fields = [_spec(f, hints[f.name]) for f in info.fields if not _unwrap(hints[f.name])[1].get("noxus_internal")]
    specs = (*params.file_inputs, *fields)
    if params.input_order:
        order = {name: i for i, name in enumerate(params.input_order)}
        specs = tuple(sorted(specs, key=lambda spec: order.get(spec.name, len(order))))
    return specs


def read_params(params: type[Params], values: Mapping[str, Any]) -> Params:
    """The typed Struct from params the strict reader already coerced (unknown keys are dropped).

    Example: ``read_params(WaitParams, {"seconds": 2})`` → ``WaitParams(seconds=2.0, ...)``.
    """
    known = {k: v for k, v in values.items() if k in params.__struct_fields__}
    return msgspec.convert(known, params, strict=False)


def _spec(field: msgspec.inspect.Field, hint: Any) -> InputSpec:
    base, meta, optional = _unwrap(hint)
    kind, choices = _kind(base, meta)
    default = field.default if field.default is not msgspec.NODEFAULT else None
    return InputSpec(field.name, kind, required=field.required and not optional, default=default,
                     choices=choices, minimum=_bound(meta, "ge"), maximum=_bound(meta, "le"),
                     max_length=meta.get("max_length"), help=meta.get("description") or "",
                     examples=tuple(meta.get("examples") or ()))


def _unwrap(hint: Any) -> tuple[Any, dict[str, Any], bool]:
    """(the bare type, its merged Meta constraints, whether None is allowed)."""
    meta: dict[str, Any] = {}
    optional = False
    while True:
        if get_origin(hint) is Annotated:
            hint, *extras = get_args(hint)
            for m in extras:
                if isinstance(m, msgspec.Meta):
                    meta.update({k: getattr(m, k) for k in ("ge", "le", "max_length", "description", "examples")
                                 if getattr(m, k) is not None})
                    meta.update(m.extra or {})
            continue
        if get_origin(hint) in (Union, types.UnionType):
            args = [a for a in get_args(hint) if a is not type(None)]
            optional = optional or len(args) < len(get_args(hint))
            if len(args) == 1:
                hint = args[0]
                continue
        return hint, meta, optional


def _kind(base: Any, meta: dict[str, Any]) -> tuple[InputType, tuple[Any, ...] | None]:
    if "noxus_type" in meta:
        return meta["noxus_type"], None
    if get_origin(base) is Literal:
        choices = get_args(base)
        return _SCALARS.get(type(choices[0]), "string"), tuple(choices)
    return _SCALARS.get(base, "object"), None


def _bound(meta: dict[str, Any], key: str) -> float | None:
    return meta.get(key)
