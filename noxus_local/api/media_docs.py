"""More media types on a documented response: text, audio or server-sent events beside (or instead of) JSON.

``docs.operation(ok=(Struct, examples))`` documents a JSON success body. Some routes
answer other media types as well, chosen by the request (``response_format``,
``stream``): ``with_media`` adds them to one response of the operation Litestar
generates; ``replace_media`` puts them in place of the JSON body (a route that
only answers audio). Each is ``{media type: (JSON Schema, named examples)}``; the
schema is a plain dict, published as written (Litestar copies dicts through).
Example values are published as given, nulls included (Litestar's own rendering
drops every None, which would leave OpenAI's ``"param": null`` out of its examples).

Example::

    @post("/v1/audio/transcriptions", **with_media(operation(...), 200, {
        "text/plain": ({"type": "string"}, {"srt": "1\\n00:00:00,400 --> ..."})}))
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from litestar.openapi.spec import Example, OpenAPIMediaType, Operation

Media = dict[str, tuple[dict[str, Any], dict[str, Any]]]


def with_media(kwargs: dict[str, Any], status: int, media: Media) -> dict[str, Any]:
    """``operation(...)``'s keywords with ``media`` added to the ``status`` response."""
    return _media(kwargs, status, media, replace=False)


def replace_media(kwargs: dict[str, Any], status: int, media: Media) -> dict[str, Any]:
    """``operation(...)``'s keywords with the ``status`` response's body being only ``media``."""
    return _media(kwargs, status, media, replace=True)


def keep_nulls(kwargs: dict[str, Any]) -> dict[str, Any]:
    """``operation(...)``'s keywords, its example values published with their nulls (no media added)."""
    return _media(kwargs, 0, {}, replace=False)


def _media(kwargs: dict[str, Any], status: int, media: Media, replace: bool) -> dict[str, Any]:
    base: type[Operation] = kwargs.get("operation_class", Operation)

    @dataclass
    class WithMedia(base):  # type: ignore[valid-type,misc]
        def __post_init__(self) -> None:
            parent = getattr(super(), "__post_init__", None)
            if parent is not None:
                parent()
            response = (self.responses or {}).get(str(status))
            if response is None or not hasattr(response, "content"):
                return
            content = {} if replace else dict(response.content or {})
            for name, (spec, examples) in media.items():
                content[name] = OpenAPIMediaType(schema=spec, examples={  # type: ignore[arg-type]
                    key: Example(summary=key, value=value) for key, value in examples.items()} or None)
            response.content = content

        def to_schema(self) -> dict[str, Any]:
            """Litestar drops every None from the document, example values included; OpenAI's bodies have
            members that are null (``param``, ``refusal``, ``logprobs``): their examples are put back whole."""
            out: dict[str, Any] = super().to_schema()
            for code, response in (self.responses or {}).items():
                _restore(getattr(response, "content", None), out["responses"][code].get("content", {}))
            body = self.request_body
            if body is not None and hasattr(body, "content"):
                _restore(body.content, out["requestBody"]["content"])
            return out

    return {**kwargs, "operation_class": WithMedia}


def _restore(content: dict[str, Any] | None, published: dict[str, Any]) -> None:
    for name, media in (content or {}).items():
        for key, example in (getattr(media, "examples", None) or {}).items():
            if isinstance(example, Example) and example.value is not None:
                published[name]["examples"][key]["value"] = example.value
