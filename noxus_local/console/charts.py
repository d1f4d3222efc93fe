"""Spend charts as geometry for an inline SVG drawn by the template: no chart library, no script.

Server-side drawing keeps the page working with JavaScript off and under a CSP
with no inline script; the template only places rectangles and labels.

Example::

    chart = bars([{"label": "2026-12-06", "micros": 4000}], width=600, height=160)
    chart["bars"][0]["value"] == "0.004"
"""

from __future__ import annotations

from typing import Any

from noxus_local.money import format_usd


def bars(items: list[dict[str, Any]], *, width: int = 600, height: int = 160, gap: int = 2) -> dict[str, Any]:
    """Vertical bars, one per item, scaled to the largest; each with its rectangle, label and USD value."""
    top = max((item["micros"] for item in items), default=0) or 1
    step = width / max(len(items), 1)
    out = []
    for n, item in enumerate(items):
        h = round(item["micros"] / top * (height - 20), 1)
        out.append({"x": round(n * step + gap / 2, 1), "y": round(height - 20 - h, 1),
                    "w": round(max(step - gap, 1), 1), "h": h, "label": item["label"],
                    "value": format_usd(item["micros"])})
    return {"width": width, "height": height, "bars": out, "max": format_usd(top if items else 0),
            "total": format_usd(sum(item["micros"] for item in items))}


def rows(items: list[dict[str, Any]], *, width: int = 600, row: int = 24, label_width: int = 170) -> dict[str, Any]:
    """Horizontal bars, one row per item (per tool), with the label left and the USD value at the bar's end."""
    top = max((item["micros"] for item in items), default=0) or 1
    room = width - label_width - 90
    out = []
    for n, item in enumerate(items):
        out.append({"y": n * row, "w": round(max(item["micros"] / top * room, 1), 1), "x": label_width,
                    "label": item["label"], "value": format_usd(item["micros"]), "jobs": item.get("jobs", 0),
                    "text_y": n * row + row * 0.65})
    return {"width": width, "height": max(len(items), 1) * row, "rows": out, "label_width": label_width}
