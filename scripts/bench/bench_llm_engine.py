"""What does our API add to the admin's own engine? ``/v1/chat/completions`` (backend openai) vs the engine itself.

"Engine" is an OpenAI-compatible server the admin runs (llama.cpp's
``llama-server``, Ollama, vLLM ...), called directly: ``POST {base}/chat/completions``
with ``stream: true``. "Ours" is the real ``noxus-local serve``
(scripts/bench/_server.py) with ``[llm] backend = "openai"`` pointed at that
engine, called the same way: key check, limits, the hold and the job row, the
chat tool in an inline thread, the SSRF-vetted request to the engine, each
piece relayed as a ``chat.completion.chunk``, then the charge. The same
messages and settings (greedy, the same ``max_tokens``) go both ways; runs
alternate (engine, ours) after a warm-up of each, so the machine's other load
and the engine's prompt cache (the same prompt every time) hit both alike.
Reported: time to first token (median), generated tokens/s after the first
(median), ours/engine for tokens/s (and the median of per-round ratios), the
overhead per token, whether the texts match, whether our usage chunk
carried the engine's token counts, and our server's own CPU time per token
(/proc: what the path costs, whatever the machine's load does to wall times).

Example::

    llama-server -m qwen2.5-coder-1.5b-instruct-q4_k_m.gguf --port 18080 -t 2 -c 4096 &
    .venv/bin/python scripts/bench/bench_llm_engine.py --base-url http://127.0.0.1:18080/v1 --rounds 5
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import statistics
import sys
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _server import running_server  # noqa: E402

MESSAGES = [{"role": "system", "content": "Eres un guionista de vídeos cortos. Escribes en español."},
            {"role": "user", "content": "Escribe el guion narrado de un anuncio de 45 segundos para una cafetería de "
                                        "especialidad en Valencia que tuesta su propio grano. Solo la narración."}]
Run = tuple[float, float, int, int, str]  # first piece s, total s, completion tokens, prompt tokens, text


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base-url", default="http://127.0.0.1:18080/v1", help="the engine's OpenAI base URL")
    parser.add_argument("--engine-model", default="qwen2.5-coder-1.5b-instruct",
                        help="the model name sent to the engine (llama-server serves its one model whatever the name)")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--max-tokens", type=int, default=64)
    args = parser.parse_args()
    url = urlsplit(args.base_url)
    extra = (f'[llm]\nbackend = "openai"\nbase_url = "{args.base_url}"\nmodel = "{args.engine_model}"\n'
             f'max_concurrency = 1\nallow_hosts = ["{url.hostname}"]\n')
    body = json.dumps({"model": args.engine_model, "messages": MESSAGES, "stream": True, "temperature": 0,
                       "max_tokens": args.max_tokens, "stream_options": {"include_usage": True}}).encode()
    with running_server(extra_config=extra) as server:
        engine = (url.hostname or "127.0.0.1", url.port or 80, f"{url.path.rstrip('/')}/chat/completions", {})
        ours = (server.host, server.port, "/v1/chat/completions", server.auth())
        streamed(*engine, body), streamed(*ours, body)  # warm-up: connections, the engine's prompt cache
        rows: dict[str, list[Run]] = {"engine": [], "ours": []}
        cpu: list[float] = []  # our server's CPU seconds per generated token, each "ours" run
        for i in range(args.rounds):
            order = (("engine", engine), ("ours", ours)) if i % 2 == 0 else (("ours", ours), ("engine", engine))
            for name, where in order:
                before = server.cpu_seconds()
                rows[name].append(streamed(*where, body))
                after = server.cpu_seconds()
                if name == "ours" and before is not None and after is not None and rows[name][-1][2]:
                    cpu.append((after - before) / rows[name][-1][2])
        print(f"engine {args.base_url} model {args.engine_model}, up to {args.max_tokens} tokens, greedy, "
              f"{args.rounds} rounds; load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
        report(rows)
        if cpu:
            print(f"our server's CPU per generated token: {statistics.median(cpu) * 1000:.2f} ms (median; "
                  f"the whole request: key, hold, job row, engine request, relay, charge, spread over its tokens)")
    return 0


def streamed(host: str, port: int, path: str, headers: dict[str, str], body: bytes) -> Run:
    """One streamed chat: seconds to the first text piece, seconds in all, the usage chunk's counts, the text."""
    conn = http.client.HTTPConnection(host, port, timeout=600)
    started = time.perf_counter()
    conn.request("POST", path, body=body, headers={**headers, "Content-Type": "application/json"})
    response = conn.getresponse()
    if response.status != 200:
        raise RuntimeError(f"{host}:{port}{path} answered {response.status}: {response.read()[:300]!r}")
    first, pieces, usage = 0.0, [], {}
    for raw in response:
        line = raw.strip()
        if not line.startswith(b"data: ") or line == b"data: [DONE]":
            continue
        chunk: dict[str, Any] = json.loads(line[6:])
        usage = chunk.get("usage") or usage
        for choice in chunk.get("choices") or []:
            if (choice.get("delta") or {}).get("content"):
                if not pieces:
                    first = time.perf_counter() - started
                pieces.append(choice["delta"]["content"])
    total = time.perf_counter() - started
    conn.close()
    return first, total, int(usage.get("completion_tokens", 0)), int(usage.get("prompt_tokens", 0)), "".join(pieces)


def rate(run: Run) -> float:
    first, total, count = run[0], run[1], run[2]
    return (count - 1) / (total - first) if count > 1 and total > first else 0.0


def report(rows: dict[str, list[Run]]) -> None:
    stats = {}
    for name, runs in rows.items():
        ttft = statistics.median(r[0] for r in runs)
        tps = statistics.median(rate(r) for r in runs)
        per_token = statistics.median(r[1] / r[2] for r in runs if r[2])
        stats[name] = (ttft, tps, per_token)
        print(f"{name:>6}: first token {ttft * 1000:7.1f} ms, {tps:6.2f} tokens/s after it, "
              f"{per_token * 1000:6.1f} ms/token overall, {statistics.median(r[2] for r in runs):.0f} tokens "
              f"(prompt {statistics.median(r[3] for r in runs):.0f})")
    ratios = [rate(o) / rate(e) for o, e in zip(rows["ours"], rows["engine"], strict=True) if rate(e)]
    (e_ttft, e_tps, e_tok), (o_ttft, o_tps, o_tok) = stats["engine"], stats["ours"]
    same_text = sum(o[4] == e[4] for o, e in zip(rows["ours"], rows["engine"], strict=True))
    same_usage = [r[2:4] for r in rows["ours"]] == [r[2:4] for r in rows["engine"]]
    print("per-round ours/engine tokens/s: " + " ".join(f"{r:.3f}" for r in ratios))
    print(f"ours/engine tokens/s: {o_tps / e_tps:.3f} (median of per-round ratios {statistics.median(ratios):.3f}); "
          f"first token {(o_ttft - e_ttft) * 1000:+.1f} ms; overhead per token {(o_tok - e_tok) * 1000:+.2f} ms; "
          f"same text in {same_text} of {len(ratios)} rounds (a busy llama-server batches other requests with "
          f"these, which can change a greedy text); our usage = the engine's in every round: {same_usage}")


if __name__ == "__main__":
    sys.exit(main())
