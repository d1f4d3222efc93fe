"""The JSON shapes pipelines ask the text model for (``structured.ask_json``), one per prompt task.

Bounds are generous where a model is sloppy (a scene count off by one is
rescaled later) and strict where the value is used (``additionalProperties``
is false, so nothing unexpected rides along).

Example::

    ask_json(llm, "clip_judgement", "en", {"transcript": text, "seconds": 42}, CLIP_JUDGEMENT_SCHEMA)
    # {"score": 7, "hook": "...", "reason": "..."}
"""

from __future__ import annotations

from typing import Any

_TEXT: dict[str, Any] = {"type": "string", "minLength": 1, "maxLength": 2000}

SCRIPT_SCHEMA: dict[str, Any] = {
    "type": "object", "required": ["title", "scenes"], "additionalProperties": False,
    "properties": {
        "title": {"type": "string", "minLength": 1, "maxLength": 200},
        "scenes": {"type": "array", "minItems": 1, "maxItems": 20, "items": {
            "type": "object", "required": ["beat", "words"], "additionalProperties": False,
            "properties": {"beat": _TEXT, "words": {"type": "integer", "minimum": 1, "maximum": 1000}}}},
    },
}

SCENE_TEXT_SCHEMA: dict[str, Any] = {
    "type": "object", "required": ["text"], "additionalProperties": False, "properties": {"text": _TEXT},
}

SCENE_PLAN_SCHEMA: dict[str, Any] = {
    "type": "object", "required": ["scenes"], "additionalProperties": False,
    "properties": {"scenes": {"type": "array", "minItems": 1, "maxItems": 40, "items": {
        "type": "object", "required": ["scene", "visual", "search"], "additionalProperties": False,
        "properties": {"scene": {"type": "integer", "minimum": 1, "maximum": 40}, "visual": _TEXT,
                       "search": {"type": "string", "minLength": 1, "maxLength": 200},
                       # the same keywords in English: what the picture analysis (ImageNet labels) speaks
                       "search_en": {"type": "string", "maxLength": 200}}}}},
}

CLIP_JUDGEMENT_SCHEMA: dict[str, Any] = {
    "type": "object", "required": ["score", "hook", "reason"], "additionalProperties": False,
    "properties": {"score": {"type": "integer", "minimum": 0, "maximum": 10},
                   "hook": {"type": "string", "maxLength": 2000}, "reason": _TEXT},
}

CLIP_HOOK_SCHEMA: dict[str, Any] = {
    "type": "object", "required": ["score", "reason"], "additionalProperties": False,
    "properties": {"score": {"type": "integer", "minimum": 1, "maximum": 10},
                   "reason": {"type": "string", "minLength": 1, "maxLength": 300}},
}
