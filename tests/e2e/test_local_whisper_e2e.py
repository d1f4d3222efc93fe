"""A Whisper size the admin added (``models add --kind speech-recognition --dir``) on the real server.

The server's data dir has Silero VAD and no manifest Whisper; the admin's
folder is whisper-tiny-en installed (from the warm download cache) in another
data dir and added as ``whisper-custom`` with the CLI before the server starts.
``/v1/audio/transcriptions`` then takes ``model=whisper-custom`` and the
unknown-model 400 lists it as the one allowed.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from noxus_local.speech.espeak_process import speak_wav
from tests.e2e.conftest import Server, no_server_errors


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Any:
    admin = Server(tmp_path_factory.mktemp("admin") / "data")
    fetched = admin.cli("models", "fetch", "whisper-tiny-en")
    assert fetched.returncode == 0, fetched.stderr
    srv = Server(tmp_path_factory.mktemp("custom") / "data")
    srv.client.event_hooks = {"request": [], "response": [no_server_errors]}
    assert srv.cli("models", "fetch", "silero-vad").returncode == 0
    added = srv.cli("models", "add", "whisper-custom", "--kind", "speech-recognition",
                    "--dir", str(admin.data_dir / "models" / "whisper-tiny-en"))
    assert added.returncode == 0, added.stderr
    assert "serves speech recognition" in added.stdout
    srv.start()
    yield srv
    srv.stop()


@pytest.fixture(scope="module")
def speech(tmp_path_factory: pytest.TempPathFactory) -> Path:
    wav = tmp_path_factory.mktemp("clip") / "hello.wav"
    speak_wav("hello world this is a test", "en", wav, rate=130)
    return wav


def _transcribe(server: Server, wav: Path, model: str) -> Any:
    with wav.open("rb") as f:
        return server.post("/v1/audio/transcriptions", server.key, files={"file": (wav.name, f)},
                           data={"model": model, "language": "en"})


def test_the_added_model_is_accepted_by_the_openai_route(server: Server, speech: Path) -> None:
    answer = _transcribe(server, speech, "whisper-custom")
    assert answer.status_code == 200, answer.text
    assert "hello" in answer.json()["text"].lower()
    job = server.get(f"/api/v1/jobs/{answer.headers['x-job-id']}", server.key).json()
    assert job["tool"] == "auto-subtitles"
    with speech.open("rb") as f:
        tool = server.post("/api/v1/tools/subtitulos-automaticos", server.key, files={"video": (speech.name, f)},
                           data={"model": "whisper-custom", "burn": "false", "language": "en"})
    assert tool.status_code in (200, 202), tool.text


def test_an_unknown_model_is_still_a_400_naming_the_added_one(server: Server, speech: Path) -> None:
    unknown = _transcribe(server, speech, "whisper-huge")
    assert unknown.status_code == 400, unknown.text
    error = unknown.json()["error"]
    assert error["param"] == "model" and "whisper-custom" in error["message"]
