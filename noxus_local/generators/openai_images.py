"""OpenAI-compatible image servers (LocalAI and others): ``POST /v1/images/generations``.

The body is ``{"model", "prompt", "n": 1, "size": "WxH", "response_format":
"b64_json"}`` (``model`` left out when not configured); the answer's
``data[0].b64_json`` is decoded (strict base64, bounded by ``max_bytes``),
or its ``data[0].url`` (relative to the server, or absolute) is downloaded
through the same SSRF guard. The OpenAI API has no negative prompt and no
seed, so neither is sent: a server that takes them would refuse the
unknown fields of a strict client anyway.

Example::

    path = generate(spec, "a red fox in snow", "", 512, 512, 0, workdir, cancel)   # workdir/localai-….png
"""

from __future__ import annotations

import base64
import binascii
import secrets
from pathlib import Path
from typing import Any
from urllib.parse import urljoin

from noxus_local.generators.base import GeneratorSpec, check_request, output_stem
from noxus_local.generators.http import Session, run
from noxus_local.generators.image import keep
from noxus_local.locale import t
from noxus_local.runtime.cancel import CancelToken


def generate(spec: GeneratorSpec, prompt: str, negative_prompt: str, width: int, height: int, seed: int,
             out_dir: Path, cancel: CancelToken | None) -> Path:
    """One image of ``width``×``height`` for ``prompt``, checked, in ``out_dir`` (``negative_prompt``, ``seed``:
    not part of this API; they only name the file)."""
    check_request(prompt, width, height, seed)
    out_dir.mkdir(parents=True, exist_ok=True)
    body: dict[str, Any] = {"prompt": prompt, "n": 1, "size": f"{width}x{height}", "response_format": "b64_json"}
    if spec.settings.model:
        body = {"model": spec.settings.model, **body}
    raw = run(spec, cancel, lambda session: _generate(session, body, out_dir))
    return keep(spec, raw, out_dir / output_stem(spec, prompt, negative_prompt, width, height, seed))


def endpoint(spec: GeneratorSpec) -> str:
    """``url`` + ``/v1/images/generations``; a ``url`` that already ends in ``/v1`` is taken as it is."""
    return f"{spec.root.removesuffix('/v1')}/v1/images/generations"


async def _generate(session: Session, body: dict[str, Any], out_dir: Path) -> Path:
    spec = session.spec
    cap = spec.settings.max_bytes * 4 // 3 + 64 * 1024  # the base64 of max_bytes, and the JSON around it
    answer = await session.json("POST", endpoint(spec), body, max_bytes=cap)
    item = _first(answer)
    if item is None:
        raise spec.fail("engine_garbage", t("openai_images.its_answer_holds_neither"))
    if isinstance(item.get("b64_json"), str) and item["b64_json"]:
        raw = out_dir / f".generated-{secrets.token_hex(6)}"
        raw.write_bytes(_decode(spec, item["b64_json"]))
        return raw
    received = await session.image(urljoin(endpoint(spec), item["url"]), out_dir)
    return received.path


def _first(answer: Any) -> dict[str, Any] | None:
    data = answer.get("data") if isinstance(answer, dict) else None
    item = data[0] if isinstance(data, list) and data else None
    if not isinstance(item, dict):
        return None
    has_b64 = isinstance(item.get("b64_json"), str) and item["b64_json"]
    has_url = isinstance(item.get("url"), str) and item["url"]
    return item if has_b64 or has_url else None


def _decode(spec: GeneratorSpec, text: str) -> bytes:
    text = text.strip().removeprefix("data:image/png;base64,").removeprefix("data:image/jpeg;base64,")
    if len(text) > spec.settings.max_bytes * 4 // 3 + 4:
        raise spec.fail("engine_too_large", t("openai_images.image_over_bytes", max_bytes=spec.settings.max_bytes))
    try:
        return base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        raise spec.fail("engine_garbage", t("openai_images.b64_json_not_base64")) from None
