"""The strict reader: raw form strings or JSON values → typed params, or every field's error at once.

What every tool's input goes through, whatever route submitted it (the inputs come from the tool's
params Struct, tools/params.py, or its hand-written ``InputSpec`` list): integers are ASCII digits
(``"²"`` and Arabic-Indic digits are refused), numbers are finite and bounded, text that holds a
lone UTF-16 surrogate is refused, allowed values and bounds are checked; messages come in both
locales (``errors.Text``).

Example::

    coerce_inputs((InputSpec("size", "integer", minimum=64),), {"size": "²"}, {})
    # ({}, {"size": [t("reader.must_integer")]}), which says "debe ser un entero" / "must be an integer"
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any

from noxus_local.errors import Text
from noxus_local.locale import t
from noxus_local.tools.spec import InputSpec

__all__ = ["FILE_AS_TEXT", "INT_BOUND", "coerce_inputs"]

_COLOR_RE = re.compile(r"^#?(?:[0-9a-fA-F]{3}|[0-9a-fA-F]{4}|[0-9a-fA-F]{6}|[0-9a-fA-F]{8})$")
_NAMED_COLORS = {
    "black": "#000000", "white": "#ffffff", "red": "#ff0000", "green": "#008000",
    "blue": "#0000ff", "yellow": "#ffff00", "transparent": "#00000000",
}


FILE_AS_TEXT = t("reader.file_as_text")


def coerce_inputs(specs: tuple[InputSpec, ...], raw: Mapping[str, Any],
                  files: Mapping[str, Any]) -> tuple[dict[str, Any], dict[str, list[str]]]:
    """Typed params and field errors from raw values. Unknown fields are ignored."""
    params: dict[str, Any] = {}
    errors: dict[str, list[str]] = {}
    for spec in specs:
        if spec.type == "file":
            if spec.name not in files and raw.get(spec.name) not in (None, ""):
                # curl -F 'image=<foto.png' sends the bytes as a text field, without a filename
                errors[spec.name] = [FILE_AS_TEXT]
            elif spec.required and spec.name not in files:
                errors[spec.name] = [t("common.required")]
            continue
        value = raw.get(spec.name)
        if value is None or value == "":
            if spec.required:
                errors[spec.name] = [t("common.required")]
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
        raise ValueError(t("reader.one_of", allowed=allowed))
    if spec.minimum is not None and converted < spec.minimum:
        raise ValueError(t("reader.at_least", minimum=spec.minimum))
    if spec.maximum is not None and converted > spec.maximum:
        raise ValueError(t("reader.at_most", maximum=spec.maximum))
    if spec.max_length is not None and len(converted) > spec.max_length:
        raise ValueError(t("reader.at_most_characters", max_length=spec.max_length))
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
        raise ValueError(t("reader.must_string"))
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise ValueError(t("common.text_with_invalid_characters")) from None
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
    raise ValueError(t("reader.must_integer"))


def _to_number(value: Any) -> float:
    """``1``, ``0.5``, ``"2.5"``; never ``"nan"``, ``"inf"``, ``"1_000"`` or ``"١"``."""
    if isinstance(value, int | float) and not isinstance(value, bool) and abs(value) < INT_BOUND:
        return float(value)  # NaN fails the comparison above too
    if isinstance(value, str) and _NUMBER_RE.fullmatch(value.strip(" \t")):
        number = float(value)
        if abs(number) < INT_BOUND:
            return number
    raise ValueError(t("reader.must_number"))


def _to_bool(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in {"true", "1", "yes", "on"}:
        return True
    if text in {"false", "0", "no", "off"}:
        return False
    raise ValueError(t("reader.must_true_or_false"))


def _to_color(value: Any) -> str:
    """Normalise ``red``, ``#f00``, ``ff0000`` or ``#ff000080`` to ``#rrggbb[aa]``."""
    text = _to_string(value).strip().lower()
    text = _NAMED_COLORS.get(text, text)
    if not _COLOR_RE.match(text):
        raise ValueError(t("reader.invalid_colour_use_rrggbb"))
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
