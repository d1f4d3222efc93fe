"""Render config.example.toml from the setting declarations in config.py.

The committed file must equal ``render_example()`` (a test checks), so the
example can never drift from the settings the server really reads.

Example::

    python -m noxus_local.cli.config_example > config.example.toml
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Mapping
from typing import Any

from noxus_local.config import (
    DEFAULT_TIERS,
    SECTIONS,
    AccountDecl,
    AppDecl,
    GeneratorSettings,
    GeneratorsSettings,
    KeyDecl,
    PriceSettings,
    TierSettings,
)

HEADER = """\
# NOXUS Local configuration. Every setting is listed with its default value.
# Nothing here is required: `noxus-local serve` runs on these defaults.
# Use it with:  noxus-local serve --config noxus.toml   (or NOXUS_CONFIG=noxus.toml)
# Environment variables override the file: NOXUS_<SECTION>_<NAME>, e.g.
# NOXUS_SERVER_PORT=9000; NOXUS_DATA_DIR is short for NOXUS_SERVER_DATA_DIR.
# Check a file with:  noxus-local config check --config noxus.toml
"""


def toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, dict):  # an inline table: { unit = "second", unit_usd = "0.0001" }
        return "{ " + ", ".join(f"{k} = {toml_value(v)}" for k, v in value.items()) + " }"
    return json.dumps(value, ensure_ascii=False)


def _fields(cls: type, values: dict[str, Any] | None = None, comment_out: bool = False) -> list[str]:
    lines = []
    for f in dataclasses.fields(cls):
        if f.name in ("apps", "keys", "entries"):
            continue
        default = f.default if f.default is not dataclasses.MISSING else f.default_factory()  # type: ignore[misc]
        value = (values or {}).get(f.name, default)
        prefix = "# " if comment_out else ""
        lines.append(f"# {f.metadata['help']}")
        lines.append(f"{prefix}{f.name} = {toml_value(value)}")
    return lines


def render_example() -> str:
    out = [HEADER]
    for name, cls in SECTIONS.items():
        out += [f"[{name}]", *_fields(cls), ""]
    out.append("# Tiers: limits per account tier. Add your own tier names freely.")
    for tier, overrides in DEFAULT_TIERS.items():
        out += [f"[tiers.{tier}]", *_fields(TierSettings, overrides), ""]
    out += _prices()
    out += _generators()
    out += ["", "# Accounts, apps and keys declared here are synced into SQLite at every start.",
            "# Keys are given by SHA-256 (sha256 = \"...\") or by the name of an environment",
            "# variable holding the key (env = \"ACME_KEY\"); the key itself never goes in this file.",
            "# [[accounts]]", *_fields(AccountDecl, {"id": "acme", "name": "ACME"}, comment_out=True),
            "# [[accounts.apps]]", *_fields(AppDecl, {"id": "backend"}, comment_out=True),
            "# [[accounts.apps.keys]]", *_fields(KeyDecl, {"name": "ci", "env": "ACME_KEY"}, comment_out=True),
            ""]
    return "\n".join(out)


PRICES_HELP = """\
# Tool prices in USD (decimal strings, up to 6 decimals). Every tool in the catalog
# needs one (a missing price stops the server at start: never free by accident).
# Fixed per run:  qr = "0.002"
# Per unit: an inline table, or a [prices."<slug>"] table with the keys below.
# The hold is the estimate from the validated input (a probed duration, an image
# count, a text length); a success is charged the units processed, rounded up to
# the micro-USD, never less than minimum_usd and never more than the hold.
# A tool can only be priced in a unit it measures (config check says which)."""


def _prices() -> list[str]:
    out = [PRICES_HELP, "[prices]"]
    from noxus_local.tools.catalog import Catalog  # each tool's default price lives on its class

    defaults = {t.slug: t.default_price for t in Catalog.default(diagnostics=True).tools.values()}
    out += [f"{toml_value(slug) if '-' in slug else slug} = {toml_value(dict(p) if isinstance(p, Mapping) else p)}"
            for slug, p in defaults.items()]
    example = {"unit": "minute", "unit_usd": "0.01", "minimum_usd": "0.01"}
    return [*out, "", '# [prices."auto-subtitles"]', *_fields(PriceSettings, example, comment_out=True)]


GENERATORS_HELP = """\
# Image generators you run (optional): script-to-video asks one for a scene without a
# material, and falls back to a designed scene (with a warning) when it fails or times out.
# One [generators.<name>] table per engine; every request passes the SSRF guard."""


def _generators() -> list[str]:
    comfy = {"kind": "comfyui", "url": "http://127.0.0.1:8188", "workflow": "/etc/noxus/sdxl-api.json"}
    return ["", GENERATORS_HELP, "[generators]", *_fields(GeneratorsSettings), "",
            "# [generators.comfy]", *_fields(GeneratorSettings, comfy, comment_out=True)]


if __name__ == "__main__":
    print(render_example(), end="")
