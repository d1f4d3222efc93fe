"""A JSON request body read into the msgspec Struct its route declares: one type for reading and documenting.

A route declares its body as a Struct (``forbid_unknown_fields=True``, bounds and
enums in ``Meta``) and names it twice: ``docs.operation(..., body=(Struct, examples))``
publishes its generated schema as the operation's ``requestBody``, and
``read_struct(await request.body(), Struct)`` reads the request into it. Reading
stays as strict as the contract says (``inputs.json_object`` and
``inputs.check_values``: one JSON object, at most 32 deep, no lone surrogate),
then ``msgspec.convert(..., strict=True)``: ``"5"`` is not an integer, ``true``
is not a number. A mismatch is the contract's 400 ``validation_error`` naming
the field in ``details.field_errors``, in both locales — never Litestar's own
400 text, which is why handlers do not take ``data: Struct`` (Litestar converts
leniently and answers in its own words).

Example::

    class VoiceMix(Struct, forbid_unknown_fields=True, kw_only=True):
        name: Annotated[str, Meta(min_length=1, max_length=100)]

    read_struct(b'{"name": 5}', VoiceMix)
    # ValidationError: field_errors = {"name": ["se esperaba texto, llegó un número" | "expected a string, got int"]}
"""

from __future__ import annotations

import functools
import re
from typing import Any, TypeVar

import msgspec

from noxus_local.api.inputs import check_values, json_object
from noxus_local.errors import Text, ValidationError
from noxus_local.locale import TABLE, placeholders, t

T = TypeVar("T")

_AT = re.compile(r" - at `\$(?P<path>[^`]*)`$")
# msgspec's type names: Spanish words in es, the name itself in en ("expected int" / "se esperaba un entero")
_TYPES = {"str": t("bodies.type_str"), "int": t("bodies.type_int"), "float": t("bodies.type_float"),
          "bool": t("bodies.type_bool"), "array": t("bodies.type_array"), "object": t("bodies.type_object"),
          "number": t("bodies.type_number")}
# msgspec's sentences (the library's, stable since 0.16) and the locale table's key for each, most specific
# first; a pattern's named groups (but ``f``, the field) fill its sentence's placeholders
_PATTERNS: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"Object contains unknown field `(?P<f>[^`]*)`"), "bodies.unknown_field"),
    (re.compile(r"Object missing required field `(?P<f>[^`]*)`"), "common.required"),
    # a nullable member's type is a union: "Expected `float | null`, got `str`"
    (re.compile(r"Expected `(?P<t>\w+(?: \| \w+)*)`, got `(?P<g>\w+)`"), "bodies.expected_type"),
    (re.compile(r"Expected `\w+` of length >= (?P<n>\d+)"), "bodies.at_least_length"),
    (re.compile(r"Expected `\w+` of length <= (?P<n>\d+)"), "bodies.at_most_length"),
    (re.compile(r"Expected `\w+` >= (?P<n>[-\d.e]+)"), "bodies.at_least"),
    (re.compile(r"Expected `\w+` <= (?P<n>[-\d.e]+)"), "bodies.at_most"),
    (re.compile(r"Expected `\w+` > (?P<n>[-\d.e]+)"), "bodies.above"),
    (re.compile(r"Expected `\w+` < (?P<n>[-\d.e]+)"), "bodies.below"),
    (re.compile(r"Expected `str` matching regex (?P<r>.+)"), "bodies.pattern"),
    (re.compile(r"Invalid enum value (?P<v>.+)"), "bodies.enum"),
)
for _pattern, _key in _PATTERNS:  # checked once, at import: a pattern's groups are its sentence's placeholders
    if set(_pattern.groupindex) - {"f"} != placeholders(TABLE[_key]["es"]):
        raise KeyError(f"{_key}: placeholders differ from the groups of {_pattern.pattern}")


def _either(value: str) -> str:
    """A msgspec value in both locales: ``"float | null"`` → "un número o null" / "float or null"."""
    words = [_TYPES.get(part, part) for part in value.split(" | ")]
    return functools.reduce(lambda left, right: t("bodies.or", left=left, right=right), words)


def read_struct(raw: bytes, model: type[T]) -> T:
    """``raw`` (a request body) as ``model``, or the contract's 400 naming the field. An empty body is ``{}``."""
    body = check_values(json_object(raw))
    return convert(body, model)


def convert(value: Any, model: type[T], root: str = "") -> T:
    """``value`` (already-parsed JSON) as ``model``, strictly; ``root`` prefixes the field named in an error."""
    try:
        return msgspec.convert(value, model, strict=True)
    except msgspec.ValidationError as exc:
        field, message = field_error(str(exc))
        name = ".".join(p for p in (root, field) if p) or "body"
        raise ValidationError.fields({name[:100]: [message]}) from None


def field_error(text: str) -> tuple[str, Text]:
    """msgspec's error sentence → (the field's dotted path, a message in both locales).

    Example: ``field_error("Expected `int` >= 1 - at `$.n`")`` → ``("n", t("bodies.at_least", n="1"))``,
    which says "debe ser ≥ 1" / "must be ≥ 1".
    """
    at = _AT.search(text)
    path = at.group("path").lstrip(".") if at else ""
    sentence = text[:at.start()] if at else text
    for pattern, key in _PATTERNS:
        found = pattern.match(sentence)
        if found is None:
            continue
        values = found.groupdict()
        if "f" in values:  # a missing or unknown member: the member is the field
            path = ".".join(p for p in (path, values.pop("f")) if p)
        return path, t(key, **{k: _either(v) for k, v in values.items()})
    return path, Text(sentence, sentence)
