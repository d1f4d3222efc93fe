"""/v1/audio/speech with the real ``openai`` client: only base_url changed; OpenAI's error shape."""

from collections.abc import Iterator

import numpy as np
import openai
import pytest

from tests.e2e.conftest import Server, start_module_server


@pytest.fixture(scope="module")
def srv(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    server = start_module_server(tmp_path_factory, "oai", "[tiers.free]\nrequests_per_minute = 0\n",
                                 env={"NOXUS_INFERENCE_PREFER_GPU": "false"})
    fetched = server.cli("models", "fetch", "kokoro-82m", "kokoro-voice-ef-dora")
    assert fetched.returncode == 0, fetched.stderr
    yield server
    server.stop()


@pytest.fixture(scope="module")
def client(srv: Server) -> openai.OpenAI:
    return openai.OpenAI(base_url=f"{srv.base}/v1", api_key=srv.key, max_retries=0)


def test_speech_round_trip_and_the_job_is_in_the_history(srv, client):
    response = client.audio.speech.create(model="kokoro-82m", voice="ef_dora", input="Hola, buenos días.",
                                          response_format="pcm")
    pcm = np.frombuffer(response.content, dtype="<i2").astype(np.float32) / 32768
    assert 0.8 < len(pcm) / 24000 < 4 and np.sqrt(np.mean(pcm ** 2)) > 0.02
    job_id = response.response.headers["x-job-id"]
    job = srv.get(f"/api/v1/jobs/{job_id}", key=srv.key).json()
    assert (job["tool"], job["status"], job["result"]["voice_id"]) == ("text-to-speech", "succeeded", "ef_dora")
    assert job["billing"]["charged_usd"] != "0"


def test_streamed_mp3(client):
    with client.audio.speech.with_streaming_response.create(
            model="kokoro-82m", voice="ef_dora", input="Adiós.", response_format="mp3") as response:
        data = b"".join(response.iter_bytes())
    assert response.headers["content-type"] == "audio/mpeg" and len(data) > 1000


def test_errors_have_openai_shape(srv, client):
    with pytest.raises(openai.BadRequestError) as bad:
        client.audio.speech.create(model="kokoro-82m", voice="nobody", input="Hola.")
    assert bad.value.body["code"] == "validation_error" and bad.value.body["param"] == "voice_id"
    with pytest.raises(openai.BadRequestError) as fmt:
        client.audio.speech.create(model="kokoro-82m", voice="ef_dora", input="Hola.", response_format="midi")
    assert fmt.value.body["param"] == "response_format"
    with pytest.raises(openai.AuthenticationError):
        openai.OpenAI(base_url=f"{srv.base}/v1", api_key="nope", max_retries=0).audio.speech.create(
            model="kokoro-82m", voice="ef_dora", input="Hola.")
    voices = srv.get("/v1/audio/voices", key=srv.key).json()
    assert {"id": "ef_dora", "name": "Dora", "language": "es", "gender": "female"} in voices["voices"]
