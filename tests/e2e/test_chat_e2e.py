"""/v1/chat/completions and /v1/models with the official ``openai`` client on the real server (issue 19, item 5).

The embedded path runs the real Qwen2.5-Coder 0.5B (fetched into the server's data dir from the shared
download cache); the engine path a fake OpenAI-compatible server in this process on loopback (an outside
service, the one thing a test may stand in for), allowed by ``[llm] allow_hosts``.
"""

import contextlib
import json
import sqlite3
import threading
import time
from collections.abc import Iterator
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx
import openai
import pytest

from tests.e2e.conftest import Server, SharedServer, accounts_config, free_port, start_module_server

MODEL = "qwen2.5-coder-0.5b-instruct"
CONFIG = f"""
[llm]
model = "{MODEL}"
[inference]
prefer_gpu = false
[tiers.free]
requests_per_minute = 0
jobs_per_hour = 0
"""
IN_MICROS, OUT_MICROS = 200, 600  # the default [prices.chat]: 0.0002 and 0.0006 USD per 1k tokens
HI = [{"role": "user", "content": "Say hello in one short sentence."}]


@pytest.fixture(scope="module")
def shared(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SharedServer]:
    toml, keys = accounts_config(24)
    server = start_module_server(tmp_path_factory, "chat", CONFIG + toml, models=(MODEL,))
    yield SharedServer(server, keys)
    server.stop()


@pytest.fixture
def srv(shared: SharedServer) -> Server:
    return shared.view()


def client_of(srv: Server) -> openai.OpenAI:
    return openai.OpenAI(base_url=f"{srv.base}/v1", api_key=srv.key, max_retries=0)


def job_of(srv: Server, job_id: str) -> dict:
    return srv.get(f"/api/v1/jobs/{job_id}", key=srv.key).json()


