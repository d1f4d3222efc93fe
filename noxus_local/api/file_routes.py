"""GET /api/v1/files/{job_id}/{filename}: any of a job's outputs by signed, expiring URL, no key.

Only files listed in the job's ``outputs`` are served (404 for anything else
in its folder); the content type is the one the tool declared (``CONTENT_TYPES``
lists those the tools write, documented as the operation's responses).

Example::

    curl -O "http://127.0.0.1:8080/api/v1/files/job_ab/qr.png?expires=1767225600&sig=3f1c…"
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Annotated, Any

from litestar import get
from litestar.openapi.spec import Example, OpenAPIMediaType, Operation, Reference, Schema
from litestar.params import PathParameter
from litestar.response import File

from noxus_local.api.deps import ServicesDep
from noxus_local.api.docs import operation, text_param
from noxus_local.api.inputs import ascii_int
from noxus_local.api.job_examples import JOB
from noxus_local.errors import NotFound, ValidationError
from noxus_local.jobs.store import output_entry
from noxus_local.locale import t

SIG_RE = re.compile(r"[0-9a-f]{64}")
MAX_EXPIRES = 99_999_999_999  # 11 digits: year 5138, far past any URL this server signs
# what the tools write (each output's mime_type); "*/*" covers a tool added later
CONTENT_TYPES = ("image/png", "image/jpeg", "image/webp", "image/gif", "image/svg+xml", "image/avif", "image/tiff",
                 "image/bmp", "image/x-icon", "video/mp4", "video/webm", "audio/mpeg", "audio/wav", "audio/ogg",
                 "audio/aac", "audio/flac", "application/json", "text/plain", "application/x-subrip", "text/vtt",
                 "text/x-ssa", "*/*")


@dataclass
class FileOperation(Operation):
    """The 200 is the file itself, in the content type its tool declared: one binary entry per type."""

    def __post_init__(self) -> None:
        ok = (self.responses or {}).get("200")
        if ok is not None and not isinstance(ok, Reference):
            binary = Schema(type="string", format="binary")  # type: ignore[arg-type]
            ok.content = {media: OpenAPIMediaType(schema=binary) for media in CONTENT_TYPES}


@get("/api/v1/files/{job_id:str}/{filename:str}", **{**operation(
    "getFile", "Files", "Download a job's output",
    "The `output.url`, or any `outputs[].url`, of a job: signed and expiring, so it works without the "
    "API key (e.g. in an <img> tag). Only the job's listed outputs are served, inline, in the content type "
    "the tool declared for it; 404 once the signature expires, for a tampered one, or after retention removed "
    "the file.", ok=(bytes, {}), auth=False, errors=("validation_error", "not_found", "internal_error")),
    "operation_class": FileOperation})
async def get_file(svc: ServicesDep,
                   job_id: Annotated[str, PathParameter(description="A job id from a tool run",
                                                        examples=[Example(value=JOB)])],
                   filename: Annotated[str, PathParameter(description="The output's `filename`",
                                                          examples=[Example(value="qr.png")])],
                   expires: Annotated[str | None, text_param("unix seconds", required=True,
                                                             pattern=r"^[0-9]{1,11}$")] = None,
                   sig: Annotated[str | None, text_param("HMAC-SHA256 signature (hex)", required=True,
                                                         pattern=r"^[0-9a-f]{64}$")] = None) -> File:
    moment, signature = read_signature(expires, sig)
    if not svc.files.verify(job_id, filename, moment, signature):
        raise NotFound(details={"reason": "invalid_or_expired_signature"})
    path = svc.files.output_path(job_id, filename)
    entry = output_entry(svc.db, job_id, filename)
    if "/" in filename or entry is None or not path.is_file():
        raise NotFound(details={"reason": "file_not_found_or_expired"})
    return File(path=path, filename=filename, media_type=entry["mime_type"], content_disposition_type="inline")


def read_signature(expires: str | None, sig: str | None) -> tuple[int, str]:
    """``expires`` (ASCII unix seconds) and ``sig`` (64 hex chars) as their declared types.

    A malformed one is a 400 naming it (``sig=%C3%A9`` or ``expires=²`` never reach
    the HMAC); a well-formed but wrong or expired one is the 404 above.
    """
    errors: dict[str, Any] = {}
    try:
        moment = ascii_int(expires or "", "expires", 0, 0, MAX_EXPIRES)
    except ValidationError as exc:
        errors.update((exc.details or {})["field_errors"])
        moment = 0
    if not SIG_RE.fullmatch(sig or ""):
        errors["sig"] = [t("file_routes.sig_hex")]
    if errors:
        raise ValidationError.fields(errors)
    return moment, sig or ""
