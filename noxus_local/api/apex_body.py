"""Seed 002's JSON bodies read into their Structs (api/apex_schemas.py), with the seed's field sentences.

``api.bodies.read_struct`` does the strict reading (one JSON object, depth, surrogates,
``"5"`` is not a number, ``true`` is not one either); a field it refuses is then named
with what that field takes, said from the Struct's own type: ``model: one of: kokoro``,
``speed: a number from 0.5 to 2``, ``text: required: a string of 1-10,000 characters``.
Seed 002's error body is one sentence (``{"error", "code"}``), so the sentence says
what to send, not what msgspec saw.

Example::

    read(b'{"text": "hi", "model": "elevenlabs-v3"}', ApexVoiceIn)
    # ValidationError → 400 {"error": "The request has invalid fields. (model: one of: kokoro)",
    #                        "code": "BAD_REQUEST"}
"""

from __future__ import annotations

import functools
import re
from functools import cache
from typing import TypeVar

from msgspec import inspect

from noxus_local.api.bodies import read_struct
from noxus_local.errors import Text, ValidationError
from noxus_local.locale import t

T = TypeVar("T")
_TOP = re.compile(r"[.\[]")


def read(raw: bytes, model: type[T]) -> T:
    """``raw`` as ``model``, or the 400 naming the (top-level) field and what it takes."""
    try:
        return read_struct(raw, model)
    except ValidationError as exc:
        fields = (exc.details or {}).get("field_errors") or {}
        name = _TOP.split(next(iter(fields), ""), maxsplit=1)[0]
        field = _fields(model).get(name)
        if field is None:  # not one member (the body itself): msgspec's words
            raise
        sentence = hint(field.type)
        if field.required and _nullable(field.type):
            sentence = t("apex_body.or_null", hint=sentence)
        if field.required and _missing(fields):
            sentence = t("apex_body.required", hint=sentence)
        raise ValidationError.fields({name: [sentence]}) from None


def hint(kind: inspect.Type) -> Text:
    """What a value of ``kind`` is, in a few words: ``a whole number from 1 to 4``."""
    if isinstance(kind, inspect.UnionType):
        arms = [hint(arm) for arm in kind.types if not isinstance(arm, inspect.NoneType)]
        return functools.reduce(lambda left, right: t("apex_body.or", left=left, right=right), arms)
    if isinstance(kind, inspect.Metadata):
        return hint(kind.type)
    if isinstance(kind, inspect.StrType):
        return t("apex_body.string_length", low=kind.min_length or 0, high=kind.max_length) if kind.max_length \
            else t("apex_body.string")
    ranged = isinstance(kind, inspect.IntType | inspect.FloatType) and kind.ge is not None and kind.le is not None
    if isinstance(kind, inspect.IntType):
        return t("apex_body.whole_number_range", low=kind.ge, high=kind.le) if ranged else t("apex_body.whole_number")
    if isinstance(kind, inspect.FloatType):
        return t("apex_body.number_range", low=kind.ge, high=kind.le) if ranged else t("apex_body.number")
    if isinstance(kind, inspect.BoolType):
        return t("apex_routes.true_or_false")
    if isinstance(kind, inspect.LiteralType):
        return t("apex_body.one_of", values=", ".join(map(str, kind.values)))
    if isinstance(kind, inspect.ListType):
        return t("apex_body.list", low=kind.min_length or 0, high=kind.max_length, each=hint(kind.item_type))
    return t("apex_body.valid_value")


def _nullable(kind: inspect.Type) -> bool:
    return isinstance(kind, inspect.UnionType) and any(isinstance(arm, inspect.NoneType) for arm in kind.types)


def _missing(fields: dict[str, list[Text]]) -> bool:
    """msgspec said the member is absent (``bodies.field_error``'s "is required")."""
    return any(m.en == "is required" for messages in fields.values() for m in messages)


@cache
def _fields(model: type) -> dict[str, inspect.Field]:
    info = inspect.type_info(model)
    assert isinstance(info, inspect.StructType)
    return {f.encode_name: f for f in info.fields}