def price(usage: dict) -> Decimal:
    micros = -(-(usage["prompt_tokens"] * IN_MICROS + usage["completion_tokens"] * OUT_MICROS) // 1000)
    return Decimal(micros) / 1_000_000


def balance(srv: Server) -> Decimal:
    return Decimal(srv.get("/api/v1/balance", key=srv.key).json()["balance"]["balance_usd"])


def ledger_rows(srv: Server, job_id: str) -> list[tuple[str, int]]:
    with sqlite3.connect(srv.data_dir / "noxus.db") as conn:
        return conn.execute("SELECT kind, amount_micros FROM ledger WHERE job_id = ? ORDER BY id", (job_id,)).fetchall()


def test_models_lists_the_installed_text_model(srv):
    listed = client_of(srv).models.list()
    assert [m.id for m in listed.data] == [MODEL] and listed.data[0].object == "model"


def test_a_completion_is_a_job_charged_its_real_tokens_within_the_hold(srv):
    before = balance(srv)
    raw = client_of(srv).chat.completions.with_raw_response.create(model=MODEL, messages=HI, max_tokens=24,
                                                                   temperature=0)
    done = raw.parse()
    assert done.object == "chat.completion" and done.choices[0].message.role == "assistant"
    assert done.choices[0].message.content.strip() and done.choices[0].finish_reason in ("stop", "length")
    usage = done.usage.model_dump(include={"prompt_tokens", "completion_tokens", "total_tokens"})
    assert usage["prompt_tokens"] > 10 and 0 < usage["completion_tokens"] <= 24
    job = job_of(srv, raw.headers["x-job-id"])
    assert (job["tool"], job["status"], job["result"]["usage"]) == ("chat", "succeeded", usage)
    charged, held = Decimal(job["billing"]["charged_usd"]), Decimal(job["billing"]["estimated_usd"])
    assert charged == price(usage) and 0 < charged <= held
    assert held == price({"prompt_tokens": usage["prompt_tokens"], "completion_tokens": 24})
    assert balance(srv) == before - charged


def test_the_stream_joined_is_the_plain_answer_and_ends_with_usage_and_done(srv):
    client = client_of(srv)
    ask = {"model": MODEL, "messages": [{"role": "user", "content": "Name three colours of the sea."}],
           "max_tokens": 40, "temperature": 0, "seed": 7}
    plain = client.chat.completions.create(**ask)
    chunks = list(client.chat.completions.create(**ask, stream=True, stream_options={"include_usage": True}))
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert len([c for c in chunks if c.choices and c.choices[0].delta.content]) > 3  # piece by piece
    assert text == plain.choices[0].message.content
    assert chunks[-1].choices == [] and chunks[-1].usage.completion_tokens == plain.usage.completion_tokens
    with httpx.stream("POST", f"{srv.base}/v1/chat/completions", json={**ask, "stream": True},
                      headers={"Authorization": f"Bearer {srv.key}"}, timeout=60) as r:
        lines = [line for line in r.iter_lines() if line]
    assert r.headers["content-type"].startswith("text/event-stream") and lines[-1] == "data: [DONE]"


def test_a_seed_gives_the_same_sampled_answer_again_streamed_and_after_a_restart(shared, srv):
    client = client_of(srv)
    ask = {"model": MODEL, "messages": [{"role": "user", "content": "Invent a name for a small boat."}],
           "max_tokens": 16, "temperature": 1.2, "top_p": 0.95}
    answers = [client.chat.completions.create(**ask, seed=s).choices[0].message.content for s in (5, 5, 6)]
    assert answers[0] == answers[1] and answers[2] != answers[0]
    chunks = client.chat.completions.create(**ask, seed=5, stream=True)
    assert "".join(c.choices[0].delta.content or "" for c in chunks if c.choices) == answers[0]
    shared.server.stop()
    shared.server.start(timeout=60)
    assert client.chat.completions.create(**ask, seed=5).choices[0].message.content == answers[0]


def test_json_object_mode_answers_parseable_json(srv):
    done = client_of(srv).chat.completions.create(
        model=MODEL, temperature=0, max_tokens=80, response_format={"type": "json_object"},
        messages=[{"role": "user", "content": 'Give a JSON object with keys "city" and "country" for Paris.'}])
    assert isinstance(json.loads(done.choices[0].message.content), dict)


def test_a_client_that_hangs_up_after_one_chunk_is_charged_once_for_what_was_generated(srv):
    body = {"model": MODEL, "messages": [{"role": "user", "content": "Count from 1 to 200, one per line."}],
            "max_tokens": 400, "temperature": 0, "stream": True}
    with httpx.stream("POST", f"{srv.base}/v1/chat/completions", json=body,
                      headers={"Authorization": f"Bearer {srv.key}"}, timeout=60) as r:
        job_id = r.headers["x-job-id"]
        next(r.iter_raw())
    deadline = time.monotonic() + 60
    while (job := job_of(srv, job_id))["status"] in ("queued", "running") and time.monotonic() < deadline:
        time.sleep(0.2)
    usage = job["result"]["usage"]
    assert job["status"] == "succeeded" and 0 < usage["completion_tokens"] < 400  # stopped early
    kinds = [kind for kind, _ in ledger_rows(srv, job_id)]
    assert kinds.count("charge") == 1 and kinds.count("hold") == 1
    charged = Decimal(job["billing"]["charged_usd"])
    assert charged == price(usage) <= Decimal(job["billing"]["estimated_usd"])


def test_an_idempotency_key_replays_the_answer_without_a_second_charge(srv):
    body = {"model": MODEL, "messages": HI, "max_tokens": 12, "temperature": 0}
    headers = {"Authorization": f"Bearer {srv.key}", "Idempotency-Key": "chat-once"}
    first = httpx.post(f"{srv.base}/v1/chat/completions", json=body, headers=headers, timeout=60)
    again = httpx.post(f"{srv.base}/v1/chat/completions", json=body, headers=headers, timeout=60)
    assert first.status_code == again.status_code == 200 and again.content == first.content
    assert again.headers["idempotent-replayed"] == "true"
    assert [k for k, _ in ledger_rows(srv, first.headers["x-job-id"])].count("charge") == 1


@pytest.mark.parametrize(("change", "status", "param", "words"), [
    ({"messages": []}, 400, "messages", "at least one"),
    ({"messages": [{"role": "wizard", "content": "hi"}]}, 400, "messages[0].role", "system, user, assistant"),
    ({"messages": [{"role": "user", "content": "palabra " * 25_000}]}, 413, None, "8192 tokens"),
    ({"max_tokens": 0}, 400, "max_tokens", ">= 1"),
    ({"max_tokens": 9000}, 400, "max_tokens", "8192 tokens"),
    ({"max_completion_tokens": 0}, 400, "max_tokens", ">= 1"),
    ({"temperature": 5}, 400, "temperature", "<= 2"),
    ({"model": "gpt-4o"}, 400, "model", MODEL),
    ({"stop": ["a", "b", "c", "d", "e"]}, 400, "stop", "4"),
    ({"model": {}}, 400, "model", "texto"),                    # not the default (null is); Spanish: the default locale
    ({"stream": 0}, 400, "stream", "true o false"),
    ({"response_format": {}}, 400, "response_format", "json_object"),
    ({"response_format": "json_object"}, 400, "response_format", "objeto"),
    ({"stream_options": []}, 400, "stream_options", "objeto"),
])
def test_bad_input_is_an_openai_error_charged_nothing(srv, change, status, param, words):
    before = balance(srv)
    r = srv.post("/v1/chat/completions", key=srv.key, json={"model": MODEL, "messages": HI, **change})
    error = r.json()["error"]
    assert r.status_code == status and set(error) == {"message", "type", "param", "code"}
    assert error["param"] == param and words in error["message"] and error["type"] == "invalid_request_error"
    assert balance(srv) == before


def test_the_openai_client_raises_its_own_errors(srv):
    with pytest.raises(openai.BadRequestError) as bad:
        client_of(srv).chat.completions.create(model="nope", messages=HI)
    assert bad.value.body["code"] == "validation_error" and MODEL in bad.value.body["message"]
    with pytest.raises(openai.AuthenticationError):
        openai.OpenAI(base_url=f"{srv.base}/v1", api_key="nope", max_retries=0).chat.completions.create(
            model=MODEL, messages=HI)


def test_a_key_without_the_scope_or_the_tool_gets_a_403_in_openais_body(srv):
    for extra, code in ((("--scope", "assets:read"), "scope_denied"), (("--tool", "qr"), "tool_not_allowed")):
        key = srv.new_key("t0", *extra)  # an account of accounts_config; its balance is not touched
        r = srv.post("/v1/chat/completions", key=key, json={"model": MODEL, "messages": HI, "max_tokens": 4})
        assert r.status_code == 403 and r.json()["error"]["code"] == code, r.text


# --- the engine backend: a fake OpenAI-compatible server on loopback ---

class FakeEngine(BaseHTTPRequestHandler):
    mode = "ok"  # ok | garbage | breaks (one good chunk, then garbage)
    seen: list[dict] = []

    def do_POST(self) -> None:  # noqa: N802 — http.server's name
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        FakeEngine.seen.append(body)
        if FakeEngine.mode == "garbage":
            self._send(b"<html>gateway says hi</html>", "text/html")
        elif FakeEngine.mode == "context":  # llama-server's answer to a prompt over its -c 4096
            self._send(json.dumps({"error": {
                "code": 400, "message": "request (12030 tokens) exceeds the available context size (4096 tokens), "
                "try increasing it", "type": "exceed_context_size_error", "n_prompt_tokens": 12030,
                "n_ctx": 4096}}).encode(), "application/json", status=400)
        elif FakeEngine.mode == "breaks":
            good = {"choices": [{"index": 0, "delta": {"content": "Hola"}, "finish_reason": None}]}
            self._send(b"data: " + json.dumps(good).encode() + b"\n\ndata: {oops\n\n", "text/event-stream")
        elif body.get("stream"):
            events = [{"choices": [{"index": 0, "delta": {"content": piece}, "finish_reason": None}]}
                      for piece in ("Hola", ", ", "mundo")]
            events.append({"choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}],
                           "usage": {"prompt_tokens": 11, "completion_tokens": 3}})
            data = b"".join(b"data: " + json.dumps(e).encode() + b"\n\n" for e in events) + b"data: [DONE]\n\n"
            self._send(data, "text/event-stream")
        else:
            self._send(json.dumps({"choices": [{"index": 0, "message": {"role": "assistant", "content": "Hola, mundo"},
                                                "finish_reason": "stop"}],
                                   "usage": {"prompt_tokens": 11, "completion_tokens": 3}}).encode(),
                       "application/json")

    def _send(self, data: bytes, mime: str, status: int = 200) -> None:
        self.send_response(status)
        self.send_header("Content-Type", mime)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture(scope="module")
def engine(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Server, int]]:
    fake = ThreadingHTTPServer(("127.0.0.1", 0), FakeEngine)
    threading.Thread(target=fake.serve_forever, daemon=True).start()
    port = fake.server_address[1]
    config = f"""
    [llm]
    backend = "openai"
    base_url = "http://127.0.0.1:{port}/v1"
    model = "fake-7b"
    timeout_seconds = 5
    allow_hosts = ["127.0.0.1"]
    [tiers.free]
    requests_per_minute = 0
    jobs_per_hour = 0
    """
    server = start_module_server(tmp_path_factory, "engine", config)
    server.client.event_hooks = {"request": [], "response": []}  # a 502 is what some tests want
    yield server, port
    server.stop()
    fake.shutdown()


