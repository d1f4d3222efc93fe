"""Seed 002 (Apex Studio): its job view, webhook payloads, error codes, credits and usage counts.

The seed's routes (api/apex_routes.py) run the same tools, on the same job rows,
ledger and webhook deliverer as every other contract (CONTRACT.md §10); only the
shapes are the seed's. A job submitted there carries its seed type (``voice``,
``clip``, ``image``) in its params under ``TYPE_KEY``; that is what makes
``webhook_body`` answer the seed's payload instead of the NOXUS job body.

Example::

    apex_job(svc, row, "http://127.0.0.1:8080")
    # {"id": "job_…", "jobId": "job_…", "type": "voice", "status": "completed",
    #  "outputUrl": "http://127.0.0.1:8080/api/v1/files/job_…/speech.wav?expires=…&sig=…",
    #  "outputType": "audio/wav", "metadata": {"model": "kokoro", "durationSeconds": 1.9, "language": "en"}, …}
"""

from __future__ import annotations

import json
import secrets
import sqlite3
import time
from decimal import Decimal
from typing import Any

from noxus_local.config import Config
from noxus_local.errors import NoxusError, message, say
from noxus_local.jobs.view import Services, iso
from noxus_local.money import format_usd, parse_usd

TYPE_KEY = "apex_type"  # in a job's params: the seed's job type, set by /api/generate/*
STATUSES = {"queued": "queued", "running": "processing", "succeeded": "completed",
            "failed": "failed", "cancelled": "failed"}
GENERIC_FAILURE = "Generation failed"  # the seed: "internal details are never exposed"

# NOXUS error code → (status, the seed's code); anything unlisted is a 500 INTERNAL_ERROR
CODES: dict[str, tuple[int, str]] = {
    **{c: (400, "BAD_REQUEST") for c in ("validation_error", "invalid_media", "limit_exceeded",
                                         "unsupported_media_type", "idempotency_conflict", "request_timeout")},
    **{c: (401, "UNAUTHORIZED") for c in ("missing_api_key", "invalid_api_key", "revoked_api_key")},
    "insufficient_api_balance": (402, "PAYMENT_REQUIRED"),
    "key_budget_exceeded": (402, "PAYMENT_REQUIRED"),
    **{c: (403, "FORBIDDEN") for c in ("scope_denied", "tool_not_allowed", "account_suspended",
                                       "asset_forbidden")},
    **{c: (404, "NOT_FOUND") for c in ("job_not_found", "not_found", "asset_not_found", "tool_not_found")},
    "method_not_allowed": (405, "METHOD_NOT_ALLOWED"),
    **{c: (429, "RATE_LIMITED") for c in ("rate_limit_exceeded", "concurrency_limit_exceeded")},
    **{c: (503, "SERVICE_UNAVAILABLE") for c in ("tool_unavailable", "server_busy", "shutting_down",
                                                 "insufficient_storage", "upstream_error")},
}
CREDIT_FIELDS = {"image": "image", "video": "video", "voice": "voice", "voice-clone": "voice_clone",
                 "avatar": "avatar", "clip": "clip", "b-roll": "b_roll", "text2video": "text2video",
                 "commercial": "commercial", "translate": "translate", "instant-ad": "instant_ad",
                 "photoshoot": "photoshoot"}

VIDEO_TYPES = ("video", "b-roll", "text2video", "avatar")  # the ai-video-generate routes
OUTPUT_TYPES = {"image": "image/png", "voice": "audio/wav", "clip": "video/mp4", "photoshoot": "image/png",
                "translate": "video/mp4", **dict.fromkeys(VIDEO_TYPES, "video/mp4")}

USAGE_NAMES = {"image": "images", "video": "videos", "voice": "voices", "clip": "clips", "avatar": "avatars",
               "b-roll": "bRolls", "text2video": "videos", "commercial": "commercials",
               "translate": "translations", "instant-ad": "instantAds", "photoshoot": "photoshoots"}


def error_body(exc: NoxusError, locale: str) -> tuple[int, dict[str, str]]:
    """(status, ``{"error", "code"}``): a 400 names its fields; a 429 is the seed's exact sentence.

    Example: ``error_body(ValidationError.fields({"text": ["required"]}), "en")`` →
    ``(400, {"error": "The request has invalid fields. (text: required)", "code": "BAD_REQUEST"})``.
    """
    status, code = CODES.get(exc.code, (500, "INTERNAL_ERROR"))
    if code == "RATE_LIMITED":
        return status, {"error": "Too many requests", "code": code}
    if status == 500:  # never the internals
        return status, {"error": message("internal_error", locale), "code": code}
    text = say(exc.message, locale) or message(exc.code, locale)
    fields = say((exc.details or {}).get("field_errors") or {}, locale)
    if fields and exc.message:  # the sentence already says what is wrong: name the fields
        text += " (" + ", ".join(fields) + ")"
    elif fields:
        text += " (" + "; ".join(f"{k}: {', '.join(map(str, v))}" for k, v in fields.items()) + ")"
    return status, {"error": text, "code": code}


