"""A remote worker's HTTP client for the API node's internal API (``/internal/v1``).

Every call sends the worker token; job calls send the attempt token. A
connection error is retried for up to ``retry_seconds`` (an API node
restarting while workers run: they keep their jobs and report when it is
back). A 409 ``stale_attempt`` raises ``StaleAttempt``: the API node gave
that attempt up, so the worker drops it. httpx, as for ``<field>_url``
inputs; downloads and uploads are streamed, and checked by SHA-256 and size.

Example::

    client = WorkerClient("http://api-node:8080", token)
    client.claim(spec, "gpu-1")
    client.download(spec.job_id, spec.attempt, spec.files[0], workdir / "in_image")
"""

from __future__ import annotations

import hashlib
import logging
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx

from noxus_local.errors import StaleAttempt
from noxus_local.jobs.jobspec import SpecFile
from noxus_local.tools.chat_stream import Relayed

log = logging.getLogger("noxus_local.jobs.worker_client")
CHUNK = 256 * 1024


class WorkerClientError(RuntimeError):
    """The API node answered something else than success or stale_attempt (e.g. 401: wrong token)."""


class WorkerClient:
    def __init__(self, api_url: str, token: str, retry_seconds: float = 120.0, timeout: float = 30.0) -> None:
        self.http = httpx.Client(base_url=api_url.rstrip("/"), timeout=timeout,
                                 headers={"Authorization": f"Bearer {token}"})
        self.retry_seconds = retry_seconds

    def close(self) -> None:
        self.http.close()

    def _call(self, method: str, path: str, retry: bool = True, **kw: Any) -> dict[str, Any]:
        deadline = time.monotonic() + (self.retry_seconds if retry else 0)
        while True:
            try:
                response = self.http.request(method, path, **kw)
                break
            except httpx.TransportError:
                if time.monotonic() >= deadline:
                    raise
                time.sleep(0.5)
        return self._check(response)

    @staticmethod
    def _check(response: httpx.Response) -> dict[str, Any]:
        if response.status_code == 409:
            raise StaleAttempt()
        if response.status_code != 200:
            raise WorkerClientError(f"{response.request.method} {response.request.url.path}: "
                                    f"{response.status_code} {response.text[:300]}")
        return dict(response.json())

    def heartbeat(self, body: dict[str, Any]) -> list[str]:
        """The ids of jobs to cancel now. Not retried: the next beat comes in a moment anyway."""
        return list(self._call("POST", "/internal/v1/workers/heartbeat", retry=False, json=body)["cancel"])

    def workers(self) -> list[dict[str, Any]]:
        return list(self._call("GET", "/internal/v1/workers", retry=False)["workers"])

    def claim(self, job_id: str, attempt: str, worker: str) -> None:
        self._call("POST", f"/internal/v1/jobs/{job_id}/claim", json={"attempt": attempt, "worker": worker})

    def download(self, job_id: str, attempt: str, spec: SpecFile, dest: Path) -> None:
        """Stream one input to ``dest``; a size or SHA-256 that differs from the spec raises."""
        digest, size = hashlib.sha256(), 0
        with self.http.stream("GET", spec.url, params={"attempt": attempt}) as response:
            if response.status_code != 200:
                response.read()
                self._check(response)
            with open(dest, "wb") as fh:
                for chunk in response.iter_bytes(CHUNK):
                    digest.update(chunk)
                    size += len(chunk)
                    fh.write(chunk)
        if size != spec.size_bytes or digest.hexdigest() != spec.sha256:
            raise WorkerClientError(f"input {spec.field} of {job_id}: size or sha256 differs from the spec")

    def upload(self, job_id: str, attempt: str, filename: str, data: bytes | Path) -> str:
        """PUT one output (streamed from a path); its SHA-256, which the API node checks."""
        sha = hashlib.sha256(data).hexdigest() if isinstance(data, bytes) else _file_sha(data)
        content = data if isinstance(data, bytes) else _chunks(data)
        if isinstance(data, Path):  # a generator can be read once: no retry on a broken connection
            self._check(self.http.put(f"/internal/v1/jobs/{job_id}/outputs/{filename}", params={"attempt": attempt},
                                      content=content, headers={"X-Sha256": sha}))
        else:
            self._call("PUT", f"/internal/v1/jobs/{job_id}/outputs/{filename}", params={"attempt": attempt},
                       content=content, headers={"X-Sha256": sha})
        return sha

    def progress(self, job_id: str, attempt: str, progress: int, steps: list[dict[str, Any]] | None) -> None:
        self._call("POST", f"/internal/v1/jobs/{job_id}/progress", retry=False,
                   json={"attempt": attempt, "progress": progress, "steps": steps})

    def stream(self, job_id: str, attempt: str, pieces: list[str]) -> Relayed:
        """A streamed chat's pieces to the API node; whether a client listens there and whether it left."""
        answer = self._call("POST", f"/internal/v1/jobs/{job_id}/stream", retry=False,
                            json={"attempt": attempt, "pieces": pieces})
        return Relayed(listening=bool(answer.get("listening")), stop=bool(answer.get("stop")))

    def outcome(self, job_id: str, attempt: str, body: dict[str, Any]) -> dict[str, Any]:
        return self._call("POST", f"/internal/v1/jobs/{job_id}/outcome", json={**body, "attempt": attempt})


def _file_sha(path: Path) -> str:
    with open(path, "rb") as fh:
        return hashlib.file_digest(fh, "sha256").hexdigest()


def _chunks(path: Path) -> Iterator[bytes]:
    with open(path, "rb") as fh:
        while chunk := fh.read(CHUNK):
            yield chunk
