"""ComfyUI: submit a workflow, wait for its history to hold an image, download it with ``/view``.

The admin's workflow (API format) gets the request's values through its
placeholders (``workflow.fill``: the prompt stays data), then
``POST /prompt {"prompt": workflow, "client_id"}`` queues it;
``GET /history/{prompt_id}`` is polled (0.2 s, growing to 1 s) until the
entry has an image in its outputs (a ``SaveImage`` node's ``output`` first,
else a preview's), reports an error, or ``timeout_seconds`` runs out; the
image comes from ``GET /view?filename=&subfolder=&type=``.

Example::

    path = generate(spec, "un faro al atardecer", "", 768, 1344, 42, workdir, cancel)   # workdir/comfy-….png
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode

import anyio

from noxus_local.assets.store import Received
from noxus_local.generators.base import GeneratorSpec, check_request, output_stem
from noxus_local.generators.http import Session, run
from noxus_local.generators.image import keep
from noxus_local.generators.workflow import WorkflowError, fill, load_workflow
from noxus_local.locale import t
from noxus_local.runtime.cancel import CancelToken

POLL_FIRST, POLL_MAX = 0.2, 1.0
IMAGE_TYPES = ("output", "temp", "input")


def generate(spec: GeneratorSpec, prompt: str, negative_prompt: str, width: int, height: int, seed: int,
             out_dir: Path, cancel: CancelToken | None) -> Path:
    """One image for ``prompt`` at about ``width``×``height`` (the workflow decides), checked, in ``out_dir``."""
    check_request(prompt, width, height, seed)
    negative = negative_prompt or spec.settings.negative_prompt
    try:
        graph = fill(load_workflow(Path(spec.settings.workflow)), {
            "prompt": prompt, "negative_prompt": negative, "width": width, "height": height, "seed": seed})
    except WorkflowError as exc:  # the file changed since the config was checked
        raise spec.fail("engine_error", t("comfyui.unreadable_workflow", exc=exc)) from None
    out_dir.mkdir(parents=True, exist_ok=True)
    received = run(spec, cancel, lambda session: _generate(session, graph, out_dir))
    return keep(spec, received.path, out_dir / output_stem(spec, prompt, negative, width, height, seed))


async def _generate(session: Session, graph: dict[str, Any], out_dir: Path) -> Received:
    prompt_id = await queue(session, graph)
    image = await wait(session, prompt_id, _first_image)
    return await session.image(view_url(session.spec.root, image), out_dir)


async def queue(session: Session, graph: dict[str, Any]) -> str:
    """``POST /prompt``: the queued prompt's id; a workflow ComfyUI refuses (its ``node_errors``) is an
    ``engine_error`` naming the first refused node and why (a missing model file, a value not in a list)."""
    answer = await session.json("POST", f"{session.spec.root}/prompt",
                                {"prompt": graph, "client_id": uuid.uuid4().hex}, accept=(400,))
    refused = _refusal(answer)
    if refused:
        raise session.spec.fail("engine_error", t("comfyui.comfyui_refused_workflow", refused=refused))
    prompt_id = answer.get("prompt_id") if isinstance(answer, dict) else None
    if not isinstance(prompt_id, str) or not prompt_id:
        raise session.spec.fail("engine_garbage", t("comfyui.post_prompt_answered_no"))
    return prompt_id


def _refusal(answer: Any) -> str:
    """The first node error (or the error) of a ``/prompt`` answer, in a line; "" when it was queued.

    Example: ``{"node_errors": {"4": {"class_type": "CheckpointLoaderSimple", "errors": [{"message":
    "Value not in list", "details": "ckpt_name: 'x' not in []"}]}}}`` → ``"node 4 (CheckpointLoaderSimple):
    Value not in list: ckpt_name: 'x' not in []"``.
    """
    if not isinstance(answer, dict):
        return ""
    nodes = answer.get("node_errors")
    for node_id, node in (nodes.items() if isinstance(nodes, dict) else []):
        errors = node.get("errors") if isinstance(node, dict) else None
        first = errors[0] if isinstance(errors, list) and errors and isinstance(errors[0], dict) else {}
        words = ": ".join(str(first[k])[:200] for k in ("message", "details") if first.get(k))
        return f"node {str(node_id)[:40]} ({str(node.get('class_type', '?'))[:80]}): {words or 'refused'}"
    error = answer.get("error")
    if isinstance(error, dict) and error:
        return str(error.get("message") or error.get("type") or "refused")[:300]
    if isinstance(error, str) and error:
        return error[:300]
    return ""


def view_url(root: str, item: dict[str, Any]) -> str:
    """``/view`` of one output file: ``view_url(root, {"filename": "a.mp4", "subfolder": "", "type": "output"})``."""
    query = urlencode({"filename": item["filename"], "subfolder": item.get("subfolder", ""),
                       "type": item.get("type", "output")})
    return f"{root}/view?{query}"


async def wait(session: Session, prompt_id: str,
               pick: Callable[[Any], dict[str, Any] | None]) -> dict[str, Any]:
    """The output ``pick`` finds in the prompt's history entry (its ``outputs``), polling until there is one
    (or an error, or a finished entry without one)."""
    delay = POLL_FIRST
    url = f"{session.spec.root}/history/{quote(prompt_id, safe='')}"
    what = session.spec.product
    while True:
        history = await session.json("GET", url)
        entry = history.get(prompt_id) if isinstance(history, dict) else None
        if isinstance(entry, dict):
            status = entry.get("status") if isinstance(entry.get("status"), dict) else {}
            if status.get("status_str") == "error":
                raise session.spec.fail("engine_error", t("comfyui.comfyui_reported_error_running"))
            found = pick(entry.get("outputs"))
            if found is not None:
                return found
            if status.get("completed"):
                raise session.spec.fail("engine_garbage", t("comfyui.workflow_finished_without", what=what))
        await anyio.sleep(delay)
        delay = min(delay * 1.5, POLL_MAX)


def _first_image(outputs: Any) -> dict[str, Any] | None:
    """A saved image (``type`` output) before a preview's; None while there is none yet."""
    return first_output(outputs, ("images",))


def first_output(outputs: Any, keys: tuple[str, ...]) -> dict[str, Any] | None:
    """The first file listed under one of ``keys`` of any node's outputs (``images``; ``gifs``, ``videos``),
    a saved one (``type`` output) before a temp or input one; None while there is none."""
    found = [item for node in (outputs.values() if isinstance(outputs, dict) else [])
             if isinstance(node, dict) for key in keys if isinstance(node.get(key), list)
             for item in node[key] if _valid(item)]
    found.sort(key=lambda item: IMAGE_TYPES.index(item.get("type", "output")))
    return found[0] if found else None


def _valid(image: Any) -> bool:
    return (isinstance(image, dict) and isinstance(image.get("filename"), str) and bool(image["filename"])
            and isinstance(image.get("subfolder", ""), str) and image.get("type", "output") in IMAGE_TYPES)
