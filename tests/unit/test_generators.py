"""Image generators against fake engines in this process (an outside service: the one thing a test may stand
in for), on loopback, with real PNGs made by Pillow: ComfyUI's /prompt, /history and /view, and an
OpenAI-compatible /v1/images/generations; success, timeout, cancel, garbage, oversize, HTTP 500, a prompt
that must stay literal, and the SSRF guard (issue 20, item 6)."""

from __future__ import annotations

import json
import threading
import time
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

from noxus_local.config import load_config
from noxus_local.errors import ConfigError, JobCancelled
from noxus_local.generators import GeneratorError, GeneratorSpec, for_config, generate
from noxus_local.runtime.cancel import CancelToken
from tests.generator_fixture import WORKFLOW, fake_engine


@pytest.fixture
def engine():
    with fake_engine() as server:
        yield server


def config(tmp_path: Path, engine: Any, kind: str = "comfyui", allow: str = '["127.0.0.1"]', **extra: Any):
    workflow = tmp_path / "workflow.json"
    workflow.write_text(WORKFLOW)
    table = {"kind": kind, "url": f"http://127.0.0.1:{engine.server_address[1]}", "workflow": str(workflow),
             "api_key_env": "TEST_GEN_KEY", **extra}
    lines = [f"[generators]\nallow_hosts = {allow}\n[generators.local]",
             *(f"{k} = {json.dumps(v)}" for k, v in table.items())]
    path = tmp_path / "noxus.toml"
    path.write_text("\n".join(lines) + "\n")
    return load_config(path, {})


def spec_of(tmp_path: Path, engine: Any, **kw: Any) -> GeneratorSpec:
    return GeneratorSpec.from_config(config(tmp_path, engine, **kw), "local", {"TEST_GEN_KEY": "sk-local"})


def test_comfyui_submits_the_filled_workflow_and_returns_the_png_at_its_size(tmp_path, engine):
    path = generate(spec_of(tmp_path, engine), "un faro al atardecer", "", 320, 192, 42, tmp_path / "out", None)
    with Image.open(path) as img:
        assert (img.format, img.size) == ("PNG", (320, 192))
    assert path.parent == tmp_path / "out" and path.name.startswith("local-") and path.suffix == ".png"
    assert [p.name for p in (tmp_path / "out").iterdir()] == [path.name]  # the raw download is gone
    flow = engine.workflow
    assert flow["3"]["inputs"]["seed"] == 42 and flow["5"]["inputs"] == {"width": 320, "height": 192,
                                                                         "batch_size": 1}
    assert flow["6"]["inputs"]["text"] == "un faro al atardecer" and flow["7"]["inputs"]["text"] == "blurry, "
    post = engine.seen[0]
    assert post[1] == "/prompt" and len(post[2]["client_id"]) == 32 and post[3]["Authorization"] == "Bearer sk-local"
    view = [s for s in engine.seen if s[1] == "/view"][0][2]
    assert view == {"filename": ["noxus_00001_.png"], "type": ["output"]}


def test_a_prompt_with_quotes_backslashes_and_braces_stays_literal(tmp_path, engine):
    prompt = 'say "hi" \\ {x} {{seed}} }, "5": {"inputs": {}} \\u0041 ñ'
    generate(spec_of(tmp_path, engine), prompt, 'no "text" \\', 64, 64, 7, tmp_path, None)
    flow = engine.workflow
    assert flow["6"]["inputs"]["text"] == prompt
    assert flow["7"]["inputs"]["text"] == 'blurry, no "text" \\'
    assert flow["3"]["inputs"]["seed"] == 7 and flow["5"]["inputs"]["width"] == 64
    assert set(flow) == {"3", "4", "5", "6", "7", "8", "9"}


def test_an_engine_that_never_finishes_times_out_within_its_timeout(tmp_path, engine):
    engine.mode = "never"
    start = time.monotonic()
    with pytest.raises(GeneratorError) as err:
        generate(spec_of(tmp_path, engine, timeout_seconds=1.5), "x", "", 64, 64, 1, tmp_path, None)
    assert err.value.reason == "engine_timeout" and 1.4 < time.monotonic() - start < 3.5
    assert err.value.status == 502 and err.value.details["generator"] == "local"
    assert engine.polls >= 3 and list(tmp_path.glob(".generated-*")) == []


def test_a_cancelled_job_stops_the_wait_with_the_jobs_own_error(tmp_path, engine):
    engine.mode = "never"
    cancel = CancelToken()
    threading.Timer(0.4, cancel.cancel).start()
    start = time.monotonic()
    with pytest.raises(JobCancelled):
        generate(spec_of(tmp_path, engine, timeout_seconds=30), "x", "", 64, 64, 1, tmp_path, cancel)
    assert time.monotonic() - start < 2


@pytest.mark.parametrize(("mode", "reason"), [("garbage", "engine_garbage"), ("500", "engine_error"),
                                              ("error", "engine_error")])
def test_garbage_an_http_error_or_a_failed_run_is_a_generator_error(tmp_path, engine, mode, reason):
    engine.mode = mode
    with pytest.raises(GeneratorError) as err:
        generate(spec_of(tmp_path, engine), "x", "", 64, 64, 1, tmp_path / "out", None)
    assert err.value.reason == reason
    assert list((tmp_path / "out").iterdir()) == []


