"""Request bodies → (fields, files on disk): multipart, JSON with base64, or form;
and the strict readers for integer headers and query values.

Files are streamed into the job's work folder with a running size check, so
an oversized upload stops at the limit and its partial file is removed with
the folder by the caller. JSON files come as ``<field>_base64`` or, for the
tool's first file input, ``content_base64`` plus ``filename`` (seed 000);
a ``data:…;base64,`` prefix is tolerated.

Everything a client sends is read as strictly as its declared type before
it reaches a tool, a hash or SQLite: integers are ASCII digits with a length
bound (``"²"`` and ``"١٢"`` pass ``str.isdigit()`` but are not integers),
JSON is at most ``MAX_JSON_DEPTH`` deep, and text must be encodable as UTF-8
(a JSON ``"\\ud800"`` is not). Anything else is a 400 ``validation_error``
naming the field in ``details.field_errors``.

Example::

    parsed = await read_input(request, tool, limits, workdir)
    parsed.fields["output_format"], parsed.files["image"].path
    ascii_int(request.query_params.get("limit"), "limit", default=20, low=1, high=100)
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO

from anyio import to_thread
from litestar import Request
from litestar.datastructures import UploadFile
from litestar.exceptions import ClientException

from noxus_local.api.input_refs import FormShape, resolve_refs
from noxus_local.errors import LimitExceeded, UnsupportedMediaType, ValidationError
from noxus_local.locale import t
from noxus_local.store.space import storage_errors
from noxus_local.tools.base import InputFile, Limits, Tool

_DATA_URI = re.compile(r"^data:[^;,]*;base64,", re.IGNORECASE)
_DIGITS = re.compile(r"[0-9]+")
# standard or url-safe alphabet, then at most two '=' of padding (whitespace removed first)
_BASE64 = re.compile(r"[A-Za-z0-9+/_-]*={0,2}")
CHUNK = 1024 * 1024
MAX_JSON_DEPTH = 32
MAX_FIELD_ERRORS = 20
BAD_TEXT = t("common.text_with_invalid_characters")
NOT_UTF8 = t("api_inputs.not_utf8")


def ascii_int(raw: str | None, name: str, default: int, low: int, high: int) -> int:
    """An integer header or query value, read as its declared type: ASCII digits in [low, high].

    Example: ``ascii_int("20", "limit", 20, 1, 100) == 20``; ``None`` gives the
    default; ``"²"``, ``"١٢"``, ``"-1"``, ``"1e3"``, ``""``, ``"101"`` and 5,000 digits
    are a 400 naming ``limit`` (the length bound keeps ``int()`` cheap and the
    value inside SQLite's int64).
    """
    if raw is None:
        return default
    text = raw.strip(" \t")
    if len(text) <= len(str(high)) and _DIGITS.fullmatch(text) and low <= int(text) <= high:
        return int(text)
    raise ValidationError.fields({name: [t("common.integer_from", low=low, high=high)]})


@dataclass
class ParsedInput:
    fields: dict[str, Any] = field(default_factory=dict)
    files: dict[str, InputFile] = field(default_factory=dict)
    file_hashes: dict[str, str] = field(default_factory=dict)
    asset_ids: dict[str, str] = field(default_factory=dict)  # file inputs given as <field>_asset_id


async def read_input(request: Request[Any, Any, Any], tool: Tool | FormShape, limits: Limits,
                     workdir: Path) -> ParsedInput:
    """Fields and files of a tool call; files land in ``workdir``. A full disk is 507, not 500."""
    with storage_errors():
        parsed = await _read_body(request, tool, limits, workdir)
        await resolve_refs(request, tool, limits, workdir, parsed)  # <field>_asset_id / <field>_url
    return parsed


async def _read_body(request: Request[Any, Any, Any], tool: Tool | FormShape, limits: Limits,
                     workdir: Path) -> ParsedInput:
    ctype = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if ctype == "multipart/form-data":
        return await _read_multipart(request, tool, limits, workdir)
    if ctype == "application/x-www-form-urlencoded":
        form = await _form(request)
        return ParsedInput(fields=check_values({k: v for k, v in form.items() if isinstance(v, str)}))
    if ctype in ("application/json", "") or ctype.endswith("+json"):
        return _read_json(await request.body(), tool, limits, workdir)
    raise UnsupportedMediaType(details={"content_type": ctype[:100],
                                        "accepted": ["multipart/form-data", "application/json"]})


def _file_inputs(tool: Tool | FormShape) -> list[str]:
    return [spec.name for spec in tool.inputs if spec.type == "file"]


async def _form(request: Request[Any, Any, Any]) -> Any:
    """The parsed form; a broken multipart body is the client's 400, never a 500.

    Litestar decodes every part without a filename as UTF-8 text, so a file sent
    as ``-F 'image=<foto.png'`` raises UnicodeDecodeError inside the parser.
    """
    try:
        return await request.form()
    except (UnicodeDecodeError, LookupError):  # LookupError: a part names an unknown charset
        raise ValidationError.fields({"body": [NOT_UTF8]}) from None
    except ClientException as exc:
        if exc.status_code == 413:  # the body limit: the app's handler names max_body_mb
            raise
        if exc.detail == "Request Entity Too Large":  # Litestar's 400 for more than 1,000 parts
            raise LimitExceeded(details={"limit": "multipart_parts", "max": 1000}) from None
        raise ValidationError.fields({"body": [t("api_inputs.invalid_multipart_form_data")]}) \
            from None


async def _read_multipart(request: Request[Any, Any, Any], tool: Tool | FormShape, limits: Limits,
                          workdir: Path) -> ParsedInput:
    form = await _form(request)
    parsed = ParsedInput()
    wanted = _file_inputs(tool)
    for name, value in form.multi_items():
        if isinstance(value, UploadFile):
            if name in tool.file_lists:  # materials=@a.png materials=@b.mp4: materials_0, materials_1
                await _save_upload(parsed, f"{name}_{sum(k.startswith(name + '_') for k in parsed.files)}",
                                   value, limits, workdir)
            elif name in wanted and name not in parsed.files:
                await _save_upload(parsed, name, value, limits, workdir)
        elif name in tool.file_lists and value.strip():  # repeated text fields add to the list
            parsed.fields[name] = ",".join(filter(None, (parsed.fields.get(name), value)))
        elif name not in parsed.fields:
            parsed.fields[name] = value
    check_values(parsed.fields)
    return parsed


async def _save_upload(parsed: ParsedInput, name: str, upload: UploadFile, limits: Limits,
                       workdir: Path) -> None:
    path = workdir / f"in_{name}"
    # one thread hop for the whole copy, not one per chunk (bench_tools: 5.5 ms → ~2 ms on 3 MB)
    size, digest = await to_thread.run_sync(_copy_hashing, upload.file, path, limits)
    await upload.close()
    _register(parsed, name, path, upload.filename, upload.content_type, size, digest)


def _copy_hashing(source: BinaryIO, path: Path, limits: Limits) -> tuple[int, str]:
    digest, size = hashlib.sha256(), 0
    source.seek(0)
    with open(path, "wb") as out:
        while chunk := source.read(CHUNK):
            size += len(chunk)
            if size > limits.max_upload_bytes:
                raise _too_big(limits)
            digest.update(chunk)
            out.write(chunk)
    return size, digest.hexdigest()


def json_object(raw: bytes) -> dict[str, Any]:
    """A request body that must be one JSON object (an empty body is ``{}``); else the 400 every route gives.

    Example::

        json_object(b'{"name": "Narradora"}')   # {"name": "Narradora"}
        json_object(b"[1]")                      # ValidationError naming "body"
    """
    try:
        body = json.loads(raw or b"{}")
    except (ValueError, UnicodeDecodeError):
        raise ValidationError(t("api_inputs.body_not_valid_json"), details={
            "body": "invalid_json", "field_errors": {"body": [t("api_inputs.invalid_json")]}}) from None
    except RecursionError:  # the C decoder recurses once per level: 10,000 '[' end here
        raise ValidationError.fields({"body": [_too_deep()]}) from None
    if not isinstance(body, dict):
        raise ValidationError.fields({"body": [t("api_inputs.must_json_object")]})
    return body


def _read_json(raw: bytes, tool: Tool | FormShape, limits: Limits, workdir: Path) -> ParsedInput:
    body = json_object(raw)
    check_values(body)
    parsed = ParsedInput()
    wanted = _file_inputs(tool)
    for name in wanted:
        key = f"{name}_base64" if f"{name}_base64" in body else (
            "content_base64" if name == wanted[0] and "content_base64" in body else None)
        if key is None:
            continue
        data = _decode_base64(body.pop(key), key, limits)
        path = workdir / f"in_{name}"
        path.write_bytes(data)
        _register(parsed, name, path, body.get("filename") if isinstance(body.get("filename"), str) else None,
                  None, len(data), hashlib.sha256(data).hexdigest())
    parsed.fields = body
    return parsed


def check_values(fields: dict[str, Any]) -> dict[str, Any]:
    """Refuse what no later step can handle: nesting over ``MAX_JSON_DEPTH``, text
    that is not encodable UTF-8 (a lone surrogate), in values and in keys.

    Iterative, so the check itself cannot hit the recursion limit. Example:
    ``check_values({"text": "\\ud800"})`` → 400 with ``field_errors = {"text": [...]}``.
    """
    errors: dict[str, list[str]] = {}
    stack: list[tuple[str, Any, int]] = [("", fields, 0)]
    while stack and len(errors) < MAX_FIELD_ERRORS:
        path, value, depth = stack.pop()
        if depth > MAX_JSON_DEPTH:
            errors[path.split(".")[0].split("[")[0]] = [_too_deep()]
        elif isinstance(value, str) and not _text_ok(value):
            errors[path] = [BAD_TEXT]
        elif isinstance(value, dict):
            for key, item in value.items():
                name = f"{path}.{_label(key)}" if path else _label(key)
                if not _text_ok(key):
                    errors[name] = [BAD_TEXT]
                stack.append((name, item, depth + 1))
        elif isinstance(value, list):
            stack.extend((f"{path}[{i}]", v, depth + 1) for i, v in enumerate(value))
    if errors:
        raise ValidationError.fields(errors)
    return fields


def _is_base64(text: str) -> bool:
    """Alphabet, padding only at the end, and a length some bytes encode to."""
    core = text.rstrip("=")
    return bool(_BASE64.fullmatch(text)) and bool(core) and len(core) % 4 != 1


def _text_ok(text: str) -> bool:
    """Encodable as UTF-8; ``isascii`` first, so a 100 MB base64 string is not copied."""
    if text.isascii():
        return True
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _label(key: str) -> str:
    """A field name safe to echo back in ``field_errors`` (short, encodable)."""
    return key.encode("utf-8", "backslashreplace").decode()[:100]


def _too_deep() -> str:
    return t("api_inputs.json_nested_deeper_than", max_json_depth=MAX_JSON_DEPTH)


def _decode_base64(value: Any, field_name: str, limits: Limits) -> bytes:
    """Raw base64 (standard or url-safe alphabet, line breaks allowed) → bytes.

    Example: ``"aG9sYQ=="`` → ``b"hola"``; ``"!!!!"`` is "not valid base64" and
    ``""`` an "empty file" (two different mistakes, two different messages).
    """
    if not isinstance(value, str):
        raise ValidationError.fields({field_name: [t("api_inputs.must_base64_string")]})
    text = re.sub(r"\s+", "", _DATA_URI.sub("", value.strip(), count=1))
    if len(text) * 3 // 4 > limits.max_upload_bytes + 3:
        raise _too_big(limits)
    if not text:
        raise ValidationError.fields({field_name: [t("api_inputs.empty_file")]})
    if not _is_base64(text):
        raise ValidationError.fields({field_name: [t("api_inputs.not_valid_base64")]})
    try:
        data = base64.urlsafe_b64decode(text.replace("+", "-").replace("/", "_").rstrip("=") + "==")
    except (binascii.Error, ValueError):
        raise ValidationError.fields({field_name: [t("api_inputs.not_valid_base64")]}) from None
    if len(data) > limits.max_upload_bytes:
        raise _too_big(limits)
    return data


def _register(parsed: ParsedInput, name: str, path: Path, filename: str | None,
              content_type: str | None, size: int, sha: str) -> None:
    # keep the client's name for the tool (its stem names the output), minus any path
    base = re.split(r"[\\/]", filename or "")[-1]
    safe = "".join(ch for ch in base if ch.isprintable())[:200].lstrip(".") or "upload"
    parsed.files[name] = InputFile(path, safe, content_type, size)
    parsed.file_hashes[name] = sha


def _too_big(limits: Limits) -> LimitExceeded:
    return LimitExceeded(details={"limit": "max_upload_mb",
                                  "max": round(limits.max_upload_bytes / 1024 / 1024, 2)})
