"""/v1/audio/speech with the real ``openai`` client: only base_url changed; OpenAI's error shape."""

import time
from collections.abc import Iterator

import av
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


LONG = ("Buenos días a todos. Hoy vamos a hablar de un tema importante. La voz se genera frase por frase. "
        "Así el oyente escucha el principio antes de que termine el resto. Esta es la quinta frase del texto. "
        "Y esta es la última, para terminar.")


def balance(srv: Server) -> float:
    return float(srv.get("/api/v1/balance", key=srv.key).json()["balance"]["balance_usd"])


def test_streamed_pcm_arrives_before_the_whole_text_is_done_and_is_charged_once(srv, client):
    before = balance(srv)
    start = time.monotonic()
    first = None
    chunks = []
    with client.audio.speech.with_streaming_response.create(
            model="kokoro-82m", voice="ef_dora", input=LONG, response_format="pcm") as response:
        for chunk in response.iter_bytes(4096):
            first = first or time.monotonic() - start
            chunks.append(chunk)
        job_id = response.headers["x-job-id"]
        assert response.status_code == 200 and response.headers.get("content-length") is None  # chunked
    total = time.monotonic() - start
    print(f"pcm: first byte {first:.2f} s of {total:.2f} s")
    assert first is not None and first < 0.6 * total, (first, total)
    job = srv.get(f"/api/v1/jobs/{job_id}", key=srv.key).json()
    assert job["status"] == "succeeded"
    stored = srv.get(job["output"]["url"]).content
    assert b"".join(chunks) == stored  # the stream is exactly the job's file
    assert len(job["result"]["sentences"]) == 6
    charged = float(job["billing"]["charged_usd"])
    assert charged > 0 and abs((before - balance(srv)) - charged) < 1e-9


def test_streamed_wav_has_an_open_ended_header_and_decodes(client):
    with client.audio.speech.with_streaming_response.create(
            model="kokoro-82m", voice="ef_dora", input="Hola. Adiós.", response_format="wav") as response:
        data = b"".join(response.iter_bytes())
    assert data[:4] == b"RIFF" and data[40:44] == b"\xff\xff\xff\xff"
    pcm = np.frombuffer(data[44:], dtype="<i2")
    assert 0.8 < len(pcm) / 24000 < 4


@pytest.mark.parametrize("fmt", ["mp3", "opus", "aac", "flac"])
def test_streamed_compressed_formats_decode(client, tmp_path, fmt):
    with client.audio.speech.with_streaming_response.create(
            model="kokoro-82m", voice="ef_dora", input="Hola, buenos días. ¿Cómo estás?",
            response_format=fmt) as response:
        data = b"".join(response.iter_bytes())
    path = tmp_path / f"s.{fmt}"
    path.write_bytes(data)
    with av.open(str(path)) as container:
        pcm = np.concatenate([f.to_ndarray().reshape(-1) for f in container.decode(audio=0)])
        rate = container.streams.audio[0].rate
    assert 1.0 < len(pcm) / rate < 5 and np.sqrt(np.mean(pcm.astype(np.float64) ** 2)) > 0.01


def test_a_client_that_hangs_up_mid_stream_still_gets_one_exact_charge(srv):
    before = balance(srv)
    with srv.client.stream("POST", "/v1/audio/speech", headers={"Authorization": f"Bearer {srv.key}"},
                           json={"model": "kokoro-82m", "voice": "ef_dora", "input": LONG,
                                 "response_format": "pcm"}) as response:
        job_id = response.headers["x-job-id"]
        next(response.iter_bytes())
    deadline = time.monotonic() + 120
    while (job := srv.get(f"/api/v1/jobs/{job_id}", key=srv.key).json())["status"] in ("queued", "running"):
        assert time.monotonic() < deadline
        time.sleep(0.2)
    assert job["status"] == "succeeded"
    assert abs((before - balance(srv)) - float(job["billing"]["charged_usd"])) < 1e-9


def test_an_idempotency_key_gets_one_whole_file_replayed_byte_for_byte_and_one_charge(srv):
    body = {"model": "kokoro-82m", "voice": "ef_dora", "input": "Hola otra vez.", "response_format": "wav"}
    headers = {"Authorization": f"Bearer {srv.key}", "Idempotency-Key": "speech-once-1"}
    before = balance(srv)
    first = srv.client.post("/v1/audio/speech", json=body, headers=headers)
    assert first.status_code == 200 and first.headers["content-length"] == str(len(first.content))
    spent = before - balance(srv)
    again = srv.client.post("/v1/audio/speech", json=body, headers=headers)
    assert again.status_code == 200 and again.headers["idempotent-replayed"] == "true"
    assert again.content == first.content and again.headers["x-job-id"] == first.headers["x-job-id"]
    assert spent > 0 and abs((before - balance(srv)) - spent) < 1e-9
