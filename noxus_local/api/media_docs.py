"""More media types on a documented response: text, audio or server-sent events beside (or instead of) JSON.

``docs.operation(ok=(Struct, examples))`` documents a JSON success body. Some routes
answer other media types as well, chosen by the request (``response_format``,
``stream``): ``with_media`` adds them to one response of the operation Litestar
generates; ``replace_media`` puts them in place of the JSON body (a route that
only answers audio). Each is ``{media type: (JSON Schema, named examples)}``; the
schema is a plain dict, published as written (Litestar copies dicts through).

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

    return {**kwargs, "operation_class": WithMedia}
