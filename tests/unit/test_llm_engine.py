"""The OpenAI-compatible engine path against a fake engine in this process (an outside service: the one
thing a test may stand in for), on loopback: success with and without streaming, an engine that is down,
one that answers garbage or an HTTP error, the SSRF guard, and ask_json's retry through it (issue 19)."""

import json
import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from noxus_local.config import load_config
from noxus_local.errors import LimitExceeded, ToolUnavailable, UpstreamError, ValidationError
from noxus_local.generate.llm import llm_from_config
from noxus_local.generate.llm.openai_engine import OpenAiLlm
from noxus_local.generate.schemas import CLIP_JUDGEMENT_SCHEMA
from noxus_local.generate.structured import StructuredOutputError, ask_structured
from noxus_local.inference.cache import ModelCache

HELLO = ["¡Ho", "la", "! ¿Qué", " tal?"]
SLOW = ["Una ", "cafe", "tería ", "en ", "Valencia."]
# what a real llama-server (llama.cpp build 7e4c0a9, the 1.5B Q4_K_M) answered greedy to "Write the word cat ten
# times": the same with and without "repetition_penalty": 1.5, changed only by "repeat_penalty": 1.5
LOOPING, PENALISED = "cat cat cat cat cat cat cat cat cat", "cat cat cat cat cat.cat"
CONTEXT_REFUSALS = {
    # llama-server's body, as it answered a 12,030-token prompt with -c 4096
    "llama.cpp": {"error": {"code": 400, "message": "request (12030 tokens) exceeds the available context size "
                                                    "(4096 tokens), try increasing it",
                            "type": "exceed_context_size_error", "n_prompt_tokens": 12030, "n_ctx": 4096}},
    "vllm": {"object": "error", "message": "This model's maximum context length is 4096 tokens. However, you "
                                           "requested 12040 tokens (12030 in the messages, 10 in the completion).",
             "type": "BadRequestError", "param": None, "code": 400},
}


class FakeEngine(BaseHTTPRequestHandler):
    """Answers /v1/chat/completions with whatever ``server.answers`` holds next (or a greeting)."""

    def do_POST(self):  # noqa: N802  (http.server's naming)
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        self.server.requests.append({"body": body, "headers": dict(self.headers), "path": self.path})
        answer = self.server.answers.pop(0) if self.server.answers else None
        if answer == "500":
            return self._send(500, b'{"error": {"message": "model crashed"}}')
        if answer in CONTEXT_REFUSALS:
            return self._send(400, json.dumps(CONTEXT_REFUSALS[answer]).encode())
        if answer == "penalty":  # a real llama-server: repeat_penalty is its name, repetition_penalty ignored
            answer = LOOPING if body.get("repeat_penalty", 1.0) == 1.0 else PENALISED
        if answer == "garbage":
            return self._send(200, b"<html>502 Bad Gateway</html>", "text/html")
        pieces = HELLO if answer is None else [answer[i:i + 4] for i in range(0, len(answer), 4)]
        if answer == "slow":  # a CPU engine: a token every 0.3 s, the whole answer after 1.5 s
            pieces, pause = SLOW, 0.3
        else:
            pause = 0.0
        if body.get("stream"):
            return self._stream(pieces, pause)
        time.sleep(pause * len(pieces))
        text = "".join(pieces)
        completion = {"id": "c1", "object": "chat.completion", "model": body["model"],
                      "choices": [{"index": 0, "message": {"role": "assistant", "content": text},
                                   "finish_reason": "stop"}],
                      "usage": {"prompt_tokens": 12, "completion_tokens": 4, "total_tokens": 16}}
        self._send(200, json.dumps(completion).encode())

    def _stream(self, pieces, pause):
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.end_headers()
        for piece in pieces:
            time.sleep(pause)
            chunk = {"object": "chat.completion.chunk", "choices": [{"index": 0, "delta": {"content": piece}}]}
            self.wfile.write(f"data: {json.dumps(chunk)}\n\n".encode())
            self.wfile.flush()
        end = {"choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]}
        usage = {"choices": [], "usage": {"prompt_tokens": 12, "completion_tokens": 4, "total_tokens": 16}}
        self.wfile.write(f"data: {json.dumps(end)}\n\ndata: {json.dumps(usage)}\n\ndata: [DONE]\n\n".encode())

    def _send(self, status, payload, kind="application/json"):
        self.send_response(status)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, *args):
        pass


