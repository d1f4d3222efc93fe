"""A small JSON Schema checker for the shapes we ask a model for (scene plans, judgements, scripts).

``jsonschema`` is a test dependency only (it pulls referencing, rpds-py and
attrs); the schemas a pipeline gives a model are small and use only the
keywords below, so this checks them in ~60 lines and says where each
problem is. A test runs the same documents through ``jsonschema`` and
expects the same verdicts. Keywords: ``type`` (one or a list), ``enum``,
``properties``, ``required``, ``additionalProperties: false``, ``items``,
``minItems``/``maxItems``, ``minLength``/``maxLength``,
``minimum``/``maximum``; any other keyword is refused when the schema is
checked (``SchemaError``), so a schema never silently means less than it says.

Example::

    schema = {"type": "object", "required": ["n"], "properties": {"n": {"type": "integer", "minimum": 1}}}
    problems({"n": 0}, schema)        # ["$.n: 0 is less than the minimum 1"]
    problems({"n": 2}, schema)        # []
"""

from __future__ import annotations

from typing import Any

KEYWORDS = {"type", "enum", "properties", "required", "additionalProperties", "items", "minItems", "maxItems",
            "minLength", "maxLength", "minimum", "maximum", "description", "title"}
TYPES: dict[str, Any] = {"object": dict, "array": list, "string": str, "boolean": bool, "null": type(None)}


class SchemaError(ValueError):
    """A schema that uses a keyword this checker does not know."""


def check_schema(schema: dict[str, Any], where: str = "$") -> None:
    unknown = sorted(set(schema) - KEYWORDS)
    if unknown:
        raise SchemaError(f"{where}: unsupported keyword {unknown[0]!r}")
    for name, sub in (schema.get("properties") or {}).items():
        check_schema(sub, f"{where}.{name}")
    if isinstance(schema.get("items"), dict):
        check_schema(schema["items"], f"{where}[]")


def problems(value: Any, schema: dict[str, Any], where: str = "$") -> list[str]:
    """Every way ``value`` breaks ``schema``, each with its JSON path; empty when it conforms."""
    kinds = schema.get("type")
    if kinds is not None and not any(_is(value, k) for k in ([kinds] if isinstance(kinds, str) else kinds)):
        return [f"{where}: expected {kinds}, got {_kind(value)}"]
    found = []
    if "enum" in schema and value not in schema["enum"]:
        found.append(f"{where}: {value!r} is not one of {schema['enum']}")
    if isinstance(value, dict):
        found += _object(value, schema, where)
    elif isinstance(value, list):
        found += _array(value, schema, where)
    elif isinstance(value, str):
        found += _bounds(len(value), schema, "minLength", "maxLength", where, "characters")
    elif _is(value, "number"):
        found += _bounds(value, schema, "minimum", "maximum", where, "")
    return found


def _object(value: dict[str, Any], schema: dict[str, Any], where: str) -> list[str]:
    properties = schema.get("properties") or {}
    found = [f"{where}: missing {name!r}" for name in schema.get("required", []) if name not in value]
    if schema.get("additionalProperties") is False:
        found += [f"{where}: unexpected {name!r}" for name in value if name not in properties]
    for name, sub in properties.items():
        if name in value:
            found += problems(value[name], sub, f"{where}.{name}")
    return found


def _array(value: list[Any], schema: dict[str, Any], where: str) -> list[str]:
    found = _bounds(len(value), schema, "minItems", "maxItems", where, "items")
    if isinstance(schema.get("items"), dict):
        for i, item in enumerate(value):
            found += problems(item, schema["items"], f"{where}[{i}]")
    return found


def _bounds(n: Any, schema: dict[str, Any], low: str, high: str, where: str, unit: str) -> list[str]:
    suffix = f" {unit}" if unit else ""
    if low in schema and n < schema[low]:
        return [f"{where}: {n}{suffix} is less than the minimum {schema[low]}"]
    if high in schema and n > schema[high]:
        return [f"{where}: {n}{suffix} is more than the maximum {schema[high]}"]
    return []


def _is(value: Any, kind: str) -> bool:
    if kind == "integer":
        return isinstance(value, int) and not isinstance(value, bool) or (isinstance(value, float)
                                                                         and value.is_integer())
    if kind == "number":
        return isinstance(value, int | float) and not isinstance(value, bool)
    return kind in TYPES and isinstance(value, TYPES[kind])


def _kind(value: Any) -> str:
    for name in ("null", "boolean", "integer", "number", "string", "array", "object"):
        if _is(value, name):
            return name
    return type(value).__name__
