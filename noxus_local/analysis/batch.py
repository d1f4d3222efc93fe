"""A batch of images, item by item: a bad item fails alone, the rest go on.

The batch's items come from the request already checked (``plan_item``):
each names the file it was decoded to, or carries the error that stopped it
at submission (bad base64, an unknown feature). ``run_batch`` analyses the
rest ``features.MODEL_BATCH`` at a time through ``analyse_many``, so a model
feature can run N images per ``session.run`` (16 on CUDA; on the CPU one per
run is as fast, see ``features``), while each item keeps its own result or
error. It polls the cancel token between groups and rewrites ``items.json``
in the job's work folder (atomically) when a group starts and ends, so
``GET /api/v1/analysis/images/{id}`` shows per-item status while it runs.

Example::

    items = [plan_item(0, {"id": "a"}, file="image_0"), failed_item(1, "b", exc)]
    report = run_batch(items, files, ("metadata", "hash"), limits.max_image_pixels, cancel,
                       progress_file=workdir / "items.json")
    report.succeeded      # 1: what is charged
"""

from __future__ import annotations

import json
import logging
import os
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from noxus_local.analysis.features import MODEL_BATCH, analyse_many
from noxus_local.errors import InternalError, NoxusError, Text, message
from noxus_local.runtime.cancel import CancelToken

PROGRESS_FILE = "items.json"
log = logging.getLogger("noxus_local.analysis.batch")


def item_error(exc: NoxusError) -> dict[str, Any]:
    """An item's ``error``: the same code and sentence a whole request would get."""
    # both languages: the job's stored result is put in the server's locale (jobs/runner.py)
    said = exc.message or Text(message(exc.code, "es"), message(exc.code, "en"))
    out: dict[str, Any] = {"code": exc.code, "message": said}
    if exc.details:
        out["details"] = exc.details
    return out


def failed_item(index: int, item_id: str, exc: NoxusError) -> dict[str, Any]:
    return {"index": index, "id": item_id, "status": "failed", "error": item_error(exc)}


def plan_item(index: int, item_id: str, file: str, features: Sequence[str] | None) -> dict[str, Any]:
    """A queued item: which input file holds it, and its own features (None: the batch's)."""
    entry: dict[str, Any] = {"index": index, "id": item_id, "status": "queued", "file": file}
    if features is not None:
        entry["features"] = list(features)
    return entry


@dataclass
class BatchReport:
    items: list[dict[str, Any]] = field(default_factory=list)
    succeeded: int = 0
    failed: int = 0
    seconds: float = 0.0


def run_batch(items: Sequence[dict[str, Any]], files: Mapping[str, Path], features: Sequence[str],
              max_pixels: int, cancel: CancelToken, progress_file: Path | None = None,
              progress: Callable[[float], None] = lambda fraction: None, models: Any = None,
              group_size: int = MODEL_BATCH, per_run: int | None = None) -> BatchReport:
    """Analyse every queued item, ``group_size`` at a time; returns each item's public view and the counts."""
    started = time.monotonic()
    views = [public(i) for i in items]
    todo = [n for n, i in enumerate(items) if i["status"] == "queued"]
    for start in range(0, len(todo), group_size):
        group = todo[start:start + group_size]
        cancel.check()
        for n in group:
            views[n]["status"] = "processing"
        _write(progress_file, views)
        views_now = _analysed([items[n] for n in group], files, features, max_pixels, models, per_run)
        for n, view in zip(group, views_now, strict=True):
            views[n] = view
        _write(progress_file, views)  # a poller sees each result as soon as its group ends
        progress((start + len(group)) / len(todo))  # a fraction
    if not todo:
        _write(progress_file, views)
    ok = sum(1 for v in views if v["status"] == "finished")
    return BatchReport(views, ok, len(views) - ok, time.monotonic() - started)


def _analysed(group: Sequence[dict[str, Any]], files: Mapping[str, Path], features: Sequence[str],
              max_pixels: int, models: Any, per_run: int | None) -> list[dict[str, Any]]:
    """The group's views; an item's error (or an unexpected bug in one) is that item's alone."""
    try:
        results = analyse_many([(files[i["file"]], i.get("features") or features) for i in group],
                               max_pixels, models, per_run)
    except Exception as exc:  # a bug outside any one item: every item of the group reports it
        log.exception("analysis of items %s failed", [i["id"] for i in group])
        results = [InternalError(type(exc).__name__)] * len(group)
    views = []
    for item, result in zip(group, results, strict=True):
        if isinstance(result, NoxusError):
            views.append({"id": item["id"], "status": "failed", "error": item_error(result)})
        else:
            views.append({"id": item["id"], "status": "finished", "result": result})
    return views


def public(item: dict[str, Any]) -> dict[str, Any]:
    """What a client sees of an item: id, status, and error once failed."""
    view = {"id": item["id"], "status": item["status"]}
    if "error" in item:
        view["error"] = item["error"]
    return view


def _write(path: Path | None, views: list[dict[str, Any]]) -> None:
    """Replace the progress file in one rename, so a reader never sees half of it."""
    if path is None:
        return
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(views))
    os.replace(tmp, path)


def read_progress(path: Path) -> list[dict[str, Any]] | None:
    """The items as the running batch last wrote them; None before its first write."""
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError):
        return None