@pytest.fixture
def engine():
    server = ThreadingHTTPServer(("127.0.0.1", 0), FakeEngine)
    server.requests, server.answers = [], []
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


def llm_for(server, **kwargs):
    url = f"http://127.0.0.1:{server.server_address[1]}/v1"
    return OpenAiLlm(url, "qwen2.5:7b", allow_hosts=["127.0.0.1"], **{"timeout_seconds": 5, **kwargs})


def test_chat_returns_the_engines_text_and_token_counts(engine):
    done = llm_for(engine, api_key="sk-local").chat([{"role": "user", "content": "Hola"}], max_tokens=16,
                                                    temperature=0.2, top_p=0.9, seed=7, stop=["\n\n"],
                                                    repetition_penalty=1.1)
    assert (done.text, done.prompt_tokens, done.completion_tokens, done.finish_reason) == \
        ("¡Hola! ¿Qué tal?", 12, 4, "stop")
    sent = engine.requests[0]
    assert sent["path"] == "/v1/chat/completions"
    assert sent["headers"]["Authorization"] == "Bearer sk-local"
    assert sent["body"] == {"model": "qwen2.5:7b", "messages": [{"role": "user", "content": "Hola"}],
                            "stream": True, "stream_options": {"include_usage": True},
                            "max_tokens": 16, "temperature": 0.2, "top_p": 0.9, "seed": 7,
                            "stop": ["\n\n"], "repetition_penalty": 1.1, "repeat_penalty": 1.1}


def test_a_stream_gives_the_pieces_then_the_engines_usage(engine):
    stream = llm_for(engine).stream([{"role": "user", "content": "Hola"}], max_tokens=16)
    assert list(stream) == HELLO
    assert (stream.tally.prompt_tokens, stream.tally.completion_tokens, stream.tally.finish_reason) == (12, 4, "stop")
    assert engine.requests[0]["body"]["stream_options"] == {"include_usage": True}
    assert "Authorization" not in engine.requests[0]["headers"]


def test_config_builds_the_engine_backend_with_its_key_from_the_environment(engine, tmp_path):
    port = engine.server_address[1]
    cfg = load_config(None, {"NOXUS_DATA_DIR": str(tmp_path), "NOXUS_LLM_BACKEND": "openai",
                             "NOXUS_LLM_BASE_URL": f"http://127.0.0.1:{port}/v1", "NOXUS_LLM_MODEL": "m",
                             "NOXUS_LLM_API_KEY_ENV": "ENGINE_KEY", "NOXUS_LLM_ALLOW_HOSTS": "127.0.0.1"})
    llm = llm_from_config(cfg, ModelCache(cfg), {"ENGINE_KEY": "k-1"})
    assert llm.chat([{"role": "user", "content": "x"}]).text == "¡Hola! ¿Qué tal?"
    assert engine.requests[0]["headers"]["Authorization"] == "Bearer k-1"


def test_an_engine_that_is_down_is_a_clear_upstream_error():
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    llm = OpenAiLlm(f"http://127.0.0.1:{port}/v1", "m", allow_hosts=["127.0.0.1"], timeout_seconds=2)
    with pytest.raises(UpstreamError) as caught:
        llm.chat([{"role": "user", "content": "Hola"}])
    assert caught.value.status == 502
    assert caught.value.details["reason"] == "engine_unreachable"
    with pytest.raises(UpstreamError):
        list(llm.stream([{"role": "user", "content": "Hola"}]))


