"""What does the HTTP path add to a streamed chat? ``/v1/chat/completions`` vs ``EmbeddedLlm.stream`` in-process.

"Server" is the real ``noxus-local serve`` (scripts/bench/_server.py) answering
``stream: true`` with server-sent events: key check, limits, the hold and the
job row, the chat tool in an inline thread, each piece handed to the event
loop and sent as a ``chat.completion.chunk``, then the charge. The client reads
the events on a keep-alive connection and takes the token count from the usage
chunk. "Direct" is ``EmbeddedLlm.stream`` called in this process on the same
model (its own copy, loaded from the server's data dir), prompt and settings
(greedy, the same ``max_tokens``). Runs alternate (direct, server) after a
warm-up of each, so load on the machine hits both. Reported: time to first
token (median), generated tokens/s after the first (median), their ratio
server/direct, and the overhead per token in milliseconds.

Example::

    .venv/bin/python scripts/bench/bench_chat_stream.py                      # the 0.5B, 5 rounds
    .venv/bin/python scripts/bench/bench_chat_stream.py --model qwen2.5-coder-1.5b-instruct --rounds 3
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _server import BenchServer, running_server  # noqa: E402

from noxus_local.config import load_config  # noqa: E402
from noxus_local.generate.llm.embedded import EmbeddedLlm, QwenGenerator  # noqa: E402
from noxus_local.inference.cache import ModelCache  # noqa: E402

MESSAGES = [{"role": "system", "content": "Eres un guionista de vídeos cortos. Escribes en español."},
            {"role": "user", "content": "Escribe el guion narrado de un anuncio de 45 segundos para una cafetería de "
                                        "especialidad en Valencia que tuesta su propio grano. Solo la narración."}]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="qwen2.5-coder-0.5b-instruct")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--max-tokens", type=int, default=96)
    args = parser.parse_args()
    extra = f'[llm]\nmodel = "{args.model}"\nmax_concurrency = 1\n[inference]\nprefer_gpu = false\n'
    with running_server(extra_config=extra) as server:
        fetched = subprocess.run([sys.executable, "-m", "noxus_local", "models", "fetch", args.model, "--config",
                                  str(server.root / "bench.toml")], capture_output=True, text=True)
        if fetched.returncode != 0:
            print(fetched.stderr, file=sys.stderr)
            return 1
        return run(server, args)


def run(server: BenchServer, args: argparse.Namespace) -> int:
    cfg = load_config(server.root / "bench.toml", {})
    llm = EmbeddedLlm(ModelCache(cfg), QwenGenerator.for_id(args.model))
    settings = {"max_tokens": args.max_tokens, "temperature": 0.0}
    body = json.dumps({"model": args.model, "messages": MESSAGES, "stream": True, "temperature": 0,
                       "max_tokens": args.max_tokens, "stream_options": {"include_usage": True}}).encode()
    direct_run(llm, settings), server_run(server, body)  # warm-up: both models loaded
    rows: dict[str, list[tuple[float, float, int]]] = {"direct": [], "server": []}
    texts: dict[str, str] = {}
    for _ in range(args.rounds):
        for name, fn in (("direct", lambda: direct_run(llm, settings)), ("server", lambda: server_run(server, body))):
            first, total, count, text = fn()
            rows[name].append((first, total, count))
            texts[name] = text
    print(f"model {args.model}, up to {args.max_tokens} tokens, greedy, {args.rounds} rounds; "
          f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    report(rows, texts)
    return 0


def direct_run(llm: EmbeddedLlm, settings: dict[str, Any]) -> tuple[float, float, int, str]:
    started = time.perf_counter()
    stream = llm.stream(MESSAGES, **settings)
    first, pieces = 0.0, []
    for piece in stream:
        if not pieces:
            first = time.perf_counter() - started
        pieces.append(piece)
    return first, time.perf_counter() - started, stream.tally.completion_tokens, "".join(pieces)


def server_run(server: BenchServer, body: bytes) -> tuple[float, float, int, str]:
    conn = server.connection()
    started = time.perf_counter()
    conn.request("POST", "/v1/chat/completions", body=body,
                 headers={**server.auth(), "Content-Type": "application/json"})
    response = conn.getresponse()
    if response.status != 200:
        raise RuntimeError(f"{response.status}: {response.read()[:300]!r}")
    first, pieces, count = 0.0, [], 0
    for raw in response:
        line = raw.strip()
        if not line.startswith(b"data: ") or line == b"data: [DONE]":
            continue
        chunk = json.loads(line[6:])
        if chunk.get("usage"):
            count = chunk["usage"]["completion_tokens"]
        for choice in chunk["choices"]:
            if choice["delta"].get("content"):
                if not pieces:
                    first = time.perf_counter() - started
                pieces.append(choice["delta"]["content"])
    total = time.perf_counter() - started
    conn.close()
    return first, total, count, "".join(pieces)


def report(rows: dict[str, list[tuple[float, float, int]]], texts: dict[str, str]) -> None:
    stats = {}
    for name, runs in rows.items():
        ttft = statistics.median(r[0] for r in runs)
        rate = statistics.median((r[2] - 1) / (r[1] - r[0]) for r in runs if r[2] > 1 and r[1] > r[0])
        per_token = statistics.median(r[1] / r[2] for r in runs if r[2])
        stats[name] = (ttft, rate, per_token, statistics.median(r[2] for r in runs))
        print(f"{name:>6}: first token {ttft * 1000:7.1f} ms, {rate:6.2f} tokens/s after it, "
              f"{per_token * 1000:6.1f} ms/token overall, {stats[name][3]:.0f} tokens")
    ratios = [s[1] / d[1] for s, d in zip(_rates(rows["server"]), _rates(rows["direct"]), strict=True)]
    (d_ttft, d_rate, d_tok, _), (s_ttft, s_rate, s_tok, _) = stats["direct"], stats["server"]
    print(f"server/direct tokens/s: {s_rate / d_rate:.3f} "
          f"(median of per-round ratios {statistics.median(ratios):.3f}); "
          f"first token +{(s_ttft - d_ttft) * 1000:.1f} ms; overhead per token {(s_tok - d_tok) * 1000:+.2f} ms; "
          f"same text: {texts['server'] == texts['direct']}")


def _rates(runs: list[tuple[float, float, int]]) -> list[tuple[float, float]]:
    return [(r[0], (r[2] - 1) / (r[1] - r[0]) if r[2] > 1 and r[1] > r[0] else 0.0) for r in runs]


if __name__ == "__main__":
    sys.exit(main())
