"""Does the typed way cost anything on seed 003's routes (issue 18 item 4)?

``GET /api/v1/credits`` as it is served now (the principal injected by Litestar's
DI, errors through the route-level exception handler ``exception_handlers=SEED``,
an ``AdCredits`` Struct encoded by Litestar) vs the same answer the old way,
registered on the same app in the same run: a handler taking the ``Request``,
``require_principal`` inside ``seed_answer``'s try, a dict encoded to bytes by
hand; and the typed handler without the injected ``svc`` (services read from the
request), to show which piece costs. Both with a valid key (200) and without one (401 in the seed's shape).
In-process (Litestar's TestClient, real SQLite from ``prepare``), rounds
alternating which goes first; the medians of per-request wall time and their ratio.

Example::

    .venv/bin/python scripts/bench/bench_typed_seed_routes.py            # 8 rounds x 150 requests
    .venv/bin/python scripts/bench/bench_typed_seed_routes.py --quick    # 3 rounds x 60
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from anyio import to_thread  # noqa: E402
from litestar import Request, Response, get  # noqa: E402
from litestar.testing import TestClient  # noqa: E402

from noxus_local.api.ad_routes import SEED, AdCredits, credits_view, seed_answer  # noqa: E402
from noxus_local.api.auth import require_principal  # noqa: E402
from noxus_local.api.deps import PrincipalDep, services_of  # noqa: E402
from noxus_local.api.envelope import encode, raw_response  # noqa: E402
from noxus_local.app import create_app  # noqa: E402
from noxus_local.config import load_config  # noqa: E402
from noxus_local.node.services import prepare  # noqa: E402

TARGET = 1.10


@get("/bench/credits-old", include_in_schema=False)
async def credits_old(request: Request[Any, Any, Any]) -> Response[bytes]:
    """The pre-conversion handler: the request, auth inside the try, a dict encoded by hand."""
    async def answer() -> Response[bytes]:
        principal = await require_principal(request)
        svc = services_of(request)
        view = await to_thread.run_sync(credits_view, svc, principal)
        return raw_response(encode({"balance": view.balance, "tier": view.tier, "activeJobs": view.activeJobs,
                                    "limits": {"maxConcurrentJobs": view.limits.maxConcurrentJobs,
                                               "rateLimitRpm": view.limits.rateLimitRpm}}))

    return await seed_answer(request, answer)


@get("/bench/credits-no-svc-dep", include_in_schema=False, exception_handlers=SEED)
async def credits_no_svc_dep(request: Request[Any, Any, Any], principal: PrincipalDep) -> AdCredits:
    """The typed handler minus one thing, the injected ``svc``: where the typed way's cost sits."""
    return await to_thread.run_sync(credits_view, services_of(request), principal)


def timed(client: TestClient[Any], path: str, headers: dict[str, str], n: int, status: int) -> float:
    """Median seconds per request over ``n`` requests; every answer checked."""
    times = []
    for _ in range(n):
        t0 = time.perf_counter()
        r = client.get(path, headers=headers)
        times.append(time.perf_counter() - t0)
        assert r.status_code == status, r.text
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    rounds, n = (3, 60) if args.quick else (8, 150)
    root = Path(tempfile.mkdtemp(prefix="bench-typed-"))
    (root / "config.toml").write_text("[tiers.free]\nrequests_per_minute = 0\n")  # the limiter off: we time routes
    cfg = load_config(root / "config.toml", {"NOXUS_DATA_DIR": str(root / "data")})
    key = prepare(cfg)
    app = create_app(cfg, start_workers=False)
    app.register(credits_old)
    app.register(credits_no_svc_dep)
    auth = {"Authorization": f"Bearer {key}"}
    results: dict[str, list[float]] = {}
    with TestClient(app) as c:
        old, new = c.get("/bench/credits-old", headers=auth).json(), c.get("/api/v1/credits", headers=auth).json()
        assert old == new, (old, new)  # the same answer both ways
        for case, headers, status in (("200", auth, 200), ("401", {}, 401)):
            for _ in range(2):  # warm-up
                timed(c, "/api/v1/credits", headers, 20, status)
                timed(c, "/bench/credits-old", headers, 20, status)
                timed(c, "/bench/credits-no-svc-dep", headers, 20, status)
            for r in range(rounds):
                order = [("typed", "/api/v1/credits"), ("old", "/bench/credits-old"),
                         ("no-svc-dep", "/bench/credits-no-svc-dep")]
                for name, path in order if r % 2 == 0 else reversed(order):
                    results.setdefault(f"{case} {name}", []).append(timed(c, path, headers, n, status))
    app.state["services"].db.close()
    load = os.getloadavg()[0]
    print(f"GET /api/v1/credits, in-process, {rounds} rounds x {n} requests, load average {load:.1f} "
          f"on {os.cpu_count()} cores")
    worst = 0.0
    for case in ("200", "401"):
        typed, old = statistics.median(results[f"{case} typed"]), statistics.median(results[f"{case} old"])
        bare = statistics.median(results[f"{case} no-svc-dep"])
        worst = max(worst, typed / old)
        print(f"  {case}: typed {typed * 1e3:6.3f} ms  old-style {old * 1e3:6.3f} ms  typed/old {typed / old:.3f}"
              f"  (typed without the injected svc {bare * 1e3:6.3f} ms, /old {bare / old:.3f})")
    print(f"verdict: worst typed/old {worst:.3f} (target <= {TARGET}): {'PASS' if worst <= TARGET else 'MISS'}")


if __name__ == "__main__":
    main()
