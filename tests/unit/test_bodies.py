"""A route's JSON body read into its Struct (api.bodies): strict, and every mismatch a named 400 in both locales."""

from __future__ import annotations

from typing import Annotated, Literal

import pytest
from msgspec import Meta, Struct

from noxus_local.api.bodies import field_error, read_struct
from noxus_local.errors import ValidationError


class Body(Struct, forbid_unknown_fields=True, kw_only=True):
    name: Annotated[str, Meta(min_length=1, max_length=5)]
    n: Annotated[int, Meta(ge=1, le=10)] = 1
    mode: Literal["a", "b"] = "a"
    tags: list[Annotated[str, Meta(pattern="^[a-z]+$")]] = []


def _errors(raw: bytes) -> dict[str, list[str]]:
    with pytest.raises(ValidationError) as caught:
        read_struct(raw, Body)
    return caught.value.details["field_errors"]


def test_a_valid_body_is_the_struct() -> None:
    assert read_struct(b'{"name": "ana", "n": 3, "tags": ["x"]}', Body) == Body(name="ana", n=3, tags=["x"])


@pytest.mark.parametrize(("raw", "field", "en"), [
    (b'{"n": 2}', "name", "is required"),
    (b'{"name": "ana", "x": 1}', "x", "unknown field"),
    (b'{"name": "ana", "n": "5"}', "n", "expected int, got str"),
    (b'{"name": "ana", "n": true}', "n", "expected int, got bool"),
    (b'{"name": "ana", "n": 0}', "n", "must be \u2265 1"),
    (b'{"name": "ana", "n": 11}', "n", "must be \u2264 10"),
    (b'{"name": "anabel"}', "name", "at most 5 characters or items"),
    (b'{"name": "ana", "mode": "c"}', "mode", "not an allowed value: 'c'"),
    (b'{"name": "ana", "tags": ["X"]}', "tags[0]", "does not match '^[a-z]+$'"),
])
def test_each_mismatch_names_its_field_in_both_locales(raw: bytes, field: str, en: str) -> None:
    errors = _errors(raw)
    assert list(errors) == [field]
    message = errors[field][0]
    assert message.en == en and str(message) != en  # the Spanish one is the plain str


def test_what_the_contract_refuses_before_the_struct_is_still_refused() -> None:
    assert "body" in _errors(b"[1]")
    assert "name" in _errors(b'{"name": "\\ud800"}')  # a lone surrogate
    assert "body" in _errors(b"{")


def test_an_unknown_sentence_is_passed_through() -> None:
    assert field_error("Something new - at `$.a.b`") == ("a.b", "Something new")
