"""The typed OpenAI-compatible routes (issue 18 item 4): their generated document, typed reader and error handler.

The /v1 routes declare their operation on the decorator (api/openai_schemas.py Structs,
OpenAI's error shape via ``error_model``); this checks what the hand table used to
guarantee — every ``response_format`` with its media type, OpenAI's error body on every
error status with a real example — and that the handlers' ``NoxusError`` is answered in
OpenAI's shape by the route's own exception handler (the app's envelope elsewhere). The
app is ``create_app`` on a temp data dir; no model is needed.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import msgspec
import pytest
from litestar import Litestar
from litestar.testing import TestClient

from noxus_local.api import openapi_spec
from noxus_local.api.chat_routes import chat_fields
from noxus_local.api.openai_errors import field_message, response, summary_message
from noxus_local.api.openai_schemas import OpenAiError
from noxus_local.app import create_app
from noxus_local.config import load_config
from noxus_local.errors import ERRORS_BY_CODE, ServerBusy, ValidationError, say
from noxus_local.node.services import prepare

V1 = ("/v1/audio/transcriptions", "/v1/audio/translations", "/v1/audio/speech", "/v1/audio/voices",
      "/v1/chat/completions", "/v1/models")


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Litestar]:
    cfg = load_config(None, {"NOXUS_DATA_DIR": str(tmp_path_factory.mktemp("openai") / "data")})
    prepare(cfg)
    application = create_app(cfg, start_workers=False)
    yield application
    application.state["services"].db.close()


@pytest.fixture(scope="module")
def doc(app: Litestar) -> dict[str, Any]:
    with TestClient(app) as client:
        return dict(client.get("/schema/openapi.json").json())


def test_no_hand_kept_operation_table_is_left() -> None:
    """Issue 18 item 4: every operation is declared on its route; the hand tables are gone."""
    assert not hasattr(openapi_spec, "OPERATIONS") and not hasattr(openapi_spec, "Op")


def test_every_transcription_format_is_documented_with_its_media_type(doc: dict[str, Any]) -> None:
    for path in ("/v1/audio/transcriptions", "/v1/audio/translations"):
        op = doc["paths"][path]["post"]
        ok = op["responses"]["200"]["content"]
        assert set(ok["application/json"]["examples"]) == {"json", "verbose_json"}
        assert set(ok["text/plain"]["examples"]) == {"text", "srt", "vtt"}
        assert ok["application/json"]["schema"] == {"$ref": "#/components/schemas/OpenAiTranscription"}
        assert "202" in op["responses"] and "multipart/form-data" in op["requestBody"]["content"]
        form = op["requestBody"]["content"]["multipart/form-data"]["schema"]
        assert form["properties"]["response_format"]["enum"] == ["json", "text", "srt", "verbose_json", "vtt"]


def test_speech_answers_only_audio_and_chat_also_events(doc: dict[str, Any]) -> None:
    speech = doc["paths"]["/v1/audio/speech"]["post"]["responses"]["200"]["content"]
    assert set(speech) == {"audio/mpeg", "audio/opus", "audio/aac", "audio/flac", "audio/wav", "audio/pcm"}
    assert all(media["schema"]["format"] == "binary" for media in speech.values())
    chat = doc["paths"]["/v1/chat/completions"]["post"]
    assert set(chat["responses"]["200"]["content"]) == {"application/json", "text/event-stream"}
    assert chat["requestBody"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/ChatCompletionRequest"}
    assert {"$ref": "#/components/parameters/IdempotencyKey"} in chat["parameters"]


def test_every_error_is_openai_shaped_with_a_real_example(doc: dict[str, Any]) -> None:
    for path in V1:
        for method, op in doc["paths"][path].items():
            errors = {status: r for status, r in op["responses"].items() if int(status) >= 400}
            assert "401" in errors and "500" in errors, (path, method)
            for status, resp in errors.items():
                media = resp["content"]["application/json"]
                assert media["schema"] == {"$ref": "#/components/schemas/OpenAiError"}, (path, status)
                assert media["examples"], (path, status)
                for code, example in media["examples"].items():
                    body = msgspec.convert(example["value"], OpenAiError)
                    assert body.error.code == code and ERRORS_BY_CODE[code].status == int(status)


def test_the_route_answers_a_bad_key_in_openai_shape(app: Litestar) -> None:
    with TestClient(app) as client:
        for path in ("/v1/models", "/v1/audio/voices"):
            r = client.get(path, headers={"Authorization": "Bearer noxus_test_wrong"})
            assert r.status_code == 401 and r.headers["x-request-id"]
            assert r.json()["error"]["code"] == "invalid_api_key" and r.json()["error"]["param"] is None
        r = client.post("/v1/chat/completions", json={"messages": []})
        assert (r.status_code, r.json()["error"]["code"]) == (401, "missing_api_key")
        # the rest of the API keeps the contract's envelope
        assert client.get("/api/v1/balance").json()["error_code"] == "missing_api_key"


def test_the_typed_reader_names_the_field_and_keeps_the_routes_own_words() -> None:
    base = {"messages": [{"role": "user", "content": "Hola"}]}
    with pytest.raises(ValidationError) as hot:
        chat_fields({**base, "temperature": "hot"}, "m")
    assert list(hot.value.details["field_errors"]) == ["temperature"]
    said = hot.value.details["field_errors"]["temperature"][0]  # a nullable member: a union, in both locales
    assert (str(said), say(said, "en")) == ("se esperaba un número o null, llegó texto",
                                            "expected float or null, got str")
    with pytest.raises(ValidationError) as stream:
        chat_fields({**base, "stream": 0}, "m")
    assert str(stream.value.details["field_errors"]["stream"][0]) == "true o false"  # a Text: Spanish as str
    with pytest.raises(ValidationError) as missing:
        chat_fields({"model": "m"}, "m")
    assert list(missing.value.details["field_errors"]) == ["messages"]
    # bounds are the tool's to check, in its words: the reader lets them through
    assert chat_fields({**base, "max_tokens": 0, "stop": ["a"] * 5}, "m")["max_tokens"] == 0


def test_error_bodies_and_headers() -> None:
    refused = ValidationError.fields({"voice_id": ["unknown voice"]})
    assert field_message(refused, "en")["error"] == {"message": "voice_id: unknown voice", "param": "voice_id",
                                                     "type": "invalid_request_error", "code": "validation_error"}
    assert summary_message(refused, "en")["error"]["message"].endswith("(voice_id: unknown voice)")
    busy = ServerBusy(details={"job_id": "job_1", "limit": "max_concurrent_uploads", "max": 2})
    answer = response(busy, field_message(busy, "en"))
    assert answer.status_code == 503 and answer.headers["X-Job-Id"] == "job_1"
    assert msgspec.json.decode(answer.content)["error"]["type"] == "server_error"