def credit_micros(cfg: Config, credits: int) -> int:
    """Credits → micro-USD on the one ledger: 80 credits at 0.001 USD each → 80_000."""
    return parse_usd(str(Decimal(cfg.apex_credits.usd_per_credit) * credits))


def credits_of(cfg: Config, micros: int) -> int:
    """Micro-USD → whole credits (rounded down): what a balance is worth in the seed's unit."""
    per = parse_usd(cfg.apex_credits.usd_per_credit)
    return micros // per if per > 0 else 0


def route_credits(cfg: Config, kind: str) -> int:
    """The configured credits of one generation route: ``route_credits(cfg, "voice")`` → 80."""
    return int(getattr(cfg.apex_credits, CREDIT_FIELDS[kind]))


def job_type(row: sqlite3.Row) -> str | None:
    """The seed's type of a job made by /api/generate/*; None for a job of another contract."""
    kind = json.loads(row["params"] or "{}").get(TYPE_KEY)
    return str(kind) if kind else None


def output_url(svc: Services, row: sqlite3.Row, base: str) -> str | None:
    """The primary output behind a signed URL (``[server] file_url_ttl_seconds``, 24 h by default)."""
    if not row["output"] or row["output_expired"]:
        return None
    out = json.loads(row["output"])
    return base + svc.files.signed_url(row["id"], out["filename"], svc.cfg.server.file_url_ttl_seconds)


def metadata(kind: str, row: sqlite3.Row) -> dict[str, Any]:
    """The seed's "Extra Metadata" per job type, from the tool's stored result."""
    result = json.loads(row["result"] or "{}") if row["status"] == "succeeded" else {}
    params = json.loads(row["params"] or "{}")
    started, finished = row["started_at"], row["finished_at"]
    timing = {"durationMs": int((finished - started) * 1000)} if started and finished else {}
    if kind == "voice":
        return {"model": "kokoro", "durationSeconds": result.get("duration_seconds"),
                "language": result.get("language") or params.get("language") or "en", **timing}
    if kind == "clip":
        return {"clipCount": result.get("clipCount", 0), "viralScores": result.get("viralScores", []), **timing}
    if kind == "image":
        return {"model": params.get("apex_model") or params.get("model"), "width": params.get("width"),
                "height": params.get("height"), **timing}
    if kind in VIDEO_TYPES:
        return {"model": result.get("model") or params.get("model"), "durationSeconds": result.get("duration_seconds"),
                "resolution": result.get("resolution") or params.get("resolution"), **timing}
    if kind == "photoshoot":
        return {"photoCount": result.get("count", 0), "background": params.get("background"),
                "lighting": params.get("lighting"), **timing}
    if kind == "translate":
        return {"outputLanguage": result.get("target_language") or params.get("target_language"),
                "durationSeconds": result.get("duration_seconds"), **timing}
    if kind == "instant-ad":
        return {"variationCount": result.get("variation_count", params.get("count")),
                "platform": params.get("platform"), "format": params.get("output_format"), **timing}
    if kind == "commercial":
        return {"sceneClips": [{"index": s.get("index"), "start": s.get("start"), "end": s.get("end")}
                               for s in result.get("scenes", []) if isinstance(s, dict)],
                "platform": params.get("apex_platform"), "duration": params.get("duration"), **timing}
    return timing


def apex_job(svc: Services, row: sqlite3.Row, base: str) -> dict[str, Any]:
    """One job in the seed's shape (``GET /api/jobs`` and the webhook's ``data``)."""
    kind = job_type(row) or row["tool"]
    status = STATUSES.get(row["status"], row["status"])
    body: dict[str, Any] = {"id": row["id"], "jobId": row["id"], "type": kind, "status": status,
                            "tool": row["tool"], "createdAt": iso(row["created_at"])}
    url = output_url(svc, row, base) if status == "completed" else None
    if url is not None:
        mime = json.loads(row["output"]).get("mime_type")
        body.update(outputUrl=url, outputType=OUTPUT_TYPES.get(kind, mime) if kind in OUTPUT_TYPES else mime)
    body["metadata"] = metadata(kind, row)
    body["creditsCharged"] = credits_of(svc.cfg, row["charged_micros"] or 0) if row["settled"] else None
    if status == "completed":
        body["completedAt"] = iso(row["finished_at"])
    if status == "failed":
        body.update(error=GENERIC_FAILURE, failedAt=iso(row["finished_at"]),
                    creditsRefunded=credits_of(svc.cfg, (row["hold_micros"] or 0) - (row["charged_micros"] or 0)))
    return body


