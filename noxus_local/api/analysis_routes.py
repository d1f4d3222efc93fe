"""Seed 001's analysis routes: ``POST /api/v1/analysis/images`` and ``GET …/images/{job_id}``.

HTTP only: the body is parsed into the batch tool's input (each item decoded
into the job's work folder as ``image_<n>``; an item that cannot be decoded,
or names an unknown feature, is recorded as failed right away and never
charged) and submitted through the same path as every tool run
(api/submit.py ``submit``: limits, hold, idempotency).
The job then runs on the queue like any async tool.

``data_base64`` is raw base64, as seed 001 says; a ``data:…;base64,`` prefix
is tolerated and stripped (as on the tool routes) rather than refused.

Example::

    curl -X POST http://127.0.0.1:8080/api/v1/analysis/images -H "Authorization: Bearer $KEY" \\
      -H "Content-Type: application/json" \\
      -d '{"images": [{"id": "a", "data_base64": "iVBORw0..."}], "features": ["metadata", "hash"]}'
    curl http://127.0.0.1:8080/api/v1/analysis/images/job_x -H "Authorization: Bearer $KEY"
"""

from __future__ import annotations

import hashlib
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Annotated, Any, TypeVar

from anyio import to_thread
from litestar import Request, Response, get, post
from litestar.openapi.spec import Example
from litestar.params import PathParameter

from noxus_local.accounts.keys import Principal
from noxus_local.analysis.batch import failed_item, plan_item
from noxus_local.analysis.features import check_features
from noxus_local.api.analysis_schemas import AnalysisAccepted, AnalysisImages, AnalysisImagesIn
from noxus_local.api.deps import PrincipalDep, ServicesDep
from noxus_local.api.docs import AUTH_ERRORS, envelope, operation
from noxus_local.api.envelope import EncodedResponse
from noxus_local.api.input_refs import _from_asset, _from_url
from noxus_local.api.inputs import ParsedInput, _decode_base64, check_values, json_object
from noxus_local.api.job_schemas import job_struct
from noxus_local.api.schemas import ok
from noxus_local.api.submit import WEBHOOK_SHAPE, Options, replayed, submit
from noxus_local.billing.limits import tier_limits
from noxus_local.errors import JobNotFound, LimitExceeded, NoxusError, ValidationError
from noxus_local.jobs import idempotency
from noxus_local.jobs import store as jobs
from noxus_local.jobs.analysis_view import BATCH_TOOL, SEED_ROUTE_KEY, batch_view
from noxus_local.locale import t
from noxus_local.node.services import Services
from noxus_local.tools.base import InputFile, Limits

MAX_ID = 100
SOURCES = ("data_base64", "asset_id", "url")
TAG = "Analysis"
# a valid 1x1 PNG: the example runs as it is in "Try it out"
PNG_1X1 = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg=="
EXAMPLE_JOB = "job_7c1e9a4b2d6f8e0a3c5b7d9f"
# what a submit may answer besides the key's errors (the submit path: scope, limits, hold, idempotency)
SUBMIT_ERRORS = ("validation_error", "scope_denied", "tool_not_allowed", "insufficient_api_balance",
                 "idempotency_conflict", "limit_exceeded", *AUTH_ERRORS, "concurrency_limit_exceeded",
                 "shutting_down", "insufficient_storage")
READ_ERRORS = ("job_not_found", *AUTH_ERRORS)


T = TypeVar("T")
JOB_ID = Annotated[str, PathParameter(description="The `job_id` of the 202", examples=[Example(value=EXAMPLE_JOB)])]


@post("/api/v1/analysis/images", status_code=202, **operation(
    "submitImageAnalysis", TAG, "Submit a batch of images for analysis",
    "Seed 001: `images` of `{id?, data_base64 | asset_id | url, features?}`, optional `features` and `webhook`. "
    "Answers 202 with `Location`. Each item is analysed on its own: a bad item (not base64, not an image, over "
    "the pixel limit, an unknown feature of its own) fails alone with its error and the batch still finishes. "
    "Priced per image; only items that succeed are charged. `Max-Processing-Time` stops the whole batch "
    "(charged 0). The webhook posts the GET body (`{job_id, status, items}`) plus `event`.",
    ok=(AnalysisAccepted, {"accepted": envelope({"job_id": EXAMPLE_JOB, "status": "queued",
                                                 "location": f"/api/v1/analysis/images/{EXAMPLE_JOB}"})}),
    status=202, headers=("IdempotencyKey", "MaxProcessingTime"), errors=SUBMIT_ERRORS,
    body=(AnalysisImagesIn, {"two images": {"images": [{"id": "a", "data_base64": PNG_1X1}],
                                            "features": ["metadata", "hash"]}})))
