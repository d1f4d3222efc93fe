"""Seed 002's pieces without a server: its error bodies, credits and per-type rate windows (issue 23)."""

from __future__ import annotations

import time

import pytest

from noxus_local.billing.limits import WindowLimiter
from noxus_local.config import load_config
from noxus_local.errors import (
    InsufficientBalance,
    InternalError,
    MissingApiKey,
    RateLimitExceeded,
    ToolUnavailable,
    ValidationError,
)
from noxus_local.jobs import apex


def test_errors_take_the_seeds_codes_and_statuses() -> None:
    assert apex.error_body(ValidationError.fields({"text": ["required"]}), "en") == \
        (400, {"error": "The request has invalid fields. (text: required)", "code": "BAD_REQUEST"})
    assert apex.error_body(MissingApiKey(), "en")[0] == 401
    assert apex.error_body(MissingApiKey(), "en")[1]["code"] == "UNAUTHORIZED"
    assert apex.error_body(InsufficientBalance(), "en")[1]["code"] == "PAYMENT_REQUIRED"
    assert apex.error_body(RateLimitExceeded(), "es") == (429, {"error": "Too many requests", "code": "RATE_LIMITED"})
    assert apex.error_body(ToolUnavailable(), "en")[0] == 503
    assert apex.error_body(InternalError("a stack trace"), "en") == \
        (500, {"error": "Internal server error.", "code": "INTERNAL_ERROR"})  # internals never leak


def test_credits_are_a_view_of_the_usd_ledger() -> None:
    cfg = load_config(None, {})
    assert apex.route_credits(cfg, "voice") == 80 and apex.route_credits(cfg, "instant-ad") == 1250
    assert apex.credit_micros(cfg, 80) == 80_000  # 0.001 USD a credit
    assert apex.credits_of(cfg, 10_000_000) == 10_000


def test_each_endpoint_type_has_its_own_window_and_headers() -> None:
    limiter = WindowLimiter()
    states = [limiter.take("key_1", "generation", 5, 10) for _ in range(5)]
    assert [s.headers()["X-RateLimit-Remaining"] for s in states if s] == ["4", "3", "2", "1", "0"]
    assert int(states[0].headers()["X-RateLimit-Reset"]) >= int(time.time()) + 9  # type: ignore[union-attr]
    with pytest.raises(RateLimitExceeded) as refused:
        limiter.take("key_1", "generation", 5, 10)
    assert 1 <= int(refused.value.headers["Retry-After"]) <= 10
    assert refused.value.headers["X-RateLimit-Remaining"] == "0"
    assert limiter.take("key_1", "read", 20, 10) is not None  # reads count apart
    assert limiter.take("key_2", "generation", 5, 10) is not None  # and so does every key
    assert limiter.take("key_1", "generation", 0, 10) is None  # 0: no limit


def test_the_image_tool_names_the_section_to_add_or_lists_the_generators(tmp_path) -> None:
    from noxus_local.tools.image_generate import ImageGenerateTool
    from noxus_local.tools.plan import Plan

    with pytest.raises(ToolUnavailable) as none:
        ImageGenerateTool().check_installed({"prompt": "x"}, Plan(), load_config(None, {}))
    assert "[generators.<name>]" in none.value.message.en  # type: ignore[union-attr]
    path = tmp_path / "noxus.toml"
    path.write_text('[generators.flux-2-pro]\nkind = "openai_images"\nurl = "http://127.0.0.1:9"\n')
    cfg = load_config(path, {})
    with pytest.raises(ValidationError) as unknown:
        ImageGenerateTool().check_installed({"prompt": "x", "model": "ideogram-v3"}, Plan(), cfg)
    assert unknown.value.details["allowed"] == {"model": ["flux-2-pro"]}  # type: ignore[index]
    params = {"prompt": "x", "model": None}
    ImageGenerateTool().check_installed(params, Plan(), cfg)
    assert params["model"] == "flux-2-pro" and params["generator"]["settings"]["kind"] == "openai_images"