def public_base(cfg: Config) -> str:
    """Where a webhook receiver reaches this server's files: the configured host and port."""
    host = "127.0.0.1" if cfg.server.host in ("0.0.0.0", "::", "") else cfg.server.host
    return f"http://{host}:{cfg.server.port}"


def webhook_body(svc: Services, row: sqlite3.Row) -> dict[str, Any] | None:
    """The seed's ``job.completed`` / ``job.failed`` payload for a job of /api/generate/*, else None.

    Example: ``{"event": "job.failed", "timestamp": "…Z", "data": {"jobId": "job_…", "type": "voice",
    "status": "failed", "error": "Generation failed", "creditsRefunded": 80, "createdAt": …, "failedAt": …}}``
    """
    kind = job_type(row)
    if kind is None:
        return None
    view = apex_job(svc, row, public_base(svc.cfg))
    data = {k: view[k] for k in ("jobId", "type", "status", "createdAt") if k in view}
    if view["status"] == "completed":
        data.update({k: view.get(k) for k in ("outputUrl", "outputType", "metadata", "completedAt")})
    else:
        data.update(error=GENERIC_FAILURE, creditsRefunded=view.get("creditsRefunded", 0),
                    failedAt=view.get("failedAt"))
    event = "job.completed" if view["status"] == "completed" else "job.failed"
    return {"event": event, "timestamp": iso(time.time()), "data": data}


def usage(svc: Services, account_id: str, env: str, balance_micros: int, tier: str) -> dict[str, Any]:
    """``{"credits", "used": {"images": 12, ...}, "plan"}``: successful jobs of every contract, by seed type."""
    # counted in SQL (one row per tool and type), not by reading every job's params
    rows = svc.db.all(f"SELECT tool, json_extract(params, '$.{TYPE_KEY}') AS kind, COUNT(*) AS n FROM jobs"
                      " WHERE account_id = ? AND environment = ? AND status = 'succeeded' AND json_valid(params)"
                      " GROUP BY tool, kind", (account_id, env))
    used = dict.fromkeys(sorted(set(USAGE_NAMES.values())), 0)
    for row in rows:
        kind = row["kind"] or _type_of_tool(row["tool"])
        if kind in USAGE_NAMES:
            used[USAGE_NAMES[kind]] += row["n"]
    return {"credits": credits_of(svc.cfg, balance_micros), "used": used, "plan": tier,
            "balanceUsd": format_usd(balance_micros)}


def _type_of_tool(tool: str) -> str | None:
    """A NOXUS route's job counted under the seed's names: text-to-speech is a voice."""
    return {"text-to-speech": "voice", "auto-clip": "clip", "image-generate": "image",
            "script-to-video": "video", "ai-video-generate": "video", "product-photoshoot": "photoshoot",
            "instant-ad": "instant-ad"}.get(tool)


def account_webhook(db: Any, account_id: str) -> dict[str, str] | None:
    """The account's default webhook (seed 002's ``PATCH /api/settings``), as a job's ``webhook``; None when unset."""
    row = db.one("SELECT webhook_url, webhook_secret FROM accounts WHERE id = ?", (account_id,))
    if row is None or not row["webhook_url"]:
        return None
    return {"url": row["webhook_url"], **({"secret": row["webhook_secret"]} if row["webhook_secret"] else {})}


def store_webhook(db: Any, account_id: str, url: str | None) -> str | None:
    """Set (or, with None, remove) the account's default webhook; the secret that signs it is made once
    and kept while a URL is set. Returns the secret, or None when removed."""
    with db.write() as conn:
        row = conn.execute("SELECT webhook_secret FROM accounts WHERE id = ?", (account_id,)).fetchone()
        secret = (row["webhook_secret"] if row is not None else None) or "whsec_" + secrets.token_hex(24)
        conn.execute("UPDATE accounts SET webhook_url = ?, webhook_secret = ? WHERE id = ?",
                     (url, secret if url else None, account_id))
    return secret if url else None