@pytest.mark.parametrize("answer, reason", [("garbage", "engine_garbage"), ("500", "engine_error")])
def test_garbage_or_an_http_error_is_a_clear_upstream_error(engine, answer, reason):
    engine.answers = [answer, answer]
    with pytest.raises(UpstreamError) as caught:
        llm_for(engine).chat([{"role": "user", "content": "Hola"}])
    assert caught.value.details["reason"] == reason
    with pytest.raises(UpstreamError):
        list(llm_for(engine).stream([{"role": "user", "content": "Hola"}]))


def test_the_ssrf_guard_refuses_a_private_engine_not_on_the_allow_list(engine):
    port = engine.server_address[1]
    for url in (f"http://127.0.0.1:{port}/v1", "http://10.0.0.5:11434/v1", "http://169.254.169.254/v1"):
        with pytest.raises(ToolUnavailable) as caught:
            OpenAiLlm(url, "m", allow_hosts=["192.168.1.0/24"]).chat([{"role": "user", "content": "Hola"}])
        assert caught.value.details["reason"] == "engine_address_refused"
    assert engine.requests == []  # refused before any connection


def test_bad_messages_and_settings_are_refused_before_any_request(engine):
    llm = llm_for(engine)
    for messages, settings in (([], {}), ([{"role": "wizard", "content": "x"}], {}),
                               ([{"role": "user", "content": "x"}], {"temperature": 5}),
                               ([{"role": "user", "content": "x"}], {"max_tokens": 0})):
        with pytest.raises(ValidationError):
            llm.chat(messages, **settings)
        with pytest.raises(ValidationError):
            llm.stream(messages, **settings)
    assert engine.requests == []


def test_ask_json_retries_once_with_the_problems_then_gives_valid_data(engine):
    valid = {"score": 8, "hook": "Nadie te cuenta esto.", "reason": "Engancha y cierra bien."}
    engine.answers = ['{"score": 14, "hook": "x"}', "```json\n" + json.dumps(valid) + "\n```"]
    answer = ask_structured(llm_for(engine), "clip_judgement", "es", {"transcript": "Nadie te cuenta esto.",
                                                                       "seconds": 30}, CLIP_JUDGEMENT_SCHEMA)
    assert (answer.data, answer.tries) == (valid, 2)
    retry = engine.requests[1]["body"]["messages"]
    assert [m["role"] for m in retry] == ["system", "user", "assistant", "user"]
    assert "$.score: 14 is more than the maximum 10" in retry[-1]["content"]
    assert "missing 'reason'" in retry[-1]["content"]
    assert "Nadie te cuenta esto." in retry[1]["content"] and "$transcript" not in retry[1]["content"]


def test_ask_json_gives_a_clear_failure_after_two_bad_answers(engine):
    engine.answers = ["no JSON here", '{"score": "alto"}']
    with pytest.raises(StructuredOutputError) as caught:
        ask_structured(llm_for(engine), "clip_judgement", "en", {"transcript": "t", "seconds": 5},
                       CLIP_JUDGEMENT_SCHEMA)
    assert caught.value.answers == ["no JSON here", '{"score": "alto"}']
    assert any("$.score: expected integer" in p for p in caught.value.problems)


def test_the_concurrency_cap_makes_a_call_past_it_wait_then_a_clear_503(engine):
    from noxus_local.errors import ServerBusy

    llm = OpenAiLlm(f"http://127.0.0.1:{engine.server_address[1]}/v1", "qwen2.5:7b", allow_hosts=["127.0.0.1"],
                    timeout_seconds=0.5, max_concurrency=1)
    held = llm.stream([{"role": "user", "content": "hola"}])
    assert next(held) == HELLO[0]  # the one slot is taken while this stream is open
    with pytest.raises(ServerBusy) as busy:
        llm.chat([{"role": "user", "content": "hola"}])
    assert busy.value.status == 503 and busy.value.details["setting"] == "llm.max_concurrency"
    held.close()
    assert llm.chat([{"role": "user", "content": "hola"}]).text == "".join(HELLO)  # the slot is free again


