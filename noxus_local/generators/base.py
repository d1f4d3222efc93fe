"""What every image generator shares: its error, and the resolved settings one call needs.

A generator is an outside engine the admin runs (ComfyUI, an OpenAI-compatible
image server), so anything can go wrong with it; every failure is one
``GeneratorError`` (502 ``upstream_error`` if it ever reached a client) whose
``reason`` says which, and a caller such as script-to-video turns it into a
designed scene plus a warning. A cancelled job is not a generator failure: it
raises the cancel token's own ``JobCancelled`` / ``ProcessingTimeout``.

Example::

    spec = GeneratorSpec.from_config(cfg, "comfy")     # settings, allow_hosts, the key from its env var
    try:
        path = generate(spec, "a lighthouse at dusk", "", 768, 1344, 7, workdir, cancel)
    except GeneratorError as exc:
        warnings.append(exc.message)                   # a Text: es and en
"""

from __future__ import annotations

import hashlib
import json
import os
import socket
import ssl
from collections.abc import Mapping
from dataclasses import dataclass

from noxus_local.config import VIDEO_KINDS, Config, GeneratorSettings
from noxus_local.errors import Text, UpstreamError
from noxus_local.locale import t
from noxus_local.net.ssrf import Resolver

MIN_REQUEST_SIDE, MAX_REQUEST_SIDE = 16, 8192
REASONS = ("engine_unreachable", "engine_timeout", "engine_error", "engine_garbage", "engine_too_large",
           "engine_address_refused")


class GeneratorError(UpstreamError):
    """An image engine failed; ``reason`` is one of ``REASONS``.

    Example: ``GeneratorError("engine_timeout", t("generators_http.nothing_within", ...), "comfy").details``
    == ``{"reason": "engine_timeout", "engine": "generator", "generator": "comfy"}``.
    """

    def __init__(self, reason: str, message: Text, generator: str = "") -> None:
        super().__init__(message, details={"reason": reason, "engine": "generator", "generator": generator})
        self.reason = reason


@dataclass(frozen=True)
class GeneratorSpec:
    """One configured generator, ready to call: ``[generators.<name>]``, the shared allow-list and its key.

    ``resolve`` and ``verify`` are the SSRF guard's resolver and httpx's TLS check (tests keep the defaults).
    """

    name: str
    settings: GeneratorSettings
    allow_hosts: tuple[str, ...] = ()
    api_key: str = ""
    resolve: Resolver = socket.getaddrinfo
    verify: ssl.SSLContext | bool = True

    @classmethod
    def from_config(cls, cfg: Config, name: str, environ: Mapping[str, str] | None = None) -> GeneratorSpec:
        """The generator ``name``; its API key is read from the variable ``api_key_env`` names, now."""
        settings = cfg.generators.entries[name]
        env = os.environ if environ is None else environ
        key = env.get(settings.api_key_env, "") if settings.api_key_env else ""
        return cls(name, settings, tuple(cfg.generators.allow_hosts), key)

    @property
    def root(self) -> str:
        """The engine's URL without a trailing slash (``http://127.0.0.1:8188``)."""
        return self.settings.url.rstrip("/")

    @property
    def product(self) -> Text:
        """What this engine makes, in es and en, for its errors: "video" or "imagen" / "image"."""
        return t("generators_base.video") if self.settings.kind in VIDEO_KINDS else t("generators_base.image")

    def fail(self, reason: str, detail: Text) -> GeneratorError:
        """``detail`` after the engine's name: ``spec.fail("engine_garbage", t("generators_http.its_answer_not_json"))``
        says "generator comfy: its answer is not JSON"."""
        return GeneratorError(reason, t("generators_base.generator", name=self.name, detail=detail), self.name)


def output_stem(spec: GeneratorSpec, prompt: str, negative_prompt: str, width: int, height: int, seed: int) -> str:
    """The file name (no suffix) for one request: the same request, the same name.

    Example: ``output_stem(spec, "a fox", "", 768, 1344, 7)`` → ``"comfy-3b9f0a1c5d7e2f48"``.
    """
    key = json.dumps([spec.name, spec.settings.kind, spec.settings.url, spec.settings.workflow, spec.settings.model,
                      prompt, negative_prompt, width, height, seed], ensure_ascii=False)
    return f"{spec.name}-{hashlib.sha256(key.encode('utf-8', 'surrogatepass')).hexdigest()[:16]}"


def check_request(prompt: str, width: int, height: int, seed: int) -> None:
    """The caller's values are in range (a caller's bug otherwise: ``ValueError``)."""
    if not isinstance(prompt, str):
        raise ValueError("prompt must be a string")
    for name, value in (("width", width), ("height", height)):
        if isinstance(value, bool) or not isinstance(value, int) or not MIN_REQUEST_SIDE <= value <= MAX_REQUEST_SIDE:
            raise ValueError(f"{name} must be an integer from {MIN_REQUEST_SIDE} to {MAX_REQUEST_SIDE}")
    if isinstance(seed, bool) or not isinstance(seed, int) or not 0 <= seed < 2**63:
        raise ValueError("seed must be an integer from 0 to 2**63 - 1")
