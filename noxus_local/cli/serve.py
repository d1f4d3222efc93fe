"""``noxus-local serve`` (HTTP + queue workers) and ``noxus-local worker`` (queue only, no HTTP).

Example::

    noxus-local serve --config noxus.toml --port 8080
    noxus-local worker --workers 4
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path
from typing import Any

from noxus_local.cli.base import command as _cmd
from noxus_local.config import Config


def add_commands(sub: Any) -> None:
    serve = _cmd(sub, "serve", cmd_serve, "Run the HTTP API and the queue workers.")
    serve.add_argument("--host")
    serve.add_argument("--port", type=int)
    worker = _cmd(sub, "worker", cmd_worker, "Run queue workers only (no HTTP), e.g. beside Redis.")
    worker.add_argument("--workers", type=int, help="Worker threads (default: [jobs] workers).")
    worker.add_argument("--api-url", help="Remote worker: the API node's URL (default: [worker] api_url). "
                        "Without one, a shared-disk worker on this data dir.")
    worker.add_argument("--token", help="Remote worker: its worker token (default: [worker] token).")
    worker.add_argument("--name", help="Remote worker: its name (default: [worker] name, else host:pid).")


def cmd_serve(args: argparse.Namespace, cfg: Config) -> int:
    from noxus_local.app import create_app
    from noxus_local.node.services import begin_shutdown, prepare
    from noxus_local.ops.logs import configure_logging
    from noxus_local.ops.pidfile import pid_file
    from noxus_local.ops.server import QuietServer, server_config

    if args.host:
        cfg.server.host = args.host
    if args.port:
        cfg.server.port = args.port
    configure_logging(access_log=cfg.server.access_log)
    first_key = prepare(cfg)
    if first_key:
        print("NOXUS Local: first start. Default account created with a test balance of "
              f"{cfg.bootstrap.starting_test_balance_usd} USD.\n"
              f"Your test API key (shown only once):\n\n    {first_key}\n", flush=True)
    print(f"NOXUS Local listening on http://{cfg.server.host}:{cfg.server.port} "
          f"(data dir {Path(cfg.server.data_dir).resolve()})", flush=True)
    app = create_app(cfg)
    svc = app.state["services"]
    with pid_file(Path(cfg.server.data_dir), "noxus.pid"):  # `restore` refuses while it names a live process
        QuietServer(server_config(app, cfg), on_exit=lambda: begin_shutdown(svc)).run()
    return 0


def cmd_worker(args: argparse.Namespace, cfg: Config) -> int:
    """Workers for the shared queue; the server that accepted a job settles nothing
    twice, because settlement is guarded in SQLite (``jobs.finish``)."""
    import signal
    import threading

    from noxus_local.jobs.recovery import recover_jobs
    from noxus_local.node.services import build_services, maintenance_for, preload_models, prepare, stop_services
    from noxus_local.ops.logs import configure_logging
    from noxus_local.ops.pidfile import pid_file

    if args.api_url or cfg.worker.api_url:  # another host's API node: no data dir, no SQLite of its own
        from noxus_local.cli.workers import run_remote_worker
        return run_remote_worker(args, cfg)
    configure_logging()
    prepare(cfg)
    svc = build_services(cfg)
    ticker = maintenance_for(svc)
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    svc.dispatcher.start(args.workers)
    ticker.start()
    preload_models(svc)
    recover_jobs(svc)  # this host's jobs whose process died
    print(f"NOXUS Local worker: {args.workers or cfg.jobs.workers} thread(s) on the "
          f"{cfg.jobs.queue_backend} queue (data dir {Path(cfg.server.data_dir).resolve()})", flush=True)
    with pid_file(Path(cfg.server.data_dir), f"noxus-worker-{os.getpid()}.pid"):
        stop.wait()
    stop_services(svc, ticker)
    return 0
