"""The OpenAPI table of seed 002's routes (api/apex_routes.py): bodies, successes, errors.

Added to ``openapi_spec``'s table when this module is imported (api/openapi.py does), the way
the other contracts' sections extend it. Errors are ``{"error", "code"}`` (``ApexError``).

Example::

    from noxus_local.api import apex_spec  # noqa: F401 - registers the operations
    spec.OPERATIONS[("post", "/api/generate/voice")].summary   # 'Generate voice (TTS)'
"""

from __future__ import annotations

from typing import Any

from noxus_local.api.apex_routes import (
    COMMERCIAL_PLATFORMS,
    COMMERCIAL_TONES,
    INSTANT_AD_PLATFORMS,
    INSTANT_AD_STYLES,
    MISSING,
    PHOTOSHOOT_ANGLES,
    PHOTOSHOOT_BACKGROUNDS,
    PHOTOSHOOT_LIGHTING,
    VOICE_MODELS,
)
from noxus_local.api.openapi_spec import (
    JOB_ROW,
    OPERATIONS,
    RUN_EXAMPLES,
    SCHEMAS,
    TAGS,
    Op,
    _envelope,
    _obj,
    _str,
)

TAG = "Apex Studio (seed 002)"
JOB = "job_5c0e2a7d9b1f3e4a6c8d0b2f"
NUMBER: dict[str, Any] = {"type": "number"}
GENERATION_ERRORS = ("validation_error", "missing_api_key", "insufficient_api_balance", "key_budget_exceeded",
                     "scope_denied",
                     "rate_limit_exceeded", "tool_unavailable", "internal_error")
READ_ERRORS = ("missing_api_key", "scope_denied", "rate_limit_exceeded", "internal_error")

TAGS.insert(-2, {"name": TAG, "description": "Seed 002's API: `/api/generate/*`, `/api/jobs`, `/api/usage`, "
                                              "`/api/keys`, `/api/settings`, in its own shapes (`{data}`, "
                                              "`{error, code}`), credits and per-endpoint-type rate limits."})


def _num(low: float, high: float) -> dict[str, Any]:
    return {"type": "number", "minimum": low, "maximum": high}


def _body(properties: dict[str, Any], required: tuple[str, ...] = ()) -> dict[str, Any]:
    return {"required": True, "content": {"application/json": {"schema": _obj(properties, required)}}}


SCHEMAS.update({
    "ApexError": _obj({"error": _str("A sentence; a 400 names the fields"),
                       "code": _str(enum=["BAD_REQUEST", "UNAUTHORIZED", "PAYMENT_REQUIRED", "FORBIDDEN",
                                          "NOT_FOUND", "METHOD_NOT_ALLOWED", "RATE_LIMITED",
                                          "INTERNAL_ERROR", "SERVICE_UNAVAILABLE"])}, ("error", "code")),
    "ApexQueued": _obj({"data": _obj({"jobId": _str(), "status": {"const": "queued"}, "message": _str(),
                                      "estimatedMinutes": {"type": "integer"}}, ("jobId", "status", "message"))},
                       ("data",)),
    "ApexJobs": _obj({"data": {"type": ["object", "array"]}}, ("data",)),
    "ApexUsage": _obj({"data": _obj({"credits": {"type": "integer"}, "used": {"type": "object"},
                                     "plan": _str(), "balanceUsd": _str()}, ("credits", "used", "plan"))},
                      ("data",)),
    "ApexKeys": _obj({"data": {"type": "array", "items": _obj({"id": _str(), "name": _str(), "prefix": _str()})}},
                     ("data",)),
    "ApexKey": _obj({"data": _obj({"id": _str(), "key": _str(), "name": _str()}, ("id", "key", "name"))},
                    ("data",)),
    "ApexRevoked": _obj({"data": _obj({"id": _str(), "revoked": {"type": "boolean"}})}, ("data",)),
    "ApexSettings": _obj({"data": _obj({"webhookUrl": {"type": ["string", "null"]},
                                        "webhookSecret": {"type": ["string", "null"]}})}, ("data",)),
})

QUEUED = {"queued": {"data": {"jobId": JOB, "status": "queued", "message": "Voice generation job queued",
                              "estimatedMinutes": 1}}}
VOICE_BODY = _body({"text": _str("Text to speak", minLength=1, maxLength=10_000),
                    "voiceId": _str("A voice of GET /api/v1/voices", minLength=1, maxLength=200),
                    "speed": _num(0.5, 2.0), "language": _str("ISO code (default en)", minLength=2, maxLength=12),
                    "model": _str(enum=list(VOICE_MODELS))}, ("text",))