async def submit_images(request: Request[Any, Any, Any], svc: ServicesDep) -> Response[AnalysisAccepted | bytes]:
    """The batch as one job through ``submit`` (which authenticates); its 202 is kept for replays."""

    async def read(_limits: Limits, workdir: Path) -> ParsedInput:
        principal = request.scope["state"]["principal"]  # type: ignore[index]  # submit authenticated first
        body = _body(await request.body())
        parsed = await _parse_batch(svc, principal, body, workdir)
        if "webhook" in body and not isinstance(body["webhook"], dict):
            raise ValidationError.fields({"webhook": [WEBHOOK_SHAPE]})
        parsed.fields["webhook"] = body.get("webhook")
        return parsed

    return await submit_seed_job(request, svc, BATCH_TOOL, read, "/api/v1/analysis/images", "images")


async def submit_seed_job(request: Request[Any, Any, Any], svc: Services, tool: str,
                          read: Callable[[Limits, Path], Awaitable[ParsedInput]], route: str,
                          seed_route: str) -> Response[AnalysisAccepted | bytes]:
    """A seed 001 job through the one submit path (auth, limits, plan, hold, idempotency), queued, answered
    202 + ``Location`` (or an Idempotency-Key's stored answer, replayed as stored). Its webhook body is the
    route's GET body (``SEED_ROUTE_KEY``)."""
    done = await submit(request, tool, read, route=route, internal=lambda job: {SEED_ROUTE_KEY: seed_route})
    if done.replay is not None:
        return replayed(svc, done.job.id, done.replay)
    svc.dispatcher.enqueue(done.job.id)
    return await accepted(request, svc, done.principal, done.job.id, done.options, f"{route}/{done.job.id}")


async def accepted(request: Request[Any, Any, Any], svc: Services, principal: Principal, job_id: str,
                   options: Options, location: str) -> EncodedResponse[AnalysisAccepted]:
    """Seed 001's 202: ``{"job_id"}`` plus ``Location``; the bytes sent are kept for an Idempotency-Key's
    replays (video too)."""
    headers = {"Location": location}
    answer = EncodedResponse(AnalysisAccepted(**ok(request), job_id=job_id, status="queued", location=location),
                             202, headers)
    if options.idempotency_key:
        await to_thread.run_sync(idempotency.store_response, svc.db, principal.account_id,
                                 principal.environment, options.idempotency_key, job_id, 202, answer.raw, headers)
    return answer


async def seed_view(request: Request[Any, Any, Any], svc: Services, principal: Principal, job_id: str, tool: str,
                    view: Callable[[Services, Any, str], dict[str, Any]], model: type[T]) -> T:
    """One of the account's ``tool`` jobs in seed 001's shape (the dict ``view`` builds, also the webhook's
    body) as ``model``; another tool's job is a 404 here.

    Example: ``await seed_view(request, svc, principal, job_id, BATCH_TOOL, batch_view, AnalysisImages)``.
    """
    row = await to_thread.run_sync(jobs.get, svc.db, job_id, principal.account_id, principal.environment)
    if row["tool"] != tool:
        raise JobNotFound()
    body = await to_thread.run_sync(view, svc, row, svc.locale)
    return job_struct({**ok(request), **body}, model)


