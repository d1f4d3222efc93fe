"""The catalog Structs (api/tool_schemas.py) are the typed answer of GET /api/v1/tools: every member a tool's
``describe`` adds must be declared there, and numbers a tool gives as ints stay ints."""

from __future__ import annotations

from typing import Any

import msgspec
import pytest

from noxus_local.api.tool_routes import catalog_entry
from noxus_local.api.tool_schemas import ToolDescription, ToolDetail, ToolList
from noxus_local.config import load_config
from noxus_local.tools.catalog import Catalog


def entries() -> list[dict[str, Any]]:
    cfg = load_config(None, {})
    catalog = Catalog.default(diagnostics=True, cfg=cfg)
    cfg.prices = catalog.priced(cfg.prices)
    return [catalog_entry(cfg, tool) for tool in catalog.tools.values()]


def test_every_tools_entry_is_its_struct_member_for_member() -> None:
    """A tool that adds a catalog member (or a value of another type) without declaring it in
    ``ToolDescription`` fails here: the strict conversion refuses it, or the round trip loses it."""
    found = entries()
    assert len(found) >= 16
    extras = set()
    for entry in found:
        typed = msgspec.convert(entry, ToolDescription)
        assert msgspec.to_builtins(typed) == entry, entry["slug"]
        # the same JSON, ints included: 1 stays 1, never 1.0
        assert msgspec.json.decode(msgspec.json.encode(typed)) == msgspec.json.decode(msgspec.json.encode(entry))
        extras |= entry.keys()
    # the tool-specific members really occur (the Struct is exercised, not just its common part)
    assert {"styles", "fonts", "positions", "pricing_factors", "clip_unit_seconds", "target_languages",
            "lip_sync", "cta_designs"} <= extras


def test_ints_stay_ints_in_the_encoded_entry() -> None:
    ints = [(e["slug"], i["name"]) for e in entries() for i in e["inputs"] if type(i.get("maximum")) is int]
    assert ints  # some inputs bound by an int (e.g. max counts)
    for entry in entries():
        raw = msgspec.json.encode(msgspec.convert(entry, ToolDescription))
        for item in msgspec.json.decode(raw)["inputs"]:
            original = next(i for i in entry["inputs"] if i["name"] == item["name"])
            for bound in ("minimum", "maximum"):
                if bound in original:
                    assert type(item[bound]) is type(original[bound]), (entry["slug"], item["name"], bound)


def test_an_undeclared_member_is_refused() -> None:
    entry = entries()[0]
    with pytest.raises(msgspec.ValidationError, match="unknown field `surprise`"):
        msgspec.convert({**entry, "surprise": 1}, ToolDescription)
    with pytest.raises(msgspec.ValidationError, match="unknown field `surprise`"):
        msgspec.convert({**entry, "inputs": [{**entry["inputs"][0], "surprise": 1}]}, ToolDescription)
    body = {"success": True, "tools": [entry], "request_id": "req_x"}
    assert msgspec.to_builtins(msgspec.convert(body, ToolList)) == body
    detail = {"success": True, "tool": entry, "request_id": "req_x"}
    assert msgspec.to_builtins(msgspec.convert(detail, ToolDetail)) == detail