def test_the_repetition_penalty_reaches_llama_cpp_under_its_own_name(engine):
    engine.answers = ["penalty", "penalty"]
    ask = [{"role": "user", "content": "Write the word cat ten times, separated by spaces."}]
    assert llm_for(engine).chat(ask, max_tokens=24, temperature=0).text == LOOPING
    assert llm_for(engine).chat(ask, max_tokens=24, temperature=0, repetition_penalty=1.5).text == PENALISED
    assert "repeat_penalty" not in engine.requests[0]["body"]  # 1.0 (none) is not sent at all


@pytest.mark.parametrize("engine_kind, got", [("llama.cpp", 12030), ("vllm", None)])
def test_a_prompt_over_the_engines_context_is_a_413_naming_it(engine, engine_kind, got):
    engine.answers = [engine_kind, engine_kind]
    for call in (lambda llm: llm.chat([{"role": "user", "content": "hola " * 6000}], max_tokens=10),
                 lambda llm: list(llm.stream([{"role": "user", "content": "hola " * 6000}], max_tokens=10))):
        with pytest.raises(LimitExceeded) as caught:
            call(llm_for(engine))
        assert caught.value.status == 413 and "4096 tokens" in str(caught.value)
        assert caught.value.details["max"] == 4096 and caught.value.details.get("got") == got
        assert "context" in caught.value.details["engine_message"]


def test_an_engines_http_error_keeps_its_message(engine):
    engine.answers = ["500"]
    with pytest.raises(UpstreamError) as caught:
        llm_for(engine).chat([{"role": "user", "content": "Hola"}])
    assert caught.value.details == {"reason": "engine_error", "engine": "llm", "status": 500,
                                    "engine_message": "model crashed"}


def test_an_engine_model_named_like_one_of_ours_needs_nothing_installed(tmp_path):
    """A llama-server on our Qwen GGUF, configured under our id: the chat plan names it, the engine serves
    it (before, every chat through the engine was 503 "not installed ... models fetch")."""
    from noxus_local.inference.model import ModelNotInstalled
    from noxus_local.tools.base import require_installed

    base = {"NOXUS_DATA_DIR": str(tmp_path), "NOXUS_LLM_MODEL": "qwen2.5-coder-1.5b-instruct"}
    engine_cfg = load_config(None, {**base, "NOXUS_LLM_BACKEND": "openai", "NOXUS_LLM_ALLOW_HOSTS": "127.0.0.1",
                                    "NOXUS_LLM_BASE_URL": "http://127.0.0.1:18080/v1"})
    require_installed(("qwen2.5-coder-1.5b-instruct",), engine_cfg)
    for models, cfg in ((("qwen2.5-coder-1.5b-instruct",), load_config(None, base)),  # embedded: ours to fetch
                        (("qwen2.5-coder-0.5b-instruct",), engine_cfg),  # not the engine's: ours
                        (("isnet-general", "qwen2.5-coder-1.5b-instruct"), engine_cfg)):
        with pytest.raises(ModelNotInstalled):
            require_installed(models, cfg)


def test_a_slow_engine_still_writing_is_not_timed_out(engine):
    """llama-server on 2 CPU cores writes 512 tokens in minutes; a plain (unstreamed) request sent nothing
    for that long and hit timeout_seconds. chat() streams, so the timeout is the wait for each chunk."""
    engine.answers = ["slow"]
    done = llm_for(engine, timeout_seconds=1.0).chat([{"role": "user", "content": "Hola"}], max_tokens=64)
    assert (done.text, done.prompt_tokens, done.completion_tokens) == ("".join(SLOW), 12, 4)
