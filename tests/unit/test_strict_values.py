"""Strict readers (issue 8 item 1) and the one source of tier limits (issue 7 item 11 c)."""

from __future__ import annotations

import base64
import dataclasses

import pytest

from noxus_local.api.inputs import MAX_JSON_DEPTH, _decode_base64, ascii_int, check_values
from noxus_local.billing.limits import tier_limits
from noxus_local.config import DEFAULT_TIERS, TierSettings, load_config
from noxus_local.errors import ValidationError
from noxus_local.tools.base import InputSpec, Limits, coerce_inputs


def test_bare_limits_are_the_default_free_tier():
    free = TierSettings(**DEFAULT_TIERS["free"])
    assert Limits() == Limits.from_tier(free) == tier_limits(load_config(None).tiers["free"])
    assert Limits().max_video_seconds == free.max_video_seconds == 120


def test_every_tier_field_reaches_limits():
    tier = dataclasses.replace(TierSettings(), max_upload_mb=1.5, max_image_pixels=7, max_video_seconds=9,
                               max_batch_images=3)
    assert Limits.from_tier(tier) == Limits(max_upload_bytes=1572864, max_image_pixels=7, max_video_seconds=9,
                                            max_batch_images=3)


@pytest.mark.parametrize("raw,expected", [(None, 20), ("1", 1), ("100", 100), (" 7\t", 7)])
def test_ascii_int_reads_digits(raw, expected):
    assert ascii_int(raw, "limit", 20, 1, 100) == expected


@pytest.mark.parametrize("raw", ["²", "١٢", "٣", "-1", "+5", "1e3", "", "0", "101", "9" * 5000, "0x10", "1_0"])
def test_ascii_int_refuses_the_rest_naming_the_field(raw):
    with pytest.raises(ValidationError) as caught:
        ascii_int(raw, "limit", 20, 1, 100)
    assert list(caught.value.details["field_errors"]) == ["limit"]


def _nested(depth: int) -> object:
    value: object = 1
    for _ in range(depth):
        value = [value]
    return value


def test_check_values_bounds_depth_without_recursing():
    assert check_values({"a": _nested(MAX_JSON_DEPTH - 1)})
    with pytest.raises(ValidationError) as caught:
        check_values({"ok": 1, "deep": _nested(50_000)})
    assert list(caught.value.details["field_errors"]) == ["deep"]


def test_check_values_names_lone_surrogates_in_values_and_keys():
    with pytest.raises(ValidationError) as caught:
        check_values({"text": "a\ud800", "meta": {"k\udc00": "v", "list": ["fine", "\udfff"]}})
    assert set(caught.value.details["field_errors"]) == {"text", "meta.k\\udc00", "meta.list[1]"}


@pytest.mark.parametrize("text", ["!!!!", "a", "ab=c", "====", "=="])
def test_garbage_base64_is_not_valid_base64(text):
    with pytest.raises(ValidationError) as caught:
        _decode_base64(text, "image_base64", Limits())
    assert caught.value.details["field_errors"]["image_base64"][0].en == "not valid base64"


@pytest.mark.parametrize("encode", [base64.b64encode, base64.urlsafe_b64encode])
def test_base64_both_alphabets_with_or_without_padding(encode):
    data = bytes(range(256)) * 3
    text = encode(data).decode()
    assert _decode_base64(text, "f", Limits()) == data
    assert _decode_base64(text.rstrip("="), "f", Limits()) == data
    assert _decode_base64("data:image/png;base64," + text, "f", Limits()) == data


SPECS = (InputSpec("n", "integer", minimum=0), InputSpec("x", "number"), InputSpec("t", "string"))


@pytest.mark.parametrize("raw,field", [
    ({"n": "²"}, "n"), ({"n": "١٢"}, "n"), ({"n": "1" * 13}, "n"), ({"n": 10**13}, "n"), ({"n": 1.5}, "n"),
    ({"n": True}, "n"), ({"x": "nan"}, "x"), ({"x": "inf"}, "x"), ({"x": float("nan")}, "x"),
    ({"x": "1_000"}, "x"), ({"x": "٣"}, "x"), ({"x": 1e300}, "x"), ({"t": "\ud800"}, "t"), ({"t": 5}, "t"),
])
def test_coercion_refuses_what_is_not_the_declared_type(raw, field):
    params, errors = coerce_inputs(SPECS, raw, {})
    assert list(errors) == [field], (params, errors)


def test_coercion_accepts_the_declared_types():
    params, errors = coerce_inputs(SPECS, {"n": " 12 ", "x": "-2.5e3", "t": "ñandú"}, {})
    assert errors == {} and params == {"n": 12, "x": -2500.0, "t": "ñandú"}


def test_an_integral_json_float_is_an_integer():
    """JSON ``4.0`` is an integer to JSON Schema, so the published ``"type": "integer"`` takes it (issue 17)."""
    params, errors = coerce_inputs(SPECS, {"n": 4.0}, {})
    assert errors == {} and params == {"n": 4} and type(params["n"]) is int


def test_a_file_input_sent_as_text_says_how_to_send_it():
    _, errors = coerce_inputs((InputSpec("image", "file", required=True),), {"image": "\x89PNG..."}, {})
    assert "filename" in errors["image"][0].en and "nombre" in errors["image"][0]
