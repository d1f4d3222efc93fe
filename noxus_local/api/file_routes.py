"""GET /api/v1/files/{job_id}/{filename}: any of a job's outputs by signed, expiring URL, no key.

Only files listed in the job's ``outputs`` are served (404 for anything else
in its folder); the content type is the one the tool declared.

Example::

    curl -O "http://127.0.0.1:8080/api/v1/files/job_ab/qr.png?expires=1767225600&sig=3f1c…"
"""

from __future__ import annotations

from typing import Any

from litestar import Request, get
from litestar.params import FromPath
from litestar.response import File

from noxus_local.api.deps import services_of
from noxus_local.core.jobs import output_entry
from noxus_local.errors import NotFound


@get("/api/v1/files/{job_id:str}/{filename:str}")
async def get_file(request: Request[Any, Any, Any], job_id: FromPath[str], filename: FromPath[str]) -> File:
    svc = services_of(request)
    q = request.query_params
    expires, sig = q.get("expires", ""), q.get("sig", "")
    if not expires.isdigit() or not svc.files.verify(job_id, filename, int(expires), sig):
        raise NotFound(details={"reason": "invalid_or_expired_signature"})
    path = svc.files.output_path(job_id, filename)
    entry = output_entry(svc.db, job_id, filename)
    if "/" in filename or entry is None or not path.is_file():
        raise NotFound(details={"reason": "file_not_found_or_expired"})
    return File(path=path, filename=filename, media_type=entry["mime_type"], content_disposition_type="inline")
