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
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode

import anyio

from noxus_local.assets.store import Received
from noxus_local.generators.base import GeneratorSpec, check_request, output_stem
from noxus_local.generators.http import Session, run
from noxus_local.generators.image import keep
from noxus_local.generators.workflow import WorkflowError, fill, load_workflow
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
        raise spec.fail("engine_error", f"flujo de trabajo ilegible ({exc})", f"unreadable workflow ({exc})") from None
    out_dir.mkdir(parents=True, exist_ok=True)
    received = run(spec, cancel, lambda session: _generate(session, graph, out_dir))
    return keep(spec, received.path, out_dir / output_stem(spec, prompt, negative, width, height, seed))


async def _generate(session: Session, graph: dict[str, Any], out_dir: Path) -> Received:
    root = session.spec.root
    queued = await session.json("POST", f"{root}/prompt", {"prompt": graph, "client_id": uuid.uuid4().hex})
    prompt_id = queued.get("prompt_id") if isinstance(queued, dict) else None
    if not isinstance(prompt_id, str) or not prompt_id:
        raise session.spec.fail("engine_garbage", "POST /prompt no devolvió prompt_id",
                                "POST /prompt answered no prompt_id")
    image = await _wait(session, prompt_id)
    query = urlencode({"filename": image["filename"], "subfolder": image.get("subfolder", ""),
                       "type": image.get("type", "output")})
    return await session.image(f"{root}/view?{query}", out_dir)


async def _wait(session: Session, prompt_id: str) -> dict[str, Any]:
    """The first image of the prompt's history entry, polling until there is one (or an error)."""
    delay = POLL_FIRST
    url = f"{session.spec.root}/history/{quote(prompt_id, safe='')}"
    while True:
        history = await session.json("GET", url)
        entry = history.get(prompt_id) if isinstance(history, dict) else None
        if isinstance(entry, dict):
            status = entry.get("status") if isinstance(entry.get("status"), dict) else {}
            if status.get("status_str") == "error":
                raise session.spec.fail("engine_error", "ComfyUI informó un error al ejecutar el flujo",
                                        "ComfyUI reported an error running the workflow")
            image = _first_image(entry.get("outputs"))
            if image is not None:
                return image
            if status.get("completed"):
                raise session.spec.fail("engine_garbage", "el flujo terminó sin ninguna imagen",
                                        "the workflow finished without an image")
        await anyio.sleep(delay)
        delay = min(delay * 1.5, POLL_MAX)


def _first_image(outputs: Any) -> dict[str, Any] | None:
    """A saved image (``type`` output) before a preview's; None while there is none yet."""
    found = [image for node in (outputs.values() if isinstance(outputs, dict) else [])
             if isinstance(node, dict) and isinstance(node.get("images"), list)
             for image in node["images"] if _valid(image)]
    found.sort(key=lambda image: IMAGE_TYPES.index(image.get("type", "output")))
    return found[0] if found else None


def _valid(image: Any) -> bool:
    return (isinstance(image, dict) and isinstance(image.get("filename"), str) and bool(image["filename"])
            and isinstance(image.get("subfolder", ""), str) and image.get("type", "output") in IMAGE_TYPES)
