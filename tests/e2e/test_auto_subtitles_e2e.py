"""auto-subtitles and the OpenAI-compatible audio routes on the real server (issue 10, items 1, 5, 7, 8).

One server for the module (with the default models fetched into its data dir);
clips made by ffmpeg, speech by espeak-ng, recognised by Whisper base for real.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import openai
import pytest

from noxus_local.media.ffmpeg import run_ffmpeg
from noxus_local.runtime.cancel import CancelToken
from noxus_local.speech.espeak_process import speak_wav
from noxus_local.speech.wer import wer
from tests.e2e.conftest import Server, no_server_errors


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Any:
    srv = Server(tmp_path_factory.mktemp("subs") / "data", "[tiers.free]\nmax_video_seconds = 12\n")
    srv.client.event_hooks = {"request": [], "response": [no_server_errors]}
    # the default models, copied from the download cache `make test` fills
    fetched = srv.cli("models", "fetch", "silero-vad", "whisper-base")
    assert fetched.returncode == 0, fetched.stderr
    srv.start()
    yield srv
    srv.stop()


@pytest.fixture(scope="module")
def clips(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    d = tmp_path_factory.mktemp("clips")
    speech = d / "speech.wav"
    speak_wav(SPEECH, "en", speech, rate=150)
    video = ["-f", "lavfi", "-i", "color=c=0x303030:s=320x240:r=25"]
    run_ffmpeg([*video, "-t", "3", "-c:v", "libx264", "-preset", "ultrafast", str(d / "mute.mp4")], CancelToken())
    run_ffmpeg([*video, "-f", "lavfi", "-i", "sine=f=300", "-t", "14", "-c:v", "libx264", "-preset", "ultrafast",
                "-shortest", str(d / "long.mp4")], CancelToken())
    (d / "broken.wav").write_bytes(b"RIFF\x00\x00\x00\x00WAVEfmt nonsense")
    spanish = d / "es.wav"
    speak_wav(SPANISH, "es", spanish)
    run_ffmpeg([*video, "-i", str(spanish), "-c:v", "libx264", "-preset", "ultrafast", "-c:a", "aac",
                "-shortest", str(d / "es.mp4")], CancelToken())
    return {"speech": speech, "mute": d / "mute.mp4", "long": d / "long.mp4", "broken": d / "broken.wav",
            "es": d / "es.mp4"}


SPANISH = "Hola, me llamo Carlos. Hoy vamos a hablar del tiempo en Madrid. Gracias a todos."
SPEECH = "Hello everyone. This is a short test."


def _plain(word: str) -> str:
    return word.strip(" .,¿?¡!").lower()


def _run(server: Server, path: Path, **fields: str) -> Any:
    with path.open("rb") as f:
        return server.post("/api/v1/tools/subtitulos-automaticos", server.key, files={"video": (path.name, f)},
                           data=fields)


def test_catalog_lists_styles_fonts_and_price(server: Server) -> None:
    tool = server.get("/api/v1/tools/auto-subtitles", server.key).json()["tool"]
    assert {s["name"] for s in tool["styles"]} >= {"yellow_punch", "classic", "boxed", "karaoke", "word_pop",
                                                   "one_word", "neon", "minimal"}
    assert all(s["description"] and s["looks_like"] for s in tool["styles"])
    assert tool["pricing"]["unit"] == "minute" and "Anton" in tool["fonts"]


def test_bad_input_is_refused_before_any_charge(server: Server, clips: dict[str, Path]) -> None:
    mute = _run(server, clips["mute"])
    assert (mute.status_code, mute.json()["error_code"]) == (400, "invalid_media")
    assert "audio" in mute.json()["error"] and mute.json()["billing"]["charged_usd"] == "0"
    long = _run(server, clips["long"])
    assert (long.status_code, long.json()["details"]["limit"]) == (413, "max_video_seconds")
    style = _run(server, clips["speech"], style="sparkly")
    assert style.status_code == 400 and "yellow_punch" in style.text
    lang = _run(server, clips["speech"], language="klingon")
    assert lang.status_code == 400 and "language" in lang.json()["details"]["field_errors"]
    broken = _run(server, clips["broken"])
    assert (broken.status_code, broken.json()["error_code"]) == (400, "invalid_media")


def _client(server: Server, key: str | None = None) -> openai.OpenAI:
    return openai.OpenAI(base_url=f"{server.base}/v1", api_key=key or server.key, max_retries=0)


def test_openai_errors_have_openai_shape(server: Server, clips: dict[str, Path]) -> None:
    with pytest.raises(openai.AuthenticationError) as auth:
        _client(server, "noxus_test_wrong").audio.transcriptions.create(model="whisper-1", file=clips["speech"])
    assert auth.value.response.json()["error"]["code"] == "invalid_api_key"
    with pytest.raises(openai.BadRequestError) as bad:
        _client(server).audio.transcriptions.create(model="whisper-1", file=clips["broken"])
    body = bad.value.response.json()["error"]
    assert body["code"] == "invalid_media" and body["type"] == "invalid_request_error" and body["message"]
    assert bad.value.response.headers["x-request-id"]
    with pytest.raises(openai.BadRequestError) as fmt:
        _client(server).audio.transcriptions.create(model="whisper-1", file=clips["speech"],
                                                    response_format="docx")  # type: ignore[arg-type]
    assert fmt.value.response.json()["error"]["param"] == "response_format"


def test_openai_round_trip(server: Server, clips: dict[str, Path]) -> None:
    before = server.get("/api/v1/balance", server.key).json()["balance"]["balance_usd"]
    client = _client(server)
    raw = client.audio.transcriptions.with_raw_response.create(
        model="whisper-1", file=clips["speech"], language="en", response_format="verbose_json",
        timestamp_granularities=["word"])
    result = raw.parse()
    assert wer(SPEECH, result.text) <= 0.5 and result.words, result.text  # a bound, never exact words
    assert raw.headers["x-job-id"].startswith("job_")
    srt_text = client.audio.transcriptions.create(model="whisper-1", file=clips["speech"], response_format="srt")
    assert "-->" in srt_text
    job = server.get(f"/api/v1/jobs/{raw.headers['x-job-id']}", server.key).json()
    assert job["tool"] == "auto-subtitles" and float(job["billing"]["charged_usd"]) > 0
    assert server.get("/api/v1/balance", server.key).json()["balance"]["balance_usd"] != before


def test_spanish_clip_burned_with_words_and_files(server: Server, clips: dict[str, Path]) -> None:
    r = _run(server, clips["es"], language="es", style="yellow_punch")
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["output"]["mime_type"] == "video/mp4"
    assert [o["name"] for o in body["outputs"]] == ["video", "srt", "vtt", "ass", "json"]
    result = body["result"]
    words = [w for seg in result["segments"] for w in seg["words"]]
    assert wer(SPANISH, " ".join(w["word"] for w in words)) <= 0.35, result["transcript"]  # never exact words
    assert result["language"] == "es" and result["style"]["name"] == "yellow_punch"
    assert all(0 <= w["start"] <= w["end"] <= result["duration"] + 0.5 for w in words)
    assert float(body["billing"]["charged_usd"]) > 0
    srt_file = server.client.get(body["outputs"][1]["url"])
    assert srt_file.status_code == 200 and "-->" in srt_file.text


def test_known_script_is_aligned_word_for_word(server: Server, clips: dict[str, Path]) -> None:
    r = _run(server, clips["es"], language="es", transcript=SPANISH, burn="false", formats="json,srt")
    assert r.status_code == 200, r.text
    words = [w["word"] for seg in r.json()["result"]["segments"] for w in seg["words"]]
    assert words == SPANISH.split()
    assert [o["name"] for o in r.json()["outputs"]] == ["json", "srt"]


def _balance(server: Server) -> str:
    return server.get("/api/v1/balance", server.key).json()["balance"]["balance_usd"]


def test_model_option_is_checked_before_the_hold(server: Server, clips: dict[str, Path]) -> None:
    """An unknown model is a 400 listing the installed ones, a declared one not installed a 503 naming
    the fetch command: on both routes, before any money moves."""
    before = _balance(server)
    unknown = _run(server, clips["speech"], model="whisper-huge", burn="false")
    assert (unknown.status_code, unknown.json()["error_code"]) == (400, "validation_error"), unknown.text
    assert unknown.json()["details"]["allowed"]["model"] == ["whisper-base"]
    assert "whisper-base" in unknown.json()["error"] and unknown.json()["billing"]["charged_usd"] == "0"
    server.client.event_hooks = {"request": [], "response": []}  # the 503 below is the answer expected
    try:
        missing = _run(server, clips["speech"], model="whisper-tiny-en", burn="false")
    finally:
        server.client.event_hooks = {"request": [], "response": [no_server_errors]}
    assert (missing.status_code, missing.json()["error_code"]) == (503, "tool_unavailable"), missing.text
    assert missing.json()["details"]["install"] == "noxus-local models fetch whisper-tiny-en"
    assert missing.json()["billing"]["charged_usd"] == "0"
    with pytest.raises(openai.BadRequestError) as bad:
        _client(server).audio.transcriptions.create(model="whisper-huge", file=clips["speech"])
    assert bad.value.response.json()["error"]["param"] == "model"
    assert "whisper-base" in bad.value.response.json()["error"]["message"]
    with pytest.raises(openai.InternalServerError) as down:
        _client(server).audio.transcriptions.create(model="whisper-tiny-en", file=clips["speech"])
    assert down.value.status_code == 503
    error = down.value.response.json()["error"]
    assert error["code"] == "tool_unavailable" and "models fetch whisper-tiny-en" in error["message"]
    assert _balance(server) == before


@pytest.mark.filterwarnings("ignore:deprecated:DeprecationWarning")  # the client marks translations deprecated
def test_openai_translation_spanish_speech_to_english(server: Server, clips: dict[str, Path]) -> None:
    """Whisper's translate task through the official client: Spanish speech in, English text out, billed."""
    spanish = clips["es"].with_name("es.wav")
    before = _balance(server)
    raw = _client(server).audio.translations.with_raw_response.create(model="whisper-1", file=spanish)
    text = raw.parse().text.lower()
    english = {"hello", "hi", "my", "name", "today", "we", "are", "going", "talk", "about", "weather", "thank",
               "thanks", "everyone", "all"}
    said = {w.strip(".,!?¿¡") for w in text.split()}
    assert len(said & english) >= 4, text  # a translation: enough English words, none exact
    assert not said & {"llamo", "hoy", "vamos", "hablar", "gracias", "tiempo"}, text
    job = server.get(f"/api/v1/jobs/{raw.headers['x-job-id']}", server.key).json()
    assert job["tool"] == "auto-subtitles" and float(job["billing"]["charged_usd"]) > 0
    assert _balance(server) != before
    verbose = _client(server).audio.translations.create(model="whisper-1", file=spanish,
                                                        response_format="verbose_json")
    heard = {w.strip(".,!?¿¡") for w in verbose.text.lower().split()}
    assert verbose.language == "es" and verbose.duration > 3 and len(heard & english) >= 4, verbose.text
