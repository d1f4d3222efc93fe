"""``noxus-local worker --api-url`` (a remote worker) and ``noxus-local workers list``.

The remote worker needs no data dir of the API node: its own data dir holds
only ``scratch/`` (and ``models/`` when a tool loads one). ``workers list``
asks the running API node (``[server] host``/``port`` of this config, or
``--api-url``) with the first of ``[workers] tokens``.

Example::

    noxus-local worker --api-url http://api-node:8080 --token "$WORKER_TOKEN" --name gpu-1
    noxus-local workers list --config /etc/noxus-local/noxus.toml
"""

from __future__ import annotations

import argparse
import datetime as dt
import logging
import signal
import threading
from typing import Any

from noxus_local.cli.base import command as _cmd
from noxus_local.cli.base import group as _group
from noxus_local.config import Config
from noxus_local.errors import ConfigError


def add_commands(sub: Any) -> None:
    group = _group(sub, "workers", "Remote workers of this API node.")
    listing = _cmd(group, "list", cmd_workers_list, "List remote workers: tools, slots, busy, last heartbeat.")
    listing.add_argument("--api-url", help="The API node (default: this config's [server] host and port).")


def run_remote_worker(args: argparse.Namespace, cfg: Config) -> int:
    """Runs until SIGTERM/SIGINT, then drains: no new job, running ones end and report."""
    import redis

    from noxus_local.jobs.remote_worker import RemoteWorker
    from noxus_local.jobs.worker_client import WorkerClient
    from noxus_local.ops.logs import configure_logging

    url, token = args.api_url or cfg.worker.api_url, args.token or cfg.worker.token
    if not token:
        raise ConfigError("worker.token: a remote worker needs its token (--token or [worker] token)")
    configure_logging()
    logging.getLogger("httpx").setLevel(logging.WARNING)  # one INFO line per internal call otherwise
    worker = RemoteWorker(cfg, WorkerClient(url, token), redis.Redis.from_url(cfg.jobs.redis_url),
                          threads=args.workers, name=args.name)
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    worker.start()
    print(f"NOXUS Local remote worker {worker.name}: {worker.threads} thread(s) for {url}, tools "
          f"{','.join(worker.tools)} (scratch {worker.scratch})", flush=True)
    stop.wait()
    worker.drain()
    return 0


def cmd_workers_list(args: argparse.Namespace, cfg: Config) -> int:
    from noxus_local.jobs.worker_client import WorkerClient

    if not cfg.workers.tokens:
        raise ConfigError("workers.tokens: no worker tokens configured, so no remote workers")
    host = "127.0.0.1" if cfg.server.host in ("0.0.0.0", "::") else cfg.server.host
    client = WorkerClient(args.api_url or f"http://{host}:{cfg.server.port}", cfg.workers.tokens[0])
    try:
        workers = client.workers()
    finally:
        client.close()
    for w in workers:
        seen = dt.datetime.fromtimestamp(w["last_heartbeat"], dt.UTC).strftime("%Y-%m-%d %H:%M:%S")
        slots = " ".join(f"{r}={w['busy'].get(r, 0)}/{n}" for r, n in w["slots"].items())
        print(f"{w['name']:<24} {'live' if w['live'] else 'gone':<4} busy {slots:<16} jobs={w['running_jobs']} "
              f"last heartbeat {seen}  tools={','.join(w['tools'])}")
    print(f"({len(workers)} worker(s))")
    return 0