CLIP_BODY = _body({"sourceVideoUrl": _str("HTTPS URL of the source video", minLength=8, maxLength=2048),
                   "maxClips": _num(1, 20), "minDuration": NUMBER, "maxDuration": NUMBER,
                   "addCaptions": {"type": "boolean"}, "aspectRatio": _str(enum=["9:16", "1:1", "16:9"]),
                   "viralScoreThreshold": _num(1, 10)}, ("sourceVideoUrl",))
IMAGE_BODY = _body({"prompt": _str(minLength=1, maxLength=2000),
                    "width": {"type": "integer", "minimum": 256, "maximum": 2048},
                    "height": {"type": "integer", "minimum": 256, "maximum": 2048},
                    "steps": {"type": "integer", "minimum": 1, "maximum": 50},
                    "seed": {"type": "integer", "minimum": 0, "maximum": 2**53},
                    "style": _str(enum=["photorealistic", "illustration", "3d", "flat"]),
                    "model": _str("A [generators.<name>] of the config", minLength=1, maxLength=100),
                    "negativePrompt": _str(maxLength=2000)}, ("prompt",))
PHOTOSHOOT_BODY = _body({"productImage": _str("HTTP(S) URL of the product photo (fetched through the SSRF guard) "
                                              "or an assetId", minLength=1, maxLength=2048),
                         "background": _str("studio-white and flat-lay are drawn here; lifestyle and outdoor "
                                            "need a configured [generators.<name>]", enum=list(PHOTOSHOOT_BACKGROUNDS)),
                         "angle": _str(enum=list(PHOTOSHOOT_ANGLES)),
                         "lighting": _str(enum=list(PHOTOSHOOT_LIGHTING)),
                         "count": {"type": "integer", "minimum": 1, "maximum": 4},
                         "customBackground": _str("background=custom: a colour (#F4D35E), two for a gradient "
                                                  "(#FF5500, #7A1FA2), or a description a configured generator "
                                                  "draws", minLength=1, maxLength=500),
                         "model": _str("A [generators.<name>] for generated backdrops", minLength=1,
                                       maxLength=100)}, ("productImage", "background"))
TRANSLATE_BODY = _body({"videoUrl": _str("HTTPS URL of the source video", minLength=8, maxLength=2048),
                        "outputLanguage": _str("Target language ISO code: en, en-gb, es, fr, hi, it, ja, pt, "
                                               "pt-br, zh", minLength=2, maxLength=12),
                        "preserveOriginalVoice": {"type": "boolean"}}, ("videoUrl", "outputLanguage"))
INSTANT_AD_BODY = _body({"websiteUrl": _str("Product or landing page URL (HTML), fetched through the SSRF guard",
                                            minLength=8, maxLength=2048),
                         "platform": _str(enum=list(INSTANT_AD_PLATFORMS)),
                         "count": {"type": "integer", "minimum": 1, "maximum": 4},
                         "style": _str(enum=list(INSTANT_AD_STYLES)),
                         "outputFormat": _str(enum=["image", "video", "both"]),
                         "brandProfileId": _str("A saved brand profile (GET /api/v1/brand-profiles)", minLength=1,
                                                maxLength=64)},
                        ("websiteUrl", "platform", "count", "style"))
COMMERCIAL_BODY = _body({"product": _str("Product name/description", minLength=1, maxLength=2000),
                         "platform": _str(enum=list(COMMERCIAL_PLATFORMS)),
                         "duration": {"type": "integer", "enum": [15, 30, 60]},
                         "tone": _str(enum=list(COMMERCIAL_TONES)),
                         "targetAudience": _str(maxLength=500),
                         "productImages": {"type": "array", "minItems": 1, "maxItems": 10,
                                           "items": _str("Image URL", minLength=8, maxLength=2048)},
                         "voiceId": _str("A voice of GET /api/v1/voices", minLength=1, maxLength=200),
                         "voiceModel": _str(enum=list(VOICE_MODELS)),
                         "musicMood": _str(minLength=1, maxLength=200),
                         "spokespersonImage": _str("Refused (503): no video generator", minLength=1, maxLength=2048),
                         "videoModel": _str("Refused (503): no video generator", minLength=1, maxLength=2048)},
                        ("product", "platform", "duration", "tone", "productImages"))
ANY_BODY = {"required": False, "content": {"application/json": {"schema": {"type": "object"}}}}


