"""``GET /metrics`` (Prometheus, no key) and the ASGI wrapper that measures every request.

Routes are labelled by their template (``/api/v1/jobs/{job_id}``), never the
raw path, so a scan of random URLs adds one ``unmatched`` series, not one
per URL.

Example::

    curl http://127.0.0.1:8080/metrics
    noxus_http_requests_total{method="POST",route="/api/v1/ping",status="200"} 12.0
"""

from __future__ import annotations

import time

from litestar import Response, get
from litestar.openapi.datastructures import ResponseSpec
from litestar.openapi.spec import Example
from litestar.types import ASGIApp, Message, Receive, Scope, Send

from noxus_local.api.deps import ServicesDep
from noxus_local.api.docs import operation
from noxus_local.ops.metrics import CONTENT_TYPE, Metrics

SAMPLE = ('# TYPE noxus_http_requests_total counter\n'
          'noxus_http_requests_total{route="/api/v1/ping",method="POST",status="200"} 12\n')
DOCS = operation(
    "metrics", "System", "Prometheus metrics",
    "Requests and their durations by route template, jobs by tool and outcome, queue depth, running "
    "jobs and money charged, in the Prometheus text format 0.0.4 (`text/plain; version=0.0.4`). No key: keep "
    "it off public networks.", ok=(str, {}), auth=False, errors=("internal_error",))
DOCS["responses"][200] = ResponseSpec(data_container=str, media_type="text/plain", description="OK",
                                      generate_examples=False, examples=[Example(id="sample", summary="sample",
                                                                                 value=SAMPLE)])


@get("/metrics", **DOCS)
async def metrics(svc: ServicesDep) -> Response[bytes]:
    """The registry's text, rendered per scrape (``ops.metrics``)."""
    return Response(svc.metrics.render(), media_type=CONTENT_TYPE)


def measure_requests(app: ASGIApp, metrics: Metrics) -> ASGIApp:
    """Wraps the app's whole handler, not one route: 404/405 never reach route middleware."""
    async def middleware(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await app(scope, receive, send)
            return
        started = time.perf_counter()
        status = [500]

        async def send_status(message: Message) -> None:
            if message["type"] == "http.response.start":
                status[0] = message["status"]
            await send(message)

        try:
            await app(scope, receive, send_status)
        finally:
            route = scope.get("path_template") or "unmatched"  # set by the router on a match
            metrics.request_done(route, scope["method"], status[0], time.perf_counter() - started)

    return middleware
