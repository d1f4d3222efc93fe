"""ComfyUI workflows in API format, with ``{{placeholders}}`` filled in as JSON values, never as JSON text.

The admin exports a workflow with "Save (API format)" and writes
``{{prompt}}``, ``{{negative_prompt}}``, ``{{width}}``, ``{{height}}`` and
``{{seed}}`` where the request's values go. The file is parsed first and the
placeholders are replaced inside the parsed strings, so a prompt is data:
quotes, backslashes and braces in it end up JSON-escaped by ``json.dumps``
and cannot change the workflow's structure. A string that is exactly one
placeholder takes the value's own type (``"{{width}}"`` → ``768``, a number);
a placeholder inside a longer string is replaced as text
(``"photo of {{prompt}}, 35mm"``). Replacement is one pass over the
admin's text, so a prompt that itself says ``{{seed}}`` stays literal.
Numeric placeholders may also be written bare (``"width": {{width}}``, not
valid JSON on its own): those are quoted before parsing.

Example::

    graph = load_workflow(Path("sdxl-api.json"))
    fill(graph, {"prompt": 'say "hi" \\ {x}', "negative_prompt": "", "width": 768, "height": 1344, "seed": 7})
    # {"6": {"inputs": {"text": "say \\"hi\\" \\\\ {x}", ...}}, "5": {"inputs": {"width": 768, ...}}}
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

PLACEHOLDERS = ("prompt", "negative_prompt", "width", "height", "seed", "frames", "fps", "duration", "image", "audio")
NUMBERS = ("width", "height", "seed", "frames", "fps", "duration")
MAX_WORKFLOW_BYTES = 4 * 1024 * 1024
_ANY = re.compile(r"\{\{(" + "|".join(PLACEHOLDERS) + r")\}\}")
# a bare placeholder is a JSON value: after ``:``, ``[`` or ``,`` and before ``,``, ``}`` or ``]`` (never inside
# a string, where "{{duration}} s" stays text)
_BARE_NUMBER = re.compile(r'([:\[,]\s*)\{\{(' + "|".join(NUMBERS) + r')\}\}(?=\s*[,}\]])')


class WorkflowError(ValueError):
    """The workflow file is missing, too big, not a JSON object, or lacks its required placeholder."""


def load_workflow(path: Path, required: str = "prompt") -> dict[str, Any]:
    """The parsed workflow; raises ``WorkflowError`` saying what is wrong with the file.

    ``required``: the placeholder it must hold (``prompt``; ``image`` for a talking-head workflow)."""
    try:
        if path.stat().st_size > MAX_WORKFLOW_BYTES:
            raise WorkflowError(f"{path} is over {MAX_WORKFLOW_BYTES} bytes")
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise WorkflowError(f"cannot read {path} ({type(exc).__name__})") from None
    try:
        graph = json.loads(_BARE_NUMBER.sub(r'\1"{{\2}}"', text))
    except ValueError as exc:
        raise WorkflowError(f"{path} is not JSON: {exc}") from None
    if not isinstance(graph, dict) or not graph:
        raise WorkflowError(f"{path} is not a workflow in API format (a JSON object of nodes)")
    if "{{" + required + "}}" not in json.dumps(graph):
        raise WorkflowError(f"{path} has no {{{{{required}}}}} placeholder")
    return graph


def fill(node: Any, values: dict[str, Any]) -> Any:
    """A copy of ``node`` with every placeholder replaced (see the module's docstring); one ``values`` does not
    name stays as written (an image request has no ``{{frames}}``)."""
    if isinstance(node, dict):
        return {key: fill(value, values) for key, value in node.items()}
    if isinstance(node, list):
        return [fill(value, values) for value in node]
    if isinstance(node, str):
        whole = _ANY.fullmatch(node)
        if whole:
            return values.get(whole.group(1), node)
        return _ANY.sub(lambda m: str(values.get(m.group(1), m.group(0))), node)
    return node