def test_an_image_over_max_bytes_is_refused_while_it_streams(tmp_path, engine):
    engine.mode = "oversize"  # 128x128 of noise: ~49 KB of PNG
    with pytest.raises(GeneratorError) as err:
        generate(spec_of(tmp_path, engine, max_bytes=20_000), "x", "", 128, 128, 1, tmp_path / "out", None)
    assert err.value.reason == "engine_too_large" and list((tmp_path / "out").iterdir()) == []


def test_an_engine_address_the_ssrf_guard_refuses_is_never_contacted(tmp_path, engine):
    with pytest.raises(GeneratorError) as err:
        generate(spec_of(tmp_path, engine, allow="[]"), "x", "", 64, 64, 1, tmp_path, None)
    assert err.value.reason == "engine_address_refused" and engine.seen == []
    assert "allow_hosts" in err.value.message.en


def test_openai_images_decodes_b64_json_at_the_requested_size(tmp_path, engine):
    spec = spec_of(tmp_path, engine, kind="openai_images", model="sd-1.5")
    path = generate(spec, 'a "fox" \\ {snow}', "ignored", 256, 128, 3, tmp_path, None)
    with Image.open(path) as img:
        assert (img.format, img.size) == ("PNG", (256, 128))
    method, route, body, headers = engine.seen[0]
    assert (method, route) == ("POST", "/v1/images/generations")
    assert body == {"model": "sd-1.5", "prompt": 'a "fox" \\ {snow}', "n": 1, "size": "256x128",
                    "response_format": "b64_json"}
    assert headers["Authorization"] == "Bearer sk-local"


def test_openai_images_fetches_a_url_answer_through_the_guard(tmp_path, engine):
    engine.mode = "url"
    spec = spec_of(tmp_path, engine, kind="openai_images", url=f"http://127.0.0.1:{engine.server_address[1]}/v1")
    path = generate(spec, "x", "", 96, 64, 0, tmp_path, None)
    with Image.open(path) as img:
        assert img.size == (96, 64)
    assert [s[1] for s in engine.seen] == ["/v1/images/generations", "/files/out.png"]


@pytest.mark.parametrize(("mode", "reason", "extra"), [
    ("garbage", "engine_garbage", {}), ("500", "engine_error", {}),
    ("oversize", "engine_too_large", {"max_bytes": 20_000}), ("ok", "engine_address_refused", {"allow": "[]"}),
    ("tiny", "engine_garbage", {})])
def test_openai_images_failures_are_generator_errors(tmp_path, engine, mode, reason, extra):
    engine.mode = mode
    spec = spec_of(tmp_path, engine, kind="openai_images", **extra)
    with pytest.raises(GeneratorError) as err:
        generate(spec, "x", "", 128, 128, 0, tmp_path / "out", None)
    assert err.value.reason == reason


def test_a_webp_answer_is_kept_as_png(tmp_path, engine):
    engine.mode = "webp"
    path = generate(spec_of(tmp_path, engine, kind="openai_images"), "x", "", 80, 48, 0, tmp_path, None)
    with Image.open(path) as img:
        assert (path.suffix, img.format, img.size) == (".png", "PNG", (80, 48))
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".generated")] == []


def test_for_config_binds_the_default_generator_or_none(tmp_path, engine):
    assert for_config(load_config(None, {})) is None
    gen = for_config(config(tmp_path, engine), environ={})
    assert gen is not None and gen.name == "local"
    with Image.open(gen("x", 64, 96, 5, tmp_path, CancelToken())) as img:
        assert img.size == (64, 96)


@pytest.mark.parametrize(("text", "message"), [
    ('[generators.a]\nkind = "dalle"\nurl = "http://h"', "generators.a.kind: expected one of comfyui, openai_images"),
    ('[generators.a]\nkind = "openai_images"', "generators.a.url: an http:// or https:// URL is needed"),
    ('[generators.a]\nkind = "comfyui"\nurl = "http://h"', "generators.a.workflow: required"),
    ('[generators.a]\nkind = "comfyui"\nurl = "http://h"\nworkflow = "/nonexistent/w.json"',
     "generators.a.workflow: cannot read"),
    ('[generators]\ndefault = "b"\n[generators.a]\nkind = "openai_images"\nurl = "http://h"',
     "generators.default: no \\[generators.b\\] table"),
    ('[generators.a]\nkind = "openai_images"\nurl = "http://h"\n[generators.b]\nkind = "openai_images"\n'
     'url = "http://h"', "generators.default: name the one"),
    ('[generators.a]\nkind = "openai_images"\nurl = "http://h"\nsteps = 4', "unknown config key: generators.a.steps"),
])
def test_a_bad_generator_config_is_a_clear_error(tmp_path, text, message):
    path = tmp_path / "bad.toml"
    path.write_text(text + "\n")
    with pytest.raises(ConfigError, match=message):
        load_config(path, {})


def test_a_workflow_without_a_prompt_placeholder_or_not_json_is_refused(tmp_path):
    for content, message in (('{"6": {"inputs": {"text": "fixed"}}}', "no {{prompt}} placeholder"),
                             ("{not json", "is not JSON")):
        workflow = tmp_path / "w.json"
        workflow.write_text(content)
        path = tmp_path / "c.toml"
        path.write_text(f'[generators.a]\nkind = "comfyui"\nurl = "http://h"\nworkflow = "{workflow}"\n')
        with pytest.raises(ConfigError) as err:
            load_config(path, {})
        assert message in str(err.value)