def _op(op_id: str, summary: str, description: str, schema: str, examples: dict[str, Any],
        errors: tuple[str, ...], **kw: Any) -> Op:
    return Op(op_id, TAG, summary, description, schema, examples, errors=errors, error_schema="ApexError", **kw)


OPERATIONS.update({
    ("post", "/api/generate/voice"): _op(
        "apexGenerateVoice", "Generate voice (TTS)",
        "Kokoro text-to-speech as a queued `text-to-speech` job (80 credits by default, `[apex_credits] voice`), held "
        "now, charged on success, refunded on failure. `model` other than `kokoro` is 400 naming ours.",
        "ApexQueued", QUEUED, GENERATION_ERRORS, request_body=VOICE_BODY),
    ("post", "/api/generate/clip"): _op(
        "apexGenerateClip", "Auto-clip a video",
        "The `auto-clip` tool on the video at `sourceVideoUrl` (fetched through the SSRF guard); 30 credits.",
        "ApexQueued", QUEUED, GENERATION_ERRORS, request_body=CLIP_BODY),
    ("post", "/api/generate/image"): _op(
        "apexGenerateImage", "Generate an image",
        "The `image-generate` tool on a configured engine (ComfyUI workflow or OpenAI-compatible image server): "
        "`model` names a `[generators.<name>]` (unknown: 400 listing them; none configured: 503 naming the "
        "section). 10 credits.", "ApexQueued", QUEUED, GENERATION_ERRORS, request_body=IMAGE_BODY),
    ("post", "/api/generate/photoshoot"): _op(
        "apexGeneratePhotoshoot", "Product photoshoot",
        "The `product-photoshoot` tool on the photo at `productImage`: the product cut out (ISNet), framed by "
        "`angle`, placed on `background` with a shadow, relit by `lighting`; `count` (1-4) distinct photos, each "
        "as PNG and JPEG at the input's size (`outputUrl` is the first PNG). 30 credits per photo "
        "(`[apex_credits] photoshoot` × `count`). `lifestyle`, `outdoor` and a described `customBackground` need "
        "a configured image generator: without one, 503 naming `[generators.<name>]`, charged 0. A photo with "
        "no separable product fails with `creditsRefunded` (the NOXUS route answers 400 `no_foreground`).",
        "ApexQueued", QUEUED, GENERATION_ERRORS, request_body=PHOTOSHOOT_BODY),
    ("post", "/api/generate/translate"): _op(
        "apexGenerateTranslate", "Translate (dub) a video",
        "The `dub-video` tool on the video at `videoUrl` (fetched through the SSRF guard): its speech recognised, "
        "translated line by line into `outputLanguage` and spoken by a voice of that language, fitted to each "
        "line's time over the original ducked (no lip-sync). 1800 credits (`[apex_credits] translate`). An "
        "unsupported language or one the video already speaks is 400; a video without speech is 400 (a silent "
        "track at once; speech not found, or the same language detected, fails the job and refunds it); "
        "`preserveOriginalVoice: true` is 503 (no voice-cloning model).",
        "ApexQueued", QUEUED, GENERATION_ERRORS, request_body=TRANSLATE_BODY),
    ("post", "/api/generate/instant-ad"): _op(
        "apexGenerateInstantAd", "Instant ad from a URL",
        "The `instant-ad` tool: the page at `websiteUrl` is fetched now (SSRF guard, HTML only, `[assets] "
        "fetch_max_page_mb`; not HTML, a refused address or too big: 400/413, charged 0) and read for its title, "
        "price, images, colours and logo; `count` variations of headline, body and CTA are rendered at the "
        "platform's size in `style` (`outputFormat` video: 15 s video ads). Held per variation: `[apex_credits] "
        "instant_ad` for 4, `instant_ad_per_variation` less for each one fewer (500-1,250 by default). A page "
        "without images gives text-only ads with a warning.",
        "ApexQueued", QUEUED, GENERATION_ERRORS + ("limit_exceeded",), request_body=INSTANT_AD_BODY),
    ("post", "/api/generate/commercial"): _op(
        "apexGenerateCommercial", "Generate a commercial",
        "The `video-ad` tool: `product` (and `targetAudience`) as the brief, `productImages` (1-10 URLs, fetched "
        "through the SSRF guard; required: this server generates no footage) as its pictures, `platform` as the "
        "aspect (tiktok/instagram 9:16, youtube/tv 16:9), `tone` as the end card, motion and pace; 3000 credits. "
        "`spokespersonImage` and `videoModel` are 503 (no video generator).",
        "ApexQueued", QUEUED, GENERATION_ERRORS + ("limit_exceeded",), request_body=COMMERCIAL_BODY),
    ("get", "/api/jobs"): _op(
        "apexListJobs", "List jobs (or one: ?id=)",
        "The account's jobs (every contract's: one job store) with `status` queued|processing|completed|failed, "
        "`outputUrl` (signed, 24 h), `outputType` and `metadata` per the seed's table.",
        "ApexJobs", {"one": {"data": {"id": JOB, "jobId": JOB, "type": "voice", "status": "queued"}}},
        (*READ_ERRORS, "job_not_found"),
        parameters=({"name": "id", "in": "query", "required": False, "schema": _str()},)),
    ("get", "/api/usage"): _op(
        "apexUsage", "Credits and usage", "The balance in credits (`[apex_credits] usd_per_credit`), successful jobs "
        "by type, and the account's tier as `plan`.", "ApexUsage",
        {"usage": {"data": {"credits": 9920, "used": {"voices": 1}, "plan": "free", "balanceUsd": "9.92"}}},
        READ_ERRORS),
    ("get", "/api/keys"): _op(
        "apexListKeys", "List API keys", "Tiers of `[apex] key_tiers` only (others 403).", "ApexKeys",
        {"keys": {"data": [{"id": "key_1", "name": "ci", "prefix": "noxus_test_AbCd"}]}}, READ_ERRORS),
    ("post", "/api/keys"): _op(
        "apexCreateKey", "Create an API key", "The key is shown this once.", "ApexKey",
        {"key": {"data": {"id": "key_1", "key": "noxus_test_…", "name": "ci"}}}, ("validation_error", *READ_ERRORS),
        request_body=_body({"name": _str(minLength=1, maxLength=100)}, ("name",))),
    ("delete", "/api/keys/{key_id}"): _op(
        "apexRevokeKey", "Revoke an API key", "One of the account's keys; another's is 404.", "ApexRevoked",
        {"revoked": {"data": {"id": "key_1", "revoked": True}}}, (*READ_ERRORS, "not_found"),
        parameters=({"name": "key_id", "in": "path", "required": True, "schema": _str()},)),
    ("patch", "/api/settings"): _op(
        "apexSettings", "Set the webhook URL",
        "HTTPS (or a host of `[webhooks] allow_hosts`), SSRF-checked; `null` removes it. Deliveries are the "
        "seed's `job.completed` / `job.failed` payloads, signed with `webhookSecret`, retried 10 s, 60 s, 300 s.",
        "ApexSettings", {"set": {"data": {"webhookUrl": "https://example.com/hook", "webhookSecret": "whsec_…"}}},
        ("validation_error", *READ_ERRORS),
        request_body=_body({"webhookUrl": {"type": ["string", "null"], "minLength": 8, "maxLength": 2048}},
                           ("webhookUrl",))),
})
for _kind, _missing in MISSING.items():
    OPERATIONS[("post", f"/api/generate/{_kind}")] = _op(
        f"apexGenerate{_kind.title().replace('-', '')}", f"Generate {_kind} (not available here)",
        f"Answers 503 SERVICE_UNAVAILABLE: it needs {_missing}. Charged 0.", "ApexQueued", QUEUED,
        ("missing_api_key", "scope_denied", "rate_limit_exceeded", "tool_unavailable", "internal_error"),
        request_body=ANY_BODY)

