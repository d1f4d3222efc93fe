"""The self-contained job spec a remote worker runs from: no SQLite, no shared disk.

Everything a worker needs travels in it: the tool, its validated params, the
plan the API node made at the request (the probe, units, slots: the worker runs
from the same facts and probes nothing again), the tier's limits, each input
file by its internal URL with its SHA-256 and size (the worker checks both
after the download), the deadline and the
attempt token every report must carry. Published to Redis as JSON, one list
per tool (``queue_key``), so a worker pops only jobs of tools it declares.
A worker moves the spec it pops into its own hash (``held_key``) in the same
Lua call, so a worker killed between pop and claim leaves it there for the API
node to publish again; ``wake_key`` lists carry one token per publish, which a
worker's BLPOP waits on (a Lua script cannot block).

Example::

    spec = JobSpec.from_row(row, token, digests={"image": ("ab12…", 3120)})
    redis.rpush(queue_key(spec.tool), spec.dumps())
    JobSpec.loads(raw).files[0].url     # "/internal/v1/jobs/job_x/inputs/image"
"""

from __future__ import annotations

import json
import sqlite3
from dataclasses import asdict, dataclass, field
from typing import Any

QUEUE_PREFIX = "noxus:jobs:"  # + tool slug: the Redis list of that tool's published jobs
WAKE_PREFIX = "noxus:wake:"  # + tool slug: one token per publish, what idle workers block on
HELD_PREFIX = "noxus:held:"  # + worker name: attempt token → spec, for specs popped but not yet claimed
WAKE_MAX = 64  # wake tokens kept per tool: enough to wake every idle thread, bounded when none runs


def queue_key(tool: str) -> str:
    return QUEUE_PREFIX + tool


def wake_key(tool: str) -> str:
    return WAKE_PREFIX + tool


def held_key(worker: str) -> str:
    return HELD_PREFIX + worker


@dataclass(frozen=True)
class SpecFile:
    field: str
    filename: str
    content_type: str | None
    size_bytes: int
    sha256: str
    url: str  # relative to the API node's base URL


@dataclass(frozen=True)
class JobSpec:
    job_id: str
    attempt: str
    tool: str
    params: dict[str, Any]
    limits: dict[str, Any]
    deadline: float | None  # unix seconds (Max-Processing-Time counts from submission); None = no limit
    files: list[SpecFile] = field(default_factory=list)
    # the tool's Plan made at the request, as JSON (tools/plan.py): the worker runs from the same facts
    # (the probe, units, slots) and probes nothing again; None for a job queued before plans were stored
    plan: dict[str, Any] | None = None

    @classmethod
    def from_row(cls, row: sqlite3.Row, attempt: str, digests: dict[str, tuple[str, int]]) -> JobSpec:
        """From a queued job row; ``digests`` maps each input field to (sha256, size)."""
        files = [SpecFile(f["field"], f["filename"], f.get("content_type"), digests[f["field"]][1],
                          digests[f["field"]][0], f"/internal/v1/jobs/{row['id']}/inputs/{f['field']}")
                 for f in json.loads(row["files"])]
        seconds = row["max_processing_seconds"]
        return cls(job_id=row["id"], attempt=attempt, tool=row["tool"], params=json.loads(row["params"]),
                   limits=json.loads(row["limits"]), deadline=row["created_at"] + seconds if seconds else None,
                   files=files, plan=json.loads(row["plan"]) if row["plan"] else None)

    def dumps(self) -> str:
        return json.dumps(asdict(self))

    @classmethod
    def loads(cls, raw: str | bytes) -> JobSpec:
        data = json.loads(raw)
        return cls(**{**data, "files": [SpecFile(**f) for f in data.get("files", [])]})
