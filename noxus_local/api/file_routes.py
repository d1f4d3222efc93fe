"""GET /api/v1/files/{job_id}/{filename}: outputs by signed, expiring URL, no key.

Example::

    curl -O "http://127.0.0.1:8080/api/v1/files/job_ab/qr.png?expires=1767225600&sig=3f1c…"
"""

from __future__ import annotations

import json
from typing import Any

from litestar import Request, get
from litestar.params import FromPath
from litestar.response import File

from noxus_local.api.deps import services_of
from noxus_local.errors import NotFound


@get("/api/v1/files/{job_id:str}/{filename:str}")
async def get_file(request: Request[Any, Any, Any], job_id: FromPath[str], filename: FromPath[str]) -> File:
    svc = services_of(request)
    q = request.query_params
    expires, sig = q.get("expires", ""), q.get("sig", "")
    if not expires.isdigit() or not svc.files.verify(job_id, filename, int(expires), sig):
        raise NotFound(details={"reason": "invalid_or_expired_signature"})
    path = svc.files.output_path(job_id, filename)
    if "/" in filename or not path.is_file():
        raise NotFound(details={"reason": "file_not_found_or_expired"})
    row = svc.db.one("SELECT output FROM jobs WHERE id = ?", (job_id,))
    mime = json.loads(row["output"])["mime_type"] if row and row["output"] else None
    return File(path=path, filename=filename, media_type=mime, content_disposition_type="inline")