# the image-generate tool on the NOXUS route (api/openapi.py makes its concrete path from these)
IG_JOB = "job_2b4d6f8a0c1e3a5c7e9b1d3f"
IG_URL = f"/api/v1/files/{IG_JOB}/image.png?expires=1779721445&sig=5d1f…"
RUN_EXAMPLES["image-generate"] = _envelope({
    **{k: v for k, v in JOB_ROW.items() if k not in ("steps", "jobs", "sub_jobs")},
    "tool": "image-generate", "job_id": IG_JOB,
    "billing": {"currency": "USD", "estimated_usd": "0.01", "charged_usd": "0.01", "balance_after_usd": "9.99"},
    "output": {"filename": "image.png", "mime_type": "image/png", "size_bytes": 912345, "url": IG_URL},
    "outputs": [{"name": "primary", "filename": "image.png", "mime_type": "image/png", "size_bytes": 912345,
                 "url": IG_URL}],
    "result": {"model": "flux-2-pro", "width": 1024, "height": 768, "seed": 7}})
# the product-photoshoot tool on the NOXUS route: two photos, each as PNG and JPEG, and the cut-out
PS_JOB = "job_7d1e3f5a9b2c4d6e8f0a1b3c"


def _ps_file(name: str, filename: str, mime: str, size: int) -> dict[str, Any]:
    return {"name": name, "filename": filename, "mime_type": mime, "size_bytes": size,
            "url": f"/api/v1/files/{PS_JOB}/{filename}?expires=1779721445&sig=8a0c…"}