def test_the_engine_answers_plain_and_streamed_with_its_token_counts(engine):
    srv, _ = engine
    FakeEngine.mode = "ok"
    client = client_of(srv)
    assert [m.id for m in client.models.list().data] == ["fake-7b"]
    raw = client.chat.completions.with_raw_response.create(model="fake-7b", messages=HI, max_tokens=20, seed=3)
    done = raw.parse()
    assert done.choices[0].message.content == "Hola, mundo" and done.usage.completion_tokens == 3
    assert FakeEngine.seen[-1]["seed"] == 3 and FakeEngine.seen[-1]["max_tokens"] == 20
    job = job_of(srv, raw.headers["x-job-id"])
    assert Decimal(job["billing"]["charged_usd"]) == price({"prompt_tokens": 11, "completion_tokens": 3})
    chunks = list(client.chat.completions.create(model="fake-7b", messages=HI, stream=True,
                                                 stream_options={"include_usage": True}))
    assert "".join(c.choices[0].delta.content or "" for c in chunks if c.choices) == "Hola, mundo"
    assert chunks[-1].usage.prompt_tokens == 11


@contextlib.contextmanager
def engine_mode(mode: str) -> Iterator[None]:
    """The fake engine misbehaves as ``mode`` says for the block, then answers normally again."""
    FakeEngine.mode = mode
    try:
        yield
    finally:
        FakeEngine.mode = "ok"


