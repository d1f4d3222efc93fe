"""GET /api/v1/files/{job_id}/{filename}: any of a job's outputs by signed, expiring URL, no key.

Only files listed in the job's ``outputs`` are served (404 for anything else
in its folder); the content type is the one the tool declared.

Example::

    curl -O "http://127.0.0.1:8080/api/v1/files/job_ab/qr.png?expires=1767225600&sig=3f1c…"
"""

from __future__ import annotations

import re
from typing import Any

from litestar import Request, get
from litestar.params import FromPath
from litestar.response import File

from noxus_local.api.deps import ServicesDep
from noxus_local.api.inputs import ascii_int
from noxus_local.errors import NotFound, Text, ValidationError
from noxus_local.jobs.store import output_entry

SIG_RE = re.compile(r"[0-9a-f]{64}")
MAX_EXPIRES = 99_999_999_999  # 11 digits: year 5138, far past any URL this server signs


@get("/api/v1/files/{job_id:str}/{filename:str}")
async def get_file(request: Request[Any, Any, Any],
                   svc: ServicesDep, job_id: FromPath[str], filename: FromPath[str]) -> File:
    expires, sig = _signature(request)
    if not svc.files.verify(job_id, filename, expires, sig):
        raise NotFound(details={"reason": "invalid_or_expired_signature"})
    path = svc.files.output_path(job_id, filename)
    entry = output_entry(svc.db, job_id, filename)
    if "/" in filename or entry is None or not path.is_file():
        raise NotFound(details={"reason": "file_not_found_or_expired"})
    return File(path=path, filename=filename, media_type=entry["mime_type"], content_disposition_type="inline")


def _signature(request: Request[Any, Any, Any]) -> tuple[int, str]:
    """``expires`` (ASCII unix seconds) and ``sig`` (64 hex chars) as their declared types.

    A malformed one is a 400 naming it (``sig=%C3%A9`` or ``expires=²`` never reach
    the HMAC); a well-formed but wrong or expired one is the 404 above.
    """
    q = request.query_params
    errors: dict[str, list[str]] = {}
    try:
        expires = ascii_int(q.get("expires", ""), "expires", 0, 0, MAX_EXPIRES)
    except ValidationError as exc:
        errors.update((exc.details or {})["field_errors"])
        expires = 0
    sig = q.get("sig", "")
    if not SIG_RE.fullmatch(sig):
        errors["sig"] = [Text("64 caracteres hexadecimales", "64 hex characters")]
    if errors:
        raise ValidationError.fields(errors)
    return expires, sig