PS_FILES = [_ps_file("primary", "photo-1.png", "image/png", 2_104_331),
            _ps_file("photo-1-jpeg", "photo-1.jpg", "image/jpeg", 312_870),
            _ps_file("photo-2", "photo-2.png", "image/png", 2_087_112),
            _ps_file("photo-2-jpeg", "photo-2.jpg", "image/jpeg", 305_441),
            _ps_file("cutout", "product-cutout.png", "image/png", 401_220)]
RUN_EXAMPLES["product-photoshoot"] = _envelope({
    **{k: v for k, v in JOB_ROW.items() if k not in ("steps", "jobs", "sub_jobs")},
    "tool": "product-photoshoot", "job_id": PS_JOB,
    "billing": {"currency": "USD", "estimated_usd": "0.06", "charged_usd": "0.06", "balance_after_usd": "9.94"},
    "output": {k: v for k, v in PS_FILES[0].items() if k != "name"}, "outputs": PS_FILES,
    "result": {"width": 1600, "height": 1200, "count": 2, "background": "studio-white", "angle": "45-degree",
               "lighting": "golden-hour", "seed": 7, "backdrop_source": "drawn", "generator": None,
               "photos": [{"index": 1, "png": "photo-1.png", "jpeg": "photo-1.jpg",
                           "look": {"index": 0, "scale": 0.62, "x": 0.47, "light_direction": 170.0, "shadow": 0.45,
                                    "tone": 0}},
                          {"index": 2, "png": "photo-2.png", "jpeg": "photo-2.jpg",
                           "look": {"index": 1, "scale": 0.66, "x": 0.51, "light_direction": 151.3, "shadow": 0.39,
                                    "tone": 1}}],
               "mask": {"confidence": 0.982, "coverage": 0.1413, "box": [612, 250, 402, 702]}}})
OPERATIONS[("post", "/api/voice-agent/calls/outbound")] = _op(
    "apexOutboundCall", "Start an outbound call (not available here)",
    "Answers 503 SERVICE_UNAVAILABLE: phone calls need a telephony bridge this server does not have. Charged 0.",
    "ApexQueued", QUEUED, ("missing_api_key", "scope_denied", "rate_limit_exceeded", "tool_unavailable",
                           "internal_error"), request_body=ANY_BODY)

# the dub-video tool on the NOXUS route (seed 002's translate runs it)
DUB_JOB = "job_7d1f3b5a9c2e4f6a8b0d2c4e"
DUB_FILES = [("video", "charla-en.mp4", "video/mp4", 1_284_512), ("srt", "charla-en.srt", "application/x-subrip", 243),
             ("segments", "charla-en.json", "application/json", 1_433)]
DUB_OUTPUTS = [{"name": n, "filename": f, "mime_type": m, "size_bytes": size,
                "url": f"/api/v1/files/{DUB_JOB}/{f}?expires=1779721445&sig=9b3e…"} for n, f, m, size in DUB_FILES]
RUN_EXAMPLES["dub-video"] = _envelope({
    **{k: v for k, v in JOB_ROW.items() if k not in ("steps", "jobs", "sub_jobs")},
    "tool": "dub-video", "job_id": DUB_JOB,
    "billing": {"currency": "USD", "estimated_usd": "0.0266", "charged_usd": "0.0266", "balance_after_usd": "9.9734",
                "unit": "minute", "estimated_units": 10.6, "units": 10.6},
    "output": {k: DUB_OUTPUTS[0][k] for k in ("filename", "mime_type", "size_bytes", "url")},
    "outputs": DUB_OUTPUTS,
    "result": {"source_language": "es", "target_language": "en", "voice_id": "af_heart",
               "translator": "llm:qwen2.5-coder-1.5b-instruct", "lip_sync": False, "duration_seconds": 10.648,
               "voice_gain": 0.893, "duck_db": -22.0,
               "segments": [{"id": 0, "start": 0.5, "end": 2.64, "source_text": "Hola, me llamo Ana y vivo en Madrid.",
                             "translation": "Hello, my name is Ana and I live in Madrid.", "speech_start": 0.5,
                             "speech_end": 3.05, "speed": 1.0, "tempo": 1.0, "borrowed_seconds": 0.41,
                             "cut_seconds": 0.0}]}})