@pytest.mark.parametrize("stream", [False, True])
def test_an_engine_that_answers_garbage_is_a_502_charged_nothing(engine, stream):
    srv, _ = engine
    with engine_mode("garbage"):
        before = balance(srv)
        r = srv.post("/v1/chat/completions", key=srv.key, json={"model": "fake-7b", "messages": HI, "stream": stream})
        assert r.status_code == 502 and r.json()["error"]["code"] == "upstream_error"
        assert "engine" in r.json()["error"]["message"] and balance(srv) == before
        assert job_of(srv, r.headers["x-job-id"])["billing"]["charged_usd"] == "0"


@pytest.mark.parametrize("stream", [False, True])
def test_a_prompt_over_the_engines_context_is_a_413_naming_it_charged_nothing(engine, stream):
    srv, _ = engine
    with engine_mode("context"):
        before = balance(srv)
        r = srv.post("/v1/chat/completions", key=srv.key, json={
            "model": "fake-7b", "messages": [{"role": "user", "content": "hola " * 6000}], "stream": stream})
        error = r.json()["error"]
        assert r.status_code == 413 and error["code"] == "limit_exceeded" and "4096 tokens" in error["message"], r.text
        assert balance(srv) == before and job_of(srv, r.headers["x-job-id"])["billing"]["charged_usd"] == "0"


def test_an_engine_stream_that_breaks_after_text_ends_with_an_error_event_charged_nothing(engine):
    srv, _ = engine
    with engine_mode("breaks"):
        before = balance(srv)
        with httpx.stream("POST", f"{srv.base}/v1/chat/completions", timeout=30,
                          json={"model": "fake-7b", "messages": HI, "stream": True},
                          headers={"Authorization": f"Bearer {srv.key}"}) as r:
            events = [json.loads(line[6:]) for line in r.iter_lines() if line.startswith("data: {")]
        assert r.status_code == 200 and events[0]["choices"][0]["delta"]["content"] == "Hola"
        assert events[-1]["error"]["code"] == "upstream_error" and balance(srv) == before


def test_a_streamed_call_with_an_idempotency_key_replays_its_events_byte_for_byte(engine):
    srv, _ = engine
    body = {"model": "fake-7b", "messages": HI, "stream": True}
    headers = {"Authorization": f"Bearer {srv.key}", "Idempotency-Key": "stream-once"}
    first = httpx.post(f"{srv.base}/v1/chat/completions", json=body, headers=headers, timeout=30)
    again = httpx.post(f"{srv.base}/v1/chat/completions", json=body, headers=headers, timeout=30)
    assert first.headers["content-type"].startswith("text/event-stream") and first.text.endswith("data: [DONE]\n\n")
    assert again.content == first.content and again.headers["idempotent-replayed"] == "true"


def test_an_engine_that_is_down_is_a_502_charged_nothing(tmp_path_factory):
    config = f"""
    [llm]
    backend = "openai"
    base_url = "http://127.0.0.1:{free_port()}/v1"
    model = "fake-7b"
    timeout_seconds = 3
    allow_hosts = ["127.0.0.1"]
    """
    srv = start_module_server(tmp_path_factory, "down", config)
    srv.client.event_hooks = {"request": [], "response": []}
    try:
        before = balance(srv)
        for stream in (False, True):
            r = srv.post("/v1/chat/completions", key=srv.key, json={"model": "fake-7b", "messages": HI,
                                                                    "stream": stream})
            error = r.json()["error"]
            assert r.status_code == 502 and error["code"] == "upstream_error" and error["type"] == "server_error"
        assert balance(srv) == before
    finally:
        srv.stop()
