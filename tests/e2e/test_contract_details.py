"""Issue 17 item 6, through the real server: the locale, TTS's 413, OpenAI voice names, schema agreement,
and the analysis route's own field names.

Each test here failed on the main it was written against (see the issue's note).
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from typing import Any

import av
import httpx
import numpy as np
import openai
import pytest
from jsonschema import Draft202012Validator
from referencing import Registry
from referencing.jsonschema import DRAFT202012

from noxus_local.inference.registry import manifest as registry
from noxus_local.inference.registry.manifest import load_manifest
from tests.e2e.conftest import Server, start_module_server

CONVERT, SUBS, QR, TTS = ("/api/v1/tools/image-convert", "/api/v1/tools/auto-subtitles", "/api/v1/tools/qr",
                          "/api/v1/tools/text-to-speech")
SPEECH, VIDEO = "/v1/audio/speech", "/api/v1/analysis/video"
LIMITS = """
    [tiers.free]
    requests_per_minute = 0
    jobs_per_hour = 100000
    """
SPOKEN = ("alloy", "nova", "onyx")  # OpenAI voice names a client sends


def default_voices() -> tuple[str, ...]:
    """The voices ``models fetch --default`` installs (the speech model too), read from the manifest."""
    return ("kokoro-82m", *(s.id for s in load_manifest(registry.manifest_path())
                            if s.default and s.task == "speech-synthesis-voice"))


@pytest.fixture(scope="module")
def en(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    server = start_module_server(tmp_path_factory, "en", '[server]\nlocale = "en"\n' + LIMITS,
                                 env={"NOXUS_INFERENCE_PREFER_GPU": "false"},
                                 models=default_voices())
    yield server
    server.stop()


@pytest.fixture(scope="module")
def es(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    server = start_module_server(tmp_path_factory, "es", LIMITS)
    yield server
    server.stop()


def refused(r: httpx.Response, status: int, code: str) -> dict[str, Any]:
    assert r.status_code == status, r.text
    body = r.json()
    assert body["error_code"] == code, body
    return dict(body)


# --- every message honours [server] locale ---------------------------------------------------------

def _unreadable_image(srv: Server) -> dict[str, Any]:
    return refused(srv.post(CONVERT, key=srv.key, data={"output_format": "png"},
                            files={"image": ("foto.png", b"\x89PNG\r\n\x1a\n but then nothing", "image/png")}),
                   400, "invalid_media")


def _empty_file(srv: Server) -> dict[str, Any]:
    return refused(srv.post(SUBS, key=srv.key, files={"video": ("clip.mp4", b"", "video/mp4")}),
                   400, "invalid_media")


def _invalid_json(srv: Server) -> dict[str, Any]:
    return refused(srv.post(QR, key=srv.key, content=b'{"text": "hola",', headers={"Content-Type": "application/json"}),
                   400, "validation_error")


def test_messages_in_english_under_locale_en(en: Server) -> None:
    assert _unreadable_image(en)["error"] == \
        "Could not read the image: the file is damaged or not a supported image."
    assert _empty_file(en)["error"] == "The file is empty (0 bytes)."
    body = _invalid_json(en)
    assert body["error"] == "The body is not valid JSON."
    assert body["details"]["field_errors"] == {"body": ["invalid JSON"]}
    field = refused(en.post(QR, key=en.key, json={"text": "hola", "border": 99}), 400, "validation_error")
    assert field["details"]["field_errors"] == {"border": ["must be <= 20"]}


def test_messages_in_spanish_by_default(es: Server) -> None:
    assert _unreadable_image(es)["error"] == \
        "No se pudo leer la imagen: el archivo está dañado o no es una imagen compatible."
    assert _empty_file(es)["error"] == "El archivo está vacío (0 bytes)."
    body = _invalid_json(es)
    assert (body["error"], body["details"]["field_errors"]) == ("El cuerpo no es JSON válido.",
                                                                {"body": ["JSON inválido"]})
    field = refused(es.post(QR, key=es.key, json={"text": "hola", "border": 99}), 400, "validation_error")
    assert field["details"]["field_errors"] == {"border": ["debe ser <= 20"]}


# --- text-to-speech over its character limit: 413 whatever the length ------------------------------

@pytest.mark.parametrize("length", [10_001, 40_001, 100_000])
def test_text_over_the_limit_is_413_whatever_its_length(en: Server, length: int) -> None:
    body = refused(en.post(TTS, key=en.key, json={"text": "a" * length, "voice_id": "af_alloy"}),
                   413, "limit_exceeded")
    assert body["details"] == {"limit": "max_text_chars", "max": 10_000, "got": length}
    r = en.post(SPEECH, key=en.key, json={"model": "kokoro-82m", "voice": "alloy", "input": "a" * length})
    assert r.status_code == 413 and r.json()["error"]["code"] == "limit_exceeded", r.text


# --- OpenAI voice names speak with what `models fetch --default` installs ---------------------------

@pytest.mark.parametrize("voice", SPOKEN)
def test_openai_voice_names_speak(en: Server, voice: str) -> None:
    client = openai.OpenAI(base_url=f"{en.base}/v1", api_key=en.key, max_retries=0)
    audio = client.audio.speech.create(model="tts-1", voice=voice, input="Hello there, how are you?",
                                       response_format="mp3").content
    with av.open(io.BytesIO(audio)) as container:
        pcm = np.concatenate([f.to_ndarray().reshape(-1) for f in container.decode(audio=0)]).astype(np.float32)
    peak = float(np.max(np.abs(pcm))) or 1.0
    assert len(pcm) > 24_000 * 0.8 and float(np.sqrt(np.mean((pcm / peak) ** 2))) > 0.05


# --- the published schema and the server agree ------------------------------------------------------

@pytest.fixture(scope="module")
def doc(en: Server) -> dict[str, Any]:
    return dict(en.get("/schema/openapi.json").json())


def schema_accepts(doc: dict[str, Any], path: str, ctype: str, body: Any) -> bool:
    """Whether ``body`` is valid against the request body the document publishes for ``POST path``."""
    pointer = "/".join(p.replace("~", "~0").replace("/", "~1")
                       for p in ("paths", path, "post", "requestBody", "content", ctype, "schema"))
    registry = Registry().with_resource("urn:noxus", DRAFT202012.create_resource(doc))
    return Draft202012Validator({"$ref": f"urn:noxus#/{pointer}"}, registry=registry).is_valid(body)


JSON_CASES = [  # (path, body, the server takes it); the schema must say the same
    (SPEECH, {"model": "tts-1", "voice": "alloy", "input": "Hi.", "speed": None}, True),
    (SPEECH, {"model": "tts-1", "voice": "alloy", "input": "Hi.", "response_format": None}, True),
    (SPEECH, {"model": "tts-1", "voice": "alloy", "input": "Hi.", "speed": 1.5}, True),
    (SPEECH, {"model": "tts-1", "voice": "alloy", "input": ""}, False),
    (SPEECH, {"model": "tts-1", "voice": "alloy"}, False),
    (SPEECH, {"model": {}, "voice": "alloy", "input": "Hi."}, False),   # the fuzzer's find: {} was taken
    (SPEECH, {"model": "tts-1", "voice": 5, "input": "Hi."}, False),
    (SPEECH, {"model": "tts-1", "input": "Hi.", "response_format": ""}, False),
    (SPEECH, {"model": "tts-1", "input": "Hi.", "response_format": []}, False),
    (QR, {"text": "hola", "border": 4}, True),
    (QR, {"text": "hola", "border": 4.0}, True),   # a JSON Schema integer; 4.0 was refused
    (QR, {"text": "hola", "border": 0}, True),
    (QR, {"text": "hola", "border": 2.5}, False),
    (QR, {"text": "hola", "border": 21}, False),
    (QR, {"text": "hola", "border": -1}, False),
    (VIDEO, {}, False),                              # no video at all
    (VIDEO, {"features": ["colors"]}, False),
]


@pytest.mark.parametrize(("path", "body", "taken"), JSON_CASES)
def test_json_bodies_schema_and_server_agree(en: Server, doc: dict[str, Any], path: str, body: dict[str, Any],
                                             taken: bool) -> None:
    r = en.post(path, key=en.key, json=body)
    assert (r.status_code < 400) == taken, r.text
    assert schema_accepts(doc, path, "application/json", body) == taken


FORM_CASES = [  # multipart without its file: refused by the server, so the schema must require it
    (CONVERT, {"output_format": "png"}),
    ("/api/v1/assets", {"category": "logo"}),
    (VIDEO, {"features": "colors"}),
    ("/v1/audio/transcriptions", {"model": "whisper-1"}),
]


@pytest.mark.parametrize(("path", "fields"), FORM_CASES)
def test_missing_files_refused_by_both(en: Server, doc: dict[str, Any], path: str, fields: dict[str, str]) -> None:
    r = en.post(path, key=en.key, data=fields, files={"unrelated": ("x.txt", b"x", "text/plain")})
    assert r.status_code == 400, r.text
    assert not schema_accepts(doc, path, "multipart/form-data", fields)


def test_a_video_by_url_is_in_the_schema_too(en: Server, doc: dict[str, Any]) -> None:
    """The JSON and multipart ways to name a video without sending it are published as such."""
    assert schema_accepts(doc, VIDEO, "application/json", {"url": "https://example.org/v.mp4"})
    assert schema_accepts(doc, VIDEO, "multipart/form-data", {"video_url": "https://example.org/v.mp4"})
    assert schema_accepts(doc, VIDEO, "multipart/form-data", {"video_asset_id": "asset_0f1e2d3c4b5a69788796a5b4"})
    assert schema_accepts(doc, "/v1/audio/transcriptions", "multipart/form-data",
                          {"file_url": "https://example.org/a.mp3", "model": "whisper-1"})


# --- /api/v1/analysis/video's JSON fields are reported under their own names ------------------------

@pytest.mark.parametrize(("body", "field"), [
    ({"url": "http://127.0.0.1:9/clip.mp4"}, "url"),
    ({"url": "ftp://example.org/clip.mp4"}, "url"),
    ({"data_base64": "not base64 !!"}, "data_base64"),
    ({"asset_id": 12}, "asset_id"),
])
def test_analysis_video_json_fields_keep_their_names(en: Server, body: dict[str, Any], field: str) -> None:
    errors = refused(en.post(VIDEO, key=en.key, json=body), 400, "validation_error")["details"]["field_errors"]
    assert list(errors) == [field], errors