@get("/api/v1/analysis/images/{job_id:str}", **operation(
    "getImageAnalysis", TAG, "Get an image batch's results",
    "Seed 001's words: `queued`, `processing`, `finished`, `failed`, for the batch and each item, with each "
    "item's `result` or `error` as soon as it is done. Another tool's job is 404 `job_not_found`.",
    ok=(AnalysisImages, {"finished": envelope({"job_id": EXAMPLE_JOB, "status": "finished", "items": [
        {"id": "a", "status": "finished", "result": {"hash": {"phash": "8f871c43078f8f71",
                                                              "algorithm": "dct-32x32-8x8", "bits": 64}}},
        {"id": "b", "status": "failed", "error": {"code": "invalid_media", "message": "No se pudo leer la imagen."}}],
        "billing": {"currency": "USD", "estimated_usd": "0.002", "charged_usd": "0.001"}})}),
    errors=READ_ERRORS))
async def show_images(request: Request[Any, Any, Any], svc: ServicesDep, principal: PrincipalDep,
                      job_id: JOB_ID) -> AnalysisImages:
    return await seed_view(request, svc, principal, job_id, BATCH_TOOL, batch_view, AnalysisImages)


def _body(raw: bytes) -> dict[str, Any]:
    body = json_object(raw)
    check_values(body)
    images = body.get("images")
    if not isinstance(images, list) or not images:
        raise ValidationError.fields({"images": [t("analysis_routes.non_empty_list_images")]})
    return body


async def _parse_batch(svc: Services, principal: Principal, body: dict[str, Any], workdir: Path) -> ParsedInput:
    """Each item into a file or a failed entry; the batch's own mistakes are the request's 400/413."""
    limits = tier_limits(svc.cfg.tiers[principal.tier])
    images = body["images"]
    if len(images) > limits.max_batch_images:  # before decoding anything
        raise LimitExceeded(details={"limit": "max_batch_images", "max": limits.max_batch_images,
                                     "actual": len(images)})
    features = _batch_features(body)  # the batch's list: a mistake there is the request's
    parsed = ParsedInput()
    items = []
    for n, item in enumerate(images):
        item_id = _item_id(item, n)
        try:
            own = check_features(item["features"], f"images[{n}].features") \
                if isinstance(item, dict) and "features" in item else None
            await _item_file(svc, principal, item, n, limits, workdir, parsed)
            items.append(plan_item(n, item_id, f"image_{n}", own))
        except NoxusError as exc:  # bad base64, over the upload limit, unknown feature: this item only
            items.append(failed_item(n, item_id, exc))
    parsed.fields = {"items": items, "features": list(features)}
    return parsed


def _batch_features(body: dict[str, Any]) -> tuple[str, ...]:
    """The batch's ``features``: absent → the default set; present, it must be a list of known names."""
    if "features" not in body:
        return check_features(None)
    if not isinstance(body["features"], list):
        raise ValidationError.fields({"features": [t("common.non_empty_list_names")]})
    return check_features(body["features"])


def _item_id(item: Any, n: int) -> str:
    given = item.get("id") if isinstance(item, dict) else None
    if isinstance(given, str) and 0 < len(given) <= MAX_ID:
        return given
    if isinstance(given, int) and not isinstance(given, bool):
        return str(given)
    return str(n)


async def _item_file(svc: Services, principal: Principal, item: Any, n: int, limits: Limits, workdir: Path,
                     parsed: ParsedInput) -> None:
    """Write item ``n`` as ``image_<n>``: raw base64, one of the account's assets, or a URL."""
    field = f"images[{n}]"
    if not isinstance(item, dict):
        raise ValidationError.fields({field: [t("analysis_routes.must_object")]})
    given = [key for key in SOURCES if item.get(key) not in (None, "")]
    if len(given) != 1:
        raise ValidationError.fields({field: [t("analysis_routes.give_exactly_one", sources=', '.join(SOURCES))]})
    name = f"image_{n}"
    if given[0] == "data_base64":
        data = _decode_base64(item["data_base64"], f"{field}.data_base64", limits)
        path = workdir / f"in_{name}"
        await to_thread.run_sync(path.write_bytes, data)
        parsed.files[name] = InputFile(path, f"{name}", None, len(data))
        parsed.file_hashes[name] = hashlib.sha256(data).hexdigest()
    elif given[0] == "asset_id":
        await to_thread.run_sync(_from_asset, svc, principal.account_id, name, item["asset_id"], limits,
                                 workdir, parsed)
    else:
        await _from_url(svc, name, item["url"], limits, workdir, parsed)
